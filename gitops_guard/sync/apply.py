"""The step that carries out a plan (``sync/plan.py``) against a cluster.

Groups run in the plan's order (phase, wave). In a group, objects are written with
server-side apply under the field manager ``gitops-guard``; consecutive objects of one kind
are written concurrently (a Namespace is therefore always written before the objects after it),
UNCHANGED ones never. Then the engine waits for the group's health (``sync/health.py``) before
it moves on, up to one deadline for the whole sync. Hooks are created (``generateName`` ones
with a server-chosen name), waited for until they complete, and deleted by their policies:
BeforeHookCreation deletes the previous one before creating, HookSucceeded and HookFailed
after the outcome. Prune groups delete in the order the plan gives (reverse sync order).

When something fails (the server refuses an object, a hook or object becomes Degraded, the
deadline passes) the remaining groups are not run; the SyncFail hooks are, and
:class:`SyncFailed` carries every outcome so far.

Per-object options: Argo CD ``Replace=true`` (a ``PUT``, or a ``POST`` for a new object),
``Force=true`` with ``Replace=true`` and Flux ``spec.force`` (an immutable field: delete and
create again), Flux ``kustomize.toolkit.fluxcd.io/ssa: IfNotPresent`` (create, never update)
and ``Ignore`` (never written).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Final, NamedTuple

from gitops_guard.cluster.client import Propagation
from gitops_guard.cluster.errors import ApiError, ClusterError, ClusterUnreachable, UnknownKind
from gitops_guard.gitops import argo_annotations as ann
from gitops_guard.identity import ObjectKey
from gitops_guard.sync import health
from gitops_guard.sync.plan import Action, DeletePolicy, Group, GroupKind, Plan, PlanStep, label

FLUX_SSA: Final = "kustomize.toolkit.fluxcd.io/ssa"
POLL: Final = 0.25
WORKERS: Final = 8
Log = Callable[[str], None]


class Outcome(NamedTuple):
    """What happened to one object: ``action`` is the plan's, ``result`` what the engine did."""

    key: str
    action: str  # create | update | unchanged | hook | prune
    result: str  # created | updated | unchanged | skipped | pruned | succeeded | failed | ...
    message: str = ""


class SyncFailed(Exception):
    """The sync stopped: ``outcomes`` is everything done up to then."""

    def __init__(self, message: str, outcomes: Sequence[Outcome]) -> None:
        super().__init__(message)
        self.outcomes = list(outcomes)


@dataclass(frozen=True, kw_only=True)
class ApplyOptions:
    deadline: float  # time.monotonic() by which the sync must be done
    wait: bool = True  # wait for health between groups (Argo CD always; Flux with spec.wait)
    replace: bool = False  # the app's Replace=true
    force: bool = False  # recreate on an immutable-field error
    prune_propagation: Propagation = "Foreground"  # Argo CD's default PrunePropagationPolicy
    workers: int = WORKERS


class Applier:
    """Runs one plan. ``live`` is what was listed for it (the health of UNCHANGED objects)."""

    def __init__(
        self,
        client: Any,
        plan: Plan,
        live: Mapping[ObjectKey, Mapping[str, Any]],
        options: ApplyOptions,
        log: Log | None = None,
    ) -> None:
        self.client = client
        self.plan = plan
        self.live = live
        self.options = options
        self.log = log or (lambda _text: None)
        self.outcomes: list[Outcome] = []
        self._unreachable: str | None = None

    def run(self) -> list[Outcome]:
        try:
            with ThreadPoolExecutor(max_workers=self.options.workers) as pool:
                for group in self.plan.groups:
                    if group.phase == "SyncFail":
                        continue
                    if group.kind is GroupKind.APPLY:
                        self._apply_group(group, pool)
                    else:
                        self._prune_group(group, pool)
        except SyncFailed as failed:
            self._sync_fail_hooks()
            raise SyncFailed(str(failed), self.outcomes) from None
        return self.outcomes

    # -- groups ----------------------------------------------------------------------------

    def _apply_group(self, group: Group, pool: ThreadPoolExecutor) -> None:
        writes = self.plan.to_write(group)
        plain = [s for s in writes if s.action is not Action.HOOK]
        hooks = [s for s in writes if s.action is Action.HOOK]
        if writes:
            self.log(f"{label(group)}: writing {len(plain)} object(s), {len(hooks)} hook(s)")
        written: dict[ObjectKey, Mapping[str, Any]] = {}
        self.outcomes += [
            Outcome(str(s.key), "unchanged", "unchanged") for s in group.steps if s.action is Action.UNCHANGED
        ]
        for batch in _same_kind_runs(plain):
            results = list(pool.map(self._write_safely, batch))
            errors = []
            for step, (outcome, obj) in zip(batch, results, strict=True):
                self.outcomes.append(outcome)
                if obj is not None:
                    written[step.key] = obj
                if outcome.result == "failed":
                    errors.append(f"{outcome.key}: {outcome.message}")
            if errors:
                more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
                raise SyncFailed(f"{errors[0]}{more}", self.outcomes)
        for step in hooks:
            self._run_hook(step)
        if self.options.wait:
            waits = [
                (s.key, written.get(s.key) or self.live.get(s.key) or s.obj)
                for s in self.plan.to_wait_for(group)
                if s.action is not Action.HOOK
            ]
            self._wait_healthy(waits, label(group))

    def _prune_group(self, group: Group, pool: ThreadPoolExecutor) -> None:
        """Delete in the plan's (reverse) order; a run of one kind goes out concurrently."""
        self.log(f"{group.phase} {group.kind.value}: deleting {len(group.steps)} object(s)")
        for batch in _same_kind_runs(group.steps):
            outcomes = list(pool.map(self._delete_safely, batch))
            self.outcomes += outcomes
            failed = [o for o in outcomes if o.result == "failed"]
            if failed:
                raise SyncFailed(f"prune {failed[0].key}: {failed[0].message}", self.outcomes)

    def _delete_safely(self, step: PlanStep) -> Outcome:
        api, key = str(step.obj.get("apiVersion")), step.key
        try:
            self.client.delete(
                api, key.kind, key.name, key.namespace or None, propagation=self.options.prune_propagation
            )
        except ClusterError as exc:
            return Outcome(str(key), "prune", "failed", str(exc))
        return Outcome(str(key), "prune", "pruned")

    def _sync_fail_hooks(self) -> None:
        for group in self.plan.groups:
            if group.phase != "SyncFail":
                continue
            for step in group.steps:
                try:
                    self._run_hook(step, failing=True)
                except SyncFailed:
                    continue

    # -- objects ---------------------------------------------------------------------------

    def _write_safely(self, step: PlanStep) -> tuple[Outcome, Mapping[str, Any] | None]:
        if self._unreachable is not None:  # the server stopped answering: do not queue up timeouts
            return Outcome(str(step.key), step.action.value, "failed", self._unreachable), None
        try:
            return self._write(step)
        except ClusterUnreachable as exc:
            self._unreachable = str(exc)
            return Outcome(str(step.key), step.action.value, "failed", str(exc)), None
        except ClusterError as exc:
            return Outcome(str(step.key), step.action.value, "failed", str(exc)), None

    def _write(self, step: PlanStep) -> tuple[Outcome, Mapping[str, Any] | None]:
        obj, key, action = step.obj, step.key, step.action.value
        options = _sync_options(obj)
        ssa = ann.annotations_of(obj).get(FLUX_SSA)
        if ssa == "Ignore":
            return Outcome(str(key), action, "skipped", f"{FLUX_SSA}: Ignore"), None
        if ssa == "IfNotPresent" and step.action is Action.UPDATE:
            return Outcome(str(key), action, "skipped", f"{FLUX_SSA}: IfNotPresent"), None
        self._served(obj)
        if ((self.live.get(key) or {}).get("metadata") or {}).get("deletionTimestamp"):
            # Still being deleted (pruned by an earlier sync): applying now would be lost with it.
            self._wait_gone(obj, key)
        replace = "Replace=true" in options or (self.options.replace and "Replace=false" not in options)
        force = self.options.force or ("Force=true" in options and replace)
        try:
            stored = self._replace(step) if replace else self.client.apply(obj)
        except ApiError as exc:
            if not (force and exc.code == 422 and "immutable" in str(exc)):
                raise
            self._delete_and_wait(obj, key)
            stored = self.client.apply(obj)
            return Outcome(str(key), action, "recreated"), stored
        return Outcome(str(key), action, "created" if step.action is Action.CREATE else "updated"), stored

    def _replace(self, step: PlanStep) -> dict[str, Any]:
        if step.action is Action.CREATE:
            return dict(self.client.create(step.obj))
        for attempt in range(3):
            live = self.client.get(
                str(step.obj.get("apiVersion")), step.key.kind, step.key.name, step.key.namespace or None
            )
            if live is None:
                return dict(self.client.create(step.obj))
            body = dict(step.obj)
            version = (live.get("metadata") or {}).get("resourceVersion")
            body["metadata"] = {**dict(step.obj.get("metadata") or {}), "resourceVersion": version}
            try:
                return dict(self.client.replace(body))
            except ApiError as exc:
                if exc.code != 409 or attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _served(self, obj: Mapping[str, Any]) -> None:
        """Wait (until the deadline, at most 30 s) for a kind whose CRD was just applied."""
        api, kind = str(obj.get("apiVersion")), str(obj.get("kind"))
        try:
            self.client.resolve(api, kind)
        except UnknownKind:
            self.client.discovery.invalidate()
            self.client.discovery.wait_for(api, kind, timeout=max(0.0, min(30.0, self._left())))

    def _delete_and_wait(self, obj: Mapping[str, Any], key: ObjectKey) -> None:
        api = str(obj.get("apiVersion"))
        self.client.delete(api, key.kind, key.name, key.namespace or None, propagation="Background")
        self._wait_gone(obj, key)

    def _wait_gone(self, obj: Mapping[str, Any], key: ObjectKey) -> None:
        api = str(obj.get("apiVersion"))
        while self.client.get(api, key.kind, key.name, key.namespace or None) is not None:
            if self._left() <= 0:
                raise SyncFailed(f"{key}: still being deleted at the sync's deadline", self.outcomes)
            time.sleep(POLL)

    # -- hooks -----------------------------------------------------------------------------

    def _run_hook(self, step: PlanStep, *, failing: bool = False) -> None:
        obj, policies = dict(step.obj), step.delete_policies
        api = str(obj.get("apiVersion"))
        try:
            self._served(obj)
            if DeletePolicy.BEFORE_HOOK_CREATION in policies and not step.generate_name:
                self._delete_and_wait(obj, step.key)
            created = self._create(obj) if step.generate_name else self._create_named(obj, step.key)
        except ClusterError as exc:
            self.outcomes.append(Outcome(str(step.key), "hook", "failed", str(exc)))
            raise SyncFailed(f"hook {step.key}: {exc}", self.outcomes) from None
        key = ObjectKey.of(created)
        self.log(f"{step.phase} hook {key} created")
        state = self._wait_healthy([(key, created)], f"{step.phase} hook", hook=True)
        ok = state is None
        if (ok and DeletePolicy.HOOK_SUCCEEDED in policies) or (
            not ok and DeletePolicy.HOOK_FAILED in policies
        ):
            try:
                self.client.delete(api, key.kind, key.name, key.namespace or None, propagation="Background")
            except ClusterError as exc:
                self.log(f"could not delete hook {key}: {exc}")
        self.outcomes.append(Outcome(str(key), "hook", "succeeded" if ok else "failed", state or ""))
        if not ok and not failing:
            raise SyncFailed(f"{step.phase} hook {key}: {state}", self.outcomes)

    def _create_named(self, obj: Mapping[str, Any], key: ObjectKey) -> dict[str, Any]:
        """Create a named hook; one left from an earlier sync is replaced."""
        try:
            return dict(self.client.create(obj))
        except ApiError as exc:
            if exc.code != 409:
                raise
        self._delete_and_wait(obj, key)
        return dict(self.client.create(obj))

    def _create(self, obj: Mapping[str, Any]) -> dict[str, Any]:
        """Create an object named by ``generateName``: the server picks its name."""
        return dict(self.client.create(obj))

    # -- health ----------------------------------------------------------------------------

    def _wait_healthy(
        self, objects: Sequence[tuple[ObjectKey, Mapping[str, Any]]], what: str, *, hook: bool = False
    ) -> str | None:
        """Wait until every object is Healthy (or Suspended). A Degraded object fails the sync
        (a hook: returns why instead); so does the deadline."""
        pending: dict[ObjectKey, Mapping[str, Any]] = {}
        for key, obj in objects:
            if _has_rule(obj):
                pending[key] = obj
        first = True
        while pending:
            for key, obj in list(pending.items()):
                current = obj if first else self._get(obj, key)
                found = health.assess(current)
                if found.status in (health.Status.HEALTHY, health.Status.SUSPENDED):
                    del pending[key]
                elif found.status is health.Status.DEGRADED:
                    reason = f"{key} is Degraded: {found.message}"
                    if hook:
                        return reason
                    self.outcomes.append(Outcome(str(key), "health", "degraded", found.message))
                    raise SyncFailed(reason, self.outcomes)
                else:
                    pending[key] = current or obj
            first = False
            if not pending:
                break
            if self._left() <= 0:
                key, obj = next(iter(pending.items()))
                message = health.assess(obj).message
                reason = f"{what}: timed out waiting for {key} to be healthy ({message})"
                if hook:
                    return reason
                raise SyncFailed(reason, self.outcomes)
            time.sleep(POLL)
        return None

    def _get(self, obj: Mapping[str, Any], key: ObjectKey) -> dict[str, Any] | None:
        return self.client.get(str(obj.get("apiVersion")), key.kind, key.name, key.namespace or None)  # type: ignore[no-any-return]

    def _left(self) -> float:
        return self.options.deadline - time.monotonic()


def _has_rule(obj: Mapping[str, Any]) -> bool:
    api, kind = obj.get("apiVersion"), obj.get("kind")
    group = api.rpartition("/")[0] if isinstance(api, str) else ""
    return (group, kind) in health.RULES


def _same_kind_runs(steps: Sequence[PlanStep]) -> Iterator[list[PlanStep]]:
    run: list[PlanStep] = []
    for step in steps:
        if run and (run[-1].key.group, run[-1].key.kind) != (step.key.group, step.key.kind):
            yield run
            run = []
        run.append(step)
    if run:
        yield run


def _sync_options(obj: Mapping[str, Any]) -> list[str]:
    value = ann.annotations_of(obj).get(ann.SYNC_OPTIONS)
    return ann.csv(value) if isinstance(value, str) else []
