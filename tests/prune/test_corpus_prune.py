"""The prune family on a real repository of the corpus; every corpus finding is pinned in
tests/test_corpus.py."""

from __future__ import annotations

from gitops_guard.pipeline import CheckOptions, run_check
from tests.conftest import require_corpus


def test_wildcard_project_points_at_the_wildcards() -> None:
    root = require_corpus() / "repos" / "christianh814__gitops-examples"
    report = run_check(CheckOptions(paths=["gag"], select=["prune/wildcard-project"]), root)
    assert [(f.path, f.line, f.column) for f in report.findings] == [
        ("gag/gallant/deployments/app-project.yaml", 9, 5),
        ("gag/gallant/deployments/app-project.yaml", 13, 13),
        ("gag/gallant/deployments/app-project.yaml", 15, 5),
    ]
