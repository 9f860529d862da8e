"""The engine's foundations import downward only: cluster, resources, ownership, errors and
git helpers, never the check pipeline, the renderers or the command line. The orchestrator
(``sync/engine.py``) is the one module of the package that may: it runs ``check`` and renders."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

PACKAGE = REPO_ROOT / "gitops_guard"
FOUNDATIONS = (
    "__init__",
    "app_spec",
    "apply",
    "git_source",
    "health",
    "history",
    "plan",
    "semver_range",
    "jsonlog",
    "lease",
    "loop",
    "metrics",
    "schedule",
)
MODULES = sorted([*(PACKAGE / "sync" / f"{name}.py" for name in FOUNDATIONS), PACKAGE / "ownership.py"])
ORCHESTRATORS = ("engine", "runner")
FORBIDDEN = (
    "gitops_guard.checks",
    "gitops_guard.render",
    "gitops_guard.pipeline",
    "gitops_guard.cli",
    "gitops_guard.check_command",
    "gitops_guard.entry",
    "gitops_guard.report",
    "gitops_guard.desired",
    "gitops_guard.diff.live",
    "gitops_guard.diff.revdiff",
)


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


@pytest.mark.parametrize("path", MODULES, ids=[p.name for p in MODULES])
def test_engine_foundations_import_downward_only(path: Path) -> None:
    bad = sorted(m for m in _imports(path) if m.startswith(FORBIDDEN))
    assert bad == [], f"{path.relative_to(REPO_ROOT)} imports {bad}"


def test_every_sync_module_is_a_foundation_or_the_orchestrator() -> None:
    found = {p.stem for p in (PACKAGE / "sync").glob("*.py")}
    unlisted = found - set(FOUNDATIONS) - set(ORCHESTRATORS)
    assert unlisted == set(), (
        f"add {sorted(unlisted)} to FOUNDATIONS (or, if it must run check, ORCHESTRATORS)"
    )


def test_the_guard_reads_real_imports() -> None:
    assert "gitops_guard.cluster.errors" in _imports(PACKAGE / "sync" / "history.py")
    assert "gitops_guard.gitops.sync_order" in _imports(PACKAGE / "sync" / "plan.py")
    assert len(MODULES) >= 6
