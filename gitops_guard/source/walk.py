"""Which files a run reads: explicit files as given, directories walked.

Directory walks skip ``.git/`` and whatever the ``.gitignore`` files along the
way ignore (nested ones apply below their own directory, as in git).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

from gitops_guard.source.classify import BINARY_SUFFIXES


class Candidate(NamedTuple):
    abspath: Path
    display: str  # relative to the working directory, `/`-separated, no leading ./
    explicit: bool  # named on the command line (pre-commit passes files this way)


def display_path(path: Path, cwd: Path) -> str:
    try:
        rel = os.path.relpath(path, cwd)
    except ValueError:  # another drive on Windows
        rel = str(path)
    return rel.replace(os.sep, "/")


def discover(paths: Iterable[str], cwd: Path, *, exclude: Any = None) -> tuple[list[Candidate], list[str]]:
    """Returns the files to read and the paths that do not exist."""
    found: dict[Path, Candidate] = {}
    missing: list[str] = []
    # Paths are resolved (symlinks followed), so the directory they are shown relative to must
    # be too: a checkout reached through a symlink still gets plain relative paths.
    cwd = cwd.resolve()
    for raw in paths:
        path = (cwd / raw).resolve() if not os.path.isabs(raw) else Path(raw).resolve()
        if path.is_file():
            found.setdefault(path, Candidate(path, display_path(path, cwd), explicit=True))
        elif path.is_dir():
            for file in _walk(path):
                disp = display_path(file, cwd)
                if exclude is not None and exclude.match_file(disp):
                    continue
                found.setdefault(file, Candidate(file, disp, explicit=False))
        else:
            missing.append(raw)
    return sorted(found.values(), key=lambda c: c.display), missing


def _walk(root: Path) -> Iterator[Path]:
    # Stack of (directory, spec) for every .gitignore seen on the way down.
    def load(directory: str) -> Any:
        try:
            with open(os.path.join(directory, ".gitignore"), encoding="utf-8", errors="replace") as fh:
                lines = fh.read().splitlines()
        except OSError:
            return None
        if not lines:
            return None
        import pathspec  # lazily: only a tree that has a .gitignore pays for it (~7 ms)

        return pathspec.GitIgnoreSpec.from_lines(lines)

    specs: dict[str, Any] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        spec = load(dirpath)
        if spec is not None:
            specs[dirpath] = spec
        active = [(d, s) for d, s in specs.items() if dirpath == d or dirpath.startswith(d + os.sep)]

        def ignored(name: str, *, is_dir: bool, here: str = dirpath, chain: list[Any] = active) -> bool:
            full = os.path.join(here, name)
            for base, s in chain:
                rel = os.path.relpath(full, base).replace(os.sep, "/")
                if s.match_file(rel + "/" if is_dir else rel):
                    return True
            return False

        dirnames[:] = sorted(d for d in dirnames if d != ".git" and not ignored(d, is_dir=True))
        for name in sorted(filenames):
            # Every text file: YAML/JSON are checked, the rest scanned for secrets only.
            if os.path.splitext(name)[1].lower() not in BINARY_SUFFIXES and not ignored(name, is_dir=False):
                yield Path(dirpath) / name
