"""Ownership marks: gitops-guard's tracking id (written and read), Argo CD's and Flux's."""

from __future__ import annotations

from typing import Any

import pytest

from gitops_guard.ownership import (
    ARGO_INSTANCE_LABEL,
    ARGO_TRACKING,
    FLUX_NAME_LABEL,
    FLUX_NAMESPACE_LABEL,
    TRACKING_ANNOTATION,
    Claim,
    MalformedTrackingId,
    Tool,
    TrackingId,
    argo_owner,
    claims,
    flux_owner,
    owned_by,
    stamp,
    tracking_id,
)


def _obj(
    kind: str = "ConfigMap",
    name: str = "settings",
    namespace: str | None = "web",
    api: str = "v1",
    annotations: dict[str, str] | None = None,
    labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    if annotations:
        meta["annotations"] = annotations
    if labels:
        meta["labels"] = labels
    return {"apiVersion": api, "kind": kind, "metadata": meta}


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        (_obj(), "shop:/ConfigMap:web/settings"),  # core group: empty
        (_obj("Deployment", "api", api="apps/v1"), "shop:apps/Deployment:web/api"),
        (  # cluster-scoped: empty namespace
            _obj("ClusterRole", "system:reader", None, "rbac.authorization.k8s.io/v1"),
            "shop:rbac.authorization.k8s.io/ClusterRole:/system:reader",
        ),
    ],
)
def test_write_then_read_round_trips(obj: dict[str, Any], expected: str) -> None:
    stamped = stamp(obj, "shop")
    assert stamped["metadata"]["annotations"][TRACKING_ANNOTATION] == expected
    assert "annotations" not in obj["metadata"]  # the input is left alone
    found = tracking_id(stamped)
    assert found is not None and str(found) == expected and found.refers_to(stamped)
    assert TrackingId.parse(expected) == found


def test_stamp_keeps_other_annotations() -> None:
    stamped = stamp(_obj(annotations={"team": "a"}), "shop")
    assert stamped["metadata"]["annotations"] == {
        "team": "a",
        TRACKING_ANNOTATION: "shop:/ConfigMap:web/settings",
    }


@pytest.mark.parametrize(
    ("value", "complaint"),
    [
        ("shop", "is not <app>:<group>/<kind>:<namespace>/<name>"),
        ("shop:/ConfigMap", "is not <app>:<group>/<kind>:<namespace>/<name>"),
        ("shop:ConfigMap:web/x", "is not <group>/<kind>"),
        ("shop:/ConfigMap:x", "is not <namespace>/<name>"),
        ("shop:/ConfigMap:a/b/c", "is not <namespace>/<name>"),
        (":/ConfigMap:web/x", "empty app"),
        ("shop:/:web/x", "empty kind"),
        ("shop:/ConfigMap:web/", "empty name"),
    ],
)
def test_malformed_ids_say_what_is_wrong(value: str, complaint: str) -> None:
    with pytest.raises(MalformedTrackingId, match=complaint):
        TrackingId.parse(value)


@pytest.mark.parametrize("app", ["", "a:b", "a/b"])
def test_an_app_name_that_would_break_the_format_is_refused(app: str) -> None:
    with pytest.raises(MalformedTrackingId):
        stamp(_obj(), app)


def test_an_object_without_a_name_has_no_id() -> None:
    with pytest.raises(MalformedTrackingId):
        TrackingId.of("shop", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}})


def test_read_without_an_id_is_none() -> None:
    assert tracking_id(_obj()) is None


def _ours(value: str, **kw: Any) -> dict[str, Any]:
    return _obj(annotations={TRACKING_ANNOTATION: value}, **kw)


@pytest.mark.parametrize(
    ("obj", "owned"),
    [
        (_ours("shop:/ConfigMap:web/settings"), True),
        (_ours("other:/ConfigMap:web/settings"), False),  # same kind and name, another app's id
        (_obj(), False),  # a lookalike without any id
        (_obj(labels={ARGO_INSTANCE_LABEL: "shop"}), False),  # Argo CD's mark is not ours
        (_obj(annotations={ARGO_TRACKING: "shop:/ConfigMap:web/settings"}), False),
        (_ours("shop:/ConfigMap:web/other"), False),  # an id copied from another object
        (_ours("shop:/ConfigMap:prod/settings"), False),  # ... from another namespace
        (_ours("shop:apps/ConfigMap:web/settings"), False),  # ... from another group
        (_ours("shop:/Secret:web/settings"), False),  # ... from another kind
        (_ours("shop:/ConfigMap"), False),  # malformed: claims nothing
        (_ours("shopping:/ConfigMap:web/settings"), False),  # a prefix is not the app
    ],
)
def test_owned_by_truth_table(obj: dict[str, Any], owned: bool) -> None:
    assert owned_by(obj, "shop") is owned


@pytest.mark.parametrize(
    ("annotations", "labels", "owner"),
    [
        ({ARGO_TRACKING: "web:/ConfigMap:web/settings"}, {}, "web"),
        ({ARGO_TRACKING: "argocd_web:/ConfigMap:web/settings"}, {}, "argocd_web"),
        ({}, {ARGO_INSTANCE_LABEL: "web"}, "web"),  # label tracking (Argo CD before 3.0)
        # annotation+label tracking: the annotation decides, a stale label does not count
        ({ARGO_TRACKING: "other:/ConfigMap:web/settings"}, {ARGO_INSTANCE_LABEL: "web"}, "other"),
        # a copied annotation claims nothing and still hides the label
        ({ARGO_TRACKING: "web:/ConfigMap:web/elsewhere"}, {ARGO_INSTANCE_LABEL: "web"}, None),
        ({ARGO_TRACKING: "garbage"}, {ARGO_INSTANCE_LABEL: "web"}, None),
        ({}, {}, None),
    ],
)
def test_argo_cd_id_takes_precedence_over_the_instance_label(
    annotations: dict[str, str], labels: dict[str, str], owner: str | None
) -> None:
    obj = _obj(annotations=annotations, labels=labels)
    found = [c.app for c in claims(obj) if c.tool is Tool.ARGO_CD]
    assert found == ([owner] if owner else [])


@pytest.mark.parametrize(
    ("obj", "owned"),
    [
        (_obj(annotations={ARGO_TRACKING: "web:/ConfigMap:web/settings"}), True),
        (_obj(annotations={ARGO_TRACKING: "argocd_web:/ConfigMap:web/settings"}), True),  # any namespace
        (_obj(annotations={ARGO_TRACKING: "team_web:/ConfigMap:web/settings"}), False),
        (_obj(annotations={ARGO_TRACKING: "other:/ConfigMap:web/settings"}), False),
        (_obj(labels={ARGO_INSTANCE_LABEL: "web"}), True),
        (_obj(labels={ARGO_INSTANCE_LABEL: "webapp"}), False),
        (_obj(name="web"), False),  # named like the app: not owned
        (_ours("web:/ConfigMap:web/settings"), True),  # synced by gitops-guard for the app
        (_obj(labels={FLUX_NAME_LABEL: "web", FLUX_NAMESPACE_LABEL: "argocd"}), False),
    ],
)
def test_argo_owner_truth_table(obj: dict[str, Any], owned: bool) -> None:
    assert argo_owner("web", "argocd")(obj) is owned


@pytest.mark.parametrize(
    ("labels", "owned"),
    [
        ({FLUX_NAME_LABEL: "api", FLUX_NAMESPACE_LABEL: "flux-system"}, True),
        ({FLUX_NAME_LABEL: "api", FLUX_NAMESPACE_LABEL: "tenants"}, False),  # same name, other namespace
        ({FLUX_NAME_LABEL: "api"}, False),  # half a mark
        ({FLUX_NAME_LABEL: "apis", FLUX_NAMESPACE_LABEL: "flux-system"}, False),
        ({ARGO_INSTANCE_LABEL: "api"}, False),
        ({}, False),
    ],
)
def test_flux_owner_truth_table(labels: dict[str, str], owned: bool) -> None:
    assert flux_owner("api", "flux-system")(_obj(labels=labels)) is owned


def test_claims_lists_every_tool_that_marks_the_object() -> None:
    obj = _obj(
        annotations={TRACKING_ANNOTATION: "shop:/ConfigMap:web/settings"},
        labels={ARGO_INSTANCE_LABEL: "web", FLUX_NAME_LABEL: "api", FLUX_NAMESPACE_LABEL: "flux-system"},
    )
    assert claims(obj) == [
        Claim(Tool.GITOPS_GUARD, "shop", None, TRACKING_ANNOTATION),
        Claim(Tool.ARGO_CD, "web", None, ARGO_INSTANCE_LABEL),
        Claim(Tool.FLUX, "api", "flux-system", FLUX_NAME_LABEL),
    ]


@pytest.mark.parametrize("meta", [None, "x", {"annotations": "x", "labels": ["a"]}, {"annotations": None}])
def test_odd_metadata_claims_nothing(meta: Any) -> None:
    assert claims({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta}) == []
