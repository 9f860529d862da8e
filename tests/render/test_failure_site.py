"""render/failed points at the entry that failed (resource, patch, component, generator file,
chart template), with line and column; each case beside its neighbour that renders."""

from __future__ import annotations

from gitops_guard.findings import Finding, Outcome
from tests.render.conftest import Renderer

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  a: b\n"
DEPLOY = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: web:1
"""
BASE = {"base/kustomization.yaml": "resources:\n  - deploy.yaml\n", "base/deploy.yaml": DEPLOY}


def failed(findings: list[Finding]) -> list[tuple[str, int | None, int | None]]:
    return [(f.path, f.line, f.column) for f in findings if f.rule == "render/failed"]


def test_missing_resource_file_is_reported_at_its_entry(render_check: Renderer) -> None:
    files = {
        "app/kustomization.yaml": "namespace: web\nresources:\n  - cm.yaml\n  - missing.yaml\n",
        "app/cm.yaml": CM.format(name="a"),
    }
    findings = render_check(files, select=["render"])
    assert failed(findings) == [("app/kustomization.yaml", 4, 5)]
    assert findings[0].outcome is Outcome.VIOLATION and "missing.yaml" in findings[0].message
    assert render_check({**files, "app/missing.yaml": CM.format(name="b")}, select=["render"]) == []


def test_missing_resource_in_a_base_is_reported_in_the_base(render_check: Renderer) -> None:
    files = {
        **BASE,
        "base/kustomization.yaml": "resources:\n  - deploy.yaml\n  - gone.yaml\n",
        "prod/kustomization.yaml": "resources:\n  - ../base\n",
    }
    assert failed(render_check(files, select=["render"])) == [("base/kustomization.yaml", 3, 5)]
    assert render_check({**files, "base/gone.yaml": CM.format(name="g")}, select=["render"]) == []


def test_patch_whose_target_is_not_in_the_build_is_reported_at_the_patch(render_check: Renderer) -> None:
    patch = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n  replicas: 2\n"
    files = {
        **BASE,
        "prod/kustomization.yaml": (
            "resources:\n  - ../base\npatches:\n  - path: scale.yaml\n  - path: other.yaml\n"
        ),
        "prod/scale.yaml": patch.format(name="web"),
        "prod/other.yaml": patch.format(name="nothere"),
    }
    findings = render_check(files, select=["render"])
    assert failed(findings) == [("prod/kustomization.yaml", 5, 11)]  # other.yaml, not scale.yaml
    assert render_check({**files, "prod/other.yaml": patch.format(name="web")}, select=["render"]) == []


def test_json_patch_on_a_missing_path_is_reported_at_the_patch(render_check: Renderer) -> None:
    kustomization = """\
resources:
  - ../base
patches:
  - target: {kind: Deployment, name: web}
    patch: |-
      - op: replace
        path: /spec/replicas
        value: 3
  - target: {kind: Deployment, name: web}
    patch: |-
      - op: replace
        path: /spec/strategy/type
        value: Recreate
"""
    files = {**BASE, "prod/kustomization.yaml": kustomization}
    assert failed(render_check(files, select=["render"])) == [("prod/kustomization.yaml", 10, 12)]
    fixed = kustomization.replace("/spec/strategy/type", "/spec/template/spec/containers/0/image")
    assert render_check({**files, "prod/kustomization.yaml": fixed}, select=["render"]) == []


def test_missing_component_is_reported_at_its_entry(render_check: Renderer) -> None:
    component = (
        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nlabels:\n  - pairs: {tier: web}\n"
    )
    files = {
        **BASE,
        "components/tier/kustomization.yaml": component,
        "prod/kustomization.yaml": (
            "resources:\n  - ../base\ncomponents:\n  - ../components/tier\n  - ../components/gone\n"
        ),
    }
    assert failed(render_check(files, select=["render"])) == [("prod/kustomization.yaml", 5, 5)]
    assert render_check({**files, "components/gone/kustomization.yaml": component}, select=["render"]) == []


def test_missing_generator_file_is_reported_at_its_entry(render_check: Renderer) -> None:
    files = {
        "app/kustomization.yaml": (
            "configMapGenerator:\n  - name: settings\n    files:\n      - app.conf\n      - extra.conf\n"
        ),
        "app/app.conf": "a=b\n",
    }
    assert failed(render_check(files, select=["render"])) == [("app/kustomization.yaml", 5, 9)]
    assert render_check({**files, "app/extra.conf": "c=d\n"}, select=["render"]) == []


def test_error_that_names_no_entry_falls_back_to_the_kustomization(render_check: Renderer) -> None:
    files = {"app/kustomization.yaml": "resources: cm.yaml\n", "app/cm.yaml": CM.format(name="a")}
    assert failed(render_check(files, select=["render"])) == [("app/kustomization.yaml", 1, 1)]


CHART = {
    "chart/Chart.yaml": "apiVersion: v2\nname: demo\nversion: 0.1.0\n",
    "chart/values.yaml": "port: 8080\n",
    "chart/templates/ok.yaml": CM.format(name="ok"),
}
BROKEN = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: x
data:
  port: {{ .Values.server.port | quote }}
"""


def test_broken_chart_template_is_reported_at_its_line_and_column(render_check: Renderer) -> None:
    files = {**CHART, "chart/templates/cm.yaml": BROKEN}
    findings = render_check(files, select=["render"])
    assert failed(findings) == [("chart/templates/cm.yaml", 6, 19)]
    assert "server" in findings[0].message
    fixed = BROKEN.replace(".Values.server.port", ".Values.port")
    assert render_check({**files, "chart/templates/cm.yaml": fixed}, select=["render"]) == []


def test_dependency_not_vendored_is_reported_at_its_entry(render_check: Renderer) -> None:
    deps = "dependencies:\n  - name: common\n    version: 1.0.0\n  - name: redis\n    version: 1.0.0\n"
    vendored = {"chart/charts/common/Chart.yaml": "apiVersion: v2\nname: common\nversion: 1.0.0\n"}
    files = {**CHART, **vendored, "chart/Chart.yaml": CHART["chart/Chart.yaml"] + deps}
    findings = render_check(files, select=["render"])
    assert failed(findings) == [("chart/Chart.yaml", 7, 5)]  # redis, not the vendored common
    assert findings[0].outcome is Outcome.NOT_CHECKED
    redis = {"chart/charts/redis/Chart.yaml": "apiVersion: v2\nname: redis\nversion: 1.0.0\n"}
    assert render_check({**files, **redis}, select=["render"]) == []
