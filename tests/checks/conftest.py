from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from gitops_guard.findings import Finding
from gitops_guard.pipeline import CheckOptions, run_check

Checker = Callable[..., list[Finding]]


@pytest.fixture
def check(tmp_path: Path) -> Checker:
    """``check({"path": "yaml text"}, select=[...])`` → findings, run through the real pipeline."""

    def run(files: dict[str, str], **options: object) -> list[Finding]:
        for name, text in files.items():
            target = tmp_path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        opts = CheckOptions(paths=["."], **options)  # type: ignore[arg-type]
        return list(run_check(opts, tmp_path).findings)

    return run
