"""Health rules against the dev cluster's real controllers (Pods run on kwok's fake node)."""

from __future__ import annotations

import json
import time
from typing import Any

from gitops_guard.cluster import Client
from gitops_guard.sync.health import Health, Status, assess

# No node carries this label, so such pods stay Pending (unschedulable).
NOWHERE = {"gitops-guard.dev/no-such-node": "true"}


def _wait(
    client: Client, api: str, kind: str, name: str, ns: str, want: Status, timeout: float = 90
) -> list[Health]:
    seen: list[Health] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        health = assess(client.get(api, kind, name, ns))
        if not seen or seen[-1] != health:
            seen.append(health)
        if health.status is want:
            return seen
        time.sleep(0.25)
    raise AssertionError(f"{kind} {ns}/{name} never became {want.value}: {seen}")


def _pod_template(node_selector: dict[str, str] | None = None, restart: str = "Always") -> dict[str, Any]:
    spec: dict[str, Any] = {
        "restartPolicy": restart,
        "containers": [{"name": "main", "image": "example.com/app:1"}],
    }
    if node_selector:
        spec["nodeSelector"] = node_selector
    return {"metadata": {"labels": {"app": "x"}}, "spec": spec}


def _deployment(name: str, ns: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "x"}}, **spec},
    }


def _job(name: str, ns: str, template: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"backoffLimit": 0, "template": template},
    }


def test_missing_then_a_deployment_rolls_out_on_the_kwok_node(client: Client, namespace: str) -> None:
    assert assess(client.get("apps/v1", "Deployment", "web", namespace)).status is Status.MISSING
    client.apply(_deployment("web", namespace, template=_pod_template()))
    seen = _wait(client, "apps/v1", "Deployment", "web", namespace, Status.HEALTHY)
    assert {h.status for h in seen} <= {Status.PROGRESSING, Status.HEALTHY}
    live = client.get("apps/v1", "Deployment", "web", namespace)
    assert live is not None and live["status"]["availableReplicas"] == 2


def test_an_unschedulable_deployment_progresses_then_misses_its_deadline(
    client: Client, namespace: str
) -> None:
    client.apply(_deployment("stuck", namespace, progressDeadlineSeconds=2, template=_pod_template(NOWHERE)))
    seen = _wait(client, "apps/v1", "Deployment", "stuck", namespace, Status.DEGRADED, timeout=120)
    assert Status.PROGRESSING in {h.status for h in seen}
    assert "progress deadline" in seen[-1].message


def test_a_paused_deployment_is_suspended(client: Client, namespace: str) -> None:
    client.apply(_deployment("paused", namespace, paused=True, template=_pod_template()))
    assert assess(client.get("apps/v1", "Deployment", "paused", namespace)).status is Status.SUSPENDED


def test_a_job_completes_on_the_kwok_node(client: Client, namespace: str) -> None:
    client.apply(_job("migrate", namespace, _pod_template(restart="Never")))
    seen = _wait(client, "batch/v1", "Job", "migrate", namespace, Status.HEALTHY)
    assert Status.DEGRADED not in {h.status for h in seen}


def test_a_job_whose_pod_fails_is_degraded(client: Client, namespace: str) -> None:
    # kwok's default stages only ever complete Job pods. This pod can be scheduled nowhere, so
    # kwok never touches it, and its failure is reported the way a kubelet reports it: the
    # Pod's status becomes Failed. The Job controller then fails the Job (backoffLimit 0).
    client.apply(_job("broken", namespace, _pod_template(NOWHERE, restart="Never")))
    pod = _first_pod(client, namespace, "broken")
    assert assess(pod).status is Status.PROGRESSING  # Pending
    status = {"phase": "Failed", "message": "exit 1", "reason": "Error"}
    client.transport.request(
        "PATCH",
        f"/api/v1/namespaces/{namespace}/pods/{pod['metadata']['name']}/status",
        body=json.dumps({"status": status}).encode(),
        content_type="application/merge-patch+json",
        what="fail the pod",
    )
    pod = client.get("v1", "Pod", pod["metadata"]["name"], namespace)
    assert assess(pod).status is Status.DEGRADED
    seen = _wait(client, "batch/v1", "Job", "broken", namespace, Status.DEGRADED)
    assert "BackoffLimitExceeded" in seen[-1].message


def _first_pod(client: Client, namespace: str, job: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        pods = client.list("v1", "Pod", namespace, label_selector={"job-name": job})
        if pods:
            return pods[0]
        time.sleep(0.25)
    raise AssertionError(f"the Job controller made no pod for {job}")


def test_a_crd_becomes_established(client: Client) -> None:
    name = "widgets.health.gitops-guard.dev"
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": name},
        "spec": {
            "group": "health.gitops-guard.dev",
            "names": {"kind": "Widget", "plural": "widgets", "singular": "widget", "listKind": "WidgetList"},
            "scope": "Namespaced",
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
                    },
                }
            ],
        },
    }
    client.apply(crd)
    try:
        _wait(
            client,
            "apiextensions.k8s.io/v1",
            "CustomResourceDefinition",
            name,
            "",
            Status.HEALTHY,
            timeout=30,
        )
    finally:
        client.delete("apiextensions.k8s.io/v1", "CustomResourceDefinition", name)


def test_services_and_claims(client: Client, namespace: str) -> None:
    port = {"ports": [{"port": 80}], "selector": {"app": "x"}}
    client.apply(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "plain", "namespace": namespace},
            "spec": port,
        }
    )
    client.apply(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "public", "namespace": namespace},
            "spec": {**port, "type": "LoadBalancer"},
        }
    )
    assert assess(client.get("v1", "Service", "plain", namespace)).status is Status.HEALTHY
    # No cloud controller here: a LoadBalancer never gets an address, so it keeps waiting.
    assert assess(client.get("v1", "Service", "public", namespace)).status is Status.PROGRESSING
    claim = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "data", "namespace": namespace},
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "storageClassName": "",
            "resources": {"requests": {"storage": "1Gi"}},
        },
    }
    client.apply(claim)
    _wait(client, "v1", "PersistentVolumeClaim", "data", namespace, Status.PROGRESSING, timeout=10)
    volume = f"pv-{namespace}"[:63]
    client.apply(
        {
            "apiVersion": "v1",
            "kind": "PersistentVolume",
            "metadata": {"name": volume},
            "spec": {
                "capacity": {"storage": "1Gi"},
                "accessModes": ["ReadWriteOnce"],
                "storageClassName": "",
                "hostPath": {"path": "/tmp/unused"},
                "claimRef": {"namespace": namespace, "name": "data"},
            },
        }
    )
    try:
        _wait(client, "v1", "PersistentVolumeClaim", "data", namespace, Status.HEALTHY, timeout=60)
    finally:
        client.delete("v1", "PersistentVolume", volume)
