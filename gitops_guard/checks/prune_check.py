"""Prune safety: what automated pruning by Argo CD and Flux would delete, and who else owns it.

Built on the deployer model (:mod:`gitops_guard.gitops.apps`): every Application,
ApplicationSet-generated Application and Flux Kustomization, with what it deploys from this
repository.  Argo CD prunes when ``spec.syncPolicy.automated.prune`` is true; Flux always
reconciles, so ``spec.prune: true`` is automated pruning.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from gitops_guard.checks.base import CheckContext, at_document
from gitops_guard.findings import Finding, ObjectRef, Outcome, Severity
from gitops_guard.rules import Rule

if TYPE_CHECKING:  # the model is imported when a run has a deployer to look at
    from gitops_guard.gitops.apps import Deployer, DeployerModel, Source
    from gitops_guard.gitops.footprint import Footprint

BROAD_SCOPE = Rule(
    "prune/broad-scope",
    Severity.WARNING,
    "Automated prune over a repository root or a tree that holds other deployers' directories.",
    """
    An Application with `syncPolicy.automated.prune: true`, or a Flux Kustomization with
    `prune: true`, whose source is this repository's root (`path: .`, `./` or empty), or
    whose render reaches a directory below it that another Application or Kustomization
    deploys: a Flux path without a kustomization.yaml takes every manifest below it, Argo
    CD's `directory.recurse: true` does the same, and a kustomization.yaml reaches what it
    lists. A kustomize base elsewhere (an overlay's `../base`) is reuse, not scope.
    Anything that lands in that tree is applied, and deleted again when it moves. An Argo CD
    plain directory without `recurse` reads only its own files, so a parent path alone is
    not broad. Only sources resolved to this repository are judged.

    FAIL:
        kind: Application
        spec:
          source: {repoURL: https://github.com/org/gitops, path: .}
          syncPolicy:
            automated: {prune: true}

    PASS:
        kind: Application
        spec:
          source: {repoURL: https://github.com/org/gitops, path: apps/api}
          syncPolicy:
            automated: {prune: true}
    """,
)
ALLOW_EMPTY = Rule(
    "prune/allow-empty",
    Severity.WARNING,
    "Automated prune with allowEmpty: true (an empty render deletes everything).",
    """
    Argo CD refuses to sync an automated, pruning Application to zero objects unless
    `allowEmpty: true` says so; with it, a broken path, a wrong revision or an emptied
    directory deletes every object the Application owns. Reported on ApplicationSet
    templates too.

    FAIL:
        syncPolicy:
          automated:
            prune: true
            allowEmpty: true

    PASS:
        syncPolicy:
          automated:
            prune: true
    """,
)
OVERLAPPING = Rule(
    "prune/overlapping-sources",
    Severity.ERROR,
    "Two Applications/Kustomizations that deploy the same source path (they fight over, and prune, "
    "each other's objects).",
    """
    Two deployers overlap when, in the same destination (cluster and namespace), they apply
    the same manifest files of this repository, and at least one of those files lies in the
    directory one of them deploys: equal paths, a Flux path (no kustomization.yaml) or an
    Argo CD `recurse` directory that walks into the other's path, or a kustomization.yaml
    that lists it. Two overlays sharing a common base elsewhere do not overlap (that is what
    bases are for), nor do the same files rendered as different Helm releases or with
    different kustomize name prefixes. Sources in other repositories overlap when repository,
    path (or chart) and release are equal. Argo CD and Flux are compared alike.

    Two in-cluster deployers are taken to share a cluster when they belong to the same tree:
    one applied by another inherits its cluster, and a root that applies its own file
    (`flux bootstrap`'s flux-system) starts a cluster of its own. Deployers with the same
    kind, namespace and name are per-cluster variants (one cluster cannot hold both) and
    never overlap. Each overlapping pair is one finding, at the source path of the one
    written later: a root Application over the whole repository adds its own findings and
    hides no other pair's. An app of apps deploys the Application manifests, not what they
    deploy, so it does not overlap its children.

    FAIL:
        # apps/api.yaml and legacy/api.yaml, both:
        kind: Application
        spec:
          source: {repoURL: https://github.com/org/gitops, path: apps/api}
          destination: {server: https://kubernetes.default.svc, namespace: api}

    PASS:
        # one Application per path, or the second one deploying to another cluster
        kind: Application
        spec:
          source: {repoURL: https://github.com/org/gitops, path: apps/api}
          destination: {name: staging, namespace: api}
    """,
)
WILDCARD_PROJECT = Rule(
    "prune/wildcard-project",
    Severity.WARNING,
    "An AppProject that allows any repo, any destination or any cluster-scoped kind.",
    """
    An AppProject bounds what its Applications may deploy and therefore prune. Reported:
    `sourceRepos: ['*']`, a destination whose `server`, `name` or `namespace` is `*`, and a
    `clusterResourceWhitelist` entry with group `*` and kind `*`.

    FAIL:
        kind: AppProject
        spec:
          sourceRepos: ['*']
          destinations: [{server: '*', namespace: '*'}]
          clusterResourceWhitelist: [{group: '*', kind: '*'}]

    PASS:
        kind: AppProject
        spec:
          sourceRepos: [https://github.com/org/gitops]
          destinations: [{server: https://kubernetes.default.svc, namespace: api}]
          clusterResourceWhitelist: [{group: '', kind: Namespace}]
    """,
)
NOT_RESOLVED = Rule(
    "prune/not-resolved",
    Severity.INFO,
    "A deployer whose source could not be resolved offline (could not check; not a pass).",
    """
    The prune rules could not judge an ApplicationSet generator that reads live state
    (clusters, scmProvider, pullRequest, plugin), a templated path, a path that does not
    exist in this repository, or a Flux source that no checked file defines. Sources known to
    live elsewhere (another repository, a Helm chart repository, an OCI artifact) are not
    reported.

    FAIL:
        kind: ApplicationSet
        spec:
          generators:
            - clusters: {}

    PASS:
        kind: ApplicationSet
        spec:
          generators:
            - list:
                elements: [{cluster: prod, url: https://prod.example.com}]
    """,
)

_WILDCARD = "*"
_EXAMPLES = 3  # how many names a message lists before "and N more"


@dataclass(frozen=True)
class _Key:
    rule: str
    path: str
    line: int | None
    column: int | None
    obj: ObjectRef | None
    # For overlaps, the other deployer: findings at one node about different partners are
    # different findings (a root Application over everything must not hide two apps on one path).
    partner: str = ""


class PruneCheck:
    name: str = "prune"
    rules: tuple[Rule, ...] = (BROAD_SCOPE, ALLOW_EMPTY, OVERLAPPING, WILDCARD_PROJECT, NOT_RESOLVED)

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        active = ctx.active
        if WILDCARD_PROJECT.id in active:
            yield from _wildcard_projects(ctx)
        deployer_rules = {BROAD_SCOPE.id, ALLOW_EMPTY.id, OVERLAPPING.id, NOT_RESOLVED.id}
        if not active & deployer_rules or not any(_is_deployer(r.group, r.kind) for r in ctx.resources):
            return
        from gitops_guard.gitops.apps import build
        from gitops_guard.gitops.repository import Repository

        abspaths = {f.path: f.abspath for f in ctx.files}
        repo = Repository.discover(ctx.settings.cwd)
        model = build(ctx.resources, repo, abspaths=abspaths)
        nested = _checked_tree(ctx, repo.root)
        if nested is not None and _resolved(model) == 0:
            # A repository kept inside another (a vendored or example fleet repository): when
            # no source path resolves from the enclosing checkout's root but some do from the
            # checked tree, that tree is the repository the deployers mean.
            alternative = build(ctx.resources, Repository(nested, repo.urls), abspaths=abspaths)
            if _resolved(alternative) > 0:
                model = alternative
        yield from _grouped((f, "") for f in _deployer_findings(model, active))
        if OVERLAPPING.id in active:
            yield from _grouped(_overlaps(model))


def _checked_tree(ctx: CheckContext, root: Path) -> Path | None:
    """The deepest directory holding every checked file, when it lies below ``root``."""
    import os

    dirs = {str(f.abspath.parent) for f in ctx.files}
    if not dirs:
        return None
    common = Path(os.path.commonpath(sorted(dirs)))
    return common if common != root and root in common.parents else None


def _resolved(model: DeployerModel) -> int:
    return sum(1 for d in model.deployers for s in d.sources if s.directory is not None)


def _is_deployer(group: str, kind: str) -> bool:
    return (group == "argoproj.io" and kind in ("Application", "ApplicationSet")) or (
        group == "kustomize.toolkit.fluxcd.io" and kind == "Kustomization"
    )


def _deployer_findings(model: DeployerModel, active: frozenset[str]) -> Iterator[Finding]:
    for d in model.deployers:
        if ALLOW_EMPTY.id in active and d.prune and d.allow_empty:
            yield at_document(
                ALLOW_EMPTY,
                d.document,
                f"{d.label}: automated prune with allowEmpty: true; a render that comes out empty "
                "(a wrong path or revision, an emptied directory) deletes every object it owns",
                path=d.allow_empty_at,
                obj=d.obj,
            )
        if BROAD_SCOPE.id in active and d.prune:
            yield from _broad(model, d)
        if NOT_RESOLVED.id in active and d.expanded:
            for s in d.sources:
                if s.directory is None and not s.remote:
                    yield at_document(
                        NOT_RESOLVED,
                        d.document,
                        f"{d.label}: source not resolved ({s.reason}); the prune rules did not check it",
                        path=s.path_at,
                        obj=d.obj,
                        outcome=Outcome.NOT_CHECKED,
                    )
    if NOT_RESOLVED.id in active:
        for u in model.unresolved:
            yield at_document(
                NOT_RESOLVED,
                u.document,
                f"ApplicationSet {u.obj.name}: {u.reason}; the Applications it generates from this "
                "were not checked",
                path=u.at,
                obj=u.obj,
                outcome=Outcome.NOT_CHECKED,
            )


def _broad(model: DeployerModel, d: Deployer) -> Iterator[Finding]:
    from gitops_guard.gitops.apps import Tool
    from gitops_guard.gitops.repository import is_under

    for s in d.sources:
        if s.directory is None:
            continue
        prune = "prune: true" if d.tool is Tool.FLUX else "automated prune"
        if s.directory == ".":
            yield at_document(
                BROAD_SCOPE,
                d.document,
                f"{d.label}: {prune} over the repository root (path {s.path or '(empty)'!r}): every "
                "manifest of the repository is applied, and deleted again when it moves",
                path=s.path_at,
                obj=d.obj,
            )
            continue
        fp = model.footprint(d, s)
        if fp is None:
            continue
        inner = sorted(
            {
                f"{o.label} ({os_.directory})"
                for o in model.deployers
                if o is not d
                for os_ in o.sources
                if os_.directory is not None
                and os_.directory != s.directory
                and is_under(os_.directory, s.directory)
                and os_.directory in fp.dirs
            }
        )
        if inner:
            yield at_document(
                BROAD_SCOPE,
                d.document,
                f"{d.label}: {prune} over {s.directory}, whose render ({fp.renderer}) also takes the "
                f"directories other deployers deploy: {_some(inner)}",
                path=s.path_at,
                obj=d.obj,
            )


def _overlaps(model: DeployerModel) -> Iterator[tuple[Finding, str]]:
    """Each overlapping pair once, reported at the later deployer's path, with the earlier one's
    identity (one per ApplicationSet template, so generated Applications group together)."""
    deployers = model.deployers
    by_file: dict[str, list[tuple[int, int]]] = {}
    by_remote: dict[tuple[str, str, str], list[tuple[int, int]]] = {}
    footprints: dict[tuple[int, int], Footprint] = {}
    for i, d in enumerate(deployers):
        if d.destination.cluster is None or not d.expanded:
            continue
        for j, s in enumerate(d.sources):
            fp = model.footprint(d, s)
            if fp is not None:
                footprints[i, j] = fp
                for f in fp.files:
                    by_file.setdefault(f, []).append((i, j))
            elif s.remote_key is not None:
                by_remote.setdefault(s.remote_key, []).append((i, j))
    pairs: set[tuple[tuple[int, int], tuple[int, int]]] = set()
    for group in (*by_file.values(), *by_remote.values()):
        for x in range(len(group)):
            for y in range(x + 1, len(group)):
                p, q = group[x], group[y]
                if p[0] != q[0]:
                    pairs.add((p, q) if p < q else (q, p))
    reported: set[tuple[int, int]] = set()
    for (ia, sa_i), (ib, sb_i) in sorted(pairs):
        if (ia, ib) in reported:
            continue
        a, b = deployers[ia], deployers[ib]
        if not _same_destination(model, a, b):
            continue
        sa, sb = a.sources[sa_i], b.sources[sb_i]
        what = _shared(sa, sb, footprints.get((ia, sa_i)), footprints.get((ib, sb_i)))
        if what is None:
            continue
        reported.add((ia, ib))
        first, second, s_second = (a, b, sb) if _order(a, sa) <= _order(b, sb) else (b, a, sa)
        pruners = [x.label for x in (first, second) if x.prune]
        tail = (
            f"; with prune on ({', '.join(pruners)}) one deletes what the other applies"
            if pruners
            else "; neither prunes yet, but each reverts the other's changes"
        )
        finding = at_document(
            OVERLAPPING,
            second.document,
            f"{second.label} deploys {what}, which {first.label} ({first.where()}) also deploys to "
            f"the same destination ({second.destination}): they fight over these objects{tail}",
            path=s_second.path_at,
            obj=second.obj,
        )
        yield finding, _identity(first)


def _identity(d: Deployer) -> str:
    """The written object a deployer comes from: an ApplicationSet's generated Applications share one."""
    return f"{d.path}#{d.document.index}:{d.generated_by or d.label}"


def _order(d: Deployer, s: Source) -> tuple[str, int]:
    line, _ = d.document.locate(s.path_at)
    return d.path, line or 0


def _same_destination(model: DeployerModel, a: Deployer, b: Deployer) -> bool:
    from gitops_guard.gitops.apps import IN_CLUSTER

    if a.destination != b.destination or a.destination.cluster is None:
        return False
    if (a.tool, a.kind, a.namespace, a.name) == (b.tool, b.kind, b.namespace, b.name):
        return False  # one cluster cannot hold both: per-cluster variants of one object
    if a.destination.cluster == IN_CLUSTER:
        return bool(model.roots(a) & model.roots(b))
    return True


def _shared(sa: Source, sb: Source, fa: Footprint | None, fb: Footprint | None) -> str | None:
    """What two sources both deploy, described; None when they do not overlap."""
    from gitops_guard.gitops.repository import is_under

    if fa is None or fb is None:
        if sa.remote_key is not None and sa.remote_key == sb.remote_key:
            where = f"chart {sa.chart}" if sa.chart else f"path {sa.path or '.'}"
            return f"{sa.repo_url} {where}"
        return None
    if sa.variant != sb.variant or sa.directory is None or sb.directory is None:
        return None
    shared = fa.files & fb.files
    own = sorted(f for f in shared if is_under(f, sa.directory) or is_under(f, sb.directory))
    if not own:
        return None
    if sa.directory == sb.directory:
        return f"{sa.directory} ({_some(own, noun='file')})"
    return f"{_some(own, noun='file')} of {sb.directory if own[0].startswith(sb.directory) else sa.directory}"


def _some(items: list[str], *, noun: str = "") -> str:
    shown = ", ".join(items[:_EXAMPLES])
    more = len(items) - _EXAMPLES
    if noun:
        count = f"{len(items)} {noun}{'s' if len(items) != 1 else ''}"
        return f"{count}: {shown}{f', and {more} more' if more > 0 else ''}"
    return f"{shown}{f', and {more} more' if more > 0 else ''}"


def _grouped(findings: Iterable[tuple[Finding, str]]) -> Iterator[Finding]:
    """ApplicationSet-generated Applications share their template's nodes: one finding per
    node, rule and partner, saying how many more Applications it stands for."""
    groups: dict[_Key, list[Finding]] = {}
    for f, partner in findings:
        groups.setdefault(_Key(f.rule, f.path, f.line, f.column, f.object, partner), []).append(f)
    for group in groups.values():
        first = group[0]
        more = len({f.message for f in group}) - 1
        if more:
            first = replace(
                first, message=f"{first.message} (and {more} more like it from the same template)"
            )
        yield first


def _wildcard_projects(ctx: CheckContext) -> Iterator[Finding]:
    for res in ctx.resources:
        if res.group != "argoproj.io" or res.kind != "AppProject":
            continue
        spec = res.body.get("spec")
        if not isinstance(spec, dict):
            continue
        name = res.ref.name
        repos = spec.get("sourceRepos")
        for i, repo in enumerate(repos if isinstance(repos, list) else []):
            if repo == _WILDCARD:
                yield at_document(
                    WILDCARD_PROJECT,
                    res.document,
                    f"AppProject {name} allows Applications from any repository (sourceRepos: '*')",
                    path=("spec", "sourceRepos", i),
                    obj=res.ref,
                )
        dests = spec.get("destinations")
        for i, dest in enumerate(dests if isinstance(dests, list) else []):
            if not isinstance(dest, dict):
                continue
            wild = [k for k in ("server", "name", "namespace") if dest.get(k) == _WILDCARD]
            if wild:
                scope = [("any namespace" if k == "namespace" else "any cluster") for k in wild]
                yield at_document(
                    WILDCARD_PROJECT,
                    res.document,
                    f"AppProject {name} allows deploying to {' and '.join(dict.fromkeys(scope))} "
                    f"({', '.join(f'{k}: *' for k in wild)})",
                    path=("spec", "destinations", i, wild[0]),
                    obj=res.ref,
                )
        whitelist = spec.get("clusterResourceWhitelist")
        for i, entry in enumerate(whitelist if isinstance(whitelist, list) else []):
            if isinstance(entry, dict) and entry.get("group") == _WILDCARD and entry.get("kind") == _WILDCARD:
                yield at_document(
                    WILDCARD_PROJECT,
                    res.document,
                    f"AppProject {name} allows every cluster-scoped kind "
                    "(clusterResourceWhitelist group: '*', kind: '*')",
                    path=("spec", "clusterResourceWhitelist", i),
                    obj=res.ref,
                )
