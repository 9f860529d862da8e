"""prune/overlapping-sources: two deployers applying the same files to the same place."""

from __future__ import annotations

import pytest

from tests.prune.conftest import Prune, app, cm, git_repository, ks, kustomization

RULE = ("prune/overlapping-sources",)
BASE = {"apps/a/cm.yaml": cm("a"), "apps/b/cm.yaml": cm("b")}


@pytest.mark.parametrize(
    ("second", "expected"),
    [
        ({}, 1),
        ({"namespace": "other"}, 0),
        ({"server": "https://prod.example.com:6443"}, 0),
        ({"server": None, "cluster_name": "in-cluster"}, 1),  # the same cluster, named
        ({"prune": False}, 1),  # no prune: they still revert each other
        ({"automated": False}, 1),
    ],
)
def test_two_applications_same_path(prune: Prune, second: dict[str, object], expected: int) -> None:
    files = {
        **BASE,
        "argocd/one.yaml": app("one", "apps/a"),
        "argocd/two.yaml": app("two", "apps/a", **second),  # type: ignore[arg-type]
    }
    found = prune(files, select=RULE)
    assert len(found) == expected, found
    if expected:
        f = found[0]
        assert (f.path, f.line) == ("argocd/two.yaml", 10)  # the later one's path: node
        assert "argocd/one.yaml" in f.message and "apps/a" in f.message


def test_different_paths_do_not_overlap(prune: Prune) -> None:
    files = {**BASE, "argocd/one.yaml": app("one", "apps/a"), "argocd/two.yaml": app("two", "apps/b")}
    assert prune(files, select=RULE) == []


def test_argo_and_flux_on_the_same_path(prune: Prune) -> None:
    files = {
        **BASE,
        "argocd/one.yaml": app("one", "apps/a", namespace="team"),
        "flux/git.yaml": git_repository(),
        "flux/a.yaml": ks("a", "./apps/a", target_namespace="team"),
    }
    found = prune(files, select=RULE)
    assert [f.path for f in found] == ["flux/a.yaml"]
    assert "Argo CD Application argocd/one" in found[0].message


def test_flux_parent_plain_directory_takes_the_child(prune: Prune) -> None:
    # No kustomization.yaml in apps/: Flux generates one taking every manifest below it.
    files = {
        **BASE,
        "clusters/prod/flux-system/gotk-sync.yaml": git_repository(),
        "clusters/prod/apps.yaml": ks("apps", "./apps"),
        "clusters/prod/a.yaml": ks("a", "./apps/a"),
    }
    found = prune(files, select=RULE)
    assert len(found) == 1 and "apps/a/cm.yaml" in found[0].message


def test_flux_parent_kustomization_lists_only_other_files(prune: Prune) -> None:
    files = {
        **BASE,
        "apps/kustomization.yaml": kustomization("b/cm.yaml"),
        "clusters/prod/flux-system/gotk-sync.yaml": git_repository(),
        "clusters/prod/apps.yaml": ks("apps", "./apps"),
        "clusters/prod/a.yaml": ks("a", "./apps/a"),
    }
    assert prune(files, select=RULE) == []


def test_overlays_sharing_a_base_do_not_overlap(prune: Prune) -> None:
    files = {
        "base/cm.yaml": cm(),
        "base/kustomization.yaml": kustomization("cm.yaml"),
        "overlays/dev/kustomization.yaml": kustomization("../../base"),
        "overlays/qa/kustomization.yaml": kustomization("../../base"),
        "argocd/dev.yaml": app("dev", "overlays/dev"),
        "argocd/qa.yaml": app("qa", "overlays/qa"),
    }
    assert prune(files, select=RULE) == []


def test_overlay_and_its_base_deployed_together(prune: Prune) -> None:
    files = {
        "base/cm.yaml": cm(),
        "base/kustomization.yaml": kustomization("cm.yaml"),
        "overlays/dev/kustomization.yaml": kustomization("../../base"),
        "argocd/base.yaml": app("base", "base"),
        "argocd/dev.yaml": app("dev", "overlays/dev"),
    }
    assert len(prune(files, select=RULE)) == 1


def test_same_name_in_two_cluster_directories_is_a_per_cluster_variant(prune: Prune) -> None:
    files = {
        **BASE,
        "clusters/staging/git.yaml": git_repository(),
        "clusters/staging/apps.yaml": ks("apps", "./apps/a"),
        "clusters/production/git.yaml": git_repository(),
        "clusters/production/apps.yaml": ks("apps", "./apps/a"),
    }
    assert prune(files, select=RULE) == []


def bootstrap(cluster: str) -> str:
    # What flux bootstrap commits: the GitRepository and a Kustomization over the cluster's directory.
    return git_repository() + "---\n" + ks("flux-system", f"./clusters/{cluster}")


def test_bootstrapped_clusters_are_separate(prune: Prune) -> None:
    files = {
        **BASE,
        "clusters/staging/flux-system/gotk-sync.yaml": bootstrap("staging"),
        "clusters/staging/apps.yaml": ks("apps-staging", "./apps/a"),
        "clusters/production/flux-system/gotk-sync.yaml": bootstrap("production"),
        "clusters/production/apps.yaml": ks("apps-production", "./apps/a"),
    }
    assert prune(files, select=RULE) == []


def test_two_kustomizations_in_one_bootstrapped_cluster(prune: Prune) -> None:
    files = {
        **BASE,
        "clusters/staging/flux-system/gotk-sync.yaml": bootstrap("staging"),
        "clusters/staging/apps.yaml": ks("apps", "./apps/a"),
        "clusters/staging/legacy.yaml": ks("legacy", "./apps/a"),
    }
    found = prune(files, select=RULE)
    assert [f.path for f in found] == ["clusters/staging/legacy.yaml"]


@pytest.mark.parametrize(("releases", "expected"), [(("x", "y"), 0), (("x", "x"), 1)])
def test_local_chart_overlaps_only_as_the_same_release(
    prune: Prune, releases: tuple[str, str], expected: int
) -> None:
    files = {
        "charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 1.0.0\n",
        "charts/web/values.yaml": "replicas: 1\n",
        "argocd/one.yaml": app("one", "charts/web", release=releases[0]),
        "argocd/two.yaml": app("two", "charts/web", release=releases[1]),
    }
    assert len(prune(files, select=RULE)) == expected


@pytest.mark.parametrize(("paths", "expected"), [(("deploy", "deploy"), 1), (("deploy", "other"), 0)])
def test_remote_sources_compare_by_repository_and_path(
    prune: Prune, paths: tuple[str, str], expected: int
) -> None:
    remote = "https://github.com/vendor/manifests"
    files = {
        "argocd/one.yaml": app("one", paths[0], repo=remote),
        "argocd/two.yaml": app("two", paths[1], repo=remote + ".git"),
    }
    found = prune(files, select=RULE)
    assert len(found) == expected
    if expected:
        assert remote in found[0].message
