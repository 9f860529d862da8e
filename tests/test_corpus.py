"""Every real repository in the corpus: no crash, no finding on things that are not
manifests, and the findings that remain reviewed by hand once (see EXPECTED)."""

from __future__ import annotations

from collections import Counter

import pytest

from gitops_guard.pipeline import CheckOptions, run_check
from gitops_guard.source.classify import FileKind, classify
from tests.conftest import CORPUS_DIR

REPOS = sorted(p.name for p in (CORPUS_DIR / "repos").iterdir()) if (CORPUS_DIR / "repos").is_dir() else []

# Reviewed by hand: (repository, rule) -> count.  Each one is a true finding about
# the repository as committed (see the comments), not a false positive.
# schema/missing is "could not check" for CRDs neither shipped nor in the repository
# (OpenShift, Prometheus operator, Gateway API, cert-manager, Argo Rollouts, ...).
EXPECTED: dict[str, dict[str, int]] = {
    # Rendered Helm charts (tests/render): blue-green's template renders an Argo Rollout, whose
    # CRD is not shipped: could not check.
    "argoproj__argocd-example-apps": {"schema/missing": 1},
    # Rendered Helm charts: the crossplane resource charts' templates render Crossplane
    # Providers, ProviderConfigs and ControllerConfigs (CRDs not shipped): could not check.
    "aws-samples__eks-blueprints-add-ons": {"schema/missing": 14},
    "gitops-bridge-dev__gitops-bridge-argocd-control-plane-template": {},
    # violations, both true: cmp/manifests/2.argocd-repo-server-patch.yaml is a hand-applied
    # patch committed as a plain manifest (Deployment without selector);
    # v2.14/manifests/argocd-cmd-params-cm.yaml has an integer in ConfigMap data.
    "christianh814__gitops-examples": {"schema/missing": 30, "schema/violation": 2},
    # true: HelmRelease v2beta2 / HelmRepository v1beta2 are no longer served by Flux 2.8+
    "fluxcd__flux2-hub-spoke-example": {"schema/deprecated-api": 6, "schema/missing": 1},
    "fluxcd__flux2-kustomize-helm-example": {"schema/missing": 5},
    # true: OCIRepository source.toolkit.fluxcd.io/v1beta2 is no longer served
    "fluxcd__flux2-multi-tenancy": {"schema/deprecated-api": 1, "schema/missing": 2},
    # true against the pinned notification-controller CRD: Alert eventSources kind FluxInstance
    "onedr0p__home-ops": {"schema/missing": 87, "schema/violation": 1},
    # The 174 false violations (87 child Kustomizations without interval/prune, which the
    # parent sets with spec.patches) are gone: objects are checked as Flux applies them
    # (tests/render/test_flux_build.py). The 4 left are true as written: .archive/'s
    # minecraft-pixelmon and openclaw ks.yaml lack interval/prune and sit outside the
    # OCI artifact (kubernetes/) whose parent would patch them.
    "xunholy__k8s-gitops": {"schema/missing": 194, "schema/violation": 4},
}


# This file reviews the YAML and schema families; every other family has its own corpus
# expectations next to its tests, so adding a check never rewrites this table.
FAMILIES = ["yaml", "schema", "check"]


def test_corpus_present() -> None:
    assert REPOS, f"corpus not found at {CORPUS_DIR}"


@pytest.mark.parametrize("repo", REPOS)
def test_repository(repo: str) -> None:
    root = CORPUS_DIR / "repos" / repo
    report = run_check(CheckOptions(paths=["."], select=FAMILIES), root)
    assert report.files > 0
    for f in report.findings:
        kind = classify(f.path)
        # Helm templates, kustomizations, charts, values and CI files are never schema problems.
        if f.rule.startswith("schema/"):
            assert kind is FileKind.MANIFEST, f
        assert f.rule != "check/not-run", f
    counts = Counter(f.rule for f in report.findings)
    assert dict(counts) == EXPECTED[repo]


def test_real_leaked_keys_file_parses_cleanly() -> None:
    # Rendered Helm output with plaintext TLS Secrets: valid objects (secret rules come later).
    root = CORPUS_DIR / "repos" / "xunholy__k8s-gitops"
    report = run_check(CheckOptions(paths=["talos/integrations/cilium/cilium.yaml"]), root)
    assert report.documents > 3
    assert not [f for f in report.findings if f.rule.startswith("yaml/")]


def test_parent_patches_reach_child_kustomizations() -> None:
    # xunholy's cluster Kustomization (an OCI artifact of kubernetes/) patches interval and
    # prune onto every child; only the two archived children outside the artifact remain.
    root = CORPUS_DIR / "repos" / "xunholy__k8s-gitops"
    report = run_check(CheckOptions(paths=["."], select=["schema/violation"]), root)
    assert sorted((f.path, f.line, f.message) for f in report.findings) == [
        (f".archive/kubernetes/{app}/ks.yaml", 9, f"spec: missing required field '{field}'")
        for app in ("minecraft-pixelmon", "openclaw")
        for field in ("interval", "prune")
    ]
