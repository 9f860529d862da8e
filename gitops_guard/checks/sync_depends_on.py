"""``sync/depends-on-cycle`` and ``sync/depends-on-missing``: the Flux ``dependsOn`` graph.

Kustomizations and HelmReleases become nodes named as Flux sees them (kustomize's namespace,
namePrefix and nameSuffix applied); the graph itself is :mod:`gitops_guard.gitops.flux_graph`.
A dependency missing from the checked files is looked up in the rest of the repository before
it is reported: a pre-commit run passes only the changed files.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

from gitops_guard.checks.base import CheckContext, at_document
from gitops_guard.checks.sync_check import (
    DEPENDS_ON_CYCLE,
    DEPENDS_ON_MISSING,
    TEMPLATED,
    placement_of,
    scope_of,
)
from gitops_guard.findings import Finding
from gitops_guard.resources import Resource, from_files
from gitops_guard.source.load import SourceFile

if TYPE_CHECKING:
    # The Flux graph and the kustomize scope are imported by the code that needs them: a run
    # without Flux objects (the pre-commit hook on plain manifests) never does.
    from gitops_guard.gitops import flux_graph
    from gitops_guard.gitops.kustomize_scope import KustomizeScope

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
        placement = placement_of(scope, res)
        spec = res.body.get("spec")
        raw = spec.get("dependsOn") if isinstance(spec, dict) else None
        deps = []
        for i, entry in enumerate(raw if isinstance(raw, list) else []):
            dep_name = entry.get("name") if isinstance(entry, dict) else None
            if not isinstance(dep_name, str) or not dep_name or TEMPLATED.search(dep_name):
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
        if node.kind == kind and TEMPLATED.search(node.name):
            parts = re.split(r"\$\{[^}]*\}|\{\{.*?\}\}", node.name)
            if re.fullmatch(".*".join(re.escape(p) for p in parts), name):
                return True
    return False


def depends_on_findings(ctx: CheckContext, scope: Callable[[], KustomizeScope]) -> Iterator[Finding]:
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
                [*ctx.resources, *extra_resources], scope_of([*ctx.files, *extra_files])
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
