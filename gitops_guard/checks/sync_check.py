"""Sync-order mistakes Argo CD and Flux accept silently and pay for at deploy time.

Argo CD never rejects a bad sync annotation: it ignores it (wave 0, no hook, no
option), so a typo changes the deployment order or the prune behaviour without
a word.  ``sync/wave-order`` asks the one sync-order function
(``gitops/sync_order.py``) when each object is applied; the Flux rules read the
``dependsOn`` graph (``gitops/flux_graph.py``).
"""

from __future__ import annotations

import functools
import posixpath
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gitops_guard.checks.base import CheckContext, at_document
from gitops_guard.findings import Finding, Severity
from gitops_guard.gitops import argo_annotations as ann
from gitops_guard.resources import Resource, from_files
from gitops_guard.rules import Rule
from gitops_guard.source.classify import FileKind
from gitops_guard.source.load import SourceFile

if TYPE_CHECKING:
    # The kustomize scope, the sync-order plan and the Flux graph are imported by the code
    # that needs them: a run over plain manifests (the pre-commit hook) never does.
    from gitops_guard.gitops import flux_graph
    from gitops_guard.gitops.kustomize_scope import KustomizeScope, Placement

INVALID_WAVE = Rule(
    "sync/invalid-wave",
    Severity.ERROR,
    "A sync-wave (or Helm hook-weight) annotation that is not an integer (Argo CD silently treats it as 0).",
    """
    Argo CD reads `argocd.argoproj.io/sync-wave` as Go's `strconv.Atoi` does: an
    optional sign and decimal digits, nothing else, within 64 bits. Anything
    else is dropped without a warning and the object falls back to its
    `helm.sh/hook-weight`, else wave 0 - so it is applied earlier or later than
    written. `helm.sh/hook-weight` follows the same syntax.

    FAIL:
        metadata:
          annotations:
            argocd.argoproj.io/sync-wave: "1.5"     # also " 1", "0x10", "one", ""

    PASS:
        metadata:
          annotations:
            argocd.argoproj.io/sync-wave: "-1"
    """,
)
INVALID_HOOK = Rule(
    "sync/invalid-hook",
    Severity.ERROR,
    "An unknown hook type or hook-delete-policy (case-exact).",
    """
    Hook types (`argocd.argoproj.io/hook`): PreSync, Sync, PostSync, SyncFail,
    Skip, PreDelete, PostDelete. Delete policies
    (`argocd.argoproj.io/hook-delete-policy`): HookSucceeded, HookFailed,
    BeforeHookCreation, Never. Helm's (`helm.sh/hook`, `helm.sh/hook-delete-policy`)
    are checked against Helm's own lists; Argo CD maps pre/post-install and
    pre/post-upgrade to PreSync/PostSync and ignores the other Helm types.
    Argo CD compares the words exactly and drops unknown ones: an object whose
    hook annotation names no known type becomes a hook of no phase, which no
    sync ever applies.

    FAIL:
        metadata:
          annotations:
            argocd.argoproj.io/hook: Presync
            argocd.argoproj.io/hook-delete-policy: OnSuccess

    PASS:
        metadata:
          annotations:
            argocd.argoproj.io/hook: PreSync
            argocd.argoproj.io/hook-delete-policy: HookSucceeded
    """,
)
INVALID_OPTION = Rule(
    "sync/invalid-option",
    Severity.ERROR,
    "An unknown or misspelled `argocd.argoproj.io/sync-options` value or Application syncOption.",
    """
    Checks each comma-separated item of the `argocd.argoproj.io/sync-options`
    annotation and each entry of an Application's (or ApplicationSet template's)
    `spec.syncPolicy.syncOptions`. Argo CD compares them as exact strings and
    ignores anything else, so `Prune=False` does not protect the object from
    pruning. Options that only work on an Application (CreateNamespace,
    PrunePropagationPolicy, FailOnSharedResource, ClientSideApplyMigration) are
    reported when written on a resource. Explicit defaults such as `Prune=true`
    are accepted.

    FAIL:
        metadata:
          annotations:
            argocd.argoproj.io/sync-options: Prune=False,ServerSideApply=yes

    PASS:
        metadata:
          annotations:
            argocd.argoproj.io/sync-options: Prune=false,ServerSideApply=true
    """,
)
WAVE_ORDER = Rule(
    "sync/wave-order",
    Severity.WARNING,
    "An object that uses a PVC, ConfigMap, Secret or ServiceAccount that Argo CD applies in a later wave.",
    """
    Argo CD applies one (phase, wave) step at a time and waits for it to be
    healthy before the next. A workload (Pod, Deployment, StatefulSet,
    DaemonSet, ReplicaSet, Job, CronJob) whose pods need a PersistentVolumeClaim,
    ConfigMap, Secret or ServiceAccount from a later step cannot become healthy,
    so the sync stalls until it times out - or, for a PreSync hook, fails. The
    order is the one Argo CD computes (phase, wave, kind, name), including its
    own adjustment that pulls a Namespace or CRD forward to the first object
    that needs it, so those are never reported. References marked
    `optional: true` are not reported. Objects are compared within one
    kustomize build root (or one directory); objects generated by kustomize or
    Helm are not seen.

    FAIL:
        kind: ConfigMap
        metadata:
          name: settings
          annotations:
            argocd.argoproj.io/sync-wave: "2"
        ---
        kind: Deployment
        spec:
          template:
            spec:
              volumes:
                - name: settings
                  configMap:
                    name: settings     # applied in wave 2, the Deployment in wave 0

    PASS:
        kind: ConfigMap
        metadata:
          name: settings
          annotations:
            argocd.argoproj.io/sync-wave: "-1"
    """,
)
DEPENDS_ON_CYCLE = Rule(
    "sync/depends-on-cycle",
    Severity.ERROR,
    "Flux `dependsOn` that forms a cycle (the Kustomizations or HelmReleases deadlock).",
    """
    Flux reconciles an object only when everything it depends on is Ready; in a
    cycle none ever is. The message shows the cycle. The namespace of a
    dependency defaults to the dependent's own.

    FAIL:
        kind: Kustomization
        metadata: {name: apps, namespace: flux-system}
        spec:
          dependsOn: [{name: infra}]
        ---
        kind: Kustomization
        metadata: {name: infra, namespace: flux-system}
        spec:
          dependsOn: [{name: apps}]

    PASS:
        kind: Kustomization
        metadata: {name: apps, namespace: flux-system}
        spec:
          dependsOn: [{name: infra}]
    """,
)
DEPENDS_ON_MISSING = Rule(
    "sync/depends-on-missing",
    Severity.WARNING,
    "Flux `dependsOn` naming a Kustomization or HelmRelease that no file defines.",
    """
    Flux waits for a missing dependency forever (the dependent reports
    "dependency not found"). Names are resolved across the whole repository,
    even when only some files are checked; kustomize's `namespace`,
    `namePrefix` and `nameSuffix` are applied. Objects that exist only after
    rendering (kustomize generators, Helm templates, `${var}` substitution) are
    not seen, hence a warning; the message says where it looked.

    FAIL:
        kind: Kustomization
        metadata: {name: apps, namespace: flux-system}
        spec:
          dependsOn: [{name: infrastructure}]   # nothing defines it

    PASS:
        kind: Kustomization
        metadata: {name: apps, namespace: flux-system}
        spec:
          dependsOn: [{name: infra-controllers}]
    """,
)

_ARGO_GROUP = "argoproj.io"
_TEMPLATED = re.compile(r"\{\{|\$\{")
_MAX_ECHO = 60


def _echo(value: str) -> str:
    """A short, quoted rendering of an annotation value for messages."""
    return repr(value if len(value) <= _MAX_ECHO else value[:_MAX_ECHO] + "…")


class SyncCheck:
    name: str = "sync"
    rules: tuple[Rule, ...] = (
        INVALID_WAVE,
        INVALID_HOOK,
        INVALID_OPTION,
        WAVE_ORDER,
        DEPENDS_ON_CYCLE,
        DEPENDS_ON_MISSING,
    )

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        active = ctx.active
        annotations = {INVALID_WAVE.id, INVALID_HOOK.id, INVALID_OPTION.id} & active
        if annotations:
            for res in ctx.resources:
                yield from _annotation_findings(res, active)
        needs_scope = (
            WAVE_ORDER.id in active or DEPENDS_ON_CYCLE.id in active or DEPENDS_ON_MISSING.id in active
        )
        if not needs_scope:
            return
        # Built on first use: most runs have neither wave annotations nor Flux objects.
        scope = functools.cache(lambda: _scope(ctx.files))
        if WAVE_ORDER.id in active:
            yield from _wave_order(ctx.resources, scope)
        if DEPENDS_ON_CYCLE.id in active or DEPENDS_ON_MISSING.id in active:
            yield from _flux_findings(ctx, scope)


def _placement(scope: KustomizeScope, res: Resource) -> Placement:
    """Where ``res`` is applied from; objects the render stage built are already final."""
    from gitops_guard.gitops.kustomize_scope import Placement

    rendered_by = getattr(res, "rendered_by", None)
    if isinstance(rendered_by, str):
        return Placement(posixpath.dirname(rendered_by) or ".", None)
    return scope.placement(res.path)


def _scope(files: Iterable[SourceFile]) -> KustomizeScope:
    from gitops_guard.gitops.kustomize_scope import KustomizeScope

    return KustomizeScope(
        (sf.path, doc.data)
        for sf in files
        if sf.kind is FileKind.KUSTOMIZATION
        for doc in sf.documents[:1]
        if isinstance(doc.data, dict)
    )


# --- annotations ---------------------------------------------------------------------------


def _annotation_findings(res: Resource, active: frozenset[str]) -> Iterator[Finding]:
    values = ann.annotations_of(res.body)
    if values:
        if INVALID_WAVE.id in active:
            yield from _waves(res, values)
        if INVALID_HOOK.id in active:
            yield from _hooks(res, values)
        if INVALID_OPTION.id in active:
            yield from _annotation_options(res, values)
    if INVALID_OPTION.id in active and res.group == _ARGO_GROUP:
        yield from _application_options(res)


def _at_annotation(rule: Rule, res: Resource, key: str, message: str, fingerprint: str) -> Finding:
    return at_document(
        rule,
        res.document,
        message,
        path=("metadata", "annotations", key),
        obj=res.ref,
        fingerprint_key=fingerprint,
    )


def _waves(res: Resource, values: Mapping[str, Any]) -> Iterator[Finding]:
    for key in (ann.SYNC_WAVE, ann.HELM_HOOK_WEIGHT):
        text = values.get(key)
        if not isinstance(text, str) or _TEMPLATED.search(text) or ann.atoi(text) is not None:
            continue
        used = ann.wave(res.body)
        what = "sync-wave" if key == ann.SYNC_WAVE else "helm.sh/hook-weight"
        yield _at_annotation(
            INVALID_WAVE,
            res,
            key,
            f"{what} {_echo(text)} is not an integer (optional sign and digits only); "
            f"Argo CD ignores it and applies the object in wave {used}",
            f"{key}={text}",
        )


def _hooks(res: Resource, values: Mapping[str, Any]) -> Iterator[Finding]:
    info = ann.hook_info(res.body)
    never = info.is_hook and not info.sync_phases and not info.delete_hooks and not info.skip
    consequence = "; Argo CD treats the object as a hook of no phase and never applies it" if never else ""
    checks = (
        (ann.HOOK, ann.ARGO_HOOK_TYPES, "hook type"),
        (ann.HELM_HOOK, ann.HELM_HOOK_TYPES, "Helm hook type"),
        (ann.HOOK_DELETE_POLICY, ann.ARGO_DELETE_POLICIES, "hook-delete-policy"),
        (ann.HELM_HOOK_DELETE_POLICY, ann.HELM_DELETE_POLICIES, "Helm hook-delete-policy"),
    )
    for key, known, what in checks:
        text = values.get(key)
        if not isinstance(text, str) or _TEMPLATED.search(text):
            continue
        items = ann.csv(text)
        if not items and key == ann.HOOK:
            yield _at_annotation(INVALID_HOOK, res, key, f"empty {key} annotation{consequence}", f"{key}=")
        for item in items:
            if item in known:
                continue
            hint = ann.suggest(item, known)
            did_you_mean = f" (did you mean {hint!r}?)" if hint else ""
            tail = consequence if key in (ann.HOOK, ann.HELM_HOOK) else ""
            yield _at_annotation(
                INVALID_HOOK,
                res,
                key,
                f"unknown {what} {_echo(item)}{did_you_mean}; known: {', '.join(sorted(known))}{tail}",
                f"{key}={item}",
            )


def _annotation_options(res: Resource, values: Mapping[str, Any]) -> Iterator[Finding]:
    text = values.get(ann.SYNC_OPTIONS)
    if not isinstance(text, str) or _TEMPLATED.search(text):
        return
    for item in ann.csv(text):
        problem = ann.sync_option_problem(item, ann.RESOURCE)
        if problem:
            yield _at_annotation(INVALID_OPTION, res, ann.SYNC_OPTIONS, problem, f"annotation={item}")


def _application_options(res: Resource) -> Iterator[Finding]:
    if res.kind == "Application":
        base: tuple[str, ...] = ("spec",)
    elif res.kind == "ApplicationSet":
        base = ("spec", "template", "spec")
    else:
        return
    node: Any = res.body
    for step in (*base, "syncPolicy", "syncOptions"):
        node = node.get(step) if isinstance(node, dict) else None
    if not isinstance(node, list):
        return
    for i, item in enumerate(node):
        if not isinstance(item, str) or _TEMPLATED.search(item):
            continue
        problem = ann.sync_option_problem(item, ann.APPLICATION)
        if problem:
            yield at_document(
                INVALID_OPTION,
                res.document,
                problem,
                path=(*base, "syncPolicy", "syncOptions", i),
                obj=res.ref,
                fingerprint_key=f"syncOptions={item}",
            )


# --- wave order ----------------------------------------------------------------------------

_POD_SPEC: Mapping[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
_ORDER_ANNOTATIONS = (ann.SYNC_WAVE, ann.HELM_HOOK_WEIGHT, ann.HOOK, ann.HELM_HOOK)


@dataclass(frozen=True)
class Reference:
    kind: str  # PersistentVolumeClaim, ConfigMap, Secret, ServiceAccount
    name: str
    path: tuple[str | int, ...]  # where the reference is written


def pod_references(body: Mapping[str, Any]) -> list[Reference]:
    """The non-optional objects a workload's pods cannot start without."""
    kind = body.get("kind")
    base = _POD_SPEC.get(kind) if isinstance(kind, str) else None
    if base is None:
        return []
    spec: Any = body
    for step in base:
        spec = spec.get(step) if isinstance(spec, dict) else None
    if not isinstance(spec, dict):
        return []
    out: list[Reference] = []

    def add(kind: str, holder: Any, field: str, path: tuple[str | int, ...]) -> None:
        if isinstance(holder, dict) and holder.get("optional") is not True:
            name = holder.get(field)
            if isinstance(name, str) and name:
                out.append(Reference(kind, name, (*base, *path, field)))

    for i, vol in enumerate(_dicts(spec.get("volumes"))):
        add(
            "PersistentVolumeClaim",
            vol.get("persistentVolumeClaim"),
            "claimName",
            ("volumes", i, "persistentVolumeClaim"),
        )
        add("ConfigMap", vol.get("configMap"), "name", ("volumes", i, "configMap"))
        add("Secret", vol.get("secret"), "secretName", ("volumes", i, "secret"))
        projected = vol.get("projected")
        sources = projected.get("sources") if isinstance(projected, dict) else None
        for j, src in enumerate(_dicts(sources)):
            for field, ref_kind in (("configMap", "ConfigMap"), ("secret", "Secret")):
                add(ref_kind, src.get(field), "name", ("volumes", i, "projected", "sources", j, field))
    for group in ("initContainers", "containers", "ephemeralContainers"):
        for i, container in enumerate(_dicts(spec.get(group))):
            for j, env_from in enumerate(_dicts(container.get("envFrom"))):
                add(
                    "ConfigMap",
                    env_from.get("configMapRef"),
                    "name",
                    (group, i, "envFrom", j, "configMapRef"),
                )
                add("Secret", env_from.get("secretRef"), "name", (group, i, "envFrom", j, "secretRef"))
            for j, env in enumerate(_dicts(container.get("env"))):
                value_from = env.get("valueFrom")
                if isinstance(value_from, dict):
                    path = (group, i, "env", j, "valueFrom")
                    add("ConfigMap", value_from.get("configMapKeyRef"), "name", (*path, "configMapKeyRef"))
                    add("Secret", value_from.get("secretKeyRef"), "name", (*path, "secretKeyRef"))
    for field in ("serviceAccountName", "serviceAccount"):
        name = spec.get(field)
        if isinstance(name, str) and name and name != "default":
            out.append(Reference("ServiceAccount", name, (*base, field)))
            break
    for i, secret in enumerate(_dicts(spec.get("imagePullSecrets"))):
        add("Secret", secret, "name", ("imagePullSecrets", i))
    return out


def _dicts(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, list):
        for item in value:
            yield item if isinstance(item, dict) else {}


def _step_label(step: tuple[int, int]) -> str:
    from gitops_guard.gitops.sync_order import PHASE_ORDER

    phase = next(p for p, order in PHASE_ORDER.items() if order == step[0])
    return f"wave {step[1]}" if phase == "Sync" else f"{phase} phase, wave {step[1]}"


def _wave_order(resources: Sequence[Resource], scope: Callable[[], KustomizeScope]) -> Iterator[Finding]:
    if not any(key in ann.annotations_of(r.body) for r in resources for key in _ORDER_ANNOTATIONS):
        return  # all in one step everywhere: nothing can be applied later than what uses it
    groups: dict[str, list[tuple[Resource, Placement]]] = {}
    for res in resources:
        placement = _placement(scope(), res)
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


# --- Flux dependsOn ------------------------------------------------------------------------

_MAX_SCAN_BYTES = 4 * 1024 * 1024


def _flux_nodes(
    resources: Iterable[Resource], scope: KustomizeScope
) -> tuple[list[flux_graph.Node], list[Resource]]:
    from gitops_guard.gitops import flux_graph

    nodes: list[flux_graph.Node] = []
    origins: list[Resource] = []
    for res in resources:
        group = flux_graph.FLUX_KINDS.get(res.kind)
        if group is None or res.group != group:
            continue
        meta = res.body.get("metadata")
        name = meta.get("name") if isinstance(meta, dict) else None
        if not isinstance(name, str) or not name:
            continue
        placement = _placement(scope, res)
        spec = res.body.get("spec")
        raw = spec.get("dependsOn") if isinstance(spec, dict) else None
        deps = []
        for i, entry in enumerate(raw if isinstance(raw, list) else []):
            dep_name = entry.get("name") if isinstance(entry, dict) else None
            if not isinstance(dep_name, str) or not dep_name or _TEMPLATED.search(dep_name):
                continue  # malformed (a schema finding) or only known after substitution
            dep_ns = entry.get("namespace")
            deps.append(
                flux_graph.Dependency(i, dep_name, dep_ns if isinstance(dep_ns, str) and dep_ns else None)
            )
        namespace = placement.namespace or res.ref.namespace
        nodes.append(flux_graph.Node(res.kind, placement.name(name), namespace, tuple(deps)))
        origins.append(res)
    return nodes, origins


def _repository_extras(ctx: CheckContext) -> tuple[list[SourceFile], list[Resource]]:
    """Flux objects and kustomizations of the rest of the repository (files not being checked).

    A pre-commit run passes only the changed files; a dependency defined in an
    unchanged file must still resolve.  Only files that can matter are parsed.
    """
    from gitops_guard.source.limits import Limits
    from gitops_guard.source.load import load
    from gitops_guard.source.walk import discover

    loaded = {sf.abspath for sf in ctx.files}
    candidates, _ = discover(["."], ctx.settings.cwd)
    keep = []
    for cand in candidates:
        if cand.abspath in loaded or cand.abspath.suffix not in (".yaml", ".yml"):
            continue
        try:
            if cand.abspath.stat().st_size > _MAX_SCAN_BYTES:
                continue
            raw = cand.abspath.read_bytes()
        except OSError:
            continue
        if b"toolkit.fluxcd.io" in raw or cand.abspath.name in ("kustomization.yaml", "kustomization.yml"):
            keep.append(cand)
    files = load(keep, Limits())
    return files, list(from_files(files))


def _could_be(name: str, kind: str, nodes: Sequence[flux_graph.Node]) -> bool:
    """Whether a templated name (``${cluster}-apps``) among ``nodes`` may become ``name``."""
    for node in nodes:
        if node.kind == kind and _TEMPLATED.search(node.name):
            parts = re.split(r"\$\{[^}]*\}|\{\{.*?\}\}", node.name)
            if re.fullmatch(".*".join(re.escape(p) for p in parts), name):
                return True
    return False


def _flux_findings(ctx: CheckContext, scope: Callable[[], KustomizeScope]) -> Iterator[Finding]:
    if not any(res.group.endswith(".toolkit.fluxcd.io") for res in ctx.resources):
        return  # no Flux object: no dependsOn graph
    from gitops_guard.gitops import flux_graph

    nodes, origins = _flux_nodes(ctx.resources, scope())
    if not any(node.depends_on for node in nodes):
        return
    checked = len(nodes)
    graph = flux_graph.build(nodes)
    if graph.missing:
        extra_files, extra_resources = _repository_extras(ctx)
        if extra_resources:
            nodes, origins = _flux_nodes(
                [*ctx.resources, *extra_resources], _scope([*ctx.files, *extra_files])
            )
            checked = sum(1 for r in origins if r.document.path in {sf.path for sf in ctx.files})
            graph = flux_graph.build(nodes)
    if DEPENDS_ON_MISSING.id in ctx.active:
        for missing in graph.missing:
            if missing.node >= checked:
                continue
            node, res, dep = nodes[missing.node], origins[missing.node], missing.dependency
            if _could_be(dep.name, node.kind, nodes):
                continue
            target = f"{missing.namespace}/{dep.name}" if missing.namespace else dep.name
            message = f"dependsOn {node.kind} {target}, which no file in the repository defines"
            if missing.elsewhere:
                found = ", ".join(ns or "(namespace set at apply time)" for ns in missing.elsewhere)
                message += f" in that namespace (one exists in: {found})"
            message += (
                f"; Flux never reconciles {node.label()} until it exists "
                "(objects made by kustomize generators, Helm templates or ${var} substitution are not seen)"
            )
            yield at_document(
                DEPENDS_ON_MISSING,
                res.document,
                message,
                path=("spec", "dependsOn", dep.entry, "name"),
                obj=res.ref,
                fingerprint_key=f"{node.kind}/{target}",
            )
    if DEPENDS_ON_CYCLE.id in ctx.active:
        for cycle in graph.cycles():
            inside = [i for i in cycle if i < checked]
            if not inside:
                continue
            start = cycle.index(inside[0])
            cycle = cycle[start:] + cycle[:start]
            anchor = cycle[0]
            following = cycle[1] if len(cycle) > 1 else anchor
            dep = next(d for t, d in graph.edges[anchor] if t == following)
            labels = [nodes[i].label() for i in (*cycle, anchor)]
            res = origins[anchor]
            yield at_document(
                DEPENDS_ON_CYCLE,
                res.document,
                f"dependsOn cycle between {nodes[anchor].kind}s: {' -> '.join(labels)}; "
                "none of them can ever become Ready, so Flux reconciles none",
                path=("spec", "dependsOn", dep.entry, "name"),
                obj=res.ref,
                fingerprint_key=" -> ".join(sorted(labels[:-1])),
            )
