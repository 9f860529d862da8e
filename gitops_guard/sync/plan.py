"""The sync engine's reconcile step: desired and live objects in, an ordered plan out.

Pure (no I/O, no cluster): the step that applies a plan is separate, so a plan can be
printed (``--dry-run``), tested as a truth table, and reasoned about before anything is
written.  The apply order is :func:`gitops_guard.gitops.sync_order.sync_order`, the function
the ``sync/wave-order`` rule uses, so the lint predicts what the engine does.

What the plan holds:

* **Groups** in apply order, one per (phase, wave), each with its steps.  A step is an
  :class:`Action` on one object key: CREATE (no live object with that key), UPDATE (the live
  object differs), UNCHANGED (it does not), HOOK (an Argo CD / Helm hook: always run, recorded
  with its delete policies), PRUNE.
* **Prune** deletes only live objects that carry *this app's* own, self-referring tracking id
  (``ownership.owned_by``) and that are no longer desired.  They are deleted in reverse sync
  order in one group after the Sync phase's last wave; objects marked ``PruneLast=true`` (or all
  of them with the app's ``prune_last``) in a further group after that one.  Nothing is pruned
  when the render is incomplete or (unless ``allow_empty``) when nothing is desired; the plan
  says why in ``prune_blocked``.  Objects that would be pruned but are kept (``Prune=false``,
  ``Delete=false``, the app's ``prune`` off) are listed in ``kept`` with the reason.
* Desired objects are returned stamped with the app's tracking id (``ownership.stamp``).

The comparison behind UNCHANGED is deliberately small: after dropping what the API server
writes (``status``, ``uid``, ``resourceVersion``, ``generation``, ``creationTimestamp``,
``managedFields``, ``selfLink``), the desired object must be a *subset* of the live one: every
mapping key desired is present in live with a matching value (so annotations and labels are
compared only for the keys desired, and server defaults never count as drift), lists match
element by element with the same length, scalars are equal, and a desired ``null``, ``{}`` or
``[]`` matches an absent field.  It does not understand quantities (``1000m`` vs ``1``) or
server-side coercions; those read as UPDATE, which costs one idempotent apply, never a lost change.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from gitops_guard import ownership
from gitops_guard.diff.objects import SERVER_ANNOTATIONS, SERVER_METADATA
from gitops_guard.gitops import argo_annotations as ann
from gitops_guard.gitops.sync_order import PHASE_ORDER, sync_order
from gitops_guard.identity import ObjectKey

# The wave of a CreateNamespace step: before every wave an annotation can name
# (Argo CD reads waves as Go int64).
NAMESPACE_WAVE: Final = -(2**63) - 1


class PlanError(ValueError):
    """Desired objects the plan cannot be made from (no name, or the same object twice)."""


class Action(enum.Enum):
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    HOOK = "hook"
    PRUNE = "prune"


class DeletePolicy(enum.Enum):
    BEFORE_HOOK_CREATION = "BeforeHookCreation"
    HOOK_SUCCEEDED = "HookSucceeded"
    HOOK_FAILED = "HookFailed"


_HELM_POLICIES: Final[Mapping[str, DeletePolicy]] = {
    "before-hook-creation": DeletePolicy.BEFORE_HOOK_CREATION,
    "hook-succeeded": DeletePolicy.HOOK_SUCCEEDED,
    "hook-failed": DeletePolicy.HOOK_FAILED,
}


class GroupKind(enum.Enum):
    APPLY = "apply"
    PRUNE = "prune"
    PRUNE_LAST = "prune-last"


@dataclass(frozen=True, kw_only=True)
class SyncOptions:
    """The app's options that change the plan (Argo CD's names in the comments)."""

    prune: bool = False  # automated.prune / Flux spec.prune
    allow_empty: bool = False  # automated.allowEmpty
    prune_last: bool = False  # syncOptions PruneLast=true
    apply_out_of_sync_only: bool = False  # syncOptions ApplyOutOfSyncOnly=true
    render_complete: bool = True  # the desired-state layer's complete flag
    create_namespace: str | None = None  # CreateNamespace=true: the destination namespace


@dataclass(frozen=True)
class PlanStep:
    action: Action
    key: ObjectKey
    phase: str
    wave: int
    # The object to apply (stamped with the tracking id), or the live object to prune.
    obj: Mapping[str, Any] = field(compare=False, repr=False)
    delete_policies: tuple[DeletePolicy, ...] = ()  # hooks only
    generate_name: bool = False  # a hook named by generateName: a new object on every run
    keep_on_delete: bool = False  # Delete=false: never deleted with the app


@dataclass(frozen=True)
class Group:
    """Steps applied together; the engine waits for their health before the next group."""

    phase: str
    wave: int
    kind: GroupKind
    steps: tuple[PlanStep, ...]

    def count(self, action: Action) -> int:
        return sum(1 for s in self.steps if s.action is action)


@dataclass(frozen=True)
class Kept:
    """A live object this app owns that is no longer desired but is not pruned."""

    key: ObjectKey
    reason: str  # "Prune=false", "Delete=false" or "prune disabled"


@dataclass(frozen=True)
class Plan:
    app: str
    groups: tuple[Group, ...]
    kept: tuple[Kept, ...] = ()
    prune_blocked: str | None = None  # why nothing is pruned, when something would have been
    not_applied: tuple[ObjectKey, ...] = ()  # Skip objects and delete hooks: desired, never applied
    apply_out_of_sync_only: bool = False

    @property
    def steps(self) -> tuple[PlanStep, ...]:
        return tuple(s for g in self.groups for s in g.steps)

    def to_write(self, group: Group) -> tuple[PlanStep, ...]:
        """The steps of ``group`` the engine writes: UNCHANGED objects are never written."""
        return tuple(s for s in group.steps if s.action is not Action.UNCHANGED)

    def to_wait_for(self, group: Group) -> tuple[PlanStep, ...]:
        """The steps whose health gates the next group (ApplyOutOfSyncOnly: only those written)."""
        if self.apply_out_of_sync_only:
            return self.to_write(group)
        return tuple(s for s in group.steps if s.action is not Action.PRUNE)

    def render(self) -> str:
        """One line per group, for ``--dry-run``; then what is kept and why nothing is pruned."""
        lines: list[str] = []
        for group in self.groups:
            lines.append(f"{label(group)}: {_counts(group)}")
        for kept in self.kept:
            lines.append(f"would prune, kept ({kept.reason}): {kept.key}")
        if self.prune_blocked is not None:
            lines.append(f"prune blocked: {self.prune_blocked}")
        if not lines:
            lines.append("nothing to do")
        return "\n".join(lines) + "\n"


def label(group: Group) -> str:
    """How the plan and the applier's log name a group: "Sync wave 1", "Sync prune", ..."""
    if group.kind is GroupKind.PRUNE:
        return f"{group.phase} prune"
    if group.kind is GroupKind.PRUNE_LAST:
        return f"{group.phase} prune last"
    if group.wave == NAMESPACE_WAVE:
        return f"{group.phase} namespace (CreateNamespace, before every wave)"
    return f"{group.phase} wave {group.wave}"


def _counts(group: Group) -> str:
    if group.kind is not GroupKind.APPLY:
        return f"prune {group.count(Action.PRUNE)}"
    parts = [f"{a.value} {group.count(a)}" for a in (Action.CREATE, Action.UPDATE, Action.UNCHANGED)]
    if hooks := group.count(Action.HOOK):
        parts.append(f"hook {hooks}")
    return ", ".join(parts)


# --- the reconcile step ----------------------------------------------------------------------


def plan(
    app: str,
    desired: Sequence[Mapping[str, Any]],
    live: Iterable[Mapping[str, Any]],
    options: SyncOptions,
) -> Plan:
    """The plan that brings ``live`` to ``desired`` for ``app``.

    ``desired`` are rendered objects, namespaced ones already carrying their namespace.
    ``live`` is what the engine listed for the app (owned or not: ownership is checked here,
    so an unowned object with a desired object's key is adopted, and one not desired is left alone).
    """
    stamped = _stamp_all(app, desired)
    live_by_key: dict[ObjectKey, Mapping[str, Any]] = {}
    for obj in live:
        live_by_key.setdefault(ObjectKey.of(obj), obj)

    order = sync_order(stamped)
    desired_keys = {ObjectKey.of(o) for o in stamped}
    applied: dict[tuple[str, int], list[PlanStep]] = {}
    for task in order.tasks:
        obj = stamped[task.index]
        key = ObjectKey.of(obj)
        step = _apply_step(obj, key, task.phase, task.wave, task.hook, live_by_key.get(key))
        applied.setdefault((task.phase, task.wave), []).append(step)
    groups = [Group(phase, wave, GroupKind.APPLY, tuple(steps)) for (phase, wave), steps in applied.items()]

    namespace = options.create_namespace
    if namespace:
        ns_key = ObjectKey("", "Namespace", "", namespace)
        if ns_key not in desired_keys and ns_key not in live_by_key:
            ns_obj = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}
            step = PlanStep(Action.CREATE, ns_key, "Sync", NAMESPACE_WAVE, ns_obj)
            groups.append(Group("Sync", NAMESPACE_WAVE, GroupKind.APPLY, (step,)))
        desired_keys.add(ns_key)  # the managed namespace is never pruned
    groups.sort(key=lambda g: (PHASE_ORDER[g.phase], g.wave))

    candidates = [
        obj
        for key, obj in live_by_key.items()
        if key not in desired_keys and ownership.owned_by(obj, app) and not ann.hook_info(obj).is_hook
    ]
    kept, prune_blocked, prune_groups = _prune(candidates, stamped, options, groups)
    groups = _insert_prune(groups, prune_groups)
    return Plan(
        app,
        tuple(groups),
        tuple(kept),
        prune_blocked,
        tuple(ObjectKey.of(stamped[n.index]) for n in order.not_applied),
        options.apply_out_of_sync_only,
    )


def _stamp_all(app: str, desired: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    seen: set[ObjectKey] = set()
    for index, obj in enumerate(desired):
        key = ObjectKey.of(obj)
        if not key.kind or not key.name:
            raise PlanError(f"desired object #{index + 1} has no kind or no metadata.name/generateName")
        if _generate_name(obj):
            out.append(dict(obj))  # no name yet, so no id that could refer to it
            continue
        if key in seen:
            raise PlanError(f"{key} is desired twice")
        seen.add(key)
        try:
            out.append(ownership.stamp(obj, app))
        except ownership.MalformedTrackingId as exc:
            raise PlanError(f"{key}: {exc}") from None
    return out


def _apply_step(
    obj: Mapping[str, Any],
    key: ObjectKey,
    phase: str,
    wave: int,
    hook: bool,
    live: Mapping[str, Any] | None,
) -> PlanStep:
    keep = "Delete=false" in _sync_options(obj)
    if hook:
        return PlanStep(
            Action.HOOK,
            key,
            phase,
            wave,
            obj,
            delete_policies=delete_policies(obj),
            generate_name=_generate_name(obj),
            keep_on_delete=keep,
        )
    if live is None:
        action = Action.CREATE
    elif is_subset(_comparable(obj), _comparable(live)):
        action = Action.UNCHANGED
    else:
        action = Action.UPDATE
    return PlanStep(action, key, phase, wave, obj, keep_on_delete=keep)


def _prune(
    candidates: list[Mapping[str, Any]],
    desired: Sequence[Mapping[str, Any]],
    options: SyncOptions,
    groups: list[Group],
) -> tuple[list[Kept], str | None, list[Group]]:
    if not candidates:
        return [], None, []
    if not options.render_complete:
        return [], f"the render is incomplete, {len(candidates)} object(s) not pruned", []
    if not desired and not options.allow_empty:
        return [], f"nothing is desired and allow-empty is off, {len(candidates)} object(s) not pruned", []
    kept: list[Kept] = []
    prunable: list[Mapping[str, Any]] = []
    for obj in candidates:
        opts = _sync_options(obj)
        reason = (
            "Prune=false"
            if "Prune=false" in opts
            else "Delete=false"
            if "Delete=false" in opts
            else None
            if options.prune
            else "prune disabled"
        )
        if reason is None:
            prunable.append(obj)
        else:
            kept.append(Kept(ObjectKey.of(obj), reason))
    kept.sort(key=lambda k: k.key)
    last_wave = max((g.wave for g in groups if g.phase == "Sync"), default=0)
    prune_groups: list[Group] = []
    normal = [o for o in prunable if not (options.prune_last or "PruneLast=true" in _sync_options(o))]
    late = [o for o in prunable if o not in normal]
    for objs, kind in ((normal, GroupKind.PRUNE), (late, GroupKind.PRUNE_LAST)):
        if objs:
            order = sync_order(objs)
            keys = [ObjectKey.of(objs[i]) for i in dict.fromkeys(t.index for t in reversed(order.tasks))]
            # An object sync_order would never apply (a Skip) is still pruned, last.
            keys += [ObjectKey.of(objs[n.index]) for n in order.not_applied]
            by_key = {ObjectKey.of(o): o for o in objs}
            steps = tuple(PlanStep(Action.PRUNE, k, "Sync", last_wave, by_key[k]) for k in keys)
            prune_groups.append(Group("Sync", last_wave, kind, steps))
    return kept, None, prune_groups


def _insert_prune(groups: list[Group], prune_groups: list[Group]) -> list[Group]:
    """Prune groups go after the Sync phase's last group, before PostSync."""
    if not prune_groups:
        return groups
    at = sum(1 for g in groups if PHASE_ORDER[g.phase] <= PHASE_ORDER["Sync"])
    return [*groups[:at], *prune_groups, *groups[at:]]


# --- object reading ---------------------------------------------------------------------------


def delete_policies(obj: Mapping[str, Any]) -> tuple[DeletePolicy, ...]:
    """A hook's delete policies as Argo CD reads them; BeforeHookCreation when none is given.

    Argo CD's annotation wins; Helm's is read only when Argo CD's names no known policy.
    """
    annotations = ann.annotations_of(obj)
    found: list[DeletePolicy] = []
    argo = annotations.get(ann.HOOK_DELETE_POLICY)
    if isinstance(argo, str):
        known = {p.value: p for p in DeletePolicy}
        found = [known[p] for p in ann.csv(argo) if p in known]
    helm = annotations.get(ann.HELM_HOOK_DELETE_POLICY)
    if not found and isinstance(helm, str):
        found = [_HELM_POLICIES[p] for p in ann.csv(helm) if p in _HELM_POLICIES]
    return tuple(dict.fromkeys(found)) or (DeletePolicy.BEFORE_HOOK_CREATION,)


def _sync_options(obj: Mapping[str, Any]) -> list[str]:
    value = ann.annotations_of(obj).get(ann.SYNC_OPTIONS)
    return ann.csv(value) if isinstance(value, str) else []


def _generate_name(obj: Mapping[str, Any]) -> bool:
    meta = obj.get("metadata")
    return isinstance(meta, Mapping) and not meta.get("name") and bool(meta.get("generateName"))


def _comparable(obj: Mapping[str, Any]) -> dict[str, Any]:
    """``obj`` without status and server-owned metadata, as ``diff.objects.normalize`` reads it,
    but sharing the nested values instead of copying them (is_subset only reads)."""
    out = {k: v for k, v in obj.items() if k != "status"}
    meta = out.get("metadata")
    if isinstance(meta, Mapping):
        meta = {k: v for k, v in meta.items() if k not in SERVER_METADATA}
        annotations = meta.get("annotations")
        if isinstance(annotations, Mapping):
            annotations = {k: v for k, v in annotations.items() if k not in SERVER_ANNOTATIONS}
            if annotations:
                meta["annotations"] = annotations
            else:
                meta.pop("annotations")
        if "labels" in meta and not meta["labels"]:
            meta.pop("labels")
        out["metadata"] = meta
    return out


def is_subset(desired: Any, live: Any) -> bool:
    """True when everything ``desired`` says is also what ``live`` holds (see the module docstring)."""
    if isinstance(desired, Mapping):
        if not isinstance(live, Mapping):
            return False
        for key, value in desired.items():
            if key not in live:
                if value is None or value == {} or value == []:
                    continue
                return False
            if not is_subset(value, live[key]):
                return False
        return True
    if isinstance(desired, list):
        return (
            isinstance(live, list)
            and len(desired) == len(live)
            and all(is_subset(d, v) for d, v in zip(desired, live, strict=True))
        )
    if isinstance(desired, bool) or isinstance(live, bool):
        return desired is live
    return bool(desired == live)
