"""Small helpers shared by tests: run the real CLI and read its JSON report."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any


def run_cli(
    *args: str, cwd: Path, timeout: float = 120, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The installed entry point, as a user runs it (``python -m gitops_guard``)."""
    return subprocess.run(
        [sys.executable, "-m", "gitops_guard", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )


def check_json(*args: str, cwd: Path, timeout: float = 120) -> tuple[int, dict[str, Any]]:
    proc = run_cli("check", "--format", "json", *args, cwd=cwd, timeout=timeout)
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def rules_at(report: dict[str, Any]) -> list[tuple[str, str, int | None, int | None]]:
    return [(f["rule"], f["path"], f["line"], f["column"]) for f in report["findings"]]
