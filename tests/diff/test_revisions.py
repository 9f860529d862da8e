"""Reading revisions with the real git, never touching the working tree or index."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops_guard.diff import revisions
from gitops_guard.errors import ConfigError
from tests import helpers
from tests.conftest import require_tool


def git(repo: Path, *args: str) -> str:
    require_tool("git")
    return helpers.git(repo, *args)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "apps").mkdir()
    (root / "apps" / "a.yaml").write_text("kind: A\n")
    (root / "apps" / "b.yaml").write_text("kind: B\n")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "one")
    (root / "apps" / "a.yaml").write_text("kind: A2\n")
    (root / "apps" / "b.yaml").unlink()
    (root / "apps" / "c.yaml").write_text("kind: C\n")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "two")
    return root


def test_materialize_leaves_the_checkout_untouched(repo: Path, tmp_path: Path) -> None:
    (repo / "apps" / "a.yaml").write_text("kind: DIRTY\n")  # uncommitted work
    status_before = git(repo, "status", "--porcelain")
    base = revisions.resolve(repo, "HEAD~1")
    out = revisions.materialize(repo, base, tmp_path / "base")
    assert (out / "apps" / "a.yaml").read_text() == "kind: A\n"
    assert (out / "apps" / "b.yaml").is_file() and not (out / "apps" / "c.yaml").exists()
    assert (repo / "apps" / "a.yaml").read_text() == "kind: DIRTY\n"
    assert git(repo, "status", "--porcelain") == status_before
    assert git(repo, "worktree", "list").count("\n") == 0  # no worktree registered


def test_changed_paths_between_commits_and_against_the_worktree(repo: Path) -> None:
    assert revisions.changed_paths(repo, "HEAD~1", "HEAD") == ["apps/a.yaml", "apps/b.yaml", "apps/c.yaml"]
    (repo / "apps" / "new.yaml").write_text("kind: N\n")
    assert revisions.changed_paths(repo, "HEAD", revisions.WORKTREE) == ["apps/new.yaml"]


def test_unknown_revision_is_a_usage_error(repo: Path) -> None:
    with pytest.raises(ConfigError, match="unknown revision 'nope'"):
        revisions.resolve(repo, "nope")
    with pytest.raises(ConfigError, match="invalid revision"):
        revisions.resolve(repo, "--output=/tmp/x")


def test_outside_a_repository_is_a_usage_error(tmp_path: Path) -> None:
    require_tool("git")
    with pytest.raises(ConfigError, match="not inside a Git repository"):
        revisions.toplevel(tmp_path)


def test_an_empty_revision_materializes_as_an_empty_tree(tmp_path: Path) -> None:
    root = tmp_path / "r"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "commit", "-q", "--allow-empty", "-m", "empty")
    out = revisions.materialize(root, revisions.resolve(root, "HEAD"), tmp_path / "base")
    assert out.is_dir() and list(out.iterdir()) == []
