"""The prune family over every real repository in the corpus, reviewed by hand (see EXPECTED)."""

from __future__ import annotations

from collections import Counter

import pytest

from gitops_guard.findings import Outcome
from gitops_guard.pipeline import CheckOptions, run_check
from tests.conftest import CORPUS_DIR, require_corpus

REPOS = sorted(p.name for p in (CORPUS_DIR / "repos").iterdir()) if (CORPUS_DIR / "repos").is_dir() else []

# Reviewed by hand: (repository) -> {rule: count}.
EXPECTED: dict[str, dict[str, int]] = {
    # The app-of-apps chart (apps/) renders 15 Applications; four name directories this copy of the
    # repository does not have (jsonnet-guestbook, jsonnet-guestbook-tla, plugins/kasane,
    # plugins/nix): true "could not check". pre-post-sync uses kustomize-guestbook as a kustomize
    # base with a name prefix and its own namespace: neither broad nor an overlap.
    "argoproj__argocd-example-apps": {"prune/not-resolved": 4},
    # All 38 ApplicationSets use the clusters generator (live Argo CD state): not expandable.
    # clusters-appset.yaml has allowEmpty: true but automated without prune: not allow-empty.
    "aws-samples__eks-blueprints-add-ons": {"prune/not-resolved": 38},
    # not-resolved: three clusters generators (two bgd ApplicationSets and the matrix child), and
    # multi-source.yaml's two paths under applicationsets/rollingsync/, a directory that is now
    # applicationsets/progressivesync/ (a true broken reference).
    # wildcard-project: gag/gallant's AppProject allows any repo, any server/namespace and every
    # cluster-scoped kind (true).
    # Every Application deploys its own directory: no overlap; no path is the repository root.
    "christianh814__gitops-examples": {"prune/not-resolved": 5, "prune/wildcard-project": 3},
    # Per-cluster kustomize directories (clusters/<name>/...), each listing what it deploys.
    "fluxcd__flux2-hub-spoke-example": {},
    # ExternalArtifacts map to apps/<env> and infrastructure/{controllers,configs}; the staging and
    # production Kustomizations have the same names (per-cluster variants), never an overlap.
    "fluxcd__flux2-kustomize-helm-example": {},
    # Tenants come from another repository (dev-team) or an OCI artifact (kyverno): not judged.
    "fluxcd__flux2-multi-tenancy": {},
    # All 51 ApplicationSets use the clusters generator.
    "gitops-bridge-dev__gitops-bridge-argocd-control-plane-template": {"prune/not-resolved": 51},
    # cluster-apps takes kubernetes/apps as a Flux-generated kustomization, but every namespace
    # directory has a kustomization.yaml listing only its ks.yaml files: no app directory is
    # reached, so nothing is broad and nothing overlaps.
    "onedr0p__home-ops": {},
    # Kustomizations from the OCIRepository flux-system (an artifact pushed from CI) are not
    # knowable offline and not reported; three name ExternalArtifacts that no ArtifactGenerator
    # artifact produces (two under .archive/, and minecraft-witherstorm): true "could not check".
    "xunholy__k8s-gitops": {"prune/not-resolved": 3},
}


def test_corpus_present() -> None:
    require_corpus()
    assert set(REPOS) == set(EXPECTED), "a corpus repository was added or removed: review it"


@pytest.mark.parametrize("repo", REPOS)
def test_repository(repo: str) -> None:
    root = CORPUS_DIR / "repos" / repo
    report = run_check(CheckOptions(paths=["."], select=["prune"]), root)
    for f in report.findings:
        assert f.rule.startswith("prune/"), f
        # "could not check" is told apart from a violation, and only not-resolved says it
        assert (f.outcome is Outcome.NOT_CHECKED) == (f.rule == "prune/not-resolved"), f
    assert dict(Counter(f.rule for f in report.findings)) == EXPECTED[repo]


def test_wildcard_project_points_at_the_wildcards() -> None:
    require_corpus()
    root = CORPUS_DIR / "repos" / "christianh814__gitops-examples"
    report = run_check(CheckOptions(paths=["gag"], select=["prune/wildcard-project"]), root)
    assert [(f.path, f.line, f.column) for f in report.findings] == [
        ("gag/gallant/deployments/app-project.yaml", 9, 5),
        ("gag/gallant/deployments/app-project.yaml", 13, 13),
        ("gag/gallant/deployments/app-project.yaml", 15, 5),
    ]
