"""The package's layers import downward only: the import-linter contracts in pyproject.toml
hold (lint-imports also runs in scripts/test), and they catch an upward import."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT


def _lint_imports(config: Path) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("lint-imports")
    found = str(exe) if exe.is_file() else shutil.which("lint-imports")
    if found is None:
        pytest.fail("lint-imports not installed (pip install -e '.[dev]')", pytrace=False)
    return subprocess.run(
        [found, "--no-cache", "--no-logo", str(config)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def test_the_contracts_are_kept() -> None:
    proc = _lint_imports(REPO_ROOT / "pyproject.toml")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "3 kept, 0 broken" in proc.stdout


def test_the_layers_name_the_desired_state_between_render_and_diff() -> None:
    config = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = {c["id"]: c for c in config["tool"]["importlinter"]["contracts"]}
    layers = contracts["check-stack"]["layers"]
    order = [layers.index(f"gitops_guard.{name}") for name in ("checks", "diff", "desired", "render")]
    assert order == sorted(order)


def test_an_upward_import_breaks_the_contract(tmp_path: Path) -> None:
    # The same contracts with render placed above checks: render's callers then import upward.
    text = (REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8")
    swapped = text.replace('    "gitops_guard.checks",\n', "    @@\n").replace(
        '    "gitops_guard.render",\n', '    "gitops_guard.checks",\n'
    ).replace("    @@\n", '    "gitops_guard.render",\n')
    assert swapped != text
    config = tmp_path / "pyproject.toml"
    config.write_text(swapped, encoding="utf-8")
    proc = _lint_imports(config)
    assert proc.returncode == 1
    assert "is not allowed to import gitops_guard.render" in proc.stdout
