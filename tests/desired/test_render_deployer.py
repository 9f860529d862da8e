"""The desired-state layer: a deployer and a source tree → objects, origins, completeness.

Real kustomize and helm (pinned by scripts/install-tools); trees written to temp dirs."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops_guard import resources as resources_mod
from gitops_guard.desired import DesiredState, GapKind, render_deployer
from gitops_guard.gitops import apps
from gitops_guard.gitops.repository import Repository, normalize_url
from gitops_guard.identity import ObjectKey
from gitops_guard.source.limits import Limits
from gitops_guard.source.load import load
from gitops_guard.source.walk import discover
from tests.conftest import require_tool
from tests.helpers import FLEET_URL, FLUX_SOURCE, argo_app, flux_kustomization, write_files

CM = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  mode: fast
"""
DEPLOY = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: ${REPLICAS}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "nginx:${TAG:=1.27}"}]
"""


def render(root: Path, files: dict[str, str], deployer_file: str) -> DesiredState:
    write_files(root, files)
    candidates, _ = discover(["."], root)
    loaded = load(candidates, Limits())
    objects = list(resources_mod.from_files(loaded))
    repo = Repository(root.resolve(), frozenset({normalize_url(FLEET_URL)}))
    model = apps.build(objects, repo, abspaths={f.path: f.abspath for f in loaded})
    mine = [d for d in model.deployers if model.file_rel.get(d.path) == deployer_file]
    assert len(mine) == 1, [d.label for d in model.deployers]
    return render_deployer(mine[0], model, root, objects=objects)


@pytest.fixture(autouse=True)
def _renderers() -> None:
    require_tool("kustomize")
    require_tool("helm")


def test_a_kustomize_render_is_complete_with_origins(tmp_path: Path) -> None:
    state = render(
        tmp_path,
        {
            "app.yaml": argo_app("apps/web"),
            "apps/web/kustomization.yaml": "resources: [cm.yaml, more.yaml]\n",
            "apps/web/cm.yaml": CM,
            "apps/web/more.yaml": "# a comment\n"
            + CM.replace("settings", "first")
            + "---\n"
            + CM.replace("settings", "second"),
        },
        "app.yaml",
    )
    assert state.complete and state.reasons == ()
    by_name = {(o.key.name, o.path): o for o in state.objects}
    # The destination namespace is placed on namespaced objects without one.
    assert {o.key.name for o in state.objects} == {"settings", "first", "second"}
    assert all(o.key.namespace == "web" for o in state.objects)
    assert by_name["first", "apps/web/more.yaml"].line == 2
    assert by_name["second", "apps/web/more.yaml"].line == 9
    assert by_name["settings", "apps/web/cm.yaml"].line == 1
    assert all(o.obj["metadata"]["namespace"] == "web" for o in state.objects)


def test_a_plain_directory_names_file_and_line(tmp_path: Path) -> None:
    state = render(
        tmp_path,
        {"app.yaml": argo_app("apps/web"), "apps/web/all.yaml": CM + "---\n" + CM.replace("settings", "b")},
        "app.yaml",
    )
    assert state.complete
    assert [(o.key.name, o.path, o.line) for o in state.objects] == [
        ("settings", "apps/web/all.yaml", 1),
        ("b", "apps/web/all.yaml", 8),
    ]


def test_a_remote_base_makes_the_render_incomplete(tmp_path: Path) -> None:
    state = render(
        tmp_path,
        {
            "app.yaml": argo_app("apps/web"),
            "apps/web/kustomization.yaml": "resources:\n  - cm.yaml\n  - https://github.com/org/base//x?ref=v1\n",
            "apps/web/cm.yaml": CM,
        },
        "app.yaml",
    )
    assert not state.complete
    assert [g.kind for g in state.gaps] == [GapKind.REMOTE_BASE]
    assert "is not fetched" in state.reasons[0]
    assert state.objects == []  # never a partial list that would look like deletions


def test_a_chart_from_a_chart_repository_is_incomplete_but_not_an_error(tmp_path: Path) -> None:
    chart_app = argo_app("", repo="https://charts.example.com").replace(
        "    path: \n", "    chart: podinfo\n"
    )
    state = render(tmp_path, {"app.yaml": chart_app}, "app.yaml")
    assert not state.complete
    assert [g.kind for g in state.gaps] == [GapKind.REMOTE_SOURCE]
    assert state.errors == []  # another repository is not this change: the diff shows no error


def test_an_unvendored_chart_dependency_is_incomplete(tmp_path: Path) -> None:
    state = render(
        tmp_path,
        {
            "app.yaml": argo_app("charts/web"),
            "charts/web/Chart.yaml": (
                "apiVersion: v2\nname: web\nversion: 1.0.0\n"
                "dependencies:\n  - name: redis\n    version: 1.x\n    repository: https://charts.example.com\n"
            ),
            "charts/web/templates/cm.yaml": CM,
        },
        "app.yaml",
    )
    assert [g.kind for g in state.gaps] == [GapKind.UNVENDORED_DEPENDENCY]
    assert "redis" in state.reasons[0] and state.errors == list(state.reasons)


def test_a_chart_renders_with_its_template_as_origin(tmp_path: Path) -> None:
    state = render(
        tmp_path,
        {
            "app.yaml": argo_app("charts/web"),
            "charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 1.0.0\n",
            "charts/web/templates/cm.yaml": CM.replace("settings", "{{ .Release.Name }}-settings"),
        },
        "app.yaml",
    )
    assert state.complete, state.reasons
    [obj] = state.objects
    assert obj.key == ObjectKey("", "ConfigMap", "web", "web-settings")
    assert (obj.path, obj.line) == ("charts/web/templates/cm.yaml", None)


def test_a_missing_source_directory_is_incomplete(tmp_path: Path) -> None:
    state = render(tmp_path, {"app.yaml": argo_app("apps/gone"), "apps/web/cm.yaml": CM}, "app.yaml")
    assert not state.complete
    assert state.gaps[0].kind in (GapKind.MISSING_SOURCE, GapKind.REMOTE_SOURCE)


def test_a_failing_build_is_incomplete_with_the_tool_error(tmp_path: Path) -> None:
    state = render(
        tmp_path,
        {
            "app.yaml": argo_app("apps/web"),
            "apps/web/kustomization.yaml": "resources: [cm.yaml]\npatches:\n  - path: missing.yaml\n",
            "apps/web/cm.yaml": CM,
        },
        "app.yaml",
    )
    assert [g.kind for g in state.gaps] == [GapKind.RENDER_FAILED]
    assert state.reasons[0].startswith("kustomize build apps/web: ")
    assert state.objects == []


def test_an_unresolved_flux_variable_is_incomplete_and_a_known_one_substituted(tmp_path: Path) -> None:
    files = {
        "clusters/apps.yaml": flux_kustomization(
            "./apps", "  targetNamespace: shop\n  postBuild:\n    substitute: {TAG: '1.28'}\n"
        ),
        "clusters/source.yaml": FLUX_SOURCE,
        "apps/deploy.yaml": DEPLOY,
    }  # fmt: skip
    state = render(tmp_path, files, "clusters/apps.yaml")
    assert [g.kind for g in state.gaps] == [GapKind.UNRESOLVED_VARIABLE]
    assert "REPLICAS" in state.reasons[0]
    assert state.errors == []  # the diff still shows the object, with its expression
    [obj] = state.objects
    assert obj.key == ObjectKey("apps", "Deployment", "shop", "web")
    assert obj.obj["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.28"
    assert obj.obj["spec"]["replicas"] == "${REPLICAS}"
    assert (obj.path, obj.line) == ("apps/deploy.yaml", 1)


def test_flux_values_from_a_configmap_resolve_and_patches_apply(tmp_path: Path) -> None:
    spec = """\
  postBuild:
    substituteFrom:
      - kind: ConfigMap
        name: vars
  patches:
    - target: {kind: Deployment}
      patch: |
        - op: add
          path: /metadata/labels
          value: {patched: "yes"}
"""
    vars_cm = CM.replace("settings", "vars\n  namespace: flux-system").replace("mode: fast", "REPLICAS: '3'")
    files = {
        "clusters/apps.yaml": flux_kustomization("./apps", spec),
        "clusters/source.yaml": FLUX_SOURCE,
        "clusters/vars.yaml": vars_cm,
        "apps/deploy.yaml": DEPLOY,
    }
    state = render(tmp_path, files, "clusters/apps.yaml")
    assert state.complete, state.reasons
    [obj] = state.objects
    assert obj.obj["spec"]["replicas"] == 3  # text substitution, then YAML: a number
    assert obj.obj["metadata"]["labels"] == {"patched": "yes"}
    assert obj.path == "apps/deploy.yaml"


def test_the_tree_must_be_the_one_the_model_was_built_from(tmp_path: Path) -> None:
    write_files(tmp_path / "a", {"app.yaml": argo_app("apps/web"), "apps/web/cm.yaml": CM})
    candidates, _ = discover(["."], tmp_path / "a")
    loaded = load(candidates, Limits())
    objects = list(resources_mod.from_files(loaded))
    model = apps.build(objects, Repository((tmp_path / "a").resolve(), frozenset({normalize_url(FLEET_URL)})))
    (tmp_path / "b").mkdir()
    with pytest.raises(ValueError, match="built from"):
        render_deployer(model.deployers[0], model, tmp_path / "b")
    assert render_deployer(model.deployers[0], model, tmp_path / "a").complete


def test_no_renderer_is_a_gap_naming_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from gitops_guard.render import tools

    for name in ("empty-cache/bin", "empty-path"):
        (tmp_path / name).mkdir(parents=True)
    monkeypatch.setenv("GITOPS_GUARD_CACHE", str(tmp_path / "empty-cache"))
    monkeypatch.setenv("PATH", str(tmp_path / "empty-path"))
    assert not tools._helm_wheel_present() and tools._wheel_kubectl() is None  # this venv has no extra
    files = {"app.yaml": argo_app("apps/web"), "apps/web/kustomization.yaml": "resources: [cm.yaml]\n",
             "apps/web/cm.yaml": CM}  # fmt: skip
    state = render(tmp_path / "repo", files, "app.yaml")
    assert [g.kind for g in state.gaps] == [GapKind.NO_RENDERER]
    assert "kustomize not found" in state.reasons[0] and "pip install" in state.reasons[0]
