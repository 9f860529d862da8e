"""Truth table for schema/violation, schema/missing and schema/deprecated-api."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gitops_guard.findings import Outcome, Severity
from tests.checks.conftest import Checker
from tests.helpers import deployment

DEPLOY = deployment(replicas=2, namespace="api")


def summary(findings):  # type: ignore[no-untyped-def]
    return [(f.rule, f.line, f.column, f.message) for f in findings]


def test_valid_deployment_passes(check: Checker) -> None:
    assert check({"d.yaml": DEPLOY}) == []


def test_unknown_field_points_at_key_with_hint(check: Checker) -> None:
    text = DEPLOY.replace("  replicas: 2", "  replica: 2")
    [f] = check({"d.yaml": text})
    assert (f.rule, f.line, f.column) == ("schema/violation", 7, 3)
    assert f.message == "spec.replica: unknown field (did you mean replicas?)"
    assert f.object is not None and (f.object.kind, f.object.namespace, f.object.name) == (
        "Deployment",
        "api",
        "api",
    )


def test_wrong_type_never_echoes_the_value(check: Checker) -> None:
    text = DEPLOY.replace("  replicas: 2", "  replicas: 'two-secret-value'")
    [f] = check({"d.yaml": text})
    assert f.rule == "schema/violation" and f.line == 7
    assert f.message == "spec.replicas: expected integer, got string"
    assert "two-secret-value" not in f.message


def test_missing_required_field(check: Checker) -> None:
    text = DEPLOY.replace("          image: api:1\n", "")
    text = text.replace("        - name: api\n", "        - image: api:1\n")
    [f] = check({"d.yaml": text})
    assert f.message == "spec.template.spec.containers[0]: missing required field 'name'"
    assert f.line == 15


def test_missing_schema_is_not_a_pass(check: Checker) -> None:
    [f] = check({"w.yaml": "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n"})
    assert f.rule == "schema/missing"
    assert f.outcome is Outcome.NOT_CHECKED
    assert f.severity is Severity.WARNING
    assert f.line == 2


def test_non_objects_are_not_reported(check: Checker) -> None:
    files = {
        "kustomization.yaml": "resources: [a.yaml]\n",
        "chart/Chart.yaml": "apiVersion: v2\nname: c\nversion: 1.0.0\n",
        "chart/values.yaml": "image: {tag: latest}\n",
        "chart/templates/deploy.yaml": (
            "apiVersion: apps/v1\nkind: Deployment\n{{- if .Values.x }}\nspec: {}\n"
        ),
        ".github/workflows/ci.yaml": "on: push\njobs: {}\n",
        "config.yaml": "just: plain config\n",
        "argo-appset.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: '{{path.basename}}'\n",
    }
    # The kustomization and the chart do not render (render/failed, tested in tests/render).
    assert check(files, select=["schema"]) == []


def test_deprecated_and_removed_apis(check: Checker) -> None:
    ingress = "apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: i}\nspec: {}\n"
    [f] = check({"i.yaml": ingress}, kubernetes_version="1.30")
    assert f.rule == "schema/deprecated-api"
    assert f.severity is Severity.ERROR
    assert "networking.k8s.io/v1" in f.message
    assert f.line == 1


def test_flux_beta_versions_are_flagged(check: Checker) -> None:
    hr = (
        "apiVersion: helm.toolkit.fluxcd.io/v2beta1\nkind: HelmRelease\nmetadata: {name: h, namespace: f}\n"
        "spec:\n  interval: 1m\n  chart: {spec: {chart: x, sourceRef: {kind: HelmRepository, name: r}}}\n"
    )
    rules = [f.rule for f in check({"hr.yaml": hr})]
    assert "schema/deprecated-api" in rules
    assert "schema/missing" not in rules


CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets, singular: widget}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                size: {type: integer}
              x-kubernetes-validations:
                - rule: "self.size <= 10"
                  message: "size must be at most 10"
"""


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("size: 3", []),
        # CEL findings point at the object that holds the rule
        ("size: 30", [("schema/violation", 5, 3, "spec: size must be at most 10")]),
        (
            "sise: 3",
            [
                ("schema/violation", 5, 3, "spec.sise: unknown field (did you mean size?)"),
                # the API server rejects it too: the rule reads a field that is absent
                ("schema/violation", 5, 3, "spec: no such key: size evaluating rule: self.size <= 10"),
            ],
        ),
    ],
)
def test_crd_in_repository_and_its_cel_rules(check: Checker, spec: str, expected: list[object]) -> None:
    widget = f"apiVersion: example.com/v1\nkind: Widget\nmetadata: {{name: w}}\nspec:\n  {spec}\n"
    assert summary(check({"crd.yaml": CRD, "w.yaml": widget})) == expected


def test_shipped_gitops_crds(check: Checker) -> None:
    app = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: a, namespace: argocd}
spec:
  project: default
  source: {repoURL: 'https://example.com/r.git', path: apps, targetRevision: main}
  destination: {server: 'https://kubernetes.default.svc', namespace: a}
  syncPolicy:
    automated: {prune: true, selfheal: true}
"""
    [f] = check({"app.yaml": app})
    assert f.rule == "schema/violation"
    assert f.message == "spec.syncPolicy.automated.selfheal: unknown field (did you mean selfHeal?)"
    assert f.line == 9


def test_sops_metadata_is_stripped(check: Checker) -> None:
    secret = (
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ntype: Opaque\n"
        "stringData:\n  password: ENC[AES256_GCM,data:abc,iv:def,tag:ghi,type:str]\n"
        "sops:\n  version: 3.8.1\n  age: []\n  lastmodified: '2024-01-01T00:00:00Z'\n  mac: ENC[x]\n"
    )
    assert check({"s.yaml": secret}) == []


def test_flux_substitution_variables_are_not_type_errors(check: Checker) -> None:
    text = DEPLOY.replace("  replicas: 2", "  replicas: ${REPLICAS}")
    assert check({"d.yaml": text}) == []


def test_kubernetes_version_selects_schemas(check: Checker) -> None:
    # batch/v1beta1 CronJob: still in 1.24's API (not shipped), removed in 1.25
    cron = "apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: c}\nspec: {}\n"
    [f] = check({"c.yaml": cron}, kubernetes_version="1.25")
    assert f.rule == "schema/deprecated-api"


def test_schema_location_directory_and_template(check: Checker, tmp_path: Path) -> None:
    schemas = tmp_path / "my-schemas" / "example.com"
    schemas.mkdir(parents=True)
    schema = {
        "type": "object",
        "properties": {
            "apiVersion": {"enum": ["example.com/v1"]},
            "kind": {"enum": ["Gizmo"]},
            "metadata": {"type": "object"},
            "spec": {
                "type": "object",
                "properties": {"count": {"type": "integer"}},
                "additionalProperties": False,
            },
        },
    }
    (schemas / "gizmo_v1.json").write_text(json.dumps(schema))
    gizmo = "apiVersion: example.com/v1\nkind: Gizmo\nmetadata: {name: g}\nspec: {cont: 1}\n"
    for location in (
        str(tmp_path / "my-schemas"),
        str(tmp_path / "my-schemas") + "/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json",
    ):
        [f] = check({"g.yaml": gizmo}, schema_locations=[location])
        assert f.message == "spec.cont: unknown field (did you mean count?)"
