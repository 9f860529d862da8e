"""Build roots, namespaces and name affixes read from kustomization files."""

from __future__ import annotations

from gitops_guard.gitops.kustomize_scope import KustomizeScope


def test_outermost_kustomization_is_the_root_and_its_namespace_wins() -> None:
    scope = KustomizeScope(
        [
            ("apps/kustomization.yaml", {"namespace": "outer", "namePrefix": "p-", "resources": ["./web"]}),
            (
                "apps/web/kustomization.yaml",
                {"namespace": "inner", "namePrefix": "w-", "nameSuffix": "-1", "resources": ["deploy.yaml"]},
            ),
        ]
    )
    p = scope.placement("apps/web/deploy.yaml")
    assert (p.root, p.namespace, p.name("api")) == ("apps", "outer", "p-w-api-1")


def test_file_no_kustomization_includes_is_its_own_directory() -> None:
    scope = KustomizeScope([("apps/kustomization.yaml", {"resources": ["a.yaml"]})])
    p = scope.placement("apps/b.yaml")
    assert (p.root, p.namespace, p.name("x")) == ("apps", None, "x")
    assert scope.placement("top.yaml").root == "."


def test_include_cycles_and_remote_entries_are_harmless() -> None:
    scope = KustomizeScope(
        [
            ("a/kustomization.yaml", {"resources": ["../b", "https://example.com/x.yaml", 7]}),
            ("b/kustomization.yaml", {"resources": ["../a", "f.yaml"], "namespace": "b"}),
        ]
    )
    assert scope.placement("b/f.yaml").namespace == "b"
