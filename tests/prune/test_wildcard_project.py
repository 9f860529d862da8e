"""prune/wildcard-project: AppProjects that bound nothing."""

from __future__ import annotations

import pytest

from gitops_guard.findings import Finding
from tests.prune.conftest import Prune

RULE = ("prune/wildcard-project",)


def project(body: str) -> str:
    return (
        "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\n"
        "metadata:\n  name: team\n  namespace: argocd\nspec:\n" + body
    )


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("  sourceRepos: ['*']\n", [7]),
        ("  sourceRepos:\n    - https://github.com/org/a\n    - '*'\n", [9]),
        ("  sourceRepos: [https://github.com/org/a]\n", []),
        ("  destinations:\n    - server: '*'\n      namespace: '*'\n", [8]),
        ("  destinations:\n    - name: '*'\n      namespace: team\n", [8]),
        ("  destinations:\n    - server: https://kubernetes.default.svc\n      namespace: '*'\n", [9]),
        ("  destinations:\n    - server: https://kubernetes.default.svc\n      namespace: team\n", []),
        ("  clusterResourceWhitelist:\n    - group: '*'\n      kind: '*'\n", [8]),
        ("  clusterResourceWhitelist:\n    - group: ''\n      kind: Namespace\n", []),
        ("  clusterResourceWhitelist:\n    - group: '*'\n      kind: Namespace\n", []),
        ("  sourceRepos: '*'\n", []),  # not a list: the schema rules say so, not this one
    ],
)
def test_truth_table(prune: Prune, body: str, expected: list[int]) -> None:
    found = prune({"projects/team.yaml": project(body)}, select=RULE)
    assert [f.line for f in found] == expected
    assert all(f.object is not None and f.object.name == "team" for f in found)


def test_all_three_at_once(prune: Prune) -> None:
    body = (
        "  sourceRepos: ['*']\n"
        "  destinations:\n    - namespace: '*'\n      server: '*'\n"
        "  clusterResourceWhitelist:\n    - group: '*'\n      kind: '*'\n"
    )
    found: list[Finding] = prune({"projects/team.yaml": project(body)}, select=RULE)
    messages = [f.message for f in found]
    assert len(found) == 3
    assert any("any repository" in m for m in messages)
    assert any("any cluster and any namespace" in m or "any namespace and any cluster" in m for m in messages)
    assert any("every cluster-scoped kind" in m for m in messages)
