"""Kind → resource name (the plural a policy's ``resourceRules`` lists) and scope.

Policies match on resources (``deployments``), manifests name kinds
(``Deployment``). A cluster answers this from API discovery; offline we know it
from three places, in this order: CRDs defined in the repository
(``spec.names.plural``, ``spec.scope``), then the table below.

The table is written by hand because nothing the tool already reads carries
plurals: the Kubernetes JSON schemas have ``x-kubernetes-group-version-kind`` but
no resource names, and the shipped CRD schemas are converted ``openAPIV3Schema``
bodies without ``spec.names``. Plurals are not derivable by rule (``endpoints``,
``ingresses``, ``networkpolicies``), and guessing one could make a policy apply,
or not apply, wrongly. A kind found nowhere is "unknown", and a policy whose match
depends on it reports "could not check".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class KindInfo:
    resource: str  # the plural resource name
    namespaced: bool


# (group, kind) -> (resource, namespaced). Kubernetes built-ins as served by the API
# server, and the Argo CD, Flux, External Secrets and Sealed Secrets CRDs whose
# schemas ship with the tool (tests compare those with the official CRDs).
_TABLE: dict[tuple[str, str], tuple[str, bool]] = {
    ("", "Binding"): ("bindings", True),
    ("", "ComponentStatus"): ("componentstatuses", False),
    ("", "ConfigMap"): ("configmaps", True),
    ("", "Endpoints"): ("endpoints", True),
    ("", "Event"): ("events", True),
    ("", "LimitRange"): ("limitranges", True),
    ("", "Namespace"): ("namespaces", False),
    ("", "Node"): ("nodes", False),
    ("", "PersistentVolume"): ("persistentvolumes", False),
    ("", "PersistentVolumeClaim"): ("persistentvolumeclaims", True),
    ("", "Pod"): ("pods", True),
    ("", "PodTemplate"): ("podtemplates", True),
    ("", "ReplicationController"): ("replicationcontrollers", True),
    ("", "ResourceQuota"): ("resourcequotas", True),
    ("", "Secret"): ("secrets", True),
    ("", "Service"): ("services", True),
    ("", "ServiceAccount"): ("serviceaccounts", True),
    ("admissionregistration.k8s.io", "MutatingAdmissionPolicy"): ("mutatingadmissionpolicies", False),
    ("admissionregistration.k8s.io", "MutatingAdmissionPolicyBinding"): (
        "mutatingadmissionpolicybindings",
        False,
    ),
    ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"): (
        "mutatingwebhookconfigurations",
        False,
    ),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"): ("validatingadmissionpolicies", False),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"): (
        "validatingadmissionpolicybindings",
        False,
    ),
    ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"): (
        "validatingwebhookconfigurations",
        False,
    ),
    ("apiextensions.k8s.io", "CustomResourceDefinition"): ("customresourcedefinitions", False),
    ("apiregistration.k8s.io", "APIService"): ("apiservices", False),
    ("apps", "ControllerRevision"): ("controllerrevisions", True),
    ("apps", "DaemonSet"): ("daemonsets", True),
    ("apps", "Deployment"): ("deployments", True),
    ("apps", "ReplicaSet"): ("replicasets", True),
    ("apps", "StatefulSet"): ("statefulsets", True),
    ("autoscaling", "HorizontalPodAutoscaler"): ("horizontalpodautoscalers", True),
    ("batch", "CronJob"): ("cronjobs", True),
    ("batch", "Job"): ("jobs", True),
    ("certificates.k8s.io", "CertificateSigningRequest"): ("certificatesigningrequests", False),
    ("coordination.k8s.io", "Lease"): ("leases", True),
    ("discovery.k8s.io", "EndpointSlice"): ("endpointslices", True),
    ("events.k8s.io", "Event"): ("events", True),
    ("flowcontrol.apiserver.k8s.io", "FlowSchema"): ("flowschemas", False),
    ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"): ("prioritylevelconfigurations", False),
    ("networking.k8s.io", "IPAddress"): ("ipaddresses", False),
    ("networking.k8s.io", "Ingress"): ("ingresses", True),
    ("networking.k8s.io", "IngressClass"): ("ingressclasses", False),
    ("networking.k8s.io", "NetworkPolicy"): ("networkpolicies", True),
    ("networking.k8s.io", "ServiceCIDR"): ("servicecidrs", False),
    ("node.k8s.io", "RuntimeClass"): ("runtimeclasses", False),
    ("policy", "PodDisruptionBudget"): ("poddisruptionbudgets", True),
    ("rbac.authorization.k8s.io", "ClusterRole"): ("clusterroles", False),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"): ("clusterrolebindings", False),
    ("rbac.authorization.k8s.io", "Role"): ("roles", True),
    ("rbac.authorization.k8s.io", "RoleBinding"): ("rolebindings", True),
    ("scheduling.k8s.io", "PriorityClass"): ("priorityclasses", False),
    ("storage.k8s.io", "CSIDriver"): ("csidrivers", False),
    ("storage.k8s.io", "CSINode"): ("csinodes", False),
    ("storage.k8s.io", "CSIStorageCapacity"): ("csistoragecapacities", True),
    ("storage.k8s.io", "StorageClass"): ("storageclasses", False),
    ("storage.k8s.io", "VolumeAttachment"): ("volumeattachments", False),
    ("storage.k8s.io", "VolumeAttributesClass"): ("volumeattributesclasses", False),
    # CRDs whose schemas ship with the tool.
    ("argoproj.io", "Application"): ("applications", True),
    ("argoproj.io", "ApplicationSet"): ("applicationsets", True),
    ("argoproj.io", "AppProject"): ("appprojects", True),
    ("bitnami.com", "SealedSecret"): ("sealedsecrets", True),
    ("external-secrets.io", "ClusterExternalSecret"): ("clusterexternalsecrets", False),
    ("external-secrets.io", "ClusterSecretStore"): ("clustersecretstores", False),
    ("external-secrets.io", "ExternalSecret"): ("externalsecrets", True),
    ("external-secrets.io", "PushSecret"): ("pushsecrets", True),
    ("external-secrets.io", "SecretStore"): ("secretstores", True),
    ("helm.toolkit.fluxcd.io", "HelmRelease"): ("helmreleases", True),
    ("kustomize.toolkit.fluxcd.io", "Kustomization"): ("kustomizations", True),
    ("notification.toolkit.fluxcd.io", "Alert"): ("alerts", True),
    ("notification.toolkit.fluxcd.io", "Provider"): ("providers", True),
    ("notification.toolkit.fluxcd.io", "Receiver"): ("receivers", True),
    ("source.toolkit.fluxcd.io", "Bucket"): ("buckets", True),
    ("source.toolkit.fluxcd.io", "ExternalArtifact"): ("externalartifacts", True),
    ("source.toolkit.fluxcd.io", "GitRepository"): ("gitrepositories", True),
    ("source.toolkit.fluxcd.io", "HelmChart"): ("helmcharts", True),
    ("source.toolkit.fluxcd.io", "HelmRepository"): ("helmrepositories", True),
    ("source.toolkit.fluxcd.io", "OCIRepository"): ("ocirepositories", True),
}


class KindMap:
    """Resource name and scope of a (group, kind): repository CRDs first, then the table."""

    def __init__(self, crds: Iterable[Mapping[str, Any]] = ()) -> None:
        self._repo: dict[tuple[str, str], KindInfo] = {}
        for crd in crds:
            info = _from_crd(crd)
            if info is not None:
                self._repo[info[0]] = info[1]

    def get(self, group: str, kind: str) -> KindInfo | None:
        hit = self._repo.get((group, kind))
        if hit is not None:
            return hit
        row = _TABLE.get((group, kind))
        return KindInfo(*row) if row else None


def _from_crd(crd: Mapping[str, Any]) -> tuple[tuple[str, str], KindInfo] | None:
    spec = crd.get("spec")
    if not isinstance(spec, Mapping):
        return None
    names = spec.get("names")
    group = spec.get("group")
    if not isinstance(names, Mapping) or not isinstance(group, str):
        return None
    kind, plural = names.get("kind"), names.get("plural")
    if not isinstance(kind, str) or not isinstance(plural, str) or not kind or not plural:
        return None
    return (group, kind), KindInfo(plural, spec.get("scope") != "Cluster")
