"""Git sources: an Argo CD Application's ``spec.source`` or a Flux ``GitRepository``, resolved
to a commit and exported as a read-only tree.

A remote (any URL git can fetch, ``file://`` included) is kept as a bare mirror per URL under
``$GITOPS_GUARD_CACHE/git/<hash>``: the first use creates it, later uses fetch with
``--prune``, under an exclusive lock so that two engines never fetch into one mirror at once.
The URL is given to ``git fetch`` on the command line and never stored in the mirror's
configuration, so credentials in it do not land on disk; git's own credential helpers,
``~/.ssh`` and ``GIT_*`` settings are how credentials reach git, and every message shows the
URL without its user information. A local path names a repository read in place (nothing is
fetched or copied). The tree is written by ``git archive`` (``diff/revisions.py``): nothing is
checked out and no worktree is registered.

Which commit: Flux's ``spec.ref`` fields in Flux's order of precedence (``commit``, ``name``,
``semver``, ``tag``, ``branch``; none is branch ``master``); Argo CD's ``targetRevision`` is
``HEAD`` (or empty) for the remote's default branch, else a branch, a tag, a commit id, or a
semver constraint over the tags (``1.2.*``), as Argo CD reads it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import subprocess
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

from gitops_guard.errors import ConfigError, ToolError

DEFAULT_FETCH_TIMEOUT = 300.0
DEFAULT_LOCK_TIMEOUT = 600.0
_HEX = re.compile(r"[0-9a-fA-F]{7,64}")
_USERINFO = re.compile(r"(?<=://)[^/@\s]*@")


class Git(Protocol):
    """How resolving runs git: ``git(repo, *args, what=..., check=...)``."""

    def __call__(
        self, repo: Path, *args: str, what: str, check: bool = True
    ) -> subprocess.CompletedProcess[str]: ...


class SourceError(ToolError):
    """The source could not be fetched or read (unreachable, refused, not a repository)."""


class RefNotFound(ConfigError):
    """The source has no branch, tag or commit that the spec names."""


def redact_url(text: str) -> str:
    """``text`` with the user information of every ``scheme://user:secret@host`` URL removed."""
    return _USERINFO.sub("", text)


@dataclass(frozen=True)
class GitRef:
    """What to resolve: exactly one kind, in Flux's order of precedence."""

    commit: str | None = None
    name: str | None = None  # a full ref name, e.g. refs/pull/1/head
    semver: str | None = None
    tag: str | None = None
    branch: str | None = None
    revision: str | None = None  # Argo CD's targetRevision: a branch, a tag or a commit id
    head: bool = False  # Argo CD's HEAD: the remote's default branch

    @classmethod
    def from_flux(cls, ref: Any) -> GitRef:
        if ref is None:
            return cls(branch="master")
        if not isinstance(ref, Mapping):
            raise ConfigError("GitRepository spec.ref must be a mapping")
        fields: dict[str, str | None] = {}
        for key in ("commit", "name", "semver", "tag", "branch"):
            value = ref.get(key)
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise ConfigError(f"GitRepository spec.ref.{key} must be a non-empty string")
            fields[key] = value.strip() if isinstance(value, str) else None
        if not any(fields.values()):
            return cls(branch="master")
        return cls(
            commit=fields["commit"],
            name=fields["name"],
            semver=fields["semver"],
            tag=fields["tag"],
            branch=fields["branch"],
        )

    @classmethod
    def from_argo(cls, target_revision: Any) -> GitRef:
        if target_revision is None or target_revision in ("", "HEAD"):
            return cls(head=True)
        if not isinstance(target_revision, str):
            raise ConfigError("Application spec.source.targetRevision must be a string")
        if target_revision.startswith("refs/"):
            return cls(name=target_revision)
        # Branch, tag or commit id: resolved in that order against what the source has.
        return cls(revision=target_revision)

    def describe(self) -> str:
        if self.commit:
            return f"commit {self.commit}" + (f" on branch {self.branch}" if self.branch else "")
        pairs = (("ref", self.name), ("semver", self.semver), ("tag", self.tag), ("revision", self.revision))
        for label, value in pairs:
            if value:
                return f"{label} {value}"
        return "HEAD" if self.head else f"branch {self.branch}"


@dataclass(frozen=True)
class Source:
    url: str
    ref: GitRef
    path: str = ""  # Argo CD spec.source.path; "" is the repository root

    @property
    def display_url(self) -> str:
        return redact_url(self.url)

    @classmethod
    def from_application(cls, app: Mapping[str, Any]) -> Source:
        spec = app.get("spec")
        spec = spec if isinstance(spec, Mapping) else {}
        source = spec.get("source")
        if source is None:
            sources = spec.get("sources")
            if isinstance(sources, list) and len(sources) == 1:
                source = sources[0]
            elif sources is not None:
                raise ConfigError("Application spec.sources with more than one source is not supported")
        if not isinstance(source, Mapping):
            raise ConfigError("Application has no spec.source")
        url = source.get("repoURL")
        if not isinstance(url, str) or not url.strip():
            raise ConfigError("Application spec.source.repoURL must be a non-empty string")
        if source.get("chart") is not None:
            raise ConfigError(f"Application source {redact_url(url)} is a Helm chart repository, not Git")
        path = source.get("path") or ""
        if not isinstance(path, str):
            raise ConfigError("Application spec.source.path must be a string")
        return cls(url.strip(), GitRef.from_argo(source.get("targetRevision")), _clean_path(path))

    @classmethod
    def from_git_repository(cls, repo: Mapping[str, Any]) -> Source:
        spec = repo.get("spec")
        spec = spec if isinstance(spec, Mapping) else {}
        url = spec.get("url")
        if not isinstance(url, str) or not url.strip():
            raise ConfigError("GitRepository spec.url must be a non-empty string")
        return cls(url.strip(), GitRef.from_flux(spec.get("ref")))


@dataclass(frozen=True)
class Revision:
    """A resolved source: the commit, and the repository (mirror or local) that holds it."""

    source: Source
    commit: str
    resolved: str  # what the ref became, e.g. "tag v1.4.0" for a semver constraint
    git_dir: Path

    def export(self, dest: Path) -> Path:
        """The commit's tree written under ``dest``; returns the source's path inside it."""
        from gitops_guard.diff.revisions import materialize

        materialize(self.git_dir, self.commit, dest)
        inside = dest / self.source.path if self.source.path else dest
        if not inside.is_dir():
            where = f"{self.source.display_url} at {self.commit[:12]}"
            raise RefNotFound(f"{where}: path {self.source.path!r} is not a directory")
        return inside


class GitCache:
    """Bare mirrors of remote sources, one per URL, under ``root``."""

    def __init__(
        self,
        root: Path | None = None,
        *,
        fetch_timeout: float = DEFAULT_FETCH_TIMEOUT,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        env: Mapping[str, str] | None = None,
    ) -> None:
        environ = os.environ if env is None else env
        if root is None:
            base = environ.get("GITOPS_GUARD_CACHE") or str(Path.home() / ".cache" / "gitops-guard")
            root = Path(base) / "git"
        self.root = root
        self.fetch_timeout = fetch_timeout
        self.lock_timeout = lock_timeout
        self._env = dict(environ)

    def resolve(self, source: Source, *, base: Path | None = None, fetch: bool = True) -> Revision:
        """The commit ``source`` names now (fetching first unless ``fetch`` is False).

        ``base`` is where a relative local path is found (the directory of the file naming it).
        """
        local = self._local_repository(source.url, base)
        if local is not None:
            return _resolve_in(self._git, local, source)
        mirror = self.mirror_dir(source.url)
        with self._locked(mirror):
            if fetch or not (mirror / "HEAD").is_file():
                self._fetch(mirror, source)
            return _resolve_in(self._git, mirror, source)

    def mirror_dir(self, url: str) -> Path:
        key = hashlib.sha256(redact_url(url).rstrip("/").encode()).hexdigest()[:24]
        return self.root / key

    def _local_repository(self, url: str, base: Path | None) -> Path | None:
        """The repository a local path names; None for a URL (``file://`` included: it is fetched)."""
        if "://" in url or re.match(r"^[\w.-]+@[\w.-]+:", url):
            return None
        path = Path(url).expanduser()
        if not path.is_absolute():
            path = (base or Path.cwd()) / path
        if not path.exists():
            if re.match(r"^[\w.-]+:", url):
                return None  # scp-like host:path
            raise SourceError(f"{url}: no such directory")
        proc = self._git(path, "rev-parse", "--absolute-git-dir", what=url, timeout=60, check=False)
        if proc.returncode != 0:
            raise SourceError(f"{url}: not a Git repository (a source must be committed to be synced)")
        return Path(proc.stdout.strip())

    # -- fetching ------------------------------------------------------------------------------

    def _fetch(self, mirror: Path, source: Source) -> None:
        if not (mirror / "HEAD").is_file():
            mirror.mkdir(parents=True, exist_ok=True)
            self._git(mirror, "init", "--quiet", "--bare", what=f"create the mirror of {source.display_url}")
        refspecs = ["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"]
        if source.ref.head:
            refspecs.append("+HEAD:refs/gitops-guard/HEAD")
        if source.ref.name:
            refspecs.append(f"+{source.ref.name}:refs/gitops-guard/named/{source.ref.name}")
        self._git(
            mirror,
            "-c",
            "gc.autoDetach=false",
            "fetch",
            "--quiet",
            "--prune",
            "--no-write-fetch-head",
            "--",
            source.url,
            *refspecs,
            what=f"fetch {source.display_url}",
            timeout=self.fetch_timeout,
            ref_error=source.ref.name is not None or source.ref.head,
        )
        commit = source.ref.commit
        # A commit on no branch or tag: servers that allow it serve it by id.
        if (
            commit
            and len(commit) == 40
            and _HEX.fullmatch(commit)
            and _commit_of(self._git, mirror, commit, what="") is None
        ):
            with contextlib.suppress(SourceError, RefNotFound):
                self._git(
                    mirror,
                    "fetch",
                    "--quiet",
                    "--no-write-fetch-head",
                    "--",
                    source.url,
                    commit,
                    what=f"fetch {source.display_url} {commit[:12]}",
                    timeout=self.fetch_timeout,
                    ref_error=True,
                )

    def _git(
        self,
        repo: Path,
        *args: str,
        what: str,
        timeout: float = 120.0,
        ref_error: bool = False,
        check: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        env = {
            **self._env,
            "GIT_TERMINAL_PROMPT": "0",  # never wait for a password on a terminal
            "LC_ALL": "C",
        }
        env.setdefault("GIT_SSH_COMMAND", "ssh -o BatchMode=yes")
        try:
            proc = subprocess.run(
                ["git", "-C", str(repo), *args],
                capture_output=True,
                text=True,
                errors="replace",
                env=env,
                timeout=timeout,
                check=False,
                stdin=subprocess.DEVNULL,
            )
        except FileNotFoundError as exc:
            raise ToolError("git not found on PATH: needed to read sources") from exc
        except subprocess.TimeoutExpired as exc:
            raise SourceError(f"{what}: no answer within {timeout:g}s") from exc
        if check and proc.returncode != 0:
            message = redact_url(_first_error(proc.stderr))
            if ref_error and "couldn't find remote ref" in proc.stderr:
                raise RefNotFound(f"{what}: {message}")
            raise SourceError(f"{what}: {message}")
        return proc

    @contextlib.contextmanager
    def _locked(self, mirror: Path) -> Iterator[None]:
        import fcntl

        mirror.parent.mkdir(parents=True, exist_ok=True)
        with open(mirror.with_name(mirror.name + ".lock"), "a+b") as handle:
            deadline = time.monotonic() + self.lock_timeout
            while True:
                try:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise SourceError(
                            f"{mirror}: another process has held the mirror's lock for {self.lock_timeout:g}s"
                        ) from None
                    time.sleep(0.05)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


# -- resolving -----------------------------------------------------------------------------------


def _resolve_in(git: Git, repo: Path, source: Source) -> Revision:
    ref, where = source.ref, source.display_url

    def commit_of(rev: str) -> str | None:
        return _commit_of(git, repo, rev, what=where)

    def revision(commit: str, resolved: str) -> Revision:
        return Revision(source, commit, resolved, repo)

    if ref.commit:
        if not _HEX.fullmatch(ref.commit):
            raise ConfigError(f"{where}: commit {ref.commit!r} is not a commit id")
        found = commit_of(ref.commit)
        if found is None:
            raise RefNotFound(f"{where}: no commit {ref.commit}")
        if ref.branch:
            tip = commit_of(f"refs/heads/{ref.branch}")
            if tip is None:
                raise RefNotFound(f"{where}: no branch {ref.branch!r}")
            inside = git(repo, "merge-base", "--is-ancestor", found, tip, what=where, check=False)
            if inside.returncode != 0:
                raise RefNotFound(f"{where}: commit {ref.commit[:12]} is not on branch {ref.branch!r}")
        return revision(found, f"commit {found[:12]}")
    if ref.name:
        name = ref.name
        found = commit_of(f"refs/gitops-guard/named/{name}") or commit_of(name)
        if found is None:
            raise RefNotFound(f"{where}: no ref {name!r}")
        return revision(found, f"ref {name}")
    if ref.semver:
        tag = _best_tag(git, repo, where, ref.semver)
        return revision(_required(commit_of(f"refs/tags/{tag}")), f"tag {tag}")
    if ref.head:
        found = commit_of("refs/gitops-guard/HEAD") or commit_of("HEAD")
        if found is None:
            raise RefNotFound(f"{where}: the repository has no default branch (is it empty?)")
        return revision(found, "HEAD")
    if ref.revision:
        name = ref.revision
        for prefix, label in (("refs/heads/", "branch"), ("refs/tags/", "tag")):
            found = commit_of(prefix + name)
            if found is not None:
                return revision(found, f"{label} {name}")
        if _HEX.fullmatch(name) and (found := commit_of(name)) is not None:
            return revision(found, f"commit {found[:12]}")
        # Argo CD also reads a targetRevision such as `1.2.*`, `>=1.0 <2` or `1.2.3` (tag
        # v1.2.3) as a semver constraint over the tags.
        with contextlib.suppress(ConfigError):
            tag = _best_tag(git, repo, where, name)
            return revision(_required(commit_of(f"refs/tags/{tag}")), f"tag {tag}")
        raise RefNotFound(f"{where}: no branch, tag or commit {name!r}")
    if ref.tag:
        found = commit_of(f"refs/tags/{ref.tag}")
        if found is None:
            raise RefNotFound(f"{where}: no tag {ref.tag!r}")
        return revision(found, f"tag {ref.tag}")
    assert ref.branch is not None
    found = commit_of(f"refs/heads/{ref.branch}")
    if found is None:
        raise RefNotFound(f"{where}: no branch {ref.branch!r}")
    return revision(found, f"branch {ref.branch}")


def _best_tag(git: Git, repo: Path, where: str, constraint_text: str) -> str:
    from gitops_guard.sync.semver_range import Constraint

    constraint = Constraint(constraint_text)
    tags = git(repo, "for-each-ref", "--format=%(refname:lstrip=2)", "refs/tags", what=where).stdout.split()
    best = constraint.best(tags)
    if best is None:
        raise RefNotFound(f"{where}: no tag matches semver {constraint_text!r} ({len(tags)} tags)")
    return str(best)


def _required(commit: str | None) -> str:
    if commit is None:
        raise SourceError("a tag listed a moment ago is gone (the mirror changed under us)")
    return commit


def _commit_of(git: Git, repo: Path, rev: str, *, what: str) -> str | None:
    """The commit ``rev`` names in ``repo``; None when it names none (or no commit)."""
    proc = git(
        repo,
        "rev-parse",
        "--verify",
        "--quiet",
        "--end-of-options",
        f"{rev}^{{commit}}",
        what=what,
        check=False,
    )
    return proc.stdout.strip() or None if proc.returncode == 0 else None


def _clean_path(path: str) -> str:
    pure = PurePosixPath(path.strip())
    if pure.is_absolute() or ".." in pure.parts:
        raise ConfigError(f"source path {path!r} must be relative and stay inside the repository")
    text = str(pure)
    return "" if text == "." else text


def _first_error(stderr: str) -> str:
    """git's own reason: the first ``fatal:``/``error:`` line (hints and advice follow it)."""
    lines = [line.strip() for line in stderr.strip().splitlines() if line.strip()]
    for line in lines:
        if line.startswith(("fatal:", "error:")):
            return line
    return lines[-1] if lines else "no message"
