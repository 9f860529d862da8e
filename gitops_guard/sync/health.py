"""Health of a live object, by a table keyed by (group, kind), with Argo CD's semantics.

Each rule is a pure function of the object as the API server returns it (a dict) and gives a
:class:`Health`: a status and a message saying why. The statuses and the rules follow Argo CD's
(gitops-engine's ``pkg/health`` and Argo CD's built-in checks): a rollout that the controller
has not observed yet is Progressing, a Deployment past its progress deadline or a failed Job is
Degraded, a paused Deployment or a suspended Job is Suspended, an object that is not there is
Missing, and a kind without a rule is Healthy as soon as it exists. A status that cannot be read
(a field of the wrong type) is Unknown, never an exception.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


class Status(enum.Enum):
    HEALTHY = "Healthy"
    PROGRESSING = "Progressing"
    DEGRADED = "Degraded"
    SUSPENDED = "Suspended"
    MISSING = "Missing"
    UNKNOWN = "Unknown"


@dataclass(frozen=True)
class Health:
    status: Status
    message: str = ""


Rule = Callable[[Mapping[str, Any]], Health]


def assess(obj: Mapping[str, Any] | None) -> Health:
    """The health of ``obj``; None (the object does not exist) is Missing."""
    if obj is None:
        return Health(Status.MISSING, "the object does not exist")
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    group = api_version.rpartition("/")[0] if isinstance(api_version, str) else ""
    rule = RULES.get((group, kind if isinstance(kind, str) else ""))
    if rule is None:
        return Health(Status.HEALTHY)
    try:
        return rule(obj)
    except (TypeError, ValueError, AttributeError, KeyError) as exc:
        return Health(Status.UNKNOWN, f"cannot read the status of this {kind}: {type(exc).__name__}")


# -- reading helpers: live objects are dicts, any field may be absent --------------------------


def _map(obj: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = obj.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TypeError(key)
    return value


def _int(obj: Mapping[str, Any], key: str, default: int = 0) -> int:
    value = obj.get(key, default)
    return default if value is None else _as_int(value, key)


def _as_int(value: Any, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(key)
    return value


def _conditions(obj: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    found = _map(obj, "status").get("conditions") or []
    if not isinstance(found, list):
        raise TypeError("conditions")
    return {str(c.get("type")): c for c in found if isinstance(c, Mapping)}


def _is_true(condition: Mapping[str, Any] | None) -> bool:
    return condition is not None and condition.get("status") == "True"


def _is_false(condition: Mapping[str, Any] | None) -> bool:
    return condition is not None and condition.get("status") == "False"


def _generation_observed(obj: Mapping[str, Any]) -> bool:
    observed = _map(obj, "status").get("observedGeneration")
    if observed is None:
        return False
    return _int(_map(obj, "metadata"), "generation") <= _as_int(observed, "observedGeneration")


def _replicas(obj: Mapping[str, Any]) -> int | None:
    spec = _map(obj, "spec")
    return None if spec.get("replicas") is None else _int(spec, "replicas")


# -- workloads -----------------------------------------------------------------------------------


def deployment(obj: Mapping[str, Any]) -> Health:
    spec, status = _map(obj, "spec"), _map(obj, "status")
    if spec.get("paused") is True:
        return Health(Status.SUSPENDED, "Deployment is paused")
    if not _generation_observed(obj):
        return Health(Status.PROGRESSING, "waiting for the rollout: the new generation is not observed yet")
    progressing = _conditions(obj).get("Progressing")
    if progressing is not None and progressing.get("reason") == "ProgressDeadlineExceeded":
        return Health(
            Status.DEGRADED, f"Deployment exceeded its progress deadline: {progressing.get('message', '')}"
        )
    want, updated = _replicas(obj), _int(status, "updatedReplicas")
    if want is not None and updated < want:
        return Health(
            Status.PROGRESSING, f"waiting for the rollout: {updated} of {want} new replicas updated"
        )
    if _int(status, "replicas") > updated:
        old = _int(status, "replicas") - updated
        return Health(Status.PROGRESSING, f"waiting for the rollout: {old} old replicas pending termination")
    if _int(status, "availableReplicas") < updated:
        available = _int(status, "availableReplicas")
        return Health(
            Status.PROGRESSING,
            f"waiting for the rollout: {available} of {updated} updated replicas available",
        )
    return Health(Status.HEALTHY, "rollout complete")


def stateful_set(obj: Mapping[str, Any]) -> Health:
    status, strategy = _map(obj, "status"), _map(_map(obj, "spec"), "updateStrategy")
    if _int(status, "observedGeneration") == 0 or not _generation_observed(obj):
        return Health(Status.PROGRESSING, "waiting for the StatefulSet's new generation to be observed")
    want, ready = _replicas(obj), _int(status, "readyReplicas")
    if want is not None and ready < want:
        return Health(Status.PROGRESSING, f"waiting for pods to be ready: {ready} of {want}")
    if strategy.get("type", "RollingUpdate") == "OnDelete":
        return Health(Status.HEALTHY, f"{ready} ready pods (update strategy OnDelete)")
    partition = _map(strategy, "rollingUpdate").get("partition")
    if strategy.get("type", "RollingUpdate") == "RollingUpdate" and partition is not None:
        target = (want or 0) - _int(_map(strategy, "rollingUpdate"), "partition")
        if _int(status, "updatedReplicas") < target:
            done = _int(status, "updatedReplicas")
            return Health(
                Status.PROGRESSING, f"waiting for the partitioned rollout: {done} of {target} pods updated"
            )
        return Health(Status.HEALTHY, f"partitioned rollout complete: {target} pods updated")
    if status.get("updateRevision") != status.get("currentRevision"):
        return Health(
            Status.PROGRESSING,
            f"waiting for the rolling update to reach revision {status.get('updateRevision')}",
        )
    current = _int(status, "currentReplicas")
    return Health(
        Status.HEALTHY, f"rolling update complete: {current} pods at {status.get('currentRevision')}"
    )


def daemon_set(obj: Mapping[str, Any]) -> Health:
    status, strategy = _map(obj, "status"), _map(_map(obj, "spec"), "updateStrategy")
    if _int(status, "observedGeneration") == 0 or not _generation_observed(obj):
        return Health(Status.PROGRESSING, "waiting for the DaemonSet's new generation to be observed")
    if strategy.get("type") == "OnDelete":
        return Health(Status.HEALTHY, "update strategy OnDelete")
    desired, updated = _int(status, "desiredNumberScheduled"), _int(status, "updatedNumberScheduled")
    if updated < desired:
        return Health(Status.PROGRESSING, f"waiting for the rollout: {updated} of {desired} new pods updated")
    available = _int(status, "numberAvailable")
    if available < desired:
        return Health(
            Status.PROGRESSING, f"waiting for the rollout: {available} of {desired} updated pods available"
        )
    return Health(Status.HEALTHY, "rollout complete")


def replica_set(obj: Mapping[str, Any]) -> Health:
    if not _generation_observed(obj):
        return Health(Status.PROGRESSING, "waiting for the ReplicaSet's new generation to be observed")
    failure = _conditions(obj).get("ReplicaFailure")
    if _is_true(failure):
        return Health(Status.DEGRADED, str((failure or {}).get("message", "replica failure")))
    want, available = _replicas(obj), _int(_map(obj, "status"), "availableReplicas")
    if want is not None and available < want:
        return Health(
            Status.PROGRESSING, f"waiting for the rollout: {available} of {want} replicas available"
        )
    return Health(Status.HEALTHY, "all replicas available")


def job(obj: Mapping[str, Any]) -> Health:
    conditions = _conditions(obj)
    # FailureTarget (Kubernetes 1.31+) is set once the Job controller has decided the Job fails;
    # Failed follows when its pods are gone. Either is final, so neither is waited out.
    for kind in ("Failed", "FailureTarget"):
        if _is_true(conditions.get(kind)):
            found = conditions[kind]
            return Health(
                Status.DEGRADED,
                f"Job failed: {found.get('reason', '')}: {found.get('message', '')}".rstrip(": "),
            )
    if _is_true(conditions.get("Complete")):
        return Health(Status.HEALTHY, "Job completed")
    if _is_true(conditions.get("Suspended")) or _map(obj, "spec").get("suspend") is True:
        return Health(Status.SUSPENDED, "Job is suspended")
    active = _int(_map(obj, "status"), "active")
    return Health(Status.PROGRESSING, f"Job running ({active} active pods)")


def pod(obj: Mapping[str, Any]) -> Health:
    spec, status = _map(obj, "spec"), _map(obj, "status")
    restart = spec.get("restartPolicy", "Always")
    message = str(status.get("message") or "")
    statuses = [s for s in (status.get("containerStatuses") or []) if isinstance(s, Mapping)]
    if restart == "Always":
        # CrashLoopBackOff, ImagePullBackOff, ErrImagePull, CreateContainerConfigError, ...:
        # restarting will not help. (Not for OnFailure/Never pods: those are hooks that may
        # retry by design.)
        stuck = []
        for s in statuses:
            waiting = _map(_map(s, "state"), "waiting")
            reason = str(waiting.get("reason") or "")
            if reason.startswith("Err") or reason.endswith(("Error", "BackOff")):
                stuck.append(f"{s.get('name')}: {reason}")
        if stuck:
            return Health(Status.DEGRADED, ", ".join(stuck))
    phase = status.get("phase")
    if _map(obj, "metadata").get("deletionTimestamp"):
        return Health(Status.PROGRESSING, "Pod is terminating")
    if phase == "Pending":
        return Health(Status.PROGRESSING, message or "Pod is pending")
    if phase == "Succeeded":
        return Health(Status.HEALTHY, message or "Pod succeeded")
    if phase == "Failed":
        if message:
            return Health(Status.DEGRADED, message)
        for s in statuses:
            terminated = _map(_map(s, "state"), "terminated")
            if _int(terminated, "exitCode") != 0:
                return Health(
                    Status.DEGRADED,
                    f"container {s.get('name')} exited with code {terminated.get('exitCode')}",
                )
        return Health(Status.DEGRADED, "Pod failed")
    if phase == "Running":
        if restart != "Always":
            # A pod with a finite life (a hook) is healthy when it succeeds, not while it runs.
            return Health(Status.PROGRESSING, "Pod is running")
        if _is_true(_conditions(obj).get("Ready")):
            return Health(Status.HEALTHY, message or "Pod is ready")
        if any(_map(_map(s, "lastState"), "terminated") for s in statuses):
            return Health(Status.DEGRADED, message or "a container terminated and the Pod is not ready")
        return Health(Status.PROGRESSING, "waiting for the Pod to be ready")
    return Health(Status.UNKNOWN, message or f"Pod phase {phase!r}")


# -- storage, networking, API extensions -------------------------------------------------------


def persistent_volume_claim(obj: Mapping[str, Any]) -> Health:
    phase = _map(obj, "status").get("phase")
    if phase == "Bound":
        return Health(Status.HEALTHY, "claim is bound")
    if phase == "Pending":
        return Health(Status.PROGRESSING, "claim is pending")
    if phase == "Lost":
        return Health(Status.DEGRADED, "claim lost its volume")
    return Health(Status.UNKNOWN, f"claim phase {phase!r}")


def _load_balancer(obj: Mapping[str, Any]) -> Health:
    ingress = _map(_map(obj, "status"), "loadBalancer").get("ingress")
    if isinstance(ingress, list) and ingress:
        return Health(Status.HEALTHY, "load balancer assigned")
    return Health(Status.PROGRESSING, "waiting for a load balancer")


def service(obj: Mapping[str, Any]) -> Health:
    if _map(obj, "spec").get("type") != "LoadBalancer":
        return Health(Status.HEALTHY)
    return _load_balancer(obj)


def ingress(obj: Mapping[str, Any]) -> Health:
    return _load_balancer(obj)


def custom_resource_definition(obj: Mapping[str, Any]) -> Health:
    conditions = _conditions(obj)
    if not conditions:
        return Health(Status.PROGRESSING, "waiting for the CRD's status")
    if _is_true(conditions.get("Terminating")):
        return Health(Status.PROGRESSING, "CRD is being deleted")
    names = conditions.get("NamesAccepted")
    if _is_false(names):
        return Health(Status.DEGRADED, f"CRD names not accepted: {(names or {}).get('message', '')}")
    if not _is_true(conditions.get("Established")):
        return Health(Status.PROGRESSING, "CRD is not established yet")
    schema = conditions.get("NonStructuralSchema")
    if schema is not None:
        return Health(Status.DEGRADED, f"CRD schema is not structural: {schema.get('message', '')}")
    return Health(Status.HEALTHY, "CRD is established")


def api_service(obj: Mapping[str, Any]) -> Health:
    available = _conditions(obj).get("Available")
    if available is None:
        return Health(Status.PROGRESSING, "waiting for the APIService to be processed")
    text = f"{available.get('reason', '')}: {available.get('message', '')}".strip(": ")
    return Health(Status.HEALTHY if _is_true(available) else Status.PROGRESSING, text)


# Argo CD's HPA rule: these (type, reason) pairs decide; anything else is still scaling.
_HPA_DEGRADED = frozenset(
    {
        ("AbleToScale", "FailedGetScale"),
        ("AbleToScale", "FailedUpdateScale"),
        ("ScalingActive", "FailedGetResourceMetric"),
        ("ScalingActive", "InvalidSelector"),
    }
)
_HPA_HEALTHY = frozenset(
    {
        ("AbleToScale", "SucceededRescale"),
        ("ScalingLimited", "DesiredWithinRange"),
        ("ScalingLimited", "TooFewReplicas"),
        ("ScalingLimited", "TooManyReplicas"),
    }
)


def horizontal_pod_autoscaler(obj: Mapping[str, Any]) -> Health:
    found = _map(obj, "status").get("conditions") or []
    if not isinstance(found, list):
        raise TypeError("conditions")
    for condition in found:
        if not isinstance(condition, Mapping):
            continue
        pair = (condition.get("type"), condition.get("reason"))
        if pair in _HPA_DEGRADED:
            return Health(Status.DEGRADED, str(condition.get("message", "")))
        if pair in _HPA_HEALTHY:
            return Health(Status.HEALTHY, str(condition.get("message", "")))
    return Health(Status.PROGRESSING, "waiting to autoscale")


def pod_disruption_budget(obj: Mapping[str, Any]) -> Health:
    allowed = _conditions(obj).get("DisruptionAllowed")
    if allowed is None:
        return Health(Status.PROGRESSING, "waiting for the budget's status")
    if _is_true(allowed):
        return Health(Status.HEALTHY, "disruptions allowed")
    return Health(
        Status.DEGRADED, str(allowed.get("message") or allowed.get("reason") or "no disruption allowed")
    )


def argo_application(obj: Mapping[str, Any]) -> Health:
    """An app of apps waits for its child Applications as Argo CD does: by their own health."""
    reported = _map(_map(obj, "status"), "health").get("status")
    try:
        status = Status(reported)
    except ValueError:
        return Health(Status.PROGRESSING, "waiting for the Application's health")
    return Health(status, str(_map(_map(obj, "status"), "health").get("message") or ""))


RULES: dict[tuple[str, str], Rule] = {
    ("apps", "Deployment"): deployment,
    ("apps", "StatefulSet"): stateful_set,
    ("apps", "DaemonSet"): daemon_set,
    ("apps", "ReplicaSet"): replica_set,
    ("batch", "Job"): job,
    ("", "Pod"): pod,
    ("", "PersistentVolumeClaim"): persistent_volume_claim,
    ("", "Service"): service,
    ("networking.k8s.io", "Ingress"): ingress,
    ("extensions", "Ingress"): ingress,
    ("apiextensions.k8s.io", "CustomResourceDefinition"): custom_resource_definition,
    ("apiregistration.k8s.io", "APIService"): api_service,
    ("autoscaling", "HorizontalPodAutoscaler"): horizontal_pod_autoscaler,
    ("policy", "PodDisruptionBudget"): pod_disruption_budget,
    ("argoproj.io", "Application"): argo_application,
}
