"""``sync/wave-order``: a workload applied before an object its pods need.

Argo CD applies one (phase, wave) step at a time and waits for health before the next; the
step of each object comes from the one sync-order function (:mod:`gitops_guard.gitops.sync_order`),
the objects a pod needs from :mod:`gitops_guard.gitops.pod_refs`.  Objects are compared within
one kustomize build root (or one directory), the unit Argo CD applies.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from gitops_guard.checks.base import at_document
from gitops_guard.checks.sync_check import WAVE_ORDER, placement_of
from gitops_guard.findings import Finding
from gitops_guard.gitops import argo_annotations as ann
from gitops_guard.gitops.pod_refs import pod_references
from gitops_guard.resources import Resource

if TYPE_CHECKING:
    # The sync-order plan and the kustomize scope are imported by the code that needs them:
    # a run over plain manifests without order annotations (the pre-commit hook) never does.
    from gitops_guard.gitops.kustomize_scope import KustomizeScope, Placement

_ORDER_ANNOTATIONS = (ann.SYNC_WAVE, ann.HELM_HOOK_WEIGHT, ann.HOOK, ann.HELM_HOOK)


def _step_label(step: tuple[int, int]) -> str:
    from gitops_guard.gitops.sync_order import PHASE_ORDER

    phase = next(p for p, order in PHASE_ORDER.items() if order == step[0])
    return f"wave {step[1]}" if phase == "Sync" else f"{phase} phase, wave {step[1]}"


def wave_order(resources: Sequence[Resource], scope: Callable[[], KustomizeScope]) -> Iterator[Finding]:
    if not any(key in ann.annotations_of(r.body) for r in resources for key in _ORDER_ANNOTATIONS):
        return  # all in one step everywhere: nothing can be applied later than what uses it
    groups: dict[str, list[tuple[Resource, Placement]]] = {}
    for res in resources:
        placement = placement_of(scope(), res)
        groups.setdefault(placement.root, []).append((res, placement))
    for members in groups.values():
        if not any(key in ann.annotations_of(r.body) for r, _ in members for key in _ORDER_ANNOTATIONS):
            continue  # all in one step: nothing can be applied later than what uses it
        yield from _wave_order_group(members)


def _effective_namespace(res: Resource, placement: Placement) -> str | None:
    return placement.namespace or res.ref.namespace


def _wave_order_group(members: list[tuple[Resource, Placement]]) -> Iterator[Finding]:
    from gitops_guard.gitops.sync_order import sync_order

    manifests: list[Mapping[str, Any]] = []
    for res, placement in members:
        namespace = _effective_namespace(res, placement)
        body = res.body
        if namespace and namespace != res.ref.namespace and res.kind != "Namespace":
            meta = body.get("metadata")
            body = {**body, "metadata": {**(meta if isinstance(meta, dict) else {}), "namespace": namespace}}
        manifests.append(body)
    plan = sync_order(manifests)
    first_step: dict[int, tuple[int, int]] = {}
    for task in plan.tasks:
        first_step.setdefault(task.index, task.step)
    # (kind, name) -> [(namespace, index)] of the objects the plan applies
    providers: dict[tuple[str, str], list[tuple[str | None, int]]] = {}
    for index in first_step:
        res, placement = members[index]
        if res.group == "" and res.ref.name:
            providers.setdefault((res.kind, res.ref.name), []).append(
                (_effective_namespace(res, placement), index)
            )
    for index, step in first_step.items():
        res, placement = members[index]
        refs = pod_references(res.body)
        if not refs:
            continue
        namespace = _effective_namespace(res, placement)
        for ref in refs:
            later = [
                (first_step[j], j)
                for ns, j in providers.get((ref.kind, ref.name), [])
                if (namespace is None or ns is None or ns == namespace) and first_step[j] > step
            ]
            if not later:
                continue
            # Another copy applied in time means the reference is satisfied.
            if any(
                first_step[j] <= step
                for ns, j in providers.get((ref.kind, ref.name), [])
                if namespace is None or ns is None or ns == namespace
            ):
                continue
            ref_step, j = min(later)
            provider = members[j][0]
            yield at_document(
                WAVE_ORDER,
                res.document,
                f"{res.kind} {res.ref.name or '?'} ({_step_label(step)}) uses {ref.kind} {ref.name}, "
                f"which Argo CD applies later ({_step_label(ref_step)}, {provider.path}); "
                "the step waits for health that needs it, so the sync stalls",
                path=ref.path,
                obj=res.ref,
                fingerprint_key=f"{ref.kind}/{ref.name}",
            )
