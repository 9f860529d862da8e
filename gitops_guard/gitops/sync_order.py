"""The order in which Argo CD applies an Application's objects during a sync.

This is the one place that knows the order; the ``sync/wave-order`` rule and the
sync engine both use it.  It reproduces gitops-engine's behaviour (``pkg/sync``,
``syncTasks.Sort``):

1. **phase**: PreSync, Sync, PostSync, SyncFail.  Plain objects are applied in
   Sync; hooks in each phase their hook annotation names (one task per phase);
   ``Skip`` objects, PreDelete/PostDelete hooks and hooks that name no sync
   phase are never applied by a sync and are listed in ``SyncPlan.not_applied``.
2. **wave**: ``argocd.argoproj.io/sync-wave`` read like Go's ``strconv.Atoi``,
   else ``helm.sh/hook-weight``, else 0 (see ``argo_annotations.wave``).
3. **kind**: Argo CD's built-in kind order (``KIND_ORDER``); every other kind,
   including all custom resources, comes after the known ones.
4. **name**: ``metadata.name`` (empty for ``generateName`` hooks), compared as
   Go compares strings (by code point, which is what Python does too).

Then two dependency adjustments, done by Argo CD in this order: a Namespace is
moved right before the first object in it, and a CRD right before the first
object of the kind it defines; the moved object takes that object's phase and
wave.  A Namespace or CRD written into a later wave is therefore *not* applied
later: Argo CD pulls it forward.

Argo CD sorts with Go's unstable ``sort.Sort``, so objects equal in all four keys
(same kind and name in two namespaces or groups) have no defined order there;
here they keep a stable order (namespace, group, then input position) so that
results are reproducible.

Pure and fast: no I/O, one sort, linear adjustments.  Namespaces are taken as
written; a caller that knows the Application's destination namespace should set
it on namespaced objects first, as Argo CD does before it sorts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Final, NamedTuple

from gitops_guard.gitops import argo_annotations as ann

_Key = Callable[["SyncTask"], "str | None"]

PHASES: Final = ("PreSync", "Sync", "PostSync", "SyncFail")
PHASE_ORDER: Final[Mapping[str, int]] = {p: i - 1 for i, p in enumerate(PHASES)}

_KINDS: Final = (
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
)
# Known kinds get negative ranks; any other kind ranks 0, i.e. after all of them.
KIND_ORDER: Final[Mapping[str, int]] = {k: i - len(_KINDS) for i, k in enumerate(_KINDS)}


class SyncTask(NamedTuple):
    """One apply step: the object at ``index`` of the input, in ``phase`` and ``wave``."""

    index: int  # type: ignore[assignment]  # the field shadows tuple.index, which nothing uses
    phase: str
    wave: int
    kind: str
    name: str
    namespace: str
    group: str
    hook: bool
    # The wave/phase were taken over from a dependant (Namespace or CRD moved forward).
    adjusted: bool = False

    @property
    def step(self) -> tuple[int, int]:
        """Comparable position of the task's (phase, wave) step: smaller is applied earlier."""
        return PHASE_ORDER[self.phase], self.wave


class NotApplied(NamedTuple):
    index: int  # type: ignore[assignment]  # shadows tuple.index, as above
    reason: str  # "skip", "delete-hook" or "no-sync-phase"
    hook_types: tuple[str, ...] = ()


class Step(NamedTuple):
    """Tasks that Argo CD applies together; it waits for them to be healthy before the next step."""

    phase: str
    wave: int
    tasks: tuple[SyncTask, ...]


class SyncPlan:
    """The tasks in apply order and the objects never applied. Immutable by convention:
    a plain class (not a NamedTuple: iterating a plan gives its tasks)."""

    __slots__ = ("not_applied", "tasks")

    def __init__(self, tasks: tuple[SyncTask, ...], not_applied: tuple[NotApplied, ...]) -> None:
        self.tasks = tasks
        self.not_applied = not_applied

    def __repr__(self) -> str:
        return f"SyncPlan(tasks={self.tasks!r}, not_applied={self.not_applied!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SyncPlan):
            return NotImplemented
        return (self.tasks, self.not_applied) == (other.tasks, other.not_applied)

    def __hash__(self) -> int:
        return hash((self.tasks, self.not_applied))

    def steps(self) -> list[Step]:
        out: list[Step] = []
        for task in self.tasks:
            if out and (out[-1].phase, out[-1].wave) == (task.phase, task.wave):
                last = out[-1]
                out[-1] = Step(last.phase, last.wave, (*last.tasks, task))
            else:
                out.append(Step(task.phase, task.wave, (task,)))
        return out

    def by_index(self) -> dict[int, list[SyncTask]]:
        """Input position → its tasks (a hook in two phases has two)."""
        out: dict[int, list[SyncTask]] = {}
        for task in self.tasks:
            out.setdefault(task.index, []).append(task)
        return out

    def __iter__(self) -> Iterator[SyncTask]:
        return iter(self.tasks)


def _meta(manifest: Mapping[str, Any], key: str) -> str:
    meta = manifest.get("metadata")
    value = meta.get(key) if isinstance(meta, dict) else None
    return value if isinstance(value, str) else ""


def _group(manifest: Mapping[str, Any]) -> str:
    api_version = manifest.get("apiVersion")
    if not isinstance(api_version, str) or "/" not in api_version:
        return ""
    return api_version.rpartition("/")[0]


def sync_order(manifests: Sequence[Mapping[str, Any]]) -> SyncPlan:
    """Argo CD's apply order for the objects of one Application (see the module docstring)."""
    tasks: list[SyncTask] = []
    not_applied: list[NotApplied] = []
    for index, manifest in enumerate(manifests):
        info = ann.hook_info(manifest)
        phases = info.sync_phases
        if not phases:
            if info.skip:
                reason = "skip"
            elif info.delete_hooks:
                reason = "delete-hook"
            else:
                reason = "no-sync-phase"
            not_applied.append(NotApplied(index, reason, info.types))
            continue
        kind = manifest.get("kind")
        wave = ann.wave(manifest)
        name, namespace, group = _meta(manifest, "name"), _meta(manifest, "namespace"), _group(manifest)
        for phase in phases:
            tasks.append(
                SyncTask(
                    index,
                    phase,
                    wave,
                    kind if isinstance(kind, str) else "",
                    name,
                    namespace,
                    group,
                    info.is_hook,
                )
            )

    tasks.sort(
        key=lambda t: (
            PHASE_ORDER[t.phase],
            t.wave,
            KIND_ORDER.get(t.kind, 0),
            t.name,
            t.namespace,
            t.group,
            t.index,
        )
    )
    _adjust(tasks, _namespace_dep, _namespace_ref)
    crd_keys = {i: key for i, m in enumerate(manifests) if (key := _crd_key(m)) is not None}
    _adjust(tasks, lambda t: crd_keys.get(t.index), lambda t: f"{t.group}/{t.kind}")
    return SyncPlan(tuple(tasks), tuple(not_applied))


def _namespace_dep(task: SyncTask) -> str | None:
    return task.name if task.kind == "Namespace" and task.group == "" else None


def _namespace_ref(task: SyncTask) -> str | None:
    return task.namespace or None


def _crd_key(manifest: Mapping[str, Any]) -> str | None:
    if manifest.get("kind") != "CustomResourceDefinition" or _group(manifest) != "apiextensions.k8s.io":
        return None
    spec = manifest.get("spec")
    if not isinstance(spec, dict):
        return None
    group = spec.get("group")
    names = spec.get("names")
    kind = names.get("kind") if isinstance(names, dict) else None
    if not isinstance(group, str) or not isinstance(kind, str):
        return None
    return f"{group}/{kind}"


def _adjust(tasks: list[SyncTask], dep_key: _Key, ref_key: _Key) -> None:
    """Move each dependency right before the first task that references it (in place).

    Mirrors Argo CD: walking the sorted tasks, a dependency seen after a task that
    references it is moved to that task's position and takes its phase and wave.
    """
    first_ref: dict[str, int] = {}
    i = 0
    while i < len(tasks):
        task = tasks[i]
        key = dep_key(task)
        if key is not None:
            target = first_ref.get(key)
            if target is not None:
                anchor = tasks[target]
                moved = task._replace(phase=anchor.phase, wave=anchor.wave, adjusted=True)
                del tasks[i]
                tasks.insert(target, moved)
                for k, pos in first_ref.items():
                    if pos >= target:
                        first_ref[k] = pos + 1
        else:
            ref = ref_key(task)
            if ref is not None and ref not in first_ref:
                first_ref[ref] = i
        i += 1
