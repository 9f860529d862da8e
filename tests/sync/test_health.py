"""Health rules as truth tables: each status with the neighbouring case that flips it."""

from __future__ import annotations

from typing import Any

import pytest

from gitops_guard.sync.health import RULES, Status, assess


def _o(api: str, kind: str, spec: Any = None, status: Any = None, **meta: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {"apiVersion": api, "kind": kind, "metadata": {"name": "x", **meta}}
    if spec is not None:
        obj["spec"] = spec
    if status is not None:
        obj["status"] = status
    return obj


def _cond(kind: str, status: str = "True", reason: str = "", message: str = "") -> dict[str, str]:
    return {"type": kind, "status": status, "reason": reason, "message": message}


def apps1(kind: str, spec: Any, status: Any) -> dict[str, Any]:
    """An apps/v1 workload of ``kind`` at generation 1."""
    return _o("apps/v1", kind, spec, status, generation=1)


def deploy(spec: Any = None, status: Any = None, generation: int = 2) -> dict[str, Any]:
    return _o("apps/v1", "Deployment", {"replicas": 2, **(spec or {})}, status, generation=generation)


DONE = {"observedGeneration": 2, "replicas": 2, "updatedReplicas": 2, "availableReplicas": 2}

CASES: list[tuple[str, dict[str, Any] | None, Status]] = [
    ("missing", None, Status.MISSING),
    ("no rule: healthy at once", _o("v1", "ConfigMap"), Status.HEALTHY),
    ("same kind, another group: no rule", _o("example.com/v1", "Deployment"), Status.HEALTHY),
    # Deployment
    ("deploy rolled out", deploy(status=DONE), Status.HEALTHY),
    ("deploy generation not observed", deploy(status={**DONE, "observedGeneration": 1}), Status.PROGRESSING),
    ("deploy no status yet", deploy(), Status.PROGRESSING),
    ("deploy paused", deploy({"paused": True}, DONE), Status.SUSPENDED),
    ("deploy updating", deploy(status={**DONE, "updatedReplicas": 1}), Status.PROGRESSING),
    ("deploy old pods left", deploy(status={**DONE, "replicas": 3}), Status.PROGRESSING),
    ("deploy not yet available", deploy(status={**DONE, "availableReplicas": 1}), Status.PROGRESSING),
    (
        "deploy past its deadline",
        deploy(
            status={
                **DONE,
                "updatedReplicas": 1,
                "conditions": [_cond("Progressing", "False", "ProgressDeadlineExceeded")],
            }
        ),
        Status.DEGRADED,
    ),
    (
        "deploy progressing normally",
        deploy(
            status={
                **DONE,
                "updatedReplicas": 1,
                "conditions": [_cond("Progressing", "True", "ReplicaSetUpdated")],
            }
        ),
        Status.PROGRESSING,
    ),
    # StatefulSet
    (
        "sts complete",
        apps1(
            "StatefulSet",
            {"replicas": 2},
            {"observedGeneration": 1, "readyReplicas": 2, "currentRevision": "a", "updateRevision": "a"},
        ),
        Status.HEALTHY,
    ),
    (
        "sts rolling to a new revision",
        apps1(
            "StatefulSet",
            {"replicas": 2},
            {"observedGeneration": 1, "readyReplicas": 2, "currentRevision": "a", "updateRevision": "b"},
        ),
        Status.PROGRESSING,
    ),
    (
        "sts pods not ready",
        apps1("StatefulSet", {"replicas": 2}, {"observedGeneration": 1, "readyReplicas": 1}),
        Status.PROGRESSING,
    ),
    (
        "sts partition reached",
        apps1(
            "StatefulSet",
            {"replicas": 3, "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 2}}},
            {
                "observedGeneration": 1,
                "readyReplicas": 3,
                "updatedReplicas": 1,
                "currentRevision": "a",
                "updateRevision": "b",
            },
        ),
        Status.HEALTHY,
    ),
    (
        "sts partition not reached",
        apps1(
            "StatefulSet",
            {"replicas": 3, "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 1}}},
            {"observedGeneration": 1, "readyReplicas": 3, "updatedReplicas": 1},
        ),
        Status.PROGRESSING,
    ),
    (
        "sts never observed",
        _o("apps/v1", "StatefulSet", {"replicas": 1}, {}, generation=1),
        Status.PROGRESSING,
    ),
    # DaemonSet
    (
        "ds rolled out",
        apps1(
            "DaemonSet",
            {},
            {
                "observedGeneration": 1,
                "desiredNumberScheduled": 2,
                "updatedNumberScheduled": 2,
                "numberAvailable": 2,
            },
        ),
        Status.HEALTHY,
    ),
    (
        "ds not all available",
        apps1(
            "DaemonSet",
            {},
            {
                "observedGeneration": 1,
                "desiredNumberScheduled": 2,
                "updatedNumberScheduled": 2,
                "numberAvailable": 1,
            },
        ),
        Status.PROGRESSING,
    ),
    (
        "ds not all updated",
        apps1(
            "DaemonSet",
            {},
            {
                "observedGeneration": 1,
                "desiredNumberScheduled": 2,
                "updatedNumberScheduled": 1,
                "numberAvailable": 2,
            },
        ),
        Status.PROGRESSING,
    ),
    (
        "ds OnDelete",
        apps1(
            "DaemonSet",
            {"updateStrategy": {"type": "OnDelete"}},
            {"observedGeneration": 1, "desiredNumberScheduled": 2},
        ),
        Status.HEALTHY,
    ),
    # ReplicaSet
    (
        "rs available",
        apps1("ReplicaSet", {"replicas": 1}, {"observedGeneration": 1, "availableReplicas": 1}),
        Status.HEALTHY,
    ),
    (
        "rs short",
        apps1("ReplicaSet", {"replicas": 2}, {"observedGeneration": 1, "availableReplicas": 1}),
        Status.PROGRESSING,
    ),
    (
        "rs failing",
        apps1(
            "ReplicaSet",
            {"replicas": 2},
            {"observedGeneration": 1, "conditions": [_cond("ReplicaFailure", message="quota")]},
        ),
        Status.DEGRADED,
    ),
    (
        "rs failure cleared",
        apps1(
            "ReplicaSet",
            {"replicas": 1},
            {
                "observedGeneration": 1,
                "availableReplicas": 1,
                "conditions": [_cond("ReplicaFailure", "False")],
            },
        ),
        Status.HEALTHY,
    ),
    # Job
    ("job complete", _o("batch/v1", "Job", {}, {"conditions": [_cond("Complete")]}), Status.HEALTHY),
    (
        "job complete False",
        _o("batch/v1", "Job", {}, {"conditions": [_cond("Complete", "False")]}),
        Status.PROGRESSING,
    ),
    (
        "job failed",
        _o("batch/v1", "Job", {}, {"conditions": [_cond("Failed", reason="BackoffLimitExceeded")]}),
        Status.DEGRADED,
    ),
    (
        "job failure decided",
        _o("batch/v1", "Job", {}, {"conditions": [_cond("FailureTarget")]}),
        Status.DEGRADED,
    ),
    ("job running", _o("batch/v1", "Job", {}, {"active": 1}), Status.PROGRESSING),
    (
        "job suspended",
        _o("batch/v1", "Job", {"suspend": True}, {"conditions": [_cond("Suspended")]}),
        Status.SUSPENDED,
    ),
    # Pod
    ("pod ready", _o("v1", "Pod", {}, {"phase": "Running", "conditions": [_cond("Ready")]}), Status.HEALTHY),
    (
        "pod not ready",
        _o("v1", "Pod", {}, {"phase": "Running", "conditions": [_cond("Ready", "False")]}),
        Status.PROGRESSING,
    ),
    (
        "pod not ready after a crash",
        _o(
            "v1",
            "Pod",
            {},
            {
                "phase": "Running",
                "containerStatuses": [{"name": "a", "lastState": {"terminated": {"exitCode": 1}}}],
            },
        ),
        Status.DEGRADED,
    ),
    (
        "pod crash looping",
        _o(
            "v1",
            "Pod",
            {},
            {
                "phase": "Running",
                "containerStatuses": [{"name": "a", "state": {"waiting": {"reason": "CrashLoopBackOff"}}}],
            },
        ),
        Status.DEGRADED,
    ),
    (
        "pod image pull error",
        _o(
            "v1",
            "Pod",
            {},
            {
                "phase": "Pending",
                "containerStatuses": [{"name": "a", "state": {"waiting": {"reason": "ErrImagePull"}}}],
            },
        ),
        Status.DEGRADED,
    ),
    (
        "pod creating",
        _o(
            "v1",
            "Pod",
            {},
            {
                "phase": "Pending",
                "containerStatuses": [{"name": "a", "state": {"waiting": {"reason": "ContainerCreating"}}}],
            },
        ),
        Status.PROGRESSING,
    ),
    (
        "hook pod backing off: not judged by waiting reasons",
        _o(
            "v1",
            "Pod",
            {"restartPolicy": "OnFailure"},
            {
                "phase": "Running",
                "containerStatuses": [{"name": "a", "state": {"waiting": {"reason": "CrashLoopBackOff"}}}],
            },
        ),
        Status.PROGRESSING,
    ),
    (
        "hook pod running",
        _o("v1", "Pod", {"restartPolicy": "Never"}, {"phase": "Running", "conditions": [_cond("Ready")]}),
        Status.PROGRESSING,
    ),
    ("pod succeeded", _o("v1", "Pod", {"restartPolicy": "Never"}, {"phase": "Succeeded"}), Status.HEALTHY),
    ("pod failed", _o("v1", "Pod", {"restartPolicy": "Never"}, {"phase": "Failed"}), Status.DEGRADED),
    (
        "pod terminating",
        _o("v1", "Pod", {}, {"phase": "Running"}, deletionTimestamp="2026-01-01T00:00:00Z"),
        Status.PROGRESSING,
    ),
    ("pod phase unknown", _o("v1", "Pod", {}, {"phase": "Unknown"}), Status.UNKNOWN),
    # PVC
    ("pvc bound", _o("v1", "PersistentVolumeClaim", {}, {"phase": "Bound"}), Status.HEALTHY),
    ("pvc pending", _o("v1", "PersistentVolumeClaim", {}, {"phase": "Pending"}), Status.PROGRESSING),
    ("pvc lost", _o("v1", "PersistentVolumeClaim", {}, {"phase": "Lost"}), Status.DEGRADED),
    # Service, Ingress
    ("svc ClusterIP", _o("v1", "Service", {"type": "ClusterIP"}, {}), Status.HEALTHY),
    (
        "svc LoadBalancer waiting",
        _o("v1", "Service", {"type": "LoadBalancer"}, {"loadBalancer": {}}),
        Status.PROGRESSING,
    ),
    (
        "svc LoadBalancer assigned",
        _o("v1", "Service", {"type": "LoadBalancer"}, {"loadBalancer": {"ingress": [{"ip": "10.0.0.1"}]}}),
        Status.HEALTHY,
    ),
    ("ingress waiting", _o("networking.k8s.io/v1", "Ingress", {}, {"loadBalancer": {}}), Status.PROGRESSING),
    (
        "ingress assigned",
        _o("networking.k8s.io/v1", "Ingress", {}, {"loadBalancer": {"ingress": [{"hostname": "lb"}]}}),
        Status.HEALTHY,
    ),
    # CRD, APIService
    (
        "crd established",
        _o(
            "apiextensions.k8s.io/v1",
            "CustomResourceDefinition",
            {},
            {"conditions": [_cond("NamesAccepted"), _cond("Established")]},
        ),
        Status.HEALTHY,
    ),
    (
        "crd not established",
        _o(
            "apiextensions.k8s.io/v1",
            "CustomResourceDefinition",
            {},
            {"conditions": [_cond("NamesAccepted"), _cond("Established", "False")]},
        ),
        Status.PROGRESSING,
    ),
    (
        "crd names refused",
        _o(
            "apiextensions.k8s.io/v1",
            "CustomResourceDefinition",
            {},
            {"conditions": [_cond("NamesAccepted", "False", message="conflict")]},
        ),
        Status.DEGRADED,
    ),
    ("crd no status", _o("apiextensions.k8s.io/v1", "CustomResourceDefinition", {}, {}), Status.PROGRESSING),
    (
        "crd terminating",
        _o(
            "apiextensions.k8s.io/v1",
            "CustomResourceDefinition",
            {},
            {"conditions": [_cond("Established"), _cond("Terminating")]},
        ),
        Status.PROGRESSING,
    ),
    (
        "apiservice available",
        _o(
            "apiregistration.k8s.io/v1",
            "APIService",
            {},
            {"conditions": [_cond("Available", reason="Local")]},
        ),
        Status.HEALTHY,
    ),
    (
        "apiservice unavailable",
        _o(
            "apiregistration.k8s.io/v1",
            "APIService",
            {},
            {"conditions": [_cond("Available", "False", "MissingEndpoints")]},
        ),
        Status.PROGRESSING,
    ),
    # HPA, PDB
    (
        "hpa within range",
        _o(
            "autoscaling/v2",
            "HorizontalPodAutoscaler",
            {},
            {"conditions": [_cond("ScalingLimited", "False", "DesiredWithinRange")]},
        ),
        Status.HEALTHY,
    ),
    (
        "hpa no metrics",
        _o(
            "autoscaling/v2",
            "HorizontalPodAutoscaler",
            {},
            {"conditions": [_cond("ScalingActive", "False", "FailedGetResourceMetric")]},
        ),
        Status.DEGRADED,
    ),
    ("hpa starting", _o("autoscaling/v2", "HorizontalPodAutoscaler", {}, {}), Status.PROGRESSING),
    (
        "pdb allows disruption",
        _o("policy/v1", "PodDisruptionBudget", {}, {"conditions": [_cond("DisruptionAllowed")]}),
        Status.HEALTHY,
    ),
    (
        "pdb blocks disruption",
        _o(
            "policy/v1",
            "PodDisruptionBudget",
            {},
            {"conditions": [_cond("DisruptionAllowed", "False", "InsufficientPods")]},
        ),
        Status.DEGRADED,
    ),
    ("pdb no status", _o("policy/v1", "PodDisruptionBudget", {}, {}), Status.PROGRESSING),
    # an Argo CD child Application reports its own health
    (
        "app healthy",
        _o("argoproj.io/v1alpha1", "Application", {}, {"health": {"status": "Healthy"}}),
        Status.HEALTHY,
    ),
    (
        "app degraded",
        _o("argoproj.io/v1alpha1", "Application", {}, {"health": {"status": "Degraded"}}),
        Status.DEGRADED,
    ),
    ("app not yet reported", _o("argoproj.io/v1alpha1", "Application", {}, {}), Status.PROGRESSING),
    # unreadable status: Unknown, not an exception
    ("deploy status not a map", deploy(status="oops"), Status.UNKNOWN),
    ("deploy replicas not a number", deploy(status={**DONE, "updatedReplicas": "2"}), Status.UNKNOWN),
    ("job conditions not a list", _o("batch/v1", "Job", {}, {"conditions": "x"}), Status.UNKNOWN),
]


@pytest.mark.parametrize(("case", "obj", "expected"), CASES, ids=[c[0] for c in CASES])
def test_health_truth_table(case: str, obj: dict[str, Any] | None, expected: Status) -> None:
    health = assess(obj)
    assert health.status is expected, health.message


def test_every_rule_has_a_case() -> None:
    covered = {(o["apiVersion"].rpartition("/")[0], o["kind"]) for _, o, _ in CASES if o is not None}
    assert set(RULES) - covered <= {("extensions", "Ingress")}


def test_messages_say_why() -> None:
    health = assess(deploy(status={**DONE, "updatedReplicas": 1}))
    assert health.message == "waiting for the rollout: 1 of 2 new replicas updated"
    assert (
        "BackoffLimitExceeded"
        in assess(
            _o("batch/v1", "Job", {}, {"conditions": [_cond("Failed", reason="BackoffLimitExceeded")]})
        ).message
    )
