"""The graph Flux's ``spec.dependsOn`` draws between Kustomizations and between HelmReleases.

Flux reconciles an object only once everything it depends on is Ready.  A
dependency is ``{name, namespace}``; the namespace defaults to the dependent's
own.  A Kustomization depends only on Kustomizations and a HelmRelease only on
HelmReleases (kustomize-controller and helm-controller each look up their own
kind).  A cycle therefore deadlocks: none of its members ever becomes Ready.

Namespaces are often not written in the file but given at build time (by a
kustomization's ``namespace:`` or a parent Kustomization's ``targetNamespace``),
so a node's namespace may be unknown (None).  An unknown namespace matches any
namespace: that never invents a missing dependency, at the price of possibly
joining two same-named objects of different namespaces.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

FLUX_KINDS = {
    "Kustomization": "kustomize.toolkit.fluxcd.io",
    "HelmRelease": "helm.toolkit.fluxcd.io",
}


@dataclass(frozen=True)
class Dependency:
    entry: int  # position in spec.dependsOn
    name: str
    namespace: str | None  # as written; None when omitted


@dataclass(frozen=True)
class Node:
    kind: str
    name: str
    namespace: str | None  # effective namespace, None when it is only known at apply time
    depends_on: tuple[Dependency, ...] = ()

    def label(self) -> str:
        return f"{self.namespace}/{self.name}" if self.namespace else self.name


@dataclass(frozen=True)
class Missing:
    node: int
    dependency: Dependency
    namespace: str | None  # the namespace looked in (written, or the dependent's)
    elsewhere: tuple[str, ...]  # namespaces where an object of that kind and name does exist


@dataclass
class Graph:
    nodes: Sequence[Node]
    edges: dict[int, list[tuple[int, Dependency]]] = field(default_factory=dict)
    missing: list[Missing] = field(default_factory=list)

    def cycles(self) -> list[list[int]]:
        """One cycle per strongly connected component that has one, as a node path.

        The path starts at the component's smallest node index and follows edges
        back to it, so the same repository always yields the same cycles.
        """
        out: list[list[int]] = []
        for component in _components(len(self.nodes), self.edges):
            members = set(component)
            start = min(component)
            if len(component) == 1 and not any(t == start for t, _ in self.edges.get(start, ())):
                continue
            out.append(_path_back(start, members, self.edges))
        return sorted(out)


def build(nodes: Sequence[Node]) -> Graph:
    """Resolve every dependency to the nodes it can mean, recording those nothing defines."""
    by_name: dict[tuple[str, str], list[int]] = {}
    for i, node in enumerate(nodes):
        by_name.setdefault((node.kind, node.name), []).append(i)
    graph = Graph(nodes)
    for i, node in enumerate(nodes):
        for dep in node.depends_on:
            namespace = dep.namespace or node.namespace
            candidates = by_name.get((node.kind, dep.name), [])
            targets = [j for j in candidates if namespace is None or nodes[j].namespace in (None, namespace)]
            if targets:
                graph.edges.setdefault(i, []).extend((j, dep) for j in targets)
            else:
                elsewhere = sorted({nodes[j].namespace or "" for j in candidates})
                graph.missing.append(Missing(i, dep, namespace, tuple(elsewhere)))
    return graph


def _components(n: int, edges: dict[int, list[tuple[int, Dependency]]]) -> list[list[int]]:
    """Tarjan's strongly connected components, iteratively (no recursion limit on deep chains)."""
    index = [-1] * n
    low = [0] * n
    on_stack = [False] * n
    stack: list[int] = []
    out: list[list[int]] = []
    counter = 0
    for root in range(n):
        if index[root] != -1:
            continue
        work: list[tuple[int, int]] = [(root, 0)]
        while work:
            v, pos = work.pop()
            if pos == 0:
                index[v] = low[v] = counter
                counter += 1
                stack.append(v)
                on_stack[v] = True
            succ = edges.get(v, [])
            if pos < len(succ):
                work.append((v, pos + 1))
                w = succ[pos][0]
                if index[w] == -1:
                    work.append((w, 0))
                elif on_stack[w]:
                    low[v] = min(low[v], index[w])
                continue
            if low[v] == index[v]:
                component = []
                while True:
                    w = stack.pop()
                    on_stack[w] = False
                    component.append(w)
                    if w == v:
                        break
                out.append(sorted(component))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[v])
    return out


def _path_back(start: int, members: set[int], edges: dict[int, list[tuple[int, Dependency]]]) -> list[int]:
    """Shortest path start → … → start inside one component (breadth-first)."""
    previous: dict[int, int] = {}
    frontier = [start]
    while frontier:
        following: list[int] = []
        for v in frontier:
            for w, _ in sorted(edges.get(v, []), key=lambda e: e[0]):
                if w not in members:
                    continue
                if w == start:
                    path = [v]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    path.reverse()
                    return path
                if w not in previous:
                    previous[w] = v
                    following.append(w)
        frontier = following
    return [start]
