"""Fixtures for the secrets tests: the real pipeline over files written to a temporary directory."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from gitops_guard.findings import Finding
from gitops_guard.pipeline import CheckOptions, run_check

Checker = Callable[..., list[Finding]]


@pytest.fixture
def scan(tmp_path: Path) -> Checker:
    """``scan({"path": "text"})`` → the secrets findings of the real pipeline."""

    def run(files: dict[str, str], **options: object) -> list[Finding]:
        for name, text in files.items():
            target = tmp_path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        opts = CheckOptions(paths=["."], select=["secrets"], **options)  # type: ignore[arg-type]
        return list(run_check(opts, tmp_path).findings)

    return run
