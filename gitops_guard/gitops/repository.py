"""The repository being checked: its root, its own URLs, and the directories in it.

Argo CD and Flux name their sources by URL; offline, the only way to know that a URL
means "this repository" is to know this repository's own URLs (the git remotes, or URLs
the caller names) or to see that the path it names exists here.  Paths are always
repository-relative, ``/``-separated, with ``.`` for the root.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

# Bounds every directory walk: a deployer pointed at a huge tree must not hang the run.
MAX_WALK_ENTRIES = 50_000

_SCP_LIKE = re.compile(r"^(?:[\w.-]+@)?([\w.-]+):(?!//)(.+)$")


def normalize_url(url: str) -> str:
    """One spelling per repository: ``git@github.com:org/repo.git``, ``ssh://git@github.com/org/repo``
    and ``https://github.com/org/repo/`` all become ``github.com/org/repo``."""
    u = url.strip()
    m = _SCP_LIKE.match(u)
    if m and "://" not in u:
        host, rest = m.group(1), m.group(2)
    else:
        rest = re.sub(r"^[a-zA-Z][\w+.-]*://", "", u)
        host, _, rest = rest.partition("/")
        host = host.rpartition("@")[2]
        host = re.sub(r":\d+$", "", host)
    rest = rest.strip("/")
    if rest.endswith(".git"):
        rest = rest[:-4]
    return f"{host.lower()}/{rest}".rstrip("/")


def normalize_path(path: str) -> str | None:
    """A repository-relative directory, or None when the path leaves the repository."""
    p = path.strip().replace("\\", "/")
    if p.startswith("/"):
        p = p.lstrip("/")
    norm = posixpath.normpath(p) if p else "."
    if norm == ".." or norm.startswith("../"):
        return None
    return norm


def is_under(path: str, directory: str) -> bool:
    """``path`` is ``directory`` or inside it (both repository-relative)."""
    if directory == ".":
        return True
    return path == directory or path.startswith(directory + "/")


def parent_dir(path: str) -> str:
    return posixpath.dirname(path) or "."


@dataclass
class Repository:
    root: Path
    # Normalized URLs known to mean this repository (git remotes, configuration).
    urls: frozenset[str] = frozenset()
    _dirs: list[str] | None = field(default=None, repr=False)

    @classmethod
    def discover(cls, start: Path, urls: Iterable[str] = ()) -> Repository:
        """The enclosing git checkout of ``start`` (its remotes are this repository's URLs),
        else ``start`` itself with only the URLs given."""
        start = start.resolve()
        checkout = git_root(start)
        root = checkout or start
        known = {normalize_url(u) for u in urls if u}
        if checkout is not None:
            known.update(normalize_url(u) for u in git_remote_urls(checkout))
        return cls(root, frozenset(known))

    def abspath(self, rel: str) -> Path:
        return self.root if rel == "." else self.root / rel

    def rel(self, path: Path) -> str | None:
        """Repository-relative form of an absolute path, None when outside."""
        try:
            rel = os.path.relpath(path, self.root)
        except ValueError:
            return None
        rel = rel.replace(os.sep, "/")
        if rel == ".." or rel.startswith("../"):
            return None
        return rel

    def is_dir(self, rel: str) -> bool:
        return self.abspath(rel).is_dir()

    def is_file(self, rel: str) -> bool:
        return self.abspath(rel).is_file()

    def directories(self) -> list[str]:
        """Every directory of the repository (not ``.git``), sorted; walked once, bounded."""
        if self._dirs is None:
            out: list[str] = []
            for rel, dirnames, _ in self.walk("."):
                dirnames[:] = [d for d in dirnames if d != ".git"]
                if rel != ".":
                    out.append(rel)
            self._dirs = sorted(out)
        return self._dirs

    def files(self, pattern_root: str = ".") -> Iterator[str]:
        for rel, dirnames, filenames in self.walk(pattern_root):
            dirnames[:] = [d for d in dirnames if d != ".git"]
            for name in filenames:
                yield name if rel == "." else f"{rel}/{name}"

    def walk(self, rel: str) -> Iterator[tuple[str, list[str], list[str]]]:
        """``os.walk`` in repository-relative terms, sorted, stopping after MAX_WALK_ENTRIES."""
        seen = 0
        base = self.abspath(rel)
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames.sort()
            filenames.sort()
            seen += len(dirnames) + len(filenames)
            if seen > MAX_WALK_ENTRIES:
                return
            here = self.rel(Path(dirpath))
            if here is None:
                return
            yield here, dirnames, filenames


def git_root(start: Path) -> Path | None:
    """The enclosing Git checkout of ``start`` (a ``.git`` directory or file), found without
    starting a process; None outside one."""
    for candidate in (start, *start.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def git_remote_urls(root: Path) -> list[str]:
    """The fetch URLs of every remote of the checkout at ``root`` (empty when git is missing)."""
    import subprocess

    try:
        proc = subprocess.run(
            ["git", "-C", str(root), "config", "--get-regexp", r"^remote\..*\.url$"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return []
    if proc.returncode != 0:
        return []
    return [line.split(None, 1)[1] for line in proc.stdout.splitlines() if " " in line]
