"""Deprecated and removed apiVersions, as data.

Kubernetes entries follow the upstream deprecated-API migration guide: the minor
release that stopped serving an apiVersion (``removed_in``) and the one that
deprecated it (``deprecated_in``; for the 1.16 removals, which the guide dates
only by their replacement, the release that made the replacement available).

GitOps CRD entries (both fields None) name versions that the current
controllers' CRDs no longer serve at all, whatever the Kubernetes version; the
CRDs of the test corpus (Flux 2.9-era controllers, External Secrets v2.9)
confirm each Flux and External Secrets one.

An entry with ``kind=None`` covers every kind of its apiVersion and its
``replacement`` is an apiVersion; :func:`lookup` returns it specialised to the
kind asked about, so messages name the kind.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple

Version = tuple[int, int]


class Deprecation(NamedTuple):
    api_version: str  # e.g. "extensions/v1beta1"
    kind: str | None  # None = every kind of that apiVersion
    deprecated_in: Version | None  # Kubernetes minor that deprecated it (None for CRDs)
    removed_in: Version | None  # minor that no longer serves it (None = not yet removed)
    replacement: str | None  # e.g. "networking.k8s.io/v1 Ingress"
    note: str = ""  # e.g. "Flux helm-controller v1 no longer serves v2beta1"

    @property
    def is_crd(self) -> bool:
        """A CRD version the current controllers do not serve, on any Kubernetes version."""
        return self.deprecated_in is None and self.removed_in is None


def _k8s(
    api_version: str,
    kinds: tuple[str, ...] | None,
    deprecated_in: Version,
    removed_in: Version | None,
    replacement: str | None,
    note: str = "",
) -> list[Deprecation]:
    """One entry per kind (a replacement apiVersion gets the kind appended)."""
    if kinds is None:
        return [Deprecation(api_version, None, deprecated_in, removed_in, replacement, note)]
    return [
        Deprecation(
            api_version,
            kind,
            deprecated_in,
            removed_in,
            replacement if replacement is None or " " in replacement else f"{replacement} {kind}",
            note,
        )
        for kind in kinds
    ]


def _crd(api_version: str, kinds: tuple[str, ...] | None, replacement: str, note: str) -> list[Deprecation]:
    if kinds is None:
        return [Deprecation(api_version, None, None, None, replacement, note)]
    return [
        Deprecation(
            api_version,
            kind,
            None,
            None,
            replacement if " " in replacement else f"{replacement} {kind}",
            note,
        )
        for kind in kinds
    ]


_WORKLOADS = ("DaemonSet", "Deployment", "ReplicaSet")
_PSA = "no replacement: use Pod Security Admission or a policy engine"

DEPRECATIONS: tuple[Deprecation, ...] = (
    # --- removed in 1.16
    *_k8s("extensions/v1beta1", _WORKLOADS, (1, 9), (1, 16), "apps/v1"),
    *_k8s("extensions/v1beta1", ("NetworkPolicy",), (1, 8), (1, 16), "networking.k8s.io/v1"),
    *_k8s("extensions/v1beta1", ("PodSecurityPolicy",), (1, 10), (1, 16), None, _PSA),
    *_k8s("apps/v1beta1", None, (1, 9), (1, 16), "apps/v1"),
    *_k8s("apps/v1beta2", None, (1, 9), (1, 16), "apps/v1"),
    # --- removed in 1.22
    *_k8s("extensions/v1beta1", ("Ingress",), (1, 14), (1, 22), "networking.k8s.io/v1"),
    *_k8s("networking.k8s.io/v1beta1", ("Ingress", "IngressClass"), (1, 19), (1, 22), "networking.k8s.io/v1"),
    *_k8s(
        "admissionregistration.k8s.io/v1beta1",
        ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"),
        (1, 16),
        (1, 22),
        "admissionregistration.k8s.io/v1",
    ),
    *_k8s("apiextensions.k8s.io/v1beta1", None, (1, 16), (1, 22), "apiextensions.k8s.io/v1"),
    *_k8s("apiregistration.k8s.io/v1beta1", None, (1, 19), (1, 22), "apiregistration.k8s.io/v1"),
    *_k8s("authentication.k8s.io/v1beta1", ("TokenReview",), (1, 19), (1, 22), "authentication.k8s.io/v1"),
    *_k8s(
        "authorization.k8s.io/v1beta1",
        (
            "LocalSubjectAccessReview",
            "SelfSubjectAccessReview",
            "SelfSubjectRulesReview",
            "SubjectAccessReview",
        ),
        (1, 19),
        (1, 22),
        "authorization.k8s.io/v1",
    ),
    *_k8s(
        "certificates.k8s.io/v1beta1",
        ("CertificateSigningRequest",),
        (1, 19),
        (1, 22),
        "certificates.k8s.io/v1",
    ),
    *_k8s("coordination.k8s.io/v1beta1", ("Lease",), (1, 19), (1, 22), "coordination.k8s.io/v1"),
    *_k8s("rbac.authorization.k8s.io/v1beta1", None, (1, 17), (1, 22), "rbac.authorization.k8s.io/v1"),
    *_k8s("scheduling.k8s.io/v1beta1", ("PriorityClass",), (1, 14), (1, 22), "scheduling.k8s.io/v1"),
    *_k8s(
        "storage.k8s.io/v1beta1",
        ("CSIDriver", "CSINode", "StorageClass", "VolumeAttachment"),
        (1, 19),
        (1, 22),
        "storage.k8s.io/v1",
    ),
    # --- removed in 1.25
    *_k8s("batch/v1beta1", ("CronJob",), (1, 21), (1, 25), "batch/v1"),
    *_k8s("discovery.k8s.io/v1beta1", ("EndpointSlice",), (1, 21), (1, 25), "discovery.k8s.io/v1"),
    *_k8s("events.k8s.io/v1beta1", ("Event",), (1, 19), (1, 25), "events.k8s.io/v1"),
    *_k8s("autoscaling/v2beta1", ("HorizontalPodAutoscaler",), (1, 22), (1, 25), "autoscaling/v2"),
    *_k8s("policy/v1beta1", ("PodDisruptionBudget",), (1, 21), (1, 25), "policy/v1"),
    *_k8s("policy/v1beta1", ("PodSecurityPolicy",), (1, 21), (1, 25), None, _PSA),
    *_k8s("node.k8s.io/v1beta1", ("RuntimeClass",), (1, 20), (1, 25), "node.k8s.io/v1"),
    # --- removed in 1.26
    *_k8s(
        "flowcontrol.apiserver.k8s.io/v1beta1",
        ("FlowSchema", "PriorityLevelConfiguration"),
        (1, 23),
        (1, 26),
        "flowcontrol.apiserver.k8s.io/v1",
    ),
    *_k8s("autoscaling/v2beta2", ("HorizontalPodAutoscaler",), (1, 23), (1, 26), "autoscaling/v2"),
    # --- removed in 1.27
    *_k8s("storage.k8s.io/v1beta1", ("CSIStorageCapacity",), (1, 24), (1, 27), "storage.k8s.io/v1"),
    # --- removed in 1.29
    *_k8s(
        "flowcontrol.apiserver.k8s.io/v1beta2",
        ("FlowSchema", "PriorityLevelConfiguration"),
        (1, 26),
        (1, 29),
        "flowcontrol.apiserver.k8s.io/v1",
    ),
    # --- removed in 1.32
    *_k8s(
        "flowcontrol.apiserver.k8s.io/v1beta3",
        ("FlowSchema", "PriorityLevelConfiguration"),
        (1, 29),
        (1, 32),
        "flowcontrol.apiserver.k8s.io/v1",
    ),
    # --- deprecated, still served
    *_k8s(
        "v1",
        ("Endpoints",),
        (1, 33),
        None,
        "discovery.k8s.io/v1 EndpointSlice",
        "the API server answers with a deprecation warning",
    ),
    # --- Flux: v1beta1/v2beta1 removed in Flux 2.7, v1beta2/v2beta2 in Flux 2.8
    *_crd("source.toolkit.fluxcd.io/v1beta1", None, "source.toolkit.fluxcd.io/v1", "removed in Flux 2.7"),
    *_crd("source.toolkit.fluxcd.io/v1beta2", None, "source.toolkit.fluxcd.io/v1", "removed in Flux 2.8"),
    *_crd(
        "kustomize.toolkit.fluxcd.io/v1beta1", None, "kustomize.toolkit.fluxcd.io/v1", "removed in Flux 2.7"
    ),
    *_crd(
        "kustomize.toolkit.fluxcd.io/v1beta2", None, "kustomize.toolkit.fluxcd.io/v1", "removed in Flux 2.8"
    ),
    *_crd("helm.toolkit.fluxcd.io/v2beta1", None, "helm.toolkit.fluxcd.io/v2", "removed in Flux 2.7"),
    *_crd("helm.toolkit.fluxcd.io/v2beta2", None, "helm.toolkit.fluxcd.io/v2", "removed in Flux 2.8"),
    *_crd(
        "notification.toolkit.fluxcd.io/v1beta1",
        ("Alert", "Provider"),
        "notification.toolkit.fluxcd.io/v1beta3",
        "removed in Flux 2.7",
    ),
    *_crd(
        "notification.toolkit.fluxcd.io/v1beta1",
        ("Receiver",),
        "notification.toolkit.fluxcd.io/v1",
        "removed in Flux 2.7",
    ),
    *_crd(
        "notification.toolkit.fluxcd.io/v1beta2",
        ("Alert", "Provider"),
        "notification.toolkit.fluxcd.io/v1beta3",
        "removed in Flux 2.8",
    ),
    *_crd(
        "notification.toolkit.fluxcd.io/v1beta2",
        ("Receiver",),
        "notification.toolkit.fluxcd.io/v1",
        "removed in Flux 2.8",
    ),
    *_crd("image.toolkit.fluxcd.io/v1beta1", None, "image.toolkit.fluxcd.io/v1", "removed in Flux 2.7"),
    *_crd(
        "image.toolkit.fluxcd.io/v1beta2",
        None,
        "image.toolkit.fluxcd.io/v1",
        "removed in image-reflector-controller v1.2",
    ),
    # --- External Secrets: v1 is the only served version; PushSecret and ClusterPushSecret
    # are still v1alpha1 and served, so v1alpha1 is listed kind by kind.
    *_crd(
        "external-secrets.io/v1beta1",
        ("ClusterExternalSecret", "ClusterSecretStore", "ExternalSecret", "SecretStore"),
        "external-secrets.io/v1",
        "external-secrets v2.9 keeps it as served: false",
    ),
    *_crd(
        "external-secrets.io/v1alpha1",
        ("ClusterSecretStore", "ExternalSecret", "SecretStore"),
        "external-secrets.io/v1",
        "external-secrets v2.9 no longer defines it",
    ),
    # --- cert-manager 1.7 removed every pre-v1 version
    *(
        entry
        for group in ("cert-manager.io", "acme.cert-manager.io")
        for version in ("v1alpha2", "v1alpha3", "v1beta1")
        for entry in _crd(f"{group}/{version}", None, f"{group}/v1", "removed in cert-manager 1.7")
    ),
)


def _index(entries: tuple[Deprecation, ...]) -> Mapping[tuple[str, str | None], Deprecation]:
    table: dict[tuple[str, str | None], Deprecation] = {}
    for entry in entries:
        key = (entry.api_version, entry.kind)
        if key in table:
            raise ValueError(f"duplicate deprecation entry for {key}")
        table[key] = entry
    return MappingProxyType(table)


_BY_KEY = _index(DEPRECATIONS)


def lookup(api_version: str, kind: str, k8s_version: tuple[int, int]) -> Deprecation | None:
    """The entry for ``api_version``/``kind`` if it is deprecated or removed at ``k8s_version``.

    CRD entries always apply. A kind-specific entry wins over its apiVersion's
    catch-all one, which is returned with ``kind`` and ``replacement`` filled in.
    """
    entry = _BY_KEY.get((api_version, kind))
    if entry is None:
        entry = _BY_KEY.get((api_version, None))
        if entry is None:
            return None
        replacement = f"{entry.replacement} {kind}" if entry.replacement else None
        entry = entry._replace(kind=kind, replacement=replacement)
    if entry.is_crd:
        return entry
    if entry.removed_in is not None and k8s_version >= entry.removed_in:
        return entry
    if entry.deprecated_in is not None and k8s_version >= entry.deprecated_in:
        return entry
    return None


def message(dep: Deprecation, k8s_version: tuple[int, int]) -> str:
    """One sentence for a report, e.g. "extensions/v1beta1 Ingress was removed in Kubernetes
    1.22; use networking.k8s.io/v1 Ingress"."""
    subject = f"{dep.api_version} {dep.kind}" if dep.kind else dep.api_version
    if dep.is_crd:
        text = f"{subject} is no longer served by the current CRDs"
    elif dep.removed_in is not None and k8s_version >= dep.removed_in:
        text = f"{subject} was removed in Kubernetes {_minor(dep.removed_in)}"
    else:
        since = f" since Kubernetes {_minor(dep.deprecated_in)}" if dep.deprecated_in else ""
        text = f"{subject} is deprecated{since}"
        if dep.removed_in is not None:
            text += f" and will be removed in {_minor(dep.removed_in)}"
    if dep.note:
        text += f" ({dep.note})"
    if dep.replacement:
        text += f"; use {dep.replacement}"
    return text


def _minor(version: Version) -> str:
    return f"{version[0]}.{version[1]}"
