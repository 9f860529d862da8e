"""Fixtures shared by the whole test suite."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from gitops_guard.cluster import Client

REPO_ROOT = Path(__file__).resolve().parents[1]
# Real public GitOps repositories and CRDs, read-only test data that lives beside the checkout.
CORPUS_DIR = REPO_ROOT.parent / "shared" / "corpus"

ToolFinder = Callable[[str], Path]


def cache_dir() -> Path:
    """The cache root that scripts/install-tools and scripts/test use."""
    configured = os.environ.get("GITOPS_GUARD_CACHE")
    return Path(configured) if configured else Path.home() / ".cache" / "gitops-guard"


def running_in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def find_tool(name: str) -> Path | None:
    """The pinned binary from scripts/install-tools if present, else NAME found on PATH."""
    pinned = cache_dir() / "bin" / name
    if pinned.is_file() and os.access(pinned, os.X_OK):
        return pinned
    found = shutil.which(name)
    return Path(found) if found else None


def require_tool(name: str) -> Path:
    """Path of an external binary a test needs.

    Missing, it skips the test on a developer machine but fails it in CI: a check that could
    not run must never be counted as a pass there.
    """
    path = find_tool(name)
    if path is not None:
        return path
    message = (
        f"external tool {name!r} not found in {cache_dir() / 'bin'} or on PATH (run scripts/install-tools)"
    )
    if running_in_ci():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def tool() -> ToolFinder:
    """``tool("kubeconform")`` -> Path of the binary; see :func:`require_tool`.

    Session-scoped so that module- and session-scoped fixtures can use it too; the skip or
    failure is raised where the finder is called, i.e. in the test or fixture that needs the tool.
    """
    return require_tool


@pytest.fixture(scope="session")
def tools_cache() -> Path:
    """The cache root shared with scripts/install-tools (binaries, pre-commit store)."""
    return cache_dir()


def require_corpus() -> Path:
    """The corpus directory; missing, skip on a laptop but fail in CI."""
    if CORPUS_DIR.is_dir():
        return CORPUS_DIR
    message = f"corpus not found at {CORPUS_DIR}"
    if running_in_ci():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


# -- a real cluster ------------------------------------------------------------------------

DEV_CLUSTER_SCRIPT = REPO_ROOT / "scripts" / "dev-cluster"
DEV_CLUSTER_BINARIES = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok")


@dataclass(frozen=True)
class DevCluster:
    """A running ``scripts/dev-cluster``: etcd, kube-apiserver, controller manager, scheduler, and
    kwok with one fake node (``kwok-node-0``), so Pods get scheduled and reported Running."""

    kubeconfig: Path
    state_dir: Path
    env: dict[str, str]  # the environment that addresses this cluster's state dir

    def script(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        """Run ``scripts/dev-cluster ARGS`` against this cluster's state directory."""
        return run_dev_cluster(*args, env=self.env, timeout=timeout)


def run_dev_cluster(
    *args: str, env: dict[str, str], timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(DEV_CLUSTER_SCRIPT), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def dev_cluster_env(state_dir: Path) -> dict[str, str]:
    """The environment for ``scripts/dev-cluster`` with its state in ``state_dir``."""
    return dict(os.environ, GITOPS_GUARD_CLUSTER_DIR=str(state_dir), GITOPS_GUARD_CACHE=str(cache_dir()))


@pytest.fixture(scope="session")
def dev_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevCluster]:
    """One real cluster for the whole test session, started on first use and stopped at the end.

    Its state lives in a temporary directory, so it neither touches nor is touched by a
    developer's own ``scripts/dev-cluster up``. The binaries come from scripts/install-tools:
    missing, the tests that use this fixture skip on a laptop and fail in CI.
    """
    for name in DEV_CLUSTER_BINARIES:
        require_tool(name)
    state_dir = tmp_path_factory.mktemp("dev-cluster")
    env = dev_cluster_env(state_dir)
    up = run_dev_cluster("up", "--no-install", env=env)
    if up.returncode != 0:
        run_dev_cluster("down", env=env)
        pytest.fail(f"scripts/dev-cluster up failed ({up.returncode}):\n{up.stderr}", pytrace=False)
    cluster = DevCluster(Path(up.stdout.strip().splitlines()[-1]), state_dir, env)
    try:
        yield cluster
    finally:
        down = run_dev_cluster("down", env=env)
        assert down.returncode == 0, down.stderr


@pytest.fixture(scope="session")
def client(dev_cluster: DevCluster) -> Iterator[Client]:
    """A client of the session's dev cluster, shared by the cluster and the live diff tests."""
    from gitops_guard.cluster import Client

    with Client.from_kubeconfig(dev_cluster.kubeconfig) as cluster_client:
        yield cluster_client
