"""Local Helm charts rendered with the real helm: findings name the template file."""

from __future__ import annotations

from gitops_guard.findings import Outcome, Severity
from tests.render.conftest import Renderer

CHART = {
    "chart/Chart.yaml": "apiVersion: v2\nname: demo\nversion: 0.1.0\n",
    "chart/values.yaml": "port: 8080\n",
}
CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-settings
data:
  port: {{ .Values.port }}
"""


def test_template_that_renders_an_invalid_object(render_check: Renderer) -> None:
    findings = render_check({**CHART, "chart/templates/cm.yaml": CONFIGMAP}, select=["schema", "render"])
    [f] = findings
    assert (f.rule, f.path, f.line) == ("schema/violation", "chart/templates/cm.yaml", None)
    assert f.message == "data.port: expected string, got integer"
    assert f.object is not None and f.object.name == "chart-settings"


def test_valid_chart_passes(render_check: Renderer) -> None:
    fixed = CONFIGMAP.replace("{{ .Values.port }}", "{{ .Values.port | quote }}")
    assert render_check({**CHART, "chart/templates/cm.yaml": fixed}) == []


def test_template_error_is_a_render_failure(render_check: Renderer) -> None:
    broken = "apiVersion: v1\nkind: ConfigMap\n{{- if .Values.port }}\nmetadata: {name: x}\n"
    [f] = render_check({**CHART, "chart/templates/cm.yaml": broken}, select=["render"])
    # At the template: helm names the end of the file, where the `if` is still open.
    assert (f.rule, f.path, f.line) == ("render/failed", "chart/templates/cm.yaml", 4)
    assert f.outcome is Outcome.VIOLATION
    assert "templates/cm.yaml" in f.message


def test_dependency_not_vendored_is_not_fetched(render_check: Renderer) -> None:
    chart = CHART["chart/Chart.yaml"] + (
        "dependencies:\n  - name: redis\n    version: 1.0.0\n    repository: https://charts.example.com\n"
    )
    [f] = render_check(
        {**CHART, "chart/Chart.yaml": chart, "chart/templates/cm.yaml": CONFIGMAP}, select=["render"]
    )
    assert f.rule == "render/failed" and f.outcome is Outcome.NOT_CHECKED
    assert f.severity is Severity.WARNING and "redis" in f.message


APP = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: demo-prod
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://example.com/org/fleet.git
    path: chart
    helm:
      valueFiles: [values-prod.yaml]
  destination:
    server: https://kubernetes.default.svc
    namespace: prod
"""
QUOTED = (
    CONFIGMAP.replace("{{ .Values.port }}", "{{ .Values.port | quote }}") + "  mode: {{ .Values.mode }}\n"
)


def test_a_chart_is_rendered_with_the_values_its_application_uses(render_check: Renderer) -> None:
    files = {
        **CHART,
        "chart/values.yaml": "port: 8080\nmode: '\"fast\"'\n",
        "chart/values-prod.yaml": "mode: 3\n",  # an integer in ConfigMap data: only prod breaks
        "chart/templates/cm.yaml": QUOTED,
    }
    assert render_check(files, select=["schema", "render"]) == []  # default values: valid
    findings = render_check({**files, "apps/demo-prod.yaml": APP}, select=["schema", "render"])
    [f] = findings
    assert (f.rule, f.path, f.message) == (
        "schema/violation",
        "chart/templates/cm.yaml",
        "data.mode: expected string, got integer",
    )
    # rendered as Argo CD renders it: the Application's name is the release name
    assert f.object is not None and f.object.name == "demo-prod-settings"


def test_a_missing_value_file_is_reported_not_ignored(render_check: Renderer) -> None:
    app = APP.replace("values-prod.yaml", "values-missing.yaml")
    files = {
        **CHART,
        "chart/templates/cm.yaml": QUOTED.replace("  mode: {{ .Values.mode }}\n", ""),
        "a.yaml": app,
    }
    [f] = render_check(files, select=["render"])
    assert (f.rule, f.path, f.outcome) == ("render/failed", "chart/Chart.yaml", Outcome.NOT_CHECKED)
    assert "Application demo-prod: helm valueFiles values-missing.yaml: no such file" in f.message
