"""The sync family over every real repository of the corpus, reviewed by hand."""

from __future__ import annotations

from collections import Counter

import pytest

from gitops_guard.pipeline import CheckOptions, run_check
from tests.conftest import CORPUS_DIR, require_corpus

REPOS = sorted(p.name for p in (CORPUS_DIR / "repos").iterdir()) if (CORPUS_DIR / "repos").is_dir() else []

# Reviewed by hand: (repository) -> {rule: count}.
EXPECTED: dict[str, dict[str, int]] = {
    # 3 hook files (PreSync/PostSync/SyncFail, HookSucceeded), one sync-wave, one Helm hook in a
    # chart template (not YAML until rendered): all spelled correctly.
    "argoproj__argocd-example-apps": {},
    # 71 Applications with `ServerSideApply=true` / `CreateNamespace=true` syncOptions and
    # 13 sync-waves, all valid; the templated `CreateNamespace={{ .Values... }}` live in Helm
    # templates and are not checked.
    "aws-samples__eks-blueprints-add-ons": {},
    # TRUE: hooks/presync-job.yaml is a PreSync Job running as ServiceAccount
    # presyncjob-pricelist, which hooks/presync-sa.yaml puts in the Sync phase (wave 1): on a
    # first sync the hook's pods are refused (no such ServiceAccount) and the sync never gets
    # past PreSync.  The other 110 sync-wave files and 11 hook files are valid and ordered.
    "christianh814__gitops-examples": {"sync/wave-order": 1},
    # Flux examples: dependsOn chains (infra-controllers -> infra-configs -> apps, and the
    # tenants' kyverno -> kyverno-policies) all resolve, none loops.
    "fluxcd__flux2-hub-spoke-example": {},
    "fluxcd__flux2-kustomize-helm-example": {},
    "fluxcd__flux2-multi-tenancy": {},
    # Applications/ApplicationSets with valid syncOptions (CreateNamespace, ServerSideApply).
    "gitops-bridge-dev__gitops-bridge-argocd-control-plane-template": {},
    # 19 dependsOn between ks.yaml Kustomizations; they omit metadata.namespace and get it from
    # the including kustomization.yaml (`namespace:`) - all resolve once that is applied.
    "onedr0p__home-ops": {},
    # 150 dependsOn over 271 Kustomizations/HelmReleases: all resolve, no cycle.
    "xunholy__k8s-gitops": {},
}


def test_corpus_present() -> None:
    require_corpus()
    assert set(REPOS) == set(EXPECTED)


@pytest.mark.parametrize("repo", REPOS)
def test_repository(repo: str) -> None:
    root = CORPUS_DIR / "repos" / repo
    report = run_check(CheckOptions(paths=["."], select=["sync"]), root)
    assert report.files > 0
    for f in report.findings:
        assert f.rule.startswith("sync/"), f
        assert f.line is not None, f
    assert dict(Counter(f.rule for f in report.findings)) == EXPECTED[repo]


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
