"""The pre-commit hook, run end to end by the real `pre-commit` against real git repositories.

The hook repository is a snapshot of this checkout's working tree (tracked files plus untracked,
non-ignored ones) committed with pinned identity and dates. Testing the working tree rather than
HEAD matters: `pre-commit try-repo` on a dirty checkout only carries *tracked* changes over, so a
new, not yet committed module would be missing from the hook it installs. The pinned commit also
makes the snapshot's revision a function of its content, which lets the `pre-commit run` tests
reuse their hook environment across sessions (see ``_run_with_config``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import NamedTuple

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]

HOOK_ID = "gitops-guard"
# Building the hook's virtualenv installs the package and its dependencies.
PRE_COMMIT_TIMEOUT_S = 900
SNAPSHOT_MAX_AGE_S = 7 * 24 * 3600

GOOD_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels:
    app.kubernetes.io/name: web
spec:
  replicas: 2
  selector:
    matchLabels:
      app.kubernetes.io/name: web
  template:
    metadata:
      labels:
        app.kubernetes.io/name: web
    spec:
      containers:
        - name: web
          image: registry.example.com/shop/web:1.4.2
          ports:
            - containerPort: 8080
              name: http
"""

# `replica` is not a field of DeploymentSpec; the API server would reject the object.
UNKNOWN_FIELD_DEPLOYMENT = GOOD_DEPLOYMENT.replace("  replicas: 2\n", "  replica: 3\n")

# Kubernetes keeps the last `name` silently, so the object deployed is not the one reviewed.
DUPLICATE_KEY_DEPLOYMENT = GOOD_DEPLOYMENT.replace("  name: web\n", "  name: web\n  name: web-v2\n", 1)


class HookRepo(NamedTuple):
    path: Path
    rev: str
    # PRE_COMMIT_HOME for the runs that use it: the store of hook environments.
    precommit_home: Path


class Result(NamedTuple):
    returncode: int
    output: str


def _git_env() -> dict[str, str]:
    """An environment in which git behaves the same on every machine and inside git hooks."""
    env = {
        key: value
        for key, value in os.environ.items()
        # Set when the suite itself runs from a git hook; they would point git at the wrong repo.
        if key not in {"GIT_DIR", "GIT_INDEX_FILE", "GIT_WORK_TREE", "GIT_OBJECT_DIRECTORY"}
        # SKIP, PRE_COMMIT_HOME, ... from the caller must not change what these tests run.
        and not key.startswith("PRE_COMMIT")
        and key != "SKIP"
    }
    env.update(
        GIT_AUTHOR_NAME="gitops-guard tests",
        GIT_AUTHOR_EMAIL="tests@gitops-guard.invalid",
        GIT_AUTHOR_DATE="2024-01-01T00:00:00+00:00",
        GIT_COMMITTER_NAME="gitops-guard tests",
        GIT_COMMITTER_EMAIL="tests@gitops-guard.invalid",
        GIT_COMMITTER_DATE="2024-01-01T00:00:00+00:00",
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
    )
    return env


def _run(cmd: list[str], *, cwd: Path, env: Mapping[str, str], timeout: float = 120) -> Result:
    proc = subprocess.run(
        cmd,
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Result(proc.returncode, proc.stdout)


def _git(git: Path, *args: str, cwd: Path) -> str:
    result = _run([str(git), *args], cwd=cwd, env=_git_env())
    assert result.returncode == 0, f"git {' '.join(args)} failed:\n{result.output}"
    return result.output


def _init_repo(git: Path, path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    _git(git, "init", "--quiet", cwd=path)
    _git(git, "config", "user.name", "gitops-guard tests", cwd=path)
    _git(git, "config", "user.email", "tests@gitops-guard.invalid", cwd=path)
    _git(git, "config", "commit.gpgsign", "false", cwd=path)


def _working_tree_files(git: Path) -> list[str]:
    listed = _git(git, "ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=REPO_ROOT)
    # A tracked file deleted in the working tree is listed but gone: the snapshot leaves it out.
    return sorted({name for name in listed.split("\0") if name and (REPO_ROOT / name).is_file()})


def _prune_old_snapshots(snapshots: Path, *, keep: Path) -> None:
    """Drop snapshots of older checkouts, which only ever grow in number otherwise."""
    cutoff = time.time() - SNAPSHOT_MAX_AGE_S
    for entry in snapshots.iterdir():
        if entry != keep and not entry.name.startswith(".") and entry.stat().st_mtime < cutoff:
            shutil.rmtree(entry, ignore_errors=True)
    if keep.exists():
        os.utime(keep)  # still in use: restart its clock


@pytest.fixture(scope="module")
def precommit_home(tools_cache: Path) -> Path:
    """The pre-commit store shared by test sessions, with the environments nobody uses removed.

    Each version of the checkout gets its own hook environment (about 150 MB); `pre-commit gc`
    drops those whose consumer configs (in pytest's rotating temporary directories) are gone.
    """
    home = tools_cache / "pre-commit"
    home.mkdir(parents=True, exist_ok=True)
    env = {**_git_env(), "PRE_COMMIT_HOME": str(home)}
    # Housekeeping only: a failed gc leaves disk in use but tests nothing, so it is not checked.
    _run([sys.executable, "-m", "pre_commit", "gc"], cwd=home, env=env)
    return home


@pytest.fixture(scope="module")
def hook_repo(tool: Callable[[str], Path], precommit_home: Path) -> HookRepo:
    """This checkout's working tree as a one-commit repository, stored under its commit id."""
    git = tool("git")
    snapshots = precommit_home / "hook-repos"
    snapshots.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=snapshots))
    try:
        for name in _working_tree_files(git):
            target = staging / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO_ROOT / name, target, follow_symlinks=False)
        _init_repo(git, staging)
        _git(git, "add", "--all", cwd=staging)
        _git(git, "commit", "--quiet", "--no-verify", "--message", "working tree snapshot", cwd=staging)
        rev = _git(git, "rev-parse", "HEAD", cwd=staging).strip()
        final = snapshots / rev
        _prune_old_snapshots(snapshots, keep=final)
        if not final.exists():
            try:
                staging.rename(final)
            except OSError:
                # Another session stored the same snapshot first; its copy is identical.
                if not final.exists():
                    raise
        return HookRepo(final, rev, precommit_home)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


@pytest.fixture
def consumer_repo(tool: Callable[[str], Path], tmp_path: Path) -> Path:
    """A user's repository holding one good and two bad manifests, all staged."""
    git = tool("git")
    repo = tmp_path / "consumer"
    _init_repo(git, repo)
    manifests = {
        "apps/web/deployment.yaml": GOOD_DEPLOYMENT,
        "apps/bad/unknown-field.yaml": UNKNOWN_FIELD_DEPLOYMENT,
        "apps/bad/duplicate-key.yaml": DUPLICATE_KEY_DEPLOYMENT,
        # Not YAML: the hook's `types: [yaml]` must keep it away from gitops-guard.
        "NOTES.txt": "replica: 3\n: not yaml at all [\n",
    }
    for name, text in manifests.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text, encoding="utf-8")
    _git(git, "add", "--all", cwd=repo)
    return repo


def _precommit_env(hook_repo: HookRepo) -> dict[str, str]:
    env = _git_env()
    env["PRE_COMMIT_HOME"] = str(hook_repo.precommit_home)
    return env


def _try_repo(hook_repo: HookRepo, consumer: Path, *files: str) -> Result:
    cmd = [sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo.path), HOOK_ID]
    cmd += ["--ref", hook_repo.rev, "--color", "never", "--verbose", "--files", *files]
    return _run(cmd, cwd=consumer, env=_precommit_env(hook_repo), timeout=PRE_COMMIT_TIMEOUT_S)


def _run_with_config(hook_repo: HookRepo, consumer: Path, *selection: str) -> Result:
    """`pre-commit run` the way a user's repository runs the hook.

    Unlike try-repo, which builds the hook environment in a throw-away store every time, this
    uses PRE_COMMIT_HOME in the cache: the store is keyed by (repository path, rev), and both
    are content-derived here, so the environment is built once per version of the checkout.
    """
    config = {"repos": [{"repo": str(hook_repo.path), "rev": hook_repo.rev, "hooks": [{"id": HOOK_ID}]}]}
    (consumer / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    cmd = [sys.executable, "-m", "pre_commit", "run", HOOK_ID, "--color", "never", "--verbose", *selection]
    return _run(cmd, cwd=consumer, env=_precommit_env(hook_repo), timeout=PRE_COMMIT_TIMEOUT_S)


def test_manifest_declares_the_contract_hook() -> None:
    manifest = REPO_ROOT / ".pre-commit-hooks.yaml"
    command = [sys.executable, "-m", "pre_commit", "validate-manifest", str(manifest)]
    validated = _run(command, cwd=REPO_ROOT, env=_git_env())
    assert validated.returncode == 0, validated.output
    (hook,) = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    assert hook["id"] == HOOK_ID
    assert hook["entry"] == "gitops-guard check"
    assert hook["language"] == "python"
    assert hook["types"] == ["yaml"]
    # Cross-file rules need every file in one process (pre-commit otherwise splits the list).
    assert hook["require_serial"] is True


def test_try_repo_passes_a_valid_manifest(hook_repo: HookRepo, consumer_repo: Path) -> None:
    result = _try_repo(hook_repo, consumer_repo, "apps/web/deployment.yaml")
    assert result.returncode == 0, result.output
    assert "Passed" in result.output


def test_try_repo_fails_an_invalid_manifest(hook_repo: HookRepo, consumer_repo: Path) -> None:
    result = _try_repo(hook_repo, consumer_repo, "apps/bad/unknown-field.yaml")
    assert result.returncode == 1, result.output
    assert "Failed" in result.output
    assert "schema/violation" in result.output
    assert "apps/bad/unknown-field.yaml" in result.output


@pytest.mark.parametrize(
    ("path", "rule"),
    [
        ("apps/bad/unknown-field.yaml", "schema/violation"),
        ("apps/bad/duplicate-key.yaml", "yaml/duplicate-key"),
    ],
)
def test_hook_reports_the_rule_that_failed(
    hook_repo: HookRepo, consumer_repo: Path, path: str, rule: str
) -> None:
    result = _run_with_config(hook_repo, consumer_repo, "--files", path)
    assert result.returncode == 1, result.output
    assert rule in result.output
    assert path in result.output


def test_hook_passes_a_valid_manifest(hook_repo: HookRepo, consumer_repo: Path) -> None:
    result = _run_with_config(hook_repo, consumer_repo, "--files", "apps/web/deployment.yaml")
    assert result.returncode == 0, result.output
    assert "Passed" in result.output


def test_hook_checks_only_yaml_files(hook_repo: HookRepo, consumer_repo: Path) -> None:
    result = _run_with_config(hook_repo, consumer_repo, "--files", "NOTES.txt")
    assert result.returncode == 0, result.output
    assert "(no files to check)Skipped" in result.output


def test_hook_on_all_files_names_only_the_bad_ones(hook_repo: HookRepo, consumer_repo: Path) -> None:
    result = _run_with_config(hook_repo, consumer_repo, "--all-files")
    assert result.returncode == 1, result.output
    assert "apps/bad/unknown-field.yaml" in result.output
    assert "apps/bad/duplicate-key.yaml" in result.output
    assert "apps/web/deployment.yaml" not in result.output
