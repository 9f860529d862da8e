"""The cluster client against a real kube-apiserver (scripts/dev-cluster): no mocks."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from typing import Any, TypeVar

import pytest

from gitops_guard.cluster import ApiError, Client, ClusterError, UnknownKind
from tests.cluster.conftest import SIZE_SCHEMA
from tests.conftest import DevCluster

T = TypeVar("T")


def eventually(probe: Callable[[], T | None], *, timeout: float = 60.0, what: str) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.2)


def configmap(name: str, namespace: str | None = None, **data: str) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "labels": {"app": name}}
    if namespace:
        meta["namespace"] = namespace
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data}


def deployment(name: str, namespace: str, replicas: int = 1) -> dict[str, Any]:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "app", "image": "registry.example/app:1.0"}]},
            },
        },
    }


def test_version_is_the_pinned_release(client: Client) -> None:
    version = client.version()
    assert version["gitVersion"] == "v1.37.2"
    assert (version["major"], version["minor"]) == ("1", "37")


def test_discovery_maps_kinds_to_resources(client: Client) -> None:
    cm = client.resolve("v1", "ConfigMap")
    assert (cm.plural, cm.namespaced, cm.path("ns", "x")) == (
        "configmaps",
        True,
        "/api/v1/namespaces/ns/configmaps/x",
    )
    deploy = client.resolve("apps/v1", "Deployment")
    assert (deploy.plural, deploy.namespaced) == ("deployments", True)
    role = client.resolve("rbac.authorization.k8s.io/v1", "ClusterRole")
    assert (role.plural, role.namespaced) == ("clusterroles", False)
    assert role.path("ignored", "admin") == "/apis/rbac.authorization.k8s.io/v1/clusterroles/admin"
    assert "patch" in deploy.verbs
    kinds = {(r.api_version, r.kind) for r in client.discovery.resources()}
    assert ("apiextensions.k8s.io/v1", "CustomResourceDefinition") in kinds
    # Subresources (deployments/status, ...) are not kinds of their own.
    assert all("/" not in r.plural for r in client.discovery.resources())


def test_unknown_kind(client: Client) -> None:
    with pytest.raises(UnknownKind, match=r"no resource for example.dev/v1 Widget"):
        client.resolve("example.dev/v1", "Widget")


def test_apply_get_list_and_update(client: Client, namespace: str) -> None:
    applied = client.apply(configmap("one", namespace, colour="blue"))
    assert applied["metadata"]["uid"]
    assert applied["data"] == {"colour": "blue"}
    client.apply(configmap("two", namespace, colour="red"))

    live = client.get("v1", "ConfigMap", "one", namespace)
    assert live is not None
    assert live["data"] == {"colour": "blue"}
    managers = {entry["manager"] for entry in live["metadata"]["managedFields"]}
    assert managers == {"gitops-guard"}
    assert client.get("v1", "ConfigMap", "absent", namespace) is None

    names = {item["metadata"]["name"] for item in client.list("v1", "ConfigMap", namespace)}
    assert {"one", "two"} <= names
    selected = client.list("v1", "ConfigMap", namespace, label_selector={"app": "two"})
    assert [(i["kind"], i["apiVersion"], i["metadata"]["name"]) for i in selected] == [
        ("ConfigMap", "v1", "two")
    ]
    assert client.list("v1", "ConfigMap", namespace, label_selector="app in (one,two),app!=two")[0][
        "data"
    ] == {"colour": "blue"}

    # Applying again with a field removed removes it: apply owns the whole object.
    client.apply(configmap("one", namespace, size="large"))
    live = client.get("v1", "ConfigMap", "one", namespace)
    assert live is not None
    assert live["data"] == {"size": "large"}


def test_list_pages_through_everything(client: Client, namespace: str) -> None:
    for i in range(7):
        client.apply(configmap(f"page-{i}", namespace))
    items = client.list("v1", "ConfigMap", namespace, label_selector="app", page_size=3)
    assert sorted(i["metadata"]["name"] for i in items) == [f"page-{i}" for i in range(7)]


def test_namespace_defaults_to_the_context_namespace(client: Client) -> None:
    applied = client.apply(configmap("defaulted-ns"))
    try:
        assert applied["metadata"]["namespace"] == client.namespace == "default"
    finally:
        assert client.delete("v1", "ConfigMap", "defaulted-ns")


def test_dry_run_stores_nothing(client: Client, namespace: str) -> None:
    dry = client.apply(configmap("dry", namespace, colour="green"), dry_run=True)
    # The server ran the whole write path: defaulting and metadata, but no object.
    assert dry["data"] == {"colour": "green"}
    assert dry["metadata"]["namespace"] == namespace
    assert dry["metadata"]["creationTimestamp"]
    assert client.get("v1", "ConfigMap", "dry", namespace) is None

    # A dry-run change to an existing object returns the merged result and leaves it as it was.
    client.apply(configmap("dry", namespace, colour="green"))
    changed = client.apply(configmap("dry", namespace, colour="purple"), dry_run=True)
    assert changed["data"] == {"colour": "purple"}
    live = client.get("v1", "ConfigMap", "dry", namespace)
    assert live is not None
    assert live["data"] == {"colour": "green"}

    # Defaulting is visible in the dry run, e.g. a Deployment's strategy.
    dry_deploy = client.apply(deployment("dry-web", namespace), dry_run=True)
    assert dry_deploy["spec"]["strategy"]["type"] == "RollingUpdate"
    assert client.get("apps/v1", "Deployment", "dry-web", namespace) is None

    assert client.delete("v1", "ConfigMap", "dry", namespace, dry_run=True)
    assert client.get("v1", "ConfigMap", "dry", namespace) is not None


def test_deployment_gets_a_replicaset_from_the_controller_manager(client: Client, namespace: str) -> None:
    client.apply(deployment("web", namespace, replicas=2))
    replicasets = eventually(
        lambda: client.list("apps/v1", "ReplicaSet", namespace, label_selector={"app": "web"}),
        what="the Deployment's ReplicaSet",
    )
    assert replicasets[0]["spec"]["replicas"] == 2
    assert replicasets[0]["metadata"]["ownerReferences"][0]["name"] == "web"


def test_delete_with_propagation(client: Client, namespace: str) -> None:
    client.apply(deployment("gone", namespace))
    eventually(
        lambda: client.list("apps/v1", "ReplicaSet", namespace, label_selector={"app": "gone"}),
        what="the ReplicaSet",
    )
    assert client.delete("apps/v1", "Deployment", "gone", namespace, propagation="Foreground")
    # Foreground: the garbage collector removes the ReplicaSet, then the Deployment.
    eventually(
        lambda: (
            client.get("apps/v1", "Deployment", "gone", namespace) is None
            and not client.list("apps/v1", "ReplicaSet", namespace, label_selector={"app": "gone"})
        ),
        what="the Deployment and its ReplicaSet to be deleted",
    )
    assert client.delete("apps/v1", "Deployment", "gone", namespace) is False

    client.apply(deployment("kept", namespace))
    eventually(
        lambda: client.list("apps/v1", "ReplicaSet", namespace, label_selector={"app": "kept"}),
        what="the ReplicaSet",
    )
    assert client.delete("apps/v1", "Deployment", "kept", namespace, propagation="Orphan")
    eventually(lambda: client.get("apps/v1", "Deployment", "kept", namespace) is None, what="deletion")
    orphans = client.list("apps/v1", "ReplicaSet", namespace, label_selector={"app": "kept"})
    assert len(orphans) == 1


CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.test.gitops-guard.dev"},
    "spec": {
        "group": "test.gitops-guard.dev",
        "scope": "Namespaced",
        "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "schema": SIZE_SCHEMA,
            }
        ],
    },
}


def test_crd_then_custom_resource(client: Client, namespace: str) -> None:
    client.apply(CRD)
    try:
        info = client.discovery.wait_for("test.gitops-guard.dev/v1", "Widget", timeout=60)
        assert (info.plural, info.namespaced) == ("widgets", True)
        widget = {
            "apiVersion": "test.gitops-guard.dev/v1",
            "kind": "Widget",
            "metadata": {"name": "w1", "namespace": namespace},
            "spec": {"size": 3},
        }
        # The CRD may be served before its storage is ready for writes: retry briefly.
        eventually(lambda: _try_apply(client, widget), what="the first Widget to be accepted")
        live = client.get("test.gitops-guard.dev/v1", "Widget", "w1", namespace)
        assert live is not None
        assert live["spec"] == {"size": 3}

        # The CRD's schema is enforced, and the error names the field.
        bad = dict(widget, metadata={"name": "w2", "namespace": namespace}, spec={"size": 0})
        with pytest.raises(ApiError) as info_error:
            client.apply(bad, dry_run=True)
        assert info_error.value.invalid
        assert "spec.size" in str(info_error.value)
        assert client.delete("test.gitops-guard.dev/v1", "Widget", "w1", namespace)
    finally:
        client.delete("apiextensions.k8s.io/v1", "CustomResourceDefinition", CRD["metadata"]["name"])


def _try_apply(client: Client, obj: dict[str, Any]) -> bool:
    try:
        client.apply(obj)
    except (ApiError, UnknownKind):
        return False
    return True


def test_invalid_object_error_hides_values(client: Client, namespace: str) -> None:
    secret_value = "hunter2-do-not-print"
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "s", "namespace": namespace, "labels": {"team": f"{secret_value}!!"}},
        "stringData": {"password": secret_value},
    }
    with pytest.raises(ApiError) as info:
        client.apply(secret)
    error = info.value
    assert (error.code, error.reason) == (422, "Invalid")
    assert error.invalid
    assert "metadata.labels" in str(error)
    assert "(value hidden)" in str(error)
    assert secret_value not in str(error)
    assert all(secret_value not in cause["message"] for cause in error.causes)
    assert any(cause["field"] == "metadata.labels" for cause in error.causes)


def test_missing_namespace_is_not_found(client: Client) -> None:
    with pytest.raises(ApiError) as info:
        client.apply(configmap("x", "no-such-namespace"), dry_run=True)
    assert info.value.not_found
    assert 'namespaces "no-such-namespace" not found' in str(info.value)
    assert "apply v1 ConfigMap no-such-namespace/x (dry run)" in str(info.value)


def test_concurrent_use_from_threads(client: Client, namespace: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda i: client.apply(configmap(f"t-{i}", namespace)), range(40)))
    assert len({r["metadata"]["uid"] for r in results}) == 40
    assert len(client.list("v1", "ConfigMap", namespace, label_selector="app")) == 40


def test_discovery_takes_two_requests_and_matches_the_per_group_documents(
    dev_cluster: DevCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gitops_guard.cluster import discovery as discovery_module

    with Client.from_kubeconfig(dev_cluster.kubeconfig) as fresh:
        paths: list[str] = []
        real_request = fresh.transport.request

        def counting(method: str, path: str, **kwargs: Any) -> Any:
            paths.append(path)
            return real_request(method, path, **kwargs)

        monkeypatch.setattr(fresh.transport, "request", counting)
        aggregated = {(r.api_version, r.kind): r for r in fresh.discovery.resources()}
        assert paths == ["/api", "/apis"]

        # A server without aggregated discovery answers the plain documents; the fallback
        # must find the same resources (asked of the same real server).
        monkeypatch.setattr(discovery_module, "_AGGREGATED", "application/json")
        fresh.discovery.invalidate()
        paths.clear()
        legacy = {(r.api_version, r.kind): r for r in fresh.discovery.resources()}
        assert len(paths) > 10
        assert "/api/v1" in paths
        assert legacy == aggregated


def test_legacy_discovery_skips_a_group_version_gone_since_the_group_list(
    dev_cluster: DevCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A CRD deleted between /apis and its own document: the real server answers 404 for it.
    from gitops_guard.cluster import discovery as discovery_module

    monkeypatch.setattr(discovery_module, "_AGGREGATED", "application/json")
    with Client.from_kubeconfig(dev_cluster.kubeconfig) as fresh:
        real_request = fresh.transport.request
        asked: list[str] = []

        def with_a_vanished_group(method: str, path: str, **kwargs: Any) -> Any:
            asked.append(path)
            response = real_request(method, path, **kwargs)
            if path != "/apis":
                return response
            document = json.loads(response.body)
            gone = {"groupVersion": "gone.gitops-guard.dev/v1", "version": "v1"}
            document["groups"].append({"name": "gone.gitops-guard.dev", "versions": [gone]})
            return dataclasses.replace(response, body=json.dumps(document).encode())

        monkeypatch.setattr(fresh.transport, "request", with_a_vanished_group)
        resources = {(r.api_version, r.kind) for r in fresh.discovery.resources()}
        assert "/apis/gone.gitops-guard.dev/v1" in asked
        assert ("apps/v1", "Deployment") in resources
        assert not any(api_version.startswith("gone.") for api_version, _ in resources)


def test_apply_conflicts_without_force(client: Client, namespace: str) -> None:
    client.apply(configmap("owned", namespace, colour="blue"), field_manager="someone-else")
    with pytest.raises(ApiError) as info:
        client.apply(configmap("owned", namespace, colour="red"), force=False)
    assert info.value.conflict
    assert "colour" in str(info.value)  # the conflicting field is named
    # With force (the default) the repository wins and takes the field over.
    client.apply(configmap("owned", namespace, colour="red"))
    live = client.get("v1", "ConfigMap", "owned", namespace)
    assert live is not None
    assert live["data"] == {"colour": "red"}


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        ({"kind": "ConfigMap", "metadata": {"name": "x"}}, "without apiVersion and kind"),
        ({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}}, "v1 ConfigMap without metadata.name"),
        ({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a/b"}}, "'a/b' is not a valid"),
    ],
)
def test_objects_that_cannot_be_applied(client: Client, obj: dict[str, Any], message: str) -> None:
    with pytest.raises(ClusterError, match=message):
        client.apply(obj, dry_run=True)


def test_create_names_an_object_by_its_generate_name(client: Client, namespace: str) -> None:
    generated = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"generateName": "smoke-"}, "data": {}}
    made = client.create({**generated, "metadata": {**generated["metadata"], "namespace": namespace}})
    name = made["metadata"]["name"]
    assert name.startswith("smoke-") and len(name) > len("smoke-")
    assert client.get("v1", "ConfigMap", name, namespace) is not None
    # Only a create may leave the name to the server.
    with pytest.raises(ClusterError, match=r"without metadata\.name"):
        client.apply(generated, dry_run=True)


def test_pods_run_on_the_fake_node(client: Client, namespace: str) -> None:
    """kube-scheduler places the Pods on kwok's node, kwok reports them Running and Ready,
    and the Deployment becomes Available, as on a real cluster."""
    client.apply(deployment("ready", namespace, replicas=3))

    def available() -> dict[str, Any] | None:
        live = client.get("apps/v1", "Deployment", "ready", namespace)
        return live if live and live.get("status", {}).get("availableReplicas") == 3 else None

    live = eventually(available, what="the Deployment to become Available")
    conditions = {c["type"]: c["status"] for c in live["status"]["conditions"]}
    assert conditions["Available"] == "True"
    pods = client.list("v1", "Pod", namespace, label_selector={"app": "ready"})
    assert [(p["spec"]["nodeName"], p["status"]["phase"]) for p in pods] == [("kwok-node-0", "Running")] * 3
