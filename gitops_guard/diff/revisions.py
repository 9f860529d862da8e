"""Read a Git revision without touching the user's working tree or index.

``git archive`` streams the revision's tree from the object database into a
temporary directory; nothing is checked out, no worktree is registered, and the
user's checkout (even with uncommitted changes) is left exactly as it was.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

from gitops_guard.errors import ConfigError, ToolError

WORKTREE = "WORKTREE"  # the files on disk, as `git diff REV` compares against them


def git(repo: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    """``git -C repo ARGS``, never prompting, with messages in the C locale."""
    git = shutil.which("git")
    if git is None:
        raise ToolError("git not found on PATH: needed to read revisions")
    return subprocess.run(
        [git, "-C", str(repo), *args],
        capture_output=True,
        check=False,
        env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"},
    )


def toplevel(path: Path) -> Path:
    proc = git(path, "rev-parse", "--show-toplevel")
    if proc.returncode != 0:
        raise ConfigError(f"{path}: not inside a Git repository (needed for --base)")
    return Path(proc.stdout.decode().strip())


def resolve(repo: Path, rev: str) -> str:
    """The commit id of ``rev``; a usage error when Git does not know it."""
    if rev.startswith("-"):
        raise ConfigError(f"invalid revision {rev!r}")
    proc = git(repo, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    if proc.returncode != 0:
        raise ConfigError(f"unknown revision {rev!r} (fetch it first, e.g. `git fetch origin {rev}`)")
    return proc.stdout.decode().strip()


def materialize(repo: Path, commit: str, dest: Path) -> Path:
    """Write the tree of ``commit`` under ``dest`` and return ``dest``."""
    # The tree, not the commit: no pax header, so an empty tree is an empty archive.
    proc = git(repo, "archive", "--format=tar", f"{commit}^{{tree}}")
    if proc.returncode != 0:
        raise ToolError(f"git archive {commit[:12]} failed: {_first_line(proc.stderr)}")
    dest.mkdir(parents=True, exist_ok=True)
    if not proc.stdout.strip(b"\0"):
        return dest  # an empty tree: git writes an archive with no members (or nothing at all)
    with tarfile.open(fileobj=io.BytesIO(proc.stdout), mode="r:") as tar:
        tar.extractall(dest, filter="data")
    return dest


def changed_paths(repo: Path, base: str, head: str) -> list[str]:
    """Repository-relative paths that differ between ``base`` and ``head`` (or the worktree)."""
    args = ["diff", "--name-only", "--no-renames", "-z", base]
    if head != WORKTREE:
        args.append(head)
    proc = git(repo, *args)
    if proc.returncode != 0:
        raise ToolError(f"git diff failed: {_first_line(proc.stderr)}")
    paths = [p for p in proc.stdout.decode("utf-8", "surrogateescape").split("\0") if p]
    if head == WORKTREE:
        untracked = git(repo, "ls-files", "--others", "--exclude-standard", "-z")
        paths += [p for p in untracked.stdout.decode("utf-8", "surrogateescape").split("\0") if p]
    return sorted(set(paths))


def _first_line(stderr: bytes) -> str:
    text = stderr.decode("utf-8", "replace").strip()
    return text.splitlines()[0] if text else "no message"
