"""Fixtures for the secrets tests: the real pipeline over files written to a temporary directory."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from gitops_guard.findings import Finding
from tests.helpers import check_files

Checker = Callable[..., list[Finding]]


@pytest.fixture
def scan(tmp_path: Path) -> Checker:
    """``scan({"path": "text"})`` → the secrets findings of the real pipeline, each call in a
    directory of its own (a test's second scan never sees the first one's files)."""
    runs = iter(range(1_000_000))

    def run(files: dict[str, str], **options: object) -> list[Finding]:
        root = tmp_path / f"run{next(runs)}"
        root.mkdir()
        return check_files(root, files, select=["secrets"], **options)

    return run
