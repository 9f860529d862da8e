"""kustomize roots built with the real binary: findings land in the source, the patch or the generator."""

from __future__ import annotations

import time
from pathlib import Path

from gitops_guard.config import Config
from gitops_guard.findings import Outcome, Severity
from tests.helpers import deployment
from tests.render.conftest import Renderer

DEPLOY = deployment()
PATCH_HEAD = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n"
BASE = {"base/kustomization.yaml": "resources:\n  - deploy.yaml\n", "base/deploy.yaml": DEPLOY}


def overlay(name: str, extra: str = "") -> dict[str, str]:
    return {f"overlays/{name}/kustomization.yaml": f"resources:\n  - ../../base\nnamespace: {name}\n{extra}"}


def test_patch_that_breaks_the_schema_is_reported_in_the_patch(render_check: Renderer) -> None:
    patch = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  replica: 3\n"
    findings = render_check(
        {**BASE, **overlay("prod", "patches:\n  - path: patch.yaml\n"), "overlays/prod/patch.yaml": patch},
        select=["schema", "render"],
    )
    [f] = findings
    assert (f.rule, f.path, f.line, f.column) == ("schema/violation", "overlays/prod/patch.yaml", 6, 3)
    assert f.message == "spec.replica: unknown field (did you mean replicas?)"
    assert f.object is not None and f.object.namespace == "prod"


def test_patch_that_changes_a_value_is_reported_in_the_patch(render_check: Renderer) -> None:
    patch = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  replicas: three\n"
    [f] = render_check(
        {**BASE, **overlay("prod", "patches:\n  - path: patch.yaml\n"), "overlays/prod/patch.yaml": patch},
        select=["schema"],
    )
    assert (f.path, f.line) == ("overlays/prod/patch.yaml", 6)


def test_json6902_patch_is_reported_at_its_value(render_check: Renderer) -> None:
    extra = "patches:\n  - path: ops.yaml\n    target: {kind: Deployment, name: api}\n"
    ops = "- op: add\n  path: /spec/template/spec/hostNetwork\n  value: nope\n"
    [f] = render_check({**BASE, **overlay("prod", extra), "overlays/prod/ops.yaml": ops}, select=["schema"])
    assert (f.path, f.line, f.column) == ("overlays/prod/ops.yaml", 3, 10)


def test_error_in_base_reported_once_at_the_base_line_for_two_overlays(render_check: Renderer) -> None:
    bad = DEPLOY.replace(
        "          image: api:1\n", "          image: api:1\n          imagePullPolcy: Always\n"
    )
    files = {**BASE, "base/deploy.yaml": bad, **overlay("prod"), **overlay("staging")}
    findings = render_check(files, select=["schema"])
    [f] = findings  # not three: two overlays and the plain file
    assert (f.path, f.line, f.column) == ("base/deploy.yaml", 16, 11)
    assert "imagePullPolcy" in f.message


def test_patch_can_complete_what_the_base_lacks(render_check: Renderer) -> None:
    # The base alone is invalid (no selector); the only root that builds it adds one.
    fix = PATCH_HEAD + "  selector:\n    matchLabels: {app: api}\n"
    files = {
        "base/kustomization.yaml": "resources:\n  - deploy.yaml\n",
        "base/deploy.yaml": DEPLOY.replace("  selector:\n    matchLabels: {app: api}\n", ""),
        **overlay("prod", "patches:\n  - path: fix.yaml\n"),
        "overlays/prod/fix.yaml": fix,
    }
    assert render_check(files, select=["schema"]) == []
    # Checked as written (--no-render), the base's own gap shows.
    [f] = render_check({}, select=["schema"], render=False)
    assert (f.path, f.message) == ("base/deploy.yaml", "spec: missing required field 'selector'")
    # The config key does the same.
    assert len(render_check({}, select=["schema"], config=Config(render=False))) == 1


def test_a_value_the_base_quoted_stays_a_string_after_a_patch(render_check: Renderer) -> None:
    # kustomize keeps the base's string tag when a patch sets a number: the rendered
    # Deployment has replicas "2", which the API server rejects; the patch is where it shows.
    files = {
        "base/kustomization.yaml": "resources:\n  - deploy.yaml\n",
        "base/deploy.yaml": DEPLOY.replace("replicas: 1", "replicas: '1'"),
        **overlay("prod", "patches:\n  - path: fix.yaml\n"),
        "overlays/prod/fix.yaml": PATCH_HEAD + "  replicas: 2\n",
    }
    [f] = render_check(files, select=["schema"])
    assert (f.path, f.line) == ("overlays/prod/fix.yaml", 5)


def test_generated_objects_point_at_their_generator(render_check: Renderer) -> None:
    kustomization = (
        "resources:\n  - deploy.yaml\n"
        "configMapGenerator:\n"
        "  - name: settings\n"
        "    literals: [mode=fast]\n"
        "    options:\n"
        "      annotations:\n"
        "        argocd.argoproj.io/sync-wave: early\n"
    )
    findings = render_check(
        {"app/kustomization.yaml": kustomization, "app/deploy.yaml": DEPLOY}, select=["sync"]
    )
    [f] = [f for f in findings if f.rule == "sync/invalid-wave"]
    assert f.path == "app/kustomization.yaml"
    assert f.line == 4  # the `- name: settings` entry
    assert f.object is not None and f.object.kind == "ConfigMap"
    assert f.object.name is not None and f.object.name.startswith("settings-")


def test_remote_base_is_not_fetched(render_check: Renderer, tmp_path: Path) -> None:
    files = {
        **BASE,
        "base/deploy.yaml": DEPLOY.replace("replicas: 1", "replicas: one"),
        "app/kustomization.yaml": (
            "resources:\n  - https://github.com/example/never/deploy?ref=v1\n  - ../base\n"
        ),
    }
    started = time.monotonic()
    findings = render_check(files, select=["schema", "render"])
    assert time.monotonic() - started < 20
    failed = [f for f in findings if f.rule == "render/failed"]
    [f] = failed
    assert (f.path, f.line, f.column) == ("app/kustomization.yaml", 2, 5)  # at the remote entry
    assert f.outcome is Outcome.NOT_CHECKED and f.severity is Severity.WARNING
    assert "remote base" in f.message
    # The files under it are still checked, as written.
    assert [(g.rule, g.path, g.line) for g in findings if g.rule == "schema/violation"] == [
        ("schema/violation", "base/deploy.yaml", 6)
    ]


def test_broken_kustomization_is_a_finding_and_its_files_are_checked_as_written(
    render_check: Renderer,
) -> None:
    files = {
        "app/kustomization.yaml": "resources:\n  - deploy.yaml\n  - missing.yaml\n",
        "app/deploy.yaml": DEPLOY.replace("replicas: 1", "replicas: one"),
    }
    findings = render_check(files, select=["schema", "render"])
    [failed] = [f for f in findings if f.rule == "render/failed"]
    assert failed.path == "app/kustomization.yaml"
    assert failed.outcome is Outcome.VIOLATION and failed.severity is Severity.ERROR
    assert "missing.yaml" in failed.message
    assert "/" + "tmp" not in failed.message  # paths are shown relative, as everywhere
    assert [(f.path, f.line) for f in findings if f.rule == "schema/violation"] == [("app/deploy.yaml", 6)]


def test_malformed_kustomization_is_a_finding(render_check: Renderer) -> None:
    files = {"app/kustomization.yaml": "resources: deploy.yaml\n", "app/deploy.yaml": DEPLOY}
    [f] = render_check(files, select=["render"])
    assert f.rule == "render/failed" and f.path == "app/kustomization.yaml"


def test_missing_binary_is_not_run_never_a_pass(
    render_check: Renderer, tmp_path: Path, monkeypatch: object
) -> None:
    import pytest

    mp = pytest.MonkeyPatch()
    empty = tmp_path / "no-tools"
    empty.mkdir()
    mp.setenv("PATH", str(empty))
    mp.setenv("GITOPS_GUARD_CACHE", str(empty))
    try:
        findings = render_check({**BASE, **overlay("prod")}, select=["schema", "check", "render"])
    finally:
        mp.undo()
    [f] = findings
    assert f.rule == "check/not-run" and f.outcome is Outcome.NOT_CHECKED
    assert "kustomize not found" in f.message


def test_components_are_not_roots(render_check: Renderer) -> None:
    files = {
        **BASE,
        "components/probe/kustomization.yaml": (
            "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\npatches:\n  - path: p.yaml\n"
        ),
        "components/probe/p.yaml": PATCH_HEAD + "  paused: true\n",
        **overlay("prod", "components:\n  - ../../components/probe\n"),
    }
    assert render_check(files, select=["schema", "render"]) == []


def test_flux_repositories_are_built_without_the_load_restrictor(render_check: Renderer) -> None:
    # The overlay names a file outside its own directory: Argo CD's default build refuses it,
    # Flux's kustomize-controller accepts it. A flux-system/ kustomization marks the repository.
    files = {
        **BASE,
        "overlays/prod/kustomization.yaml": "resources:\n  - ../../base/deploy.yaml\n",
    }
    [f] = render_check(files, paths=["base/deploy.yaml"], select=["render", "schema"])
    assert f.rule == "render/failed" and "is not in or below" in f.message
    assert f.path == "overlays/prod/kustomization.yaml"
    flux = {"clusters/prod/flux-system/kustomization.yaml": "resources: []\n"}
    assert render_check(flux, paths=["base/deploy.yaml"], select=["render", "schema"]) == []
    assert render_check({}, select=["render", "schema"]) == []
