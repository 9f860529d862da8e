"""Fixtures shared by the whole test suite."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

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
