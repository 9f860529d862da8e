"""The policy family over every real repository of the corpus, reviewed by hand.

No corpus repository defines a ValidatingAdmissionPolicy, so `--select policy` (repository
policies on, shipped ones off by default) finds nothing anywhere. With the strict preset the
five shipped policies run; each count below was reviewed against the manifests.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from gitops_guard.config import load_config
from gitops_guard.datafiles import data_dir
from gitops_guard.findings import Outcome
from gitops_guard.pipeline import CheckOptions, run_check
from tests.conftest import CORPUS_DIR, require_corpus, require_tool

REPOS = sorted(p.name for p in (CORPUS_DIR / "repos").iterdir()) if (CORPUS_DIR / "repos").is_dir() else []

LATEST = "policy/disallow-latest-tag"
LIMITS = "policy/require-resource-limits"
NON_ROOT = "policy/require-run-as-non-root"
HOST = "policy/disallow-host-namespaces"
PRIVILEGED = "policy/disallow-privileged"

# Reviewed by hand: repository -> {rule: count} under the strict preset. All TRUE: these are
# example and home-lab repositories whose workloads mostly leave resources and securityContext
# unset; nothing is "could not check" (no shipped policy reads a namespace or params).
STRICT: dict[str, dict[str, int]] = {
    # 14 latest: alpine:latest / nginx:latest in the hook and sync-wave demos, plus three
    # untagged sock-shop images (mongo twice, kbudde/rabbitmq-exporter). 20 Deployments, Jobs
    # and ReplicaSets without limits, 21 without runAsNonRoot (guestbook, sock-shop, hooks...,
    # helm-guestbook rendered from its chart).
    "argoproj__argocd-example-apps": {LATEST: 14, LIMITS: 20, NON_ROOT: 21},
    # The one plain workload, the aws-otel-collector chart's sidecar Deployment (rendered):
    # aws-otel-collector:latest, the emitter without limits, neither container non-root. The
    # other add-ons are Applications of remote charts, not rendered here.
    "aws-samples__eks-blueprints-add-ons": {LATEST: 1, LIMITS: 1, NON_ROOT: 1},
    # 46 :latest images (quay.io/redhatworkshops pricelist/bgd/welcome-php, rhscl mysql,
    # alpine, christianh814/gobg) across the bgd/pricelist/hooks/applicationsets examples;
    # 32 workloads without limits; 53 without runAsNonRoot (OpenShift assigns a random UID,
    # but the manifests do not say non-root, which is what the policy checks).
    "christianh814__gitops-examples": {LATEST: 46, LIMITS: 32, NON_ROOT: 53},
    # Flux examples: workloads come from HelmReleases (remote charts), never as manifests.
    "fluxcd__flux2-hub-spoke-example": {},
    "fluxcd__flux2-kustomize-helm-example": {},
    "fluxcd__flux2-multi-tenancy": {},
    # Only Applications and ApplicationSets.
    "gitops-bridge-dev__gitops-bridge-argocd-control-plane-template": {},
    # Every workload is a HelmRelease of the app-template chart (a remote chart).
    "onedr0p__home-ops": {},
    # 29 latest: the game-server migration Jobs' `wait-db` init container (busybox:latest, 28
    # Jobs, two also alpine/git:latest) and the archived cloudflare-ddns Deployment. 33 without
    # limits, 32 without runAsNonRoot (the same Jobs and Deployments). The rendered Cilium
    # manifest (talos/integrations/cilium/cilium.yaml): the cilium DaemonSet and the operator
    # use hostNetwork, and the DaemonSet's mount-bpf-fs init container is privileged.
    "xunholy__k8s-gitops": {LATEST: 29, LIMITS: 33, NON_ROOT: 32, HOST: 2, PRIVILEGED: 1},
}


def test_corpus_present() -> None:
    require_corpus()
    assert set(REPOS) == set(STRICT)


@pytest.mark.parametrize("repo", REPOS)
def test_repository_policies(repo: str) -> None:
    report = run_check(CheckOptions(paths=["."], select=["policy"]), CORPUS_DIR / "repos" / repo)
    assert report.files > 0
    assert report.findings == ()


@pytest.fixture(scope="module")
def renderers() -> None:
    # Counts include workloads rendered from kustomizations and local charts.
    require_tool("kustomize")
    require_tool("helm")


@pytest.mark.parametrize("repo", REPOS)
def test_strict_preset(repo: str, renderers: None) -> None:
    strict = load_config(data_dir("policies") / "presets" / "strict.yaml")
    root: Path = CORPUS_DIR / "repos" / repo
    report = run_check(CheckOptions(paths=["."], select=["policy"], config=strict), root)
    for f in report.findings:
        assert f.outcome is Outcome.VIOLATION, f
        assert f.object is not None and f.message, f
    assert dict(Counter(f.rule for f in report.findings)) == STRICT[repo]
