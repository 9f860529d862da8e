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
    assert (f.rule, f.path, f.line) == ("render/failed", "chart/Chart.yaml", 1)
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
