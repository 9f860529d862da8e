"""Sync-order mistakes Argo CD and Flux accept silently and pay for at deploy time.

Argo CD never rejects a bad sync annotation: it ignores it (wave 0, no hook, no
option), so a typo changes the deployment order or the prune behaviour without
a word.  ``sync/wave-order`` asks the one sync-order function
(``gitops/sync_order.py``) when each object is applied; the Flux rules read the
``dependsOn`` graph (``gitops/flux_graph.py``).

This module holds the rules, the check and what its parts share (where an object is
applied from, the templated-value pattern); the findings are made in
``sync_annotations.py``, ``sync_wave_order.py`` and ``sync_depends_on.py``, each
imported when its rules are active.
"""

from __future__ import annotations

import functools
import posixpath
import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from gitops_guard.checks.base import CheckContext
from gitops_guard.findings import Finding, Severity
from gitops_guard.resources import Resource
from gitops_guard.rules import Rule
from gitops_guard.source.classify import FileKind
from gitops_guard.source.load import SourceFile

if TYPE_CHECKING:
    # The kustomize scope is imported by the code that needs it: a run over plain manifests
    # (the pre-commit hook) never does.
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

# A value only known after templating (Helm, ApplicationSet, Flux ``${var}`` substitution).
TEMPLATED = re.compile(r"\{\{|\$\{")


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
            from gitops_guard.checks.sync_annotations import annotation_findings

            for res in ctx.resources:
                yield from annotation_findings(res, active)
        needs_scope = (
            WAVE_ORDER.id in active or DEPENDS_ON_CYCLE.id in active or DEPENDS_ON_MISSING.id in active
        )
        if not needs_scope:
            return
        # Built on first use: most runs have neither wave annotations nor Flux objects.
        scope = functools.cache(lambda: scope_of(ctx.files))
        if WAVE_ORDER.id in active:
            from gitops_guard.checks.sync_wave_order import wave_order

            yield from wave_order(ctx.resources, scope)
        if DEPENDS_ON_CYCLE.id in active or DEPENDS_ON_MISSING.id in active:
            from gitops_guard.checks.sync_depends_on import depends_on_findings

            yield from depends_on_findings(ctx, scope)


def placement_of(scope: KustomizeScope, res: Resource) -> Placement:
    """Where ``res`` is applied from; objects the render stage built are already final."""
    from gitops_guard.gitops.kustomize_scope import Placement

    rendered_by = getattr(res, "rendered_by", None)
    if isinstance(rendered_by, str):
        return Placement(posixpath.dirname(rendered_by) or ".", None)
    return scope.placement(res.path)


def scope_of(files: Iterable[SourceFile]) -> KustomizeScope:
    """The kustomize build roots of ``files``: which objects Argo CD or Flux apply together."""
    from gitops_guard.gitops.kustomize_scope import KustomizeScope

    return KustomizeScope(
        (sf.path, doc.data)
        for sf in files
        if sf.kind is FileKind.KUSTOMIZATION
        for doc in sf.documents[:1]
        if isinstance(doc.data, dict)
    )
