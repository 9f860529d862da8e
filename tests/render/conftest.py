from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from gitops_guard.findings import Finding
from tests.conftest import ToolFinder
from tests.helpers import check_files

Renderer = Callable[..., list[Finding]]


@pytest.fixture
def render_check(tmp_path: Path, tool: ToolFinder) -> Renderer:
    """``render_check({"path": "text"}, paths=[...], select=[...])`` → findings of a real run
    (the real kustomize and helm binaries: missing, skipped locally and failed in CI)."""
    tool("kustomize")
    tool("helm")

    def run(files: dict[str, str], **options: object) -> list[Finding]:
        return sorted(check_files(tmp_path, files, **options), key=Finding.sort_key)

    return run
