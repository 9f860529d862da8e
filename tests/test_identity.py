"""One object identity: ``ObjectKey`` for the cluster, ``ObjectRef`` for reports, tied together."""

from __future__ import annotations

from gitops_guard.findings import ObjectRef
from gitops_guard.identity import ObjectKey
from gitops_guard.ownership import TrackingId
from gitops_guard.resources import object_ref

DEPLOYMENT = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"}}


def test_the_version_is_not_part_of_the_key() -> None:
    old = {**DEPLOYMENT, "apiVersion": "apps/v1beta2"}
    assert ObjectKey.of(DEPLOYMENT) == ObjectKey.of(old) == ObjectKey("apps", "Deployment", "shop", "web")
    assert str(ObjectKey.of(DEPLOYMENT)) == "Deployment.apps shop/web"
    assert str(ObjectKey.of({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}})) == (
        "Namespace shop"
    )


def test_a_report_reference_and_a_tracking_id_name_the_same_key() -> None:
    ref = object_ref(DEPLOYMENT)
    key = ObjectKey.of(DEPLOYMENT)
    assert ref.key == key
    assert ObjectRef.of_key(key, "apps/v1") == ref
    assert TrackingId.of("app", DEPLOYMENT).key == key
    # Cluster-scoped: the report says None, the key says "".
    ns = object_ref({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}})
    assert ns.namespace is None and ns.key == ObjectKey("", "Namespace", "", "shop")
    assert ObjectRef.of_key(ns.key, "v1") == ns


def test_strict_keys_ignore_what_is_not_a_string() -> None:
    odd = {"apiVersion": 1, "kind": "ConfigMap", "metadata": {"generateName": "x-", "namespace": ["a"]}}
    assert ObjectKey.strict(odd) == ObjectKey("", "ConfigMap", "", "")
    assert ObjectKey.of(odd).name == "x-"  # generateName stands in for the name elsewhere


def test_keys_sort_by_group_kind_namespace_name() -> None:
    keys = [ObjectKey("apps", "Deployment", "b", "x"), ObjectKey("", "ConfigMap", "a", "y"),
            ObjectKey("apps", "Deployment", "a", "z")]  # fmt: skip
    assert sorted(keys) == [keys[1], keys[2], keys[0]]
