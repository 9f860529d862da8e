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
    """``scan({"path": "text"})`` → the secrets findings of the real pipeline."""

    def run(files: dict[str, str], **options: object) -> list[Finding]:
        return check_files(tmp_path, files, select=["secrets"], **options)

    return run
