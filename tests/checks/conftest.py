from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from gitops_guard.findings import Finding
from tests.helpers import check_files

Checker = Callable[..., list[Finding]]


@pytest.fixture
def check(tmp_path: Path) -> Checker:
    """``check({"path": "yaml text"}, select=[...])`` → findings, run through the real pipeline."""

    def run(files: dict[str, str], **options: object) -> list[Finding]:
        return check_files(tmp_path, files, **options)

    return run
