"""prune/broad-scope: automated prune over the repository root or over other deployers' trees."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.prune.conftest import Prune, app, cm, git_init, git_repository, ks, kustomization

RULE = ["prune/broad-scope"]
BASE = {"apps/a/cm.yaml": cm("a"), "apps/b/cm.yaml": cm("b")}


@pytest.mark.parametrize(
    ("path", "policy", "expected"),
    [
        (".", {}, 1),
        ("./", {}, 1),
        ("", {}, 1),
        (".", {"prune": False}, 0),
        (".", {"prune": None}, 0),  # automated without prune
        (".", {"automated": False}, 0),
        ("apps/a", {}, 0),
    ],
)
def test_argo_root(
    prune: Prune, tmp_path: Path, path: str, policy: dict[str, bool | None], expected: int
) -> None:
    git_init(tmp_path)  # the remote names this repository, so "." is known to be local
    found = prune({**BASE, "argocd/root.yaml": app("root", path, **policy)}, select=tuple(RULE))  # type: ignore[arg-type]
    assert len(found) == expected, found
    if expected:
        assert (found[0].path, found[0].line) == ("argocd/root.yaml", 10)  # the path: node
        assert "repository root" in found[0].message


def test_argo_automated_disabled_explicitly(prune: Prune, tmp_path: Path) -> None:
    git_init(tmp_path)
    text = app("root", ".").replace("      prune: true", "      enabled: false\n      prune: true")
    assert prune({**BASE, "argocd/root.yaml": text}, select=tuple(RULE)) == []


def test_root_of_another_repository_is_not_judged(prune: Prune, tmp_path: Path) -> None:
    git_init(tmp_path)
    other = app("other", ".", repo="https://github.com/someone/else")
    assert prune({**BASE, "argocd/other.yaml": other}, select=tuple(RULE)) == []


def test_root_alone_is_no_evidence_of_this_repository(prune: Prune) -> None:
    # No git remote, no other source naming this URL: "." exists everywhere, so it proves nothing.
    assert prune({**BASE, "argocd/root.yaml": app("root", ".")}, select=tuple(RULE)) == []


def test_root_with_evidence_from_another_application(prune: Prune) -> None:
    files = {**BASE, "argocd/a.yaml": app("a", "apps/a"), "argocd/root.yaml": app("root", ".")}
    found = prune(files, select=tuple(RULE))
    assert [(f.path, f.line) for f in found] == [("argocd/root.yaml", 10)]


@pytest.mark.parametrize(
    ("path", "prune_on", "expected"),
    [("./", True, 1), (None, True, 1), ("./", False, 0), ("./apps/a", True, 0)],
)
def test_flux_root(prune: Prune, path: str | None, prune_on: bool, expected: int) -> None:
    files = {
        **BASE,
        "clusters/prod/flux-system/gotk-sync.yaml": git_repository(),
        "clusters/prod/all.yaml": ks("all", path, prune=prune_on),
    }
    found = prune(files, select=tuple(RULE))
    assert len(found) == expected, found
    if expected:
        f = found[0]
        assert f.path == "clusters/prod/all.yaml"
        # the path: node, or the spec mapping when no path is written
        assert f.line == (12 if path is not None else 7)


def test_flux_plain_directory_over_another_deployers_path(prune: Prune) -> None:
    files = {
        **BASE,
        "clusters/prod/flux-system/gotk-sync.yaml": git_repository(),
        "clusters/prod/apps.yaml": ks("apps", "./apps"),
        "clusters/prod/a.yaml": ks("a", "./apps/a", target_namespace="a"),
    }
    found = prune(files, select=tuple(RULE))
    assert [(f.path, f.line) for f in found] == [("clusters/prod/apps.yaml", 12)]
    assert "apps/a" in found[0].message and "flux-generated" in found[0].message


def test_flux_kustomization_that_does_not_list_the_child(prune: Prune) -> None:
    files = {
        **BASE,
        "apps/kustomization.yaml": kustomization("b/cm.yaml"),
        "clusters/prod/flux-system/gotk-sync.yaml": git_repository(),
        "clusters/prod/apps.yaml": ks("apps", "./apps"),
        "clusters/prod/a.yaml": ks("a", "./apps/a"),
    }
    assert prune(files, select=tuple(RULE)) == []


def test_flux_kustomization_that_lists_the_child(prune: Prune) -> None:
    files = {
        **BASE,
        "apps/a/kustomization.yaml": kustomization("cm.yaml"),
        "apps/kustomization.yaml": kustomization("a", "b/cm.yaml"),
        "clusters/prod/flux-system/gotk-sync.yaml": git_repository(),
        "clusters/prod/apps.yaml": ks("apps", "./apps"),
        "clusters/prod/a.yaml": ks("a", "./apps/a"),
    }
    found = prune(files, select=tuple(RULE))
    assert [f.path for f in found] == ["clusters/prod/apps.yaml"]


def test_kustomize_base_outside_the_path_is_not_broad(prune: Prune) -> None:
    # An overlay that uses another app's directory as a base does not *contain* it.
    files = {
        "base/cm.yaml": cm(),
        "base/kustomization.yaml": kustomization("cm.yaml"),
        "overlay/kustomization.yaml": kustomization("../base"),
        "argocd/base.yaml": app("base", "base"),
        "argocd/overlay.yaml": app("overlay", "overlay", namespace="other"),
    }
    assert prune(files, select=tuple(RULE)) == []


@pytest.mark.parametrize(("recurse", "expected"), [(False, 0), (True, 1)])
def test_argo_directory_over_a_child(prune: Prune, recurse: bool, expected: int) -> None:
    files = {
        **BASE,
        "apps/top.yaml": cm("top"),
        "argocd/apps.yaml": app("apps", "apps", recurse=recurse),
        "argocd/a.yaml": app("a", "apps/a", namespace="a"),
    }
    found = prune(files, select=tuple(RULE))
    assert len(found) == expected, found
    if expected:
        assert found[0].path == "argocd/apps.yaml" and "directory-recurse" in found[0].message
