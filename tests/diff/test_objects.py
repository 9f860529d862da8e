"""Normalisation, masking and the per-object unified diff."""

from __future__ import annotations

from typing import Any

from gitops_guard.diff.objects import mask_secrets, normalize, unified
from gitops_guard.identity import ObjectKey


def _secret(**data: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "db", "namespace": "prod"},
        "data": data,
    }


def test_normalize_drops_server_fields_and_keeps_the_rest() -> None:
    live = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "api",
            "uid": "u",
            "resourceVersion": "7",
            "generation": 3,
            "creationTimestamp": "2026-01-01T00:00:00Z",
            "managedFields": [{"manager": "kubectl"}],
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"},
            "labels": {"app": "api"},
        },
        "spec": {"replicas": 2},
        "status": {"readyReplicas": 2},
    }
    out = normalize(live)
    assert out == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "api", "labels": {"app": "api"}},
        "spec": {"replicas": 2},
    }
    assert live["status"] == {"readyReplicas": 2}  # the input is not modified


def test_masks_differ_when_values_differ_and_hide_length() -> None:
    before = _secret(password="c2hvcnQ=", token="c2FtZQ==")
    after = _secret(password="YS1tdWNoLWxvbmdlci12YWx1ZQ==", token="c2FtZQ==")
    mask_secrets([before, after])
    assert set(before["data"]["password"]) == {"+"} and set(after["data"]["password"]) == {"+"}
    assert before["data"]["password"] != after["data"]["password"]  # changed value still shows
    assert before["data"]["token"] == after["data"]["token"]  # unchanged value: same mask
    diff = unified(before, after, "Secret prod/db")
    assert "c2hvcnQ" not in diff and "YS1tdWNo" not in diff and "c2FtZQ" not in diff
    assert "-  password: +" in diff and "+  password: +" in diff


def test_mask_length_does_not_follow_value_length() -> None:
    short, long_ = _secret(a="eA=="), _secret(a="eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4")
    for pair in ([short, long_], [long_, short]):
        objs = [dict(o, data=dict(o["data"])) for o in pair]
        mask_secrets(objs)
        lengths = sorted(len(o["data"]["a"]) for o in objs)
        assert lengths == [8, 9]


def test_non_secrets_are_never_masked() -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"k": "v"}}
    mask_secrets([cm])
    assert cm["data"] == {"k": "v"}


def test_unified_is_empty_for_equal_objects_and_shows_creation() -> None:
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}
    assert unified(obj, dict(obj), "x") == ""
    created = unified(None, obj, "ConfigMap c")
    assert created.startswith("--- /dev/null\n+++ b/ConfigMap c\n")


def test_object_key_ignores_version_and_defaults_namespace() -> None:
    a = ObjectKey.of(
        {"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "h"}}, "prod"
    )
    b = ObjectKey.of(
        {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "h", "namespace": "prod"},
        }
    )
    assert a == b and str(a) == "HorizontalPodAutoscaler.autoscaling prod/h"
