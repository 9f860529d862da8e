"""prune/overlapping-sources: two deployers applying the same files to the same place."""

from __future__ import annotations

import pytest

from gitops_guard.findings import Finding
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


# A root Application or Kustomization next to two deployers of one path.  The root sorts first
# ("00-root.yaml"), so its findings and the pair's land on the same path node of the later
# deployer: each pair is still its own finding.


def _partners(found: list[Finding]) -> list[tuple[str, str]]:
    """(where, the earlier deployer named in the message) per finding."""
    out = []
    for f in found:
        earlier = f.message.split(", which ", 1)[1].split(" (", 1)[0]
        out.append((f.path, earlier))
    return sorted(out)


ONE = "Argo CD Application argocd/one"
ROOT = "Argo CD Application argocd/root"


@pytest.mark.parametrize(
    ("root", "second", "expected"),
    [
        # A plain root directory reads only the repository root's own files: the pair alone.
        (app("root", "."), {}, [("argocd/two.yaml", ONE)]),
        (app("root", "."), {"namespace": "other"}, []),
        # recurse over the root applies apps/a too: it overlaps each, and the pair still shows.
        (
            app("root", ".", recurse=True),
            {},
            [("argocd/one.yaml", ROOT), ("argocd/two.yaml", ONE), ("argocd/two.yaml", ROOT)],
        ),
        # the pair in another namespace: only the root's overlap with the one that shares its own
        (app("root", ".", recurse=True), {"namespace": "other"}, [("argocd/one.yaml", ROOT)]),
        (
            app("root", ".", recurse=True),
            {"server": "https://prod.example.com:6443"},
            [("argocd/one.yaml", ROOT)],
        ),
        # prune off on the second: still reported (each reverts the other)
        (
            app("root", ".", recurse=True),
            {"prune": False},
            [("argocd/one.yaml", ROOT), ("argocd/two.yaml", ONE), ("argocd/two.yaml", ROOT)],
        ),
        # app of apps: the root deploys the directory of Application manifests, not what they deploy
        (app("root", "argocd"), {}, [("argocd/two.yaml", ONE)]),
        (app("root", "argocd", recurse=True), {}, [("argocd/two.yaml", ONE)]),
        (app("root", "argocd"), {"namespace": "other"}, []),
    ],
)
def test_root_application_and_two_on_one_path(
    prune: Prune, root: str, second: dict[str, object], expected: list[tuple[str, str]]
) -> None:
    files = {
        **BASE,
        "00-root.yaml": root,
        "argocd/one.yaml": app("one", "apps/a"),
        "argocd/two.yaml": app("two", "apps/a", **second),  # type: ignore[arg-type]
    }
    found = prune(files, select=RULE)
    assert _partners(found) == expected, found
    assert not any("more like it" in f.message for f in found), found


def test_app_of_apps_with_children_on_different_paths(prune: Prune) -> None:
    files = {
        **BASE,
        "00-root.yaml": app("root", "argocd"),
        "argocd/one.yaml": app("one", "apps/a"),
        "argocd/two.yaml": app("two", "apps/b"),
    }
    assert prune(files, select=RULE) == []


def test_prune_off_names_only_the_pruner(prune: Prune) -> None:
    files = {
        **BASE,
        "00-root.yaml": app("root", "argocd"),
        "argocd/one.yaml": app("one", "apps/a"),
        "argocd/two.yaml": app("two", "apps/a", prune=False),
    }
    [found] = prune(files, select=RULE)
    assert f"with prune on ({ONE})" in found.message


FLUX_ONE = "Flux Kustomization flux-system/a"
FLUX_ROOT = "Flux Kustomization flux-system/root"


@pytest.mark.parametrize(
    ("root_path", "second", "expected"),
    [
        # Flux without a kustomization.yaml takes every manifest below the root path
        (
            "./",
            {},
            [
                ("clusters/a.yaml", FLUX_ROOT),
                ("clusters/b.yaml", FLUX_ONE),
                ("clusters/b.yaml", FLUX_ROOT),
            ],
        ),
        # b into another namespace: it meets neither
        ("./", {"target_namespace": "other"}, [("clusters/a.yaml", FLUX_ROOT)]),
        (
            "./",
            {"prune": False},
            [
                ("clusters/a.yaml", FLUX_ROOT),
                ("clusters/b.yaml", FLUX_ONE),
                ("clusters/b.yaml", FLUX_ROOT),
            ],
        ),
        # app of apps: the root applies the Kustomization objects, not apps/a
        ("./clusters", {}, [("clusters/b.yaml", FLUX_ONE)]),
        ("./clusters", {"target_namespace": "other"}, []),
    ],
)
def test_flux_root_and_two_kustomizations_on_one_path(
    prune: Prune, root_path: str, second: dict[str, object], expected: list[tuple[str, str]]
) -> None:
    files = {
        **BASE,
        "clusters/00-root.yaml": ks("root", root_path),
        "clusters/git.yaml": git_repository(),
        "clusters/a.yaml": ks("a", "./apps/a"),
        "clusters/b.yaml": ks("b", "./apps/a", **second),  # type: ignore[arg-type]
    }
    found = prune(files, select=RULE)
    assert _partners(found) == expected, found
