"""The sync family on a real repository of the corpus; every corpus finding is pinned in
tests/test_corpus.py."""

from __future__ import annotations

import pytest

from gitops_guard.pipeline import CheckOptions, run_check
from tests.conftest import require_corpus


def test_dependencies_are_really_resolved(monkeypatch: pytest.MonkeyPatch) -> None:
    """The clean Flux results above are resolutions, not silence: every dependsOn found its target."""
    from gitops_guard.gitops import flux_graph

    root = require_corpus() / "repos" / "onedr0p__home-ops"
    seen: list[flux_graph.Graph] = []
    original = flux_graph.build

    def spy(nodes: list[flux_graph.Node]) -> flux_graph.Graph:
        graph = original(nodes)
        seen.append(graph)
        return graph

    monkeypatch.setattr(flux_graph, "build", spy)
    run_check(CheckOptions(paths=["."], select=["sync/depends-on-missing"]), root)
    graph = seen[-1]
    assert sum(len(n.depends_on) for n in graph.nodes) == 19
    assert sum(len(e) for e in graph.edges.values()) == 19
    assert graph.missing == []
