"""The reconcile step as truth tables: each case with the neighbouring case that flips it."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from gitops_guard import ownership
from gitops_guard.gitops.sync_order import sync_order
from gitops_guard.identity import ObjectKey
from gitops_guard.sync.plan import (
    NAMESPACE_WAVE,
    Action,
    DeletePolicy,
    GroupKind,
    Plan,
    PlanError,
    SyncOptions,
    is_subset,
    plan,
)

APP = "web"
PRUNE = SyncOptions(prune=True)


def obj(kind: str, name: str, ns: str = "apps", api: str = "v1", **annotations: str) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if ns:
        meta["namespace"] = ns
    if annotations:
        meta["annotations"] = dict(annotations)
    return {"apiVersion": api, "kind": kind, "metadata": meta}


def hook(kind: str, name: str, types: str, **annotations: str) -> dict[str, Any]:
    return obj(kind, name, **{"argocd.argoproj.io/hook": types, **annotations})


def owned(o: dict[str, Any], app: str = APP) -> dict[str, Any]:
    """``o`` as the cluster lists it after this engine applied it: stamped, with server fields."""
    live = ownership.stamp(copy.deepcopy(o), app)
    live["metadata"].update(
        uid="u-1", resourceVersion="7", generation=3, creationTimestamp="2026-01-01T00:00:00Z"
    )
    live["metadata"]["managedFields"] = [{"manager": "gitops-guard"}]
    live["status"] = {"phase": "Active"}
    return live


def actions(p: Plan) -> list[tuple[str, str]]:
    return [(s.action.value, s.key.name) for s in p.steps]


# --- order -------------------------------------------------------------------------------


def test_order_agrees_with_sync_order_across_phases_waves_and_kinds() -> None:
    desired = [
        obj("Deployment", "api", **{"argocd.argoproj.io/sync-wave": "1"}),
        obj("ConfigMap", "b"),
        obj("ConfigMap", "a"),
        obj("Service", "api"),
        obj("ServiceAccount", "api", **{"argocd.argoproj.io/sync-wave": "-1"}),
        hook("Job", "migrate", "PreSync"),
        hook("Job", "smoke", "PostSync"),
        hook("Job", "cleanup", "SyncFail"),
        obj("Widget", "w", api="example.com/v1"),
    ]
    p = plan(APP, desired, [], PRUNE)
    expected = [(t.phase, t.wave, desired[t.index]["metadata"]["name"]) for t in sync_order(desired)]
    assert [(s.phase, s.wave, s.key.name) for s in p.steps] == expected
    assert [(g.phase, g.wave) for g in p.groups] == [
        ("PreSync", 0),
        ("Sync", -1),
        ("Sync", 0),
        ("Sync", 1),
        ("PostSync", 0),
        ("SyncFail", 0),
    ]
    # within one wave: kind order, then name; custom kinds last
    assert [s.key.name for s in p.groups[2].steps] == ["a", "b", "api", "w"]


def test_a_namespace_is_pulled_forward_exactly_as_sync_order_does() -> None:
    desired = [
        obj("ConfigMap", "c", ns="late"),
        obj("Namespace", "late", ns="", **{"argocd.argoproj.io/sync-wave": "5"}),
    ]
    p = plan(APP, desired, [], PRUNE)
    assert [(s.key.kind, s.wave) for s in p.steps] == [("Namespace", 0), ("ConfigMap", 0)]


# --- hooks -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("annotations", "expected"),
    [
        ({}, (DeletePolicy.BEFORE_HOOK_CREATION,)),
        ({"argocd.argoproj.io/hook-delete-policy": "HookSucceeded"}, (DeletePolicy.HOOK_SUCCEEDED,)),
        (
            {"argocd.argoproj.io/hook-delete-policy": "HookFailed, HookSucceeded"},
            (DeletePolicy.HOOK_FAILED, DeletePolicy.HOOK_SUCCEEDED),
        ),
        # an unknown policy is dropped, so the default applies
        ({"argocd.argoproj.io/hook-delete-policy": "OnSuccess"}, (DeletePolicy.BEFORE_HOOK_CREATION,)),
        ({"helm.sh/hook-delete-policy": "hook-succeeded"}, (DeletePolicy.HOOK_SUCCEEDED,)),
        # Argo CD's annotation wins over Helm's
        (
            {
                "argocd.argoproj.io/hook-delete-policy": "HookFailed",
                "helm.sh/hook-delete-policy": "hook-succeeded",
            },
            (DeletePolicy.HOOK_FAILED,),
        ),
    ],
)
def test_hook_delete_policies(annotations: dict[str, str], expected: tuple[DeletePolicy, ...]) -> None:
    p = plan(APP, [hook("Job", "j", "PreSync", **annotations)], [], PRUNE)
    (step,) = p.steps
    assert (step.action, step.phase, step.delete_policies) == (Action.HOOK, "PreSync", expected)


def test_a_hook_runs_even_when_live_is_identical_and_a_plain_object_does_not() -> None:
    job = hook("Job", "j", "Sync")
    plain = obj("Job", "k")
    p = plan(APP, [job, plain], [owned(job), owned(plain)], PRUNE)
    assert actions(p) == [("hook", "j"), ("unchanged", "k")]


def test_generate_name_hook_is_a_hook_every_time_and_is_not_stamped() -> None:
    job = hook("Job", "", "PostSync")
    job["metadata"] = {
        "generateName": "smoke-",
        "namespace": "apps",
        "annotations": job["metadata"]["annotations"],
    }
    (step,) = plan(APP, [job], [], PRUNE).steps
    assert (step.action, step.generate_name, step.key.name) == (Action.HOOK, True, "smoke-")
    assert ownership.TRACKING_ANNOTATION not in step.obj["metadata"]["annotations"]


def test_a_hook_in_two_phases_has_two_steps_and_skip_or_delete_hooks_none() -> None:
    desired = [
        hook("Job", "both", "PreSync,PostSync"),
        obj("ConfigMap", "skipped", **{"argocd.argoproj.io/hook": "Skip"}),
        hook("Job", "gone", "PreDelete"),
    ]
    p = plan(APP, desired, [], PRUNE)
    assert [(s.phase, s.key.name) for s in p.steps] == [("PreSync", "both"), ("PostSync", "both")]
    assert [k.name for k in p.not_applied] == ["skipped", "gone"]


def test_a_live_hook_no_longer_desired_is_never_pruned() -> None:
    live = owned(hook("Job", "old", "PreSync"))
    p = plan(APP, [obj("ConfigMap", "c")], [live], PRUNE)
    assert actions(p) == [("create", "c")]


# --- prune safety -------------------------------------------------------------------------


def test_owned_object_no_longer_desired_is_pruned_and_its_unowned_lookalike_never() -> None:
    desired = [obj("ConfigMap", "keep")]
    gone = obj("ConfigMap", "gone")
    assert actions(plan(APP, desired, [owned(gone)], PRUNE))[-1] == ("prune", "gone")
    lookalike = copy.deepcopy(gone)  # same kind and name, applied by someone else
    assert actions(plan(APP, desired, [lookalike], PRUNE)) == [("create", "keep")]


def test_another_apps_id_and_a_copied_id_are_never_pruned() -> None:
    desired = [obj("ConfigMap", "keep")]
    other = owned(obj("ConfigMap", "gone"), app="other")
    copied = obj("ConfigMap", "copy")
    copied["metadata"]["annotations"] = {
        ownership.TRACKING_ANNOTATION: str(ownership.TrackingId.of(APP, obj("ConfigMap", "gone")))
    }
    argo_only = obj("ConfigMap", "argo", **{ownership.ARGO_TRACKING: "web:/ConfigMap:apps/argo"})
    p = plan(APP, desired, [other, copied, argo_only], PRUNE)
    assert actions(p) == [("create", "keep")]


@pytest.mark.parametrize(
    ("option", "reason"),
    [("Prune=false", "Prune=false"), ("Delete=false", "Delete=false"), ("Prune=true", None)],
)
def test_per_object_prune_false_is_kept_and_reported(option: str, reason: str | None) -> None:
    gone = owned(obj("ConfigMap", "gone", **{"argocd.argoproj.io/sync-options": f"Validate=false, {option}"}))
    p = plan(APP, [obj("ConfigMap", "keep")], [gone], PRUNE)
    if reason is None:
        assert actions(p)[-1] == ("prune", "gone") and p.kept == ()
    else:
        assert actions(p) == [("create", "keep")]
        assert [(k.key.name, k.reason) for k in p.kept] == [("gone", reason)]
        assert f"would prune, kept ({reason}): ConfigMap apps/gone" in p.render()


def test_prune_off_keeps_everything_and_says_so() -> None:
    p = plan(APP, [obj("ConfigMap", "keep")], [owned(obj("ConfigMap", "gone"))], SyncOptions(prune=False))
    assert actions(p) == [("create", "keep")]
    assert [k.reason for k in p.kept] == ["prune disabled"]


@pytest.mark.parametrize("complete", [False, True])
def test_an_incomplete_render_prunes_nothing(complete: bool) -> None:
    options = SyncOptions(prune=True, render_complete=complete)
    p = plan(APP, [obj("ConfigMap", "keep")], [owned(obj("ConfigMap", "gone"))], options)
    pruned = [s for s in p.steps if s.action is Action.PRUNE]
    assert bool(pruned) is complete
    assert (p.prune_blocked is None) is complete
    if not complete:
        assert "incomplete" in p.render()


@pytest.mark.parametrize("allow_empty", [False, True])
def test_an_empty_render_prunes_nothing_without_allow_empty(allow_empty: bool) -> None:
    live = [owned(obj("ConfigMap", "a")), owned(obj("Deployment", "b", api="apps/v1"))]
    p = plan(APP, [], live, SyncOptions(prune=True, allow_empty=allow_empty))
    assert len([s for s in p.steps if s.action is Action.PRUNE]) == (2 if allow_empty else 0)
    assert (p.prune_blocked is None) is allow_empty


def test_prune_runs_in_reverse_sync_order_after_the_sync_waves_before_post_sync() -> None:
    live = [
        owned(obj("ConfigMap", "cm")),
        owned(obj("Deployment", "dep", api="apps/v1")),
        owned(obj("ServiceAccount", "sa", **{"argocd.argoproj.io/sync-wave": "-2"})),
    ]
    desired = [
        obj("Service", "svc", **{"argocd.argoproj.io/sync-wave": "3"}),
        hook("Job", "smoke", "PostSync"),
    ]
    p = plan(APP, desired, live, PRUNE)
    assert [(g.phase, g.kind) for g in p.groups] == [
        ("Sync", GroupKind.APPLY),
        ("Sync", GroupKind.PRUNE),
        ("PostSync", GroupKind.APPLY),
    ]
    assert [s.key.name for s in p.groups[1].steps] == ["dep", "cm", "sa"]
    forward = [live[t.index]["metadata"]["name"] for t in sync_order(live)]
    assert [s.key.name for s in p.groups[1].steps] == forward[::-1]


@pytest.mark.parametrize("app_level", [False, True])
def test_prune_last_goes_after_the_other_prunes(app_level: bool) -> None:
    marked = {} if app_level else {"argocd.argoproj.io/sync-options": "PruneLast=true"}
    live = [owned(obj("ConfigMap", "last", **marked)), owned(obj("Deployment", "first", api="apps/v1"))]
    p = plan(APP, [obj("Service", "svc")], live, SyncOptions(prune=True, prune_last=app_level))
    kinds = [(g.kind, [s.key.name for s in g.steps]) for g in p.groups[1:]]
    if app_level:
        assert kinds == [(GroupKind.PRUNE_LAST, ["first", "last"])]
    else:
        assert kinds == [(GroupKind.PRUNE, ["first"]), (GroupKind.PRUNE_LAST, ["last"])]


# --- unchanged vs update ------------------------------------------------------------------


def test_server_set_fields_and_extra_live_metadata_are_unchanged() -> None:
    desired = obj("ConfigMap", "c", note="x")
    desired["data"] = {"k": "v"}
    live = owned(desired)
    live["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] = "{}"
    live["metadata"]["annotations"]["other"] = "set by a controller"
    live["metadata"]["labels"] = {"added": "by-webhook"}
    assert actions(plan(APP, [desired], [live], PRUNE)) == [("unchanged", "c")]


@pytest.mark.parametrize(
    "change",
    ["data", "annotation", "label", "no-id"],
)
def test_a_desired_difference_is_an_update(change: str) -> None:
    desired = obj("ConfigMap", "c")
    desired["metadata"]["labels"] = {"tier": "web"}
    desired["data"] = {"k": "v"}
    live = owned(desired)
    if change == "data":
        live["data"]["k"] = "w"
    elif change == "annotation":
        desired = copy.deepcopy(desired)
        desired["metadata"]["annotations"] = {"new": "1"}
    elif change == "label":
        live["metadata"]["labels"]["tier"] = "db"
    else:  # a live object we did not apply: stamping it is an update (adoption)
        del live["metadata"]["annotations"][ownership.TRACKING_ANNOTATION]
    assert actions(plan(APP, [desired], [live], PRUNE)) == [("update", "c")]


@pytest.mark.parametrize(
    ("desired", "live", "expected"),
    [
        ({"a": 1}, {"a": 1, "b": 2}, True),
        ({"a": 1}, {"a": 2}, False),
        ({"a": [1, 2]}, {"a": [1, 2]}, True),
        ({"a": [1]}, {"a": [1, 2]}, False),
        ({"a": [{"x": 1}]}, {"a": [{"x": 1, "default": 0}]}, True),
        ({"a": None, "b": {}, "c": []}, {}, True),
        ({"a": {"x": 1}}, {}, False),
        ({"a": True}, {"a": 1}, False),
        ({"a": 1}, {"a": 1.0}, True),
    ],
)
def test_is_subset(desired: Any, live: Any, expected: bool) -> None:
    assert is_subset(desired, live) is expected


def test_desired_objects_come_out_stamped_and_input_is_untouched() -> None:
    desired = obj("ConfigMap", "c")
    before = copy.deepcopy(desired)
    (step,) = plan(APP, [desired], [], PRUNE).steps
    assert ownership.owned_by(step.obj, APP)
    assert desired == before


def test_apply_out_of_sync_only_waits_only_for_written_objects() -> None:
    same, changed = obj("ConfigMap", "same"), obj("ConfigMap", "changed")
    live = [owned(same), owned(obj("ConfigMap", "changed", note="old"))]
    changed["metadata"]["annotations"] = {"note": "new"}
    for only, waited in ((True, ["changed"]), (False, ["changed", "same"])):
        p = plan(APP, [same, changed], live, SyncOptions(prune=True, apply_out_of_sync_only=only))
        (group,) = p.groups
        assert [s.key.name for s in p.to_write(group)] == ["changed"]
        assert [s.key.name for s in p.to_wait_for(group)] == waited


# --- CreateNamespace ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("desired_ns", "live_ns", "created"),
    [(False, False, True), (True, False, False), (False, True, False)],
)
def test_create_namespace(desired_ns: bool, live_ns: bool, created: bool) -> None:
    ns = obj("Namespace", "apps", ns="")
    desired = [obj("ConfigMap", "c"), *([ns] if desired_ns else [])]
    live = [ns] if live_ns else []
    p = plan(APP, desired, live, SyncOptions(prune=True, create_namespace="apps"))
    first = p.groups[0]
    made = first.wave == NAMESPACE_WAVE
    assert made is created
    if created:
        assert (first.phase, [(s.action, s.key) for s in first.steps]) == (
            "Sync",
            [(Action.CREATE, ObjectKey("", "Namespace", "", "apps"))],
        )
        first = "Sync namespace (CreateNamespace, before every wave): create 1, update 0, unchanged 0\n"
        assert p.render().startswith(first)


def test_the_managed_namespace_is_never_pruned() -> None:
    live = [owned(obj("Namespace", "apps", ns=""))]
    p = plan(APP, [obj("ConfigMap", "c")], live, SyncOptions(prune=True, create_namespace="apps"))
    assert actions(p) == [("create", "c")]
    p = plan(APP, [obj("ConfigMap", "c")], live, PRUNE)
    assert actions(p)[-1] == ("prune", "apps")


# --- render and bad input ---------------------------------------------------------------------


def test_render_counts_per_wave() -> None:
    desired = [obj("ConfigMap", n) for n in ("a", "b", "c")] + [
        obj("Service", "s", **{"argocd.argoproj.io/sync-wave": "1"})
    ]
    desired[1]["data"] = {"k": "new"}
    live = [owned(desired[0]), owned(obj("ConfigMap", "b")), owned(obj("ConfigMap", "gone"))]
    assert plan(APP, desired, live, PRUNE).render() == (
        "Sync wave 0: create 1, update 1, unchanged 1\n"
        "Sync wave 1: create 1, update 0, unchanged 0\n"
        "Sync prune: prune 1\n"
    )
    assert plan(APP, [], [], PRUNE).render() == "nothing to do\n"


@pytest.mark.parametrize(
    ("desired", "message"),
    [
        ([obj("ConfigMap", "c"), obj("ConfigMap", "c")], "desired twice"),
        ([{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}}], "no kind or no metadata.name"),
    ],
)
def test_bad_desired_input_is_a_clear_error(desired: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(PlanError, match=message):
        plan(APP, desired, [], PRUNE)
    # the neighbour: the same objects, once and named, plan fine
    assert plan(APP, [obj("ConfigMap", "c")], [], PRUNE).steps
