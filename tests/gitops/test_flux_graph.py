"""Flux dependsOn resolution and cycle finding."""

from __future__ import annotations

from gitops_guard.gitops.flux_graph import Dependency, Node, build


def ks(name: str, ns: str | None, *deps: str | tuple[str, str]) -> Node:
    out = []
    for i, d in enumerate(deps):
        name_, dns = (d, None) if isinstance(d, str) else d
        out.append(Dependency(i, name_, dns))
    return Node("Kustomization", name, ns, tuple(out))


def test_chain_resolves_without_cycles_or_missing() -> None:
    g = build(
        [ks("apps", "flux-system", "infra"), ks("infra", "flux-system", "crds"), ks("crds", "flux-system")]
    )
    assert g.missing == [] and g.cycles() == []
    assert [t for t, _ in g.edges[0]] == [1]


def test_namespace_defaults_to_the_dependents() -> None:
    g = build([ks("apps", "team-a", "infra"), ks("infra", "flux-system")])
    assert len(g.missing) == 1
    assert g.missing[0].namespace == "team-a" and g.missing[0].elsewhere == ("flux-system",)
    g = build([ks("apps", "team-a", ("infra", "flux-system")), ks("infra", "flux-system")])
    assert g.missing == []


def test_unknown_namespace_matches_any() -> None:
    assert build([ks("apps", None, "infra"), ks("infra", "flux-system")]).missing == []
    assert build([ks("apps", "flux-system", "infra"), ks("infra", None)]).missing == []


def test_kinds_do_not_mix() -> None:
    hr = Node("HelmRelease", "infra", "flux-system")
    g = build([ks("apps", "flux-system", "infra"), hr])
    assert len(g.missing) == 1


def test_cycles_reported_once_each_with_path() -> None:
    nodes = [
        ks("a", "x", "b"),
        ks("b", "x", "c"),
        ks("c", "x", "a"),
        ks("self", "x", "self"),
        ks("d", "x", "a"),  # depends on the cycle, is not in it
        ks("e", "x", "f"),
        ks("f", "x", "e"),
    ]
    g = build(nodes)
    assert g.cycles() == [[0, 1, 2], [3], [5, 6]]


def test_shortest_cycle_path_in_a_tangle() -> None:
    nodes = [ks("a", "x", "b", "c"), ks("b", "x", "c"), ks("c", "x", "a")]
    assert build(nodes).cycles() == [[0, 2]]


def test_long_chain_has_no_recursion_limit() -> None:
    n = 5000
    nodes = [ks(f"k{i}", "x", f"k{i + 1}") for i in range(n - 1)] + [ks(f"k{n - 1}", "x", "k0")]
    cycles = build(nodes).cycles()
    assert len(cycles) == 1 and len(cycles[0]) == n
