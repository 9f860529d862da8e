"""The deprecated/removed apiVersion table: Kubernetes facts and the corpus CRDs' served versions."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
import yaml

from gitops_guard.schema.deprecations import DEPRECATIONS, Deprecation, lookup, message
from tests.conftest import require_corpus as _corpus

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@pytest.mark.parametrize(
    ("api_version", "kind", "version", "expected"),
    [
        (
            "extensions/v1beta1",
            "Ingress",
            (1, 21),
            "extensions/v1beta1 Ingress is deprecated since Kubernetes 1.14 and will be removed in 1.22;"
            " use networking.k8s.io/v1 Ingress",
        ),
        (
            "extensions/v1beta1",
            "Ingress",
            (1, 22),
            "extensions/v1beta1 Ingress was removed in Kubernetes 1.22; use networking.k8s.io/v1 Ingress",
        ),
        ("extensions/v1beta1", "Ingress", (1, 13), None),
        ("batch/v1beta1", "CronJob", (1, 20), None),
        (
            "batch/v1beta1",
            "CronJob",
            (1, 21),
            "batch/v1beta1 CronJob is deprecated since Kubernetes 1.21 and will be removed in 1.25;"
            " use batch/v1 CronJob",
        ),
        (
            "batch/v1beta1",
            "CronJob",
            (1, 25),
            "batch/v1beta1 CronJob was removed in Kubernetes 1.25; use batch/v1 CronJob",
        ),
        (
            "extensions/v1beta1",
            "Deployment",
            (1, 16),
            "extensions/v1beta1 Deployment was removed in Kubernetes 1.16; use apps/v1 Deployment",
        ),
        # A catch-all apiVersion entry names the kind that was asked about.
        (
            "apps/v1beta2",
            "StatefulSet",
            (1, 30),
            "apps/v1beta2 StatefulSet was removed in Kubernetes 1.16; use apps/v1 StatefulSet",
        ),
        (
            "rbac.authorization.k8s.io/v1beta1",
            "RoleBinding",
            (1, 22),
            "rbac.authorization.k8s.io/v1beta1 RoleBinding was removed in Kubernetes 1.22;"
            " use rbac.authorization.k8s.io/v1 RoleBinding",
        ),
        (
            "policy/v1beta1",
            "PodSecurityPolicy",
            (1, 25),
            "policy/v1beta1 PodSecurityPolicy was removed in Kubernetes 1.25"
            " (no replacement: use Pod Security Admission or a policy engine)",
        ),
        (
            "autoscaling/v2beta2",
            "HorizontalPodAutoscaler",
            (1, 26),
            "autoscaling/v2beta2 HorizontalPodAutoscaler was removed in Kubernetes 1.26;"
            " use autoscaling/v2 HorizontalPodAutoscaler",
        ),
        (
            "flowcontrol.apiserver.k8s.io/v1beta3",
            "FlowSchema",
            (1, 32),
            "flowcontrol.apiserver.k8s.io/v1beta3 FlowSchema was removed in Kubernetes 1.32;"
            " use flowcontrol.apiserver.k8s.io/v1 FlowSchema",
        ),
        ("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema", (1, 28), None),
        (
            "storage.k8s.io/v1beta1",
            "CSIStorageCapacity",
            (1, 27),
            "storage.k8s.io/v1beta1 CSIStorageCapacity was removed in Kubernetes 1.27;"
            " use storage.k8s.io/v1 CSIStorageCapacity",
        ),
        # Newer kinds in an apiVersion whose older kinds were removed are not flagged.
        ("networking.k8s.io/v1beta1", "ServiceCIDR", (1, 33), None),
        ("admissionregistration.k8s.io/v1beta1", "ValidatingAdmissionPolicy", (1, 30), None),
        # GitOps CRD versions the current controllers no longer serve: on every Kubernetes version.
        (
            "helm.toolkit.fluxcd.io/v2beta1",
            "HelmRelease",
            (1, 20),
            "helm.toolkit.fluxcd.io/v2beta1 HelmRelease is no longer served by the current CRDs"
            " (removed in Flux 2.7); use helm.toolkit.fluxcd.io/v2 HelmRelease",
        ),
        (
            "source.toolkit.fluxcd.io/v1beta2",
            "OCIRepository",
            (1, 33),
            "source.toolkit.fluxcd.io/v1beta2 OCIRepository is no longer served by the current CRDs"
            " (removed in Flux 2.8); use source.toolkit.fluxcd.io/v1 OCIRepository",
        ),
        (
            "notification.toolkit.fluxcd.io/v1beta2",
            "Alert",
            (1, 33),
            "notification.toolkit.fluxcd.io/v1beta2 Alert is no longer served by the current CRDs"
            " (removed in Flux 2.8); use notification.toolkit.fluxcd.io/v1beta3 Alert",
        ),
        (
            "external-secrets.io/v1beta1",
            "ExternalSecret",
            (1, 33),
            "external-secrets.io/v1beta1 ExternalSecret is no longer served by the current CRDs"
            " (external-secrets v2.9 keeps it as served: false); use external-secrets.io/v1 ExternalSecret",
        ),
        # PushSecret has no v1 and its v1alpha1 is still served.
        ("external-secrets.io/v1alpha1", "PushSecret", (1, 33), None),
        # Current apiVersions.
        ("networking.k8s.io/v1", "Ingress", (1, 33), None),
        ("apps/v1", "Deployment", (1, 33), None),
        ("helm.toolkit.fluxcd.io/v2", "HelmRelease", (1, 33), None),
        ("notification.toolkit.fluxcd.io/v1beta3", "Provider", (1, 33), None),
        ("argoproj.io/v1alpha1", "Application", (1, 33), None),
    ],
)
def test_lookup_and_message(
    api_version: str, kind: str, version: tuple[int, int], expected: str | None
) -> None:
    dep = lookup(api_version, kind, version)
    if expected is None:
        assert dep is None
    else:
        assert dep is not None
        assert dep.kind == kind
        assert message(dep, version) == expected


def test_removed_deprecation_is_a_warning_until_removal() -> None:
    before = lookup("policy/v1beta1", "PodDisruptionBudget", (1, 24))
    after = lookup("policy/v1beta1", "PodDisruptionBudget", (1, 25))
    assert before == after
    assert before is not None
    assert before.deprecated_in == (1, 21)
    assert before.removed_in == (1, 25)
    assert before.replacement == "policy/v1 PodDisruptionBudget"


def test_still_served_deprecation_has_no_removal() -> None:
    dep = lookup("v1", "Endpoints", (1, 33))
    assert dep is not None
    assert dep.removed_in is None
    assert lookup("v1", "Endpoints", (1, 32)) is None
    assert message(dep, (1, 33)).startswith("v1 Endpoints is deprecated since Kubernetes 1.33")


def test_table_is_consistent() -> None:
    keys = Counter((d.api_version, d.kind) for d in DEPRECATIONS)
    assert [key for key, count in keys.items() if count > 1] == []
    for dep in DEPRECATIONS:
        if dep.deprecated_in is not None and dep.removed_in is not None:
            assert dep.deprecated_in < dep.removed_in, dep
        if dep.removed_in is not None:
            assert dep.deprecated_in is not None, dep
        # A kind-specific replacement names its kind; a catch-all one is an apiVersion.
        if dep.replacement is not None:
            assert (" " in dep.replacement) == (dep.kind is not None), dep


def test_every_removal_of_the_guide_is_listed() -> None:
    removals = {(d.api_version, d.kind): d.removed_in for d in DEPRECATIONS if not d.is_crd}
    expected = {
        ("extensions/v1beta1", "NetworkPolicy"): (1, 16),
        ("extensions/v1beta1", "PodSecurityPolicy"): (1, 16),
        ("extensions/v1beta1", "DaemonSet"): (1, 16),
        ("apps/v1beta1", None): (1, 16),
        ("apps/v1beta2", None): (1, 16),
        ("networking.k8s.io/v1beta1", "IngressClass"): (1, 22),
        ("admissionregistration.k8s.io/v1beta1", "MutatingWebhookConfiguration"): (1, 22),
        ("apiextensions.k8s.io/v1beta1", None): (1, 22),
        ("apiregistration.k8s.io/v1beta1", None): (1, 22),
        ("authentication.k8s.io/v1beta1", "TokenReview"): (1, 22),
        ("authorization.k8s.io/v1beta1", "SubjectAccessReview"): (1, 22),
        ("certificates.k8s.io/v1beta1", "CertificateSigningRequest"): (1, 22),
        ("coordination.k8s.io/v1beta1", "Lease"): (1, 22),
        ("scheduling.k8s.io/v1beta1", "PriorityClass"): (1, 22),
        ("storage.k8s.io/v1beta1", "VolumeAttachment"): (1, 22),
        ("discovery.k8s.io/v1beta1", "EndpointSlice"): (1, 25),
        ("events.k8s.io/v1beta1", "Event"): (1, 25),
        ("autoscaling/v2beta1", "HorizontalPodAutoscaler"): (1, 25),
        ("node.k8s.io/v1beta1", "RuntimeClass"): (1, 25),
        ("flowcontrol.apiserver.k8s.io/v1beta1", "PriorityLevelConfiguration"): (1, 26),
        ("flowcontrol.apiserver.k8s.io/v1beta2", "FlowSchema"): (1, 29),
    }
    assert {key: removals.get(key) for key in expected} == expected


# --------------------------------------------------------------------------- corpus


@cache
def _served() -> dict[str, dict[str, set[str]]]:
    """group -> kind -> versions served by the corpus CRDs (every version, served or not, is listed)."""
    served: dict[str, dict[str, set[str]]] = {}
    for path in sorted((_corpus() / "crds").rglob("*.yaml")):
        for doc in yaml.load_all(path.read_text(encoding="utf-8"), Loader=_LOADER):
            if not isinstance(doc, dict) or doc.get("kind") != "CustomResourceDefinition":
                continue
            spec = doc["spec"]
            kinds = served.setdefault(spec["group"], {})
            versions = kinds.setdefault(spec["names"]["kind"], set())
            versions.update(v["name"] for v in spec["versions"] if v.get("served"))
    return served


# The GitOps groups whose CRDs the corpus holds (image automation and cert-manager: not there).
_CORPUS_GROUPS = (
    "source.toolkit.fluxcd.io",
    "kustomize.toolkit.fluxcd.io",
    "helm.toolkit.fluxcd.io",
    "notification.toolkit.fluxcd.io",
    "external-secrets.io",
)


def _corpus_crd_entries() -> Iterator[Deprecation]:
    for dep in DEPRECATIONS:
        if dep.is_crd and dep.api_version.partition("/")[0] in _CORPUS_GROUPS:
            yield dep


@pytest.mark.parametrize("dep", list(_corpus_crd_entries()), ids=lambda d: f"{d.api_version}-{d.kind}")
def test_crd_entries_match_what_the_corpus_crds_serve(dep: Deprecation) -> None:
    group, _, version = dep.api_version.partition("/")
    kinds = _served()[group]
    checked = [dep.kind] if dep.kind else sorted(kinds)
    for kind in checked:
        assert kind in kinds, f"{kind} is not a kind of {group} in the corpus"
        assert version not in kinds[kind], f"{dep.api_version} {kind} is still served"
        found = lookup(dep.api_version, kind, (1, 33))
        assert found is not None and found.replacement is not None
        new_api, _, new_kind = found.replacement.partition(" ")
        assert new_kind == kind
        assert new_api.partition("/")[2] in kinds[kind], f"replacement {found.replacement} is not served"


def _corpus_objects() -> Iterator[tuple[str, str]]:
    for path in sorted((_corpus() / "repos").rglob("*.y*ml")):
        try:
            docs = list(yaml.load_all(path.read_text(encoding="utf-8"), Loader=_LOADER))
        except yaml.YAMLError:
            continue  # Helm templates
        for doc in docs:
            if (
                isinstance(doc, dict)
                and isinstance(doc.get("apiVersion"), str)
                and isinstance(doc.get("kind"), str)
            ):
                yield doc["apiVersion"], doc["kind"]


def test_corpus_gitops_objects_on_unserved_versions_are_flagged() -> None:
    """STATS.md of the corpus lists the 9 GitOps documents on versions the pinned CRDs do not serve."""
    flagged: Counter[tuple[str, str]] = Counter()
    for api_version, kind in _corpus_objects():
        dep = lookup(api_version, kind, (1, 33))
        if dep is not None and dep.is_crd:
            flagged[(api_version, kind)] += 1
    assert flagged == {
        ("helm.toolkit.fluxcd.io/v2beta2", "HelmRelease"): 5,
        ("source.toolkit.fluxcd.io/v1beta2", "HelmRepository"): 3,
        ("source.toolkit.fluxcd.io/v1beta2", "OCIRepository"): 1,
    }
