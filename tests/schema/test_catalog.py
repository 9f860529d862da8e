"""The CRD catalog: what is shipped, version skew as warnings, extensions, `schemas list`/`export`."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import pytest

from gitops_guard.findings import Finding, Severity
from gitops_guard.schema import catalog
from tests.conftest import REPO_ROOT
from tests.helpers import check_files, run_cli
from tests.schema.test_crd import _script

SCHEMAS = REPO_ROOT / "schemas"

SERVICE_MONITOR = """\
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: web, namespace: web}
spec:
  selector: {matchLabels: {app: web}}
  endpoints:
    - port: http
      intervall: 30s
"""

ALERT = """\
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata: {name: on-call, namespace: flux-system}
spec:
  providerRef: {name: slack}
  eventSources:
    - kind: FluxInstance
      name: flux
"""


def _violations(found: list[Finding]) -> list[tuple[Severity, int | None, str]]:
    return [(f.severity, f.line, f.message) for f in found if f.rule == "schema/violation"]


# --------------------------------------------------------------------------- what is shipped


def test_the_catalog_covers_the_most_used_groups() -> None:
    groups = {entry.group for entry in catalog.entries() if entry.origin.tier == catalog.CATALOG}
    for group in (
        "grafana.integreatly.org",
        "operators.coreos.com",
        "monitoring.coreos.com",
        "gateway.networking.k8s.io",
        "cilium.io",
        "cert-manager.io",
        "gateway.envoyproxy.io",
        "pkg.crossplane.io",
        "nfd.k8s-sigs.io",
        "argoproj.io",
        "tekton.dev",
        "kyverno.io",
        "externaldns.k8s.io",
        "networking.istio.io",
        "flagger.app",
        "metallb.io",
        "snapshot.storage.k8s.io",
        "postgresql.cnpg.io",
        "serving.knative.dev",
        "keda.sh",
        "traefik.io",
    ):
        assert group in groups, group
    # Every served version of a kind is kept, and experimental-only Gateway API versions too.
    names = {(e.group, e.kind, e.version) for e in catalog.entries()}
    assert {("gateway.networking.k8s.io", "httproute", v) for v in ("v1", "v1beta1")} <= names
    assert ("gateway.networking.k8s.io", "tcproute", "v1alpha2") in names
    assert ("monitoring.coreos.com", "alertmanagerconfig", "v1alpha1") in names


def test_every_source_is_pinned_named_file_by_file_and_licensed() -> None:
    script = _script()
    for source in script.SOURCES:
        assert source.version.startswith("v") and "*" not in "".join(source.files), source.project
        assert source.licence in ("Apache-2.0", "MIT", "MPL-2.0"), source.project
        assert source.tier in ("gitops", "catalog")
    modules = {source.module for source in script.SOURCES}
    # AGPL-licensed projects are not shipped: their kinds need a cluster or a schema location.
    assert not any("flux-operator" in m or "volsync" in m for m in modules)
    readme = (SCHEMAS / "README.md").read_text(encoding="utf-8")
    index = json.loads((SCHEMAS / "sources.json").read_text(encoding="utf-8"))
    earlier = [(s.module, release) for s in script.SOURCES for release in s.earlier]
    assert [(s["module"], s["version"]) for s in index["sources"]] == [
        *((s.module, s.version) for s in script.SOURCES),
        *earlier,
    ]
    for source in script.SOURCES:
        assert f"| {source.project} | `{source.module}` |" in readme
        for release in source.earlier:
            assert f"| {source.project} | {release} |" in readme


def test_an_earlier_release_is_listed_kind_by_kind_and_written_only_where_it_differs() -> None:
    index = json.loads((SCHEMAS / "sources.json").read_text(encoding="utf-8"))
    assert index["earlier"], "no earlier release shipped"
    written = {p.relative_to(SCHEMAS / "earlier").as_posix() for p in (SCHEMAS / "earlier").rglob("*.json")}
    listed = set()
    for name, entries in index["earlier"].items():
        shipped = (SCHEMAS / "crds" / f"{name}.json").read_text(encoding="utf-8")
        for at, stored in entries:
            source = index["sources"][at]
            pinned = index["sources"][index["schemas"][name]]
            assert source["module"] == pinned["module"] and source["version"] != pinned["version"]
            path = SCHEMAS / "earlier" / f"{name}@{source['version']}.json"
            if stored:
                listed.add(f"{name}@{source['version']}.json")
                assert path.read_text(encoding="utf-8") != shipped
            else:
                assert not path.exists()
    assert written == listed


def test_the_license_check_refuses_agpl_and_a_wrong_licence(tmp_path: Path) -> None:
    script = _script()
    source = script.Source("x/y", "example.com/y", "v1.0.0", "v1.0.0", "Apache-2.0", ("crd.yaml",))
    (tmp_path / "LICENSE").write_text("GNU AFFERO GENERAL PUBLIC LICENSE\nVersion 3, 19 November 2007\n")
    with pytest.raises(script.UpdateError, match="AGPL"):
        script.check_licence(source, tmp_path)
    (tmp_path / "LICENSE").write_text("The MIT License (MIT)\n")
    with pytest.raises(script.UpdateError, match=r"is not Apache-2\.0"):
        script.check_licence(source, tmp_path)
    (tmp_path / "LICENSE").write_text("Apache License\n  Version 2.0, January 2004\n")
    script.check_licence(source, tmp_path)


def test_a_crd_file_with_a_bare_equals_sign_loads(tmp_path: Path) -> None:
    """prometheus-operator's matchType enum lists `- =`, which PyYAML's safe loader rejects."""
    script = _script()
    crd = (
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
        "metadata: {name: ms.example.com}\nspec:\n  group: example.com\n"
        "  names: {kind: M, plural: ms}\n  scope: Namespaced\n  versions:\n"
        "    - name: v1\n      served: true\n      storage: true\n      schema:\n"
        "        openAPIV3Schema:\n          type: object\n          properties:\n"
        "            op: {type: string, enum: [=, '!=', =~]}\n"
    )
    (tmp_path / "crd.yaml").write_text(crd)
    source = script.Source("x/y", "example.com/y", "v1.0.0", "v1.0.0", "Apache-2.0", ("crd.yaml",))
    [schema] = script.convert(source, tmp_path)
    assert schema.schema["properties"]["op"]["enum"] == ["=", "!=", "=~"]


def test_the_size_is_recorded_and_small() -> None:
    files = sorted(
        [*(SCHEMAS / "crds").rglob("*.json"), *(SCHEMAS / "earlier").rglob("*.json")],
        key=lambda p: p.relative_to(SCHEMAS).as_posix(),
    )
    texts = {path.relative_to(SCHEMAS).as_posix(): path.read_text(encoding="utf-8") for path in files}
    total = sum(path.stat().st_size for path in files)
    packed = _script().zipped_size(texts)
    readme = (SCHEMAS / "README.md").read_text(encoding="utf-8")
    assert f"{len(files)} schemas from " in readme
    assert f"{total:,} bytes (~{packed / 1e6:.1f} MB compressed file by file, as in a wheel)" in readme
    assert total < 8_000_000 and packed < 1_000_000


# --------------------------------------------------------------------------- version skew


def test_an_unknown_field_in_a_catalog_crd_is_a_warning_naming_the_version(tmp_path: Path) -> None:
    found = check_files(tmp_path, {"sm.yaml": SERVICE_MONITOR})
    origin = catalog.origin("monitoring.coreos.com", "ServiceMonitor", "v1")
    assert origin is not None and origin.project == "prometheus-operator/prometheus-operator"
    assert _violations(found) == [
        (
            Severity.WARNING,
            8,
            "spec.endpoints[0].intervall: unknown field (did you mean interval?); not in the catalog "
            f"schema of prometheus-operator/prometheus-operator {origin.version}, the operator "
            "version deployed may differ",
        )
    ]


def test_the_config_makes_catalog_unknown_fields_errors(tmp_path: Path) -> None:
    from gitops_guard.config import load_config

    (tmp_path / ".gitops-guard.yaml").write_text("catalog-unknown-fields: error\n")
    config = load_config(tmp_path / ".gitops-guard.yaml")
    found = check_files(tmp_path, {"sm.yaml": SERVICE_MONITOR}, config=config)
    [(severity, line, _)] = _violations(found)
    assert (severity, line) == (Severity.ERROR, 8)


def test_types_required_fields_and_cel_stay_errors(tmp_path: Path) -> None:
    wrong = SERVICE_MONITOR.replace("      intervall: 30s\n", "      scheme: gopher\n")
    route = (
        "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r}\nspec:\n"
        "  rules:\n    - matches: [{path: {type: Exact, value: /}}]\n      filters:\n"
        "        - type: URLRewrite\n"
        "          urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /x}}\n"
        "      backendRefs: [{name: svc, port: '80'}]\n"
    )
    issuer = "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: c}\nspec: {}\n"
    found = check_files(tmp_path, {"sm.yaml": wrong, "route.yaml": route, "cert.yaml": issuer})
    messages = {(f.path, f.severity, f.message.split(":")[0]) for f in found if f.rule == "schema/violation"}
    assert ("route.yaml", Severity.ERROR, "spec.rules[0].backendRefs[0].port") in messages
    assert ("route.yaml", Severity.ERROR, "spec.rules[0]") in messages  # the CEL rule
    assert ("cert.yaml", Severity.ERROR, "spec") in messages  # missing secretName/issuerRef
    # A value the pinned release does not list is what another release may: a warning.
    assert ("sm.yaml", Severity.WARNING, "spec.endpoints[0].scheme") in messages
    assert {severity for path, severity, _ in messages if path != "sm.yaml"} == {Severity.ERROR}


def test_a_value_only_another_channel_lists_is_a_warning_naming_the_version(tmp_path: Path) -> None:
    # Gateway API's experimental channel adds filter types (cilium's external-authz example).
    route = (
        "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r}\nspec:\n"
        "  rules:\n    - filters:\n        - type: ExternalAuth\n"
        "      backendRefs: [{name: svc, port: 80}]\n"
    )
    found = [f for f in check_files(tmp_path, {"route.yaml": route}) if f.rule == "schema/violation"]
    origin = catalog.origin("gateway.networking.k8s.io", "HTTPRoute", "v1")
    assert origin is not None
    assert [(f.severity, f.line) for f in found] == [(Severity.WARNING, 7)]
    assert found[0].message.startswith("spec.rules[0].filters[0].type: must be one of: RequestHeaderModifier")
    label = f"{origin.project} {origin.version}"
    assert found[0].message.endswith(
        f"; not in the catalog schema of {label}, the operator version deployed may differ"
    )


def test_an_unknown_field_in_a_gitops_crd_stays_an_error(tmp_path: Path) -> None:
    release = (
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: r, namespace: r}\n"
        "spec:\n  interval: 1h\n  chartRef: {kind: OCIRepository, name: r}\n  valuesFrm: []\n"
    )
    [(severity, line, message)] = _violations(check_files(tmp_path, {"hr.yaml": release}))
    assert (severity, line) == (Severity.ERROR, 7)
    assert message == "spec.valuesFrm: unknown field (did you mean valuesFrom?)"


DASHBOARD = """\
apiVersion: grafana.integreatly.org/v1beta1
kind: GrafanaDashboard
metadata: {name: d, namespace: o11y}
spec:
  instanceSelector: {matchLabels: {dashboards: grafana}}
  json: "{}"
  fromTheFuture: true
"""


def _grafana_operator(version: str) -> str:
    return (
        "apiVersion: source.toolkit.fluxcd.io/v1\nkind: OCIRepository\n"
        "metadata: {name: grafana-operator, namespace: o11y}\n"
        f"spec:\n  interval: 1h\n  url: oci://ghcr.io/grafana/helm-charts/grafana-operator\n"
        f"  ref: {{tag: {version}}}\n"
    )


def test_the_version_the_repository_deploys_decides_how_an_unknown_field_is_reported(tmp_path: Path) -> None:
    origin = catalog.origin("grafana.integreatly.org", "GrafanaDashboard", "v1beta1")
    assert origin is not None and "grafana-operator" in origin.charts
    label = f"grafana/grafana-operator {origin.version}"
    # The repository deploys the catalog's version: the schema is exact, the field is wrong.
    same = {"dash.yaml": DASHBOARD, "oci.yaml": _grafana_operator(origin.version.removeprefix("v"))}
    assert _violations(check_files(tmp_path / "same", same)) == [
        (
            Severity.ERROR,
            7,
            f"spec.fromTheFuture: unknown field; not in the schema of {label}, which oci.yaml deploys",
        )
    ]
    # Another version: a warning that says which one the repository deploys.
    other = {"dash.yaml": DASHBOARD, "oci.yaml": _grafana_operator("5.99.1")}
    assert _violations(check_files(tmp_path / "other", other)) == [
        (
            Severity.WARNING,
            7,
            f"spec.fromTheFuture: unknown field; not in the catalog schema of {label}, but the repository "
            "deploys 5.99.1 (oci.yaml), whose schema is not shipped",
        )
    ]


CERTIFICATE = """\
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: web, namespace: default}
spec:
  secretName: web-tls
  issuerRef: {name: letsencrypt, kind: ClusterIssuer}
  renewal: {policy: RenewBefore}
  duration: 1
"""


def _cert_manager(*versions: str) -> dict[str, str]:
    return {
        f"hr{i}.yaml": (
            "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\n"
            f"metadata: {{name: cm{i}, namespace: cm}}\nspec:\n  interval: 1h\n  chart:\n    spec:\n"
            f"      chart: cert-manager\n      version: {version}\n"
            "      sourceRef: {kind: HelmRepository, name: jetstack}\n"
        )
        for i, version in enumerate(versions)
    }


def _has_property(path: Path, *steps: str) -> bool:
    node = json.loads(path.read_text(encoding="utf-8"))
    for step in steps:
        node = node.get("properties", {}).get(step)
        if node is None:
            return False
    return True


def test_the_release_the_repository_deploys_is_checked_against_its_own_schema(tmp_path: Path) -> None:
    [earlier] = catalog.earlier("cert-manager.io", "Certificate", "v1")
    pinned = catalog.origin("cert-manager.io", "Certificate", "v1")
    assert pinned is not None and earlier.origin.version != pinned.version and earlier.path is not None
    # What the case rests on: spec.renewal is newer than the earlier release.
    assert _has_property(SCHEMAS / "crds/cert-manager.io/certificate_v1.json", "spec", "renewal")
    assert not _has_property(earlier.path, "spec", "renewal")
    release = earlier.origin.version.removeprefix("v")
    label = f"cert-manager/cert-manager {earlier.origin.version}"
    minor = ".".join(release.split(".")[:2])

    exact = _violations(check_files(tmp_path / "exact", {"cert.yaml": CERTIFICATE, **_cert_manager(release)}))
    assert exact == [
        (
            Severity.ERROR,
            7,
            f"spec.renewal: unknown field; not in the schema of {label}, which hr0.yaml deploys",
        ),
        (
            Severity.ERROR,
            8,
            f"spec.duration: expected string, got integer (schema of {label}, which hr0.yaml deploys)",
        ),
    ]
    patch = _violations(
        check_files(tmp_path / "patch", {"cert.yaml": CERTIFICATE, **_cert_manager(f"v{minor}.99")})
    )
    assert patch == [
        (
            Severity.WARNING,
            7,
            f"spec.renewal: unknown field; not in the schema of {label}, the shipped release nearest the "
            f"{minor}.99 that hr0.yaml deploys",
        ),
        (
            Severity.ERROR,
            8,
            f"spec.duration: expected string, got integer (schema of {label}, for the {minor}.99 "
            "that hr0.yaml deploys)",
        ),
    ]
    # Deploying nothing, or two minor versions at once: the pinned release, where renewal is known.
    for name, files in (("none", {}), ("both", _cert_manager(release, pinned.version))):
        found = _violations(check_files(tmp_path / name, {"cert.yaml": CERTIFICATE, **files}))
        assert found == [(Severity.ERROR, 8, "spec.duration: expected string, got integer")], name


CILIUM_POLICY = """\
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: kafka, namespace: default}
spec:
  endpointSelector: {matchLabels: {app: broker}}
  ingress:
    - toPorts:
        - ports: [{port: "9092", protocol: TCP}]
          rules:
            kafka: [{role: produce, topic: events}]
"""


def test_an_earlier_release_keeps_a_field_the_pinned_one_removed(tmp_path: Path) -> None:
    [earlier] = catalog.earlier("cilium.io", "CiliumNetworkPolicy", "v2")
    assert earlier.path is not None
    # What the case rests on: Kafka rules are gone from the pinned release.
    assert "kafka" in earlier.path.read_text(encoding="utf-8")
    assert "kafka" not in (SCHEMAS / "crds/cilium.io/ciliumnetworkpolicy_v2.json").read_text(encoding="utf-8")
    app = (
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\n"
        "metadata: {name: cilium, namespace: argocd}\nspec:\n  project: default\n"
        "  destination: {server: https://kubernetes.default.svc, namespace: kube-system}\n"
        "  source: {repoURL: https://helm.cilium.io, chart: cilium, "
        f"targetRevision: {earlier.origin.version}}}\n"
    )
    assert _violations(check_files(tmp_path / "deployed", {"cnp.yaml": CILIUM_POLICY, "app.yaml": app})) == []
    # Against the pinned release, the removed field is an unknown one, and the rules no
    # longer match any of their forms: an error a cilium of the earlier release never makes.
    pinned = _violations(check_files(tmp_path / "pinned", {"cnp.yaml": CILIUM_POLICY}))
    assert [(severity, line) for severity, line, _ in pinned] == [
        (Severity.WARNING, 10),
        (Severity.ERROR, 10),
    ]
    assert "rules.kafka: unknown field" in pinned[0][2]


def test_chart_versions_are_read_from_flux_and_argo_cd_objects() -> None:
    from gitops_guard.resources import Resource, object_ref
    from gitops_guard.schema import deployed
    from gitops_guard.source.limits import Limits
    from gitops_guard.source.yamldoc import parse

    text = (
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: a}\n"
        "spec: {chart: {spec: {chart: cert-manager, version: v1.2.3}}}\n---\n"
        "apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmChart\nmetadata: {name: c}\n"
        "spec: {chart: metallb, version: 0.15.0}\n---\n"
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: b}\n"
        "spec: {sources: [{chart: keda, targetRevision: 2.1.0}, {chart: cilium, targetRevision: 1.x}]}\n"
    )
    docs = parse(text, "apps.yaml", Limits()).documents
    resources = [Resource(object_ref(d.data), d.data, d) for d in docs]
    found = deployed.find(resources, ("cert-manager", "metallb", "keda", "cilium", "flagger"))
    assert [(d.chart, d.version, d.path) for d in found] == [
        ("cert-manager", "1.2.3", "apps.yaml"),
        ("metallb", "0.15.0", "apps.yaml"),
        ("keda", "2.1.0", "apps.yaml"),
    ]
    assert deployed.exact("1.x") is None and deployed.exact(">=1.0.0") is None


def test_repository_crds_come_before_the_catalog(tmp_path: Path) -> None:
    crd = (
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
        "metadata: {name: servicemonitors.monitoring.coreos.com}\nspec:\n"
        "  group: monitoring.coreos.com\n  names: {kind: ServiceMonitor, plural: servicemonitors}\n"
        "  scope: Namespaced\n  versions:\n    - name: v1\n      served: true\n      storage: true\n"
        "      schema:\n        openAPIV3Schema:\n          type: object\n"
        "          x-kubernetes-preserve-unknown-fields: true\n"
    )
    assert _violations(check_files(tmp_path, {"crd.yaml": crd, "sm.yaml": SERVICE_MONITOR})) == []


# --------------------------------------------------------------------------- operator extensions


def test_an_extension_adds_enum_values_an_operator_patches_in(tmp_path: Path) -> None:
    from gitops_guard.config import load_config

    [(severity, line, message)] = _violations(check_files(tmp_path, {"alert.yaml": ALERT}))
    assert (severity, line) == (Severity.ERROR, 7) and message.startswith(
        "spec.eventSources[0].kind: must be"
    )
    (tmp_path / ".gitops-guard.yaml").write_text(
        "schema-extensions:\n"
        "  - apiVersion: notification.toolkit.fluxcd.io\n"
        "    kind: Alert\n"
        "    path: spec.eventSources[].kind\n"
        "    enum: [FluxInstance, ResourceSet]\n"
    )
    config = load_config(tmp_path / ".gitops-guard.yaml")
    assert _violations(check_files(tmp_path, {"alert.yaml": ALERT}, config=config)) == []
    # Other values are still refused.
    wrong = ALERT.replace("FluxInstance", "Flux")
    [(severity, _, _)] = _violations(check_files(tmp_path, {"alert.yaml": wrong}, config=config))
    assert severity is Severity.ERROR


def test_an_extension_adds_fields(tmp_path: Path) -> None:
    from gitops_guard.config import load_config

    (tmp_path / ".gitops-guard.yaml").write_text(
        "catalog-unknown-fields: error\n"
        "schema-extensions:\n"
        "  - apiVersion: monitoring.coreos.com/v1\n"
        "    kind: ServiceMonitor\n"
        "    path: spec.endpoints[]\n"
        "    fields: [intervall]\n"
    )
    config = load_config(tmp_path / ".gitops-guard.yaml")
    assert _violations(check_files(tmp_path, {"sm.yaml": SERVICE_MONITOR}, config=config)) == []
    other = SERVICE_MONITOR.replace("intervall", "timeoutt")
    assert len(_violations(check_files(tmp_path, {"sm.yaml": other}, config=config))) == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("schema-extensions: {a: 1}\n", ":1:20: 'schema-extensions' must be a list"),
        ("schema-extensions:\n  - kind: Alert\n", ":2:5: 'apiVersion' must be a non-empty string"),
        (
            "schema-extensions:\n  - {apiVersion: a/v1, kind: A, path: spec, enum: [x], colour: red}\n",
            "unknown extension key 'colour'",
        ),
        ("schema-extensions:\n  - {apiVersion: a/v1, kind: A, path: spec}\n", "needs 'enum' or 'fields'"),
        (
            "schema-extensions:\n  - {apiVersion: a/v1, kind: A, path: 'a..b', enum: [x]}\n",
            "empty field name",
        ),
        ("catalog-unknown-fields: fatal\n", "must be one of warning, error, not 'fatal'"),
    ],
)
def test_bad_extension_config_names_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    from gitops_guard.config import load_config
    from gitops_guard.errors import ConfigError

    path = tmp_path / ".gitops-guard.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=r"gitops-guard\.yaml:") as info:
        load_config(path)
    assert message in str(info.value)


# --------------------------------------------------------------------------- list and export


def test_schemas_list_shows_every_schema_with_its_source(tmp_path: Path) -> None:
    proc = run_cli("schemas", "list", "--format", "json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)["schemas"]
    crd_rows = [r for r in rows if r["source"] != "builtin"]
    assert len(crd_rows) == len(list((SCHEMAS / "crds").rglob("*.json")))
    assert any(r["source"] == "builtin" for r in rows)
    [monitor] = [
        r for r in crd_rows if (r["group"], r["kind"]) == ("monitoring.coreos.com", "ServiceMonitor")
    ]
    assert monitor["project"] == "prometheus-operator/prometheus-operator"
    assert monitor["module"].startswith("github.com/prometheus-operator/prometheus-operator@v")
    assert monitor["licence"] == "Apache-2.0" and monitor["source"] == "catalog"
    [release] = [r for r in crd_rows if r["kind"] == "HelmRelease"]
    assert release["source"] == "gitops"
    text = run_cli("schemas", "list", cwd=tmp_path)
    assert text.returncode == 0
    assert "catalog  monitoring.coreos.com/v1" in text.stdout
    assert text.stdout.splitlines()[-1].startswith(f"{len(crd_rows)} CRD schemas from ")


def test_schemas_export_includes_the_catalog(tmp_path: Path) -> None:
    proc = run_cli("schemas", "export", str(tmp_path / "out"), cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out" / "monitoring.coreos.com" / "servicemonitor_v1.json").is_file()
    assert (tmp_path / "out" / "gateway.networking.k8s.io" / "tcproute_v1alpha2.json").is_file()


def _crd_schema(script: ModuleType, kind: str, version: str) -> object:
    return script.CrdSchema("example.com", kind, version, True, True, {"type": "object"})


def test_a_fill_only_source_adds_only_what_earlier_ones_lack() -> None:
    script = _script()
    standard = script.Source("x/std", "example.com/m", "v1.0.0", "v1.0.0", "Apache-2.0", ("a.yaml",))
    experimental = script.Source(
        "x/exp", "example.com/m", "v1.0.0", "v1.0.0", "Apache-2.0", ("b.yaml",), fill_only=True
    )
    files = script.render(
        [
            (standard, [_crd_schema(script, "Route", "v1")]),
            (experimental, [_crd_schema(script, "Route", "v1"), _crd_schema(script, "Route", "v1alpha2")]),
        ]
    )
    index = json.loads(files["sources.json"])
    assert index["schemas"] == {"example.com/route_v1": 0, "example.com/route_v1alpha2": 1}
    assert "Route (example.com/v1alpha2)" in files["README.md"]
    with pytest.raises(script.UpdateError, match=r"two sources produce crds/example\.com/route_v1\.json"):
        script.render([(standard, [_crd_schema(script, "Route", "v1")])] * 2)


def test_check_reports_stale_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--check` compares what the sources give with what is shipped, file by file."""
    script = _script()
    shipped = {"crds/example.com/route_v1.json": "{}\n", "sources.json": "{}\n", "README.md": "x\n"}
    monkeypatch.setattr(script, "generate", lambda cache: dict(shipped))
    for name, text in shipped.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert script.main(["--check", "--out", str(tmp_path)]) == 0
    (tmp_path / "crds/example.com/route_v1.json").write_text('{"type":"object"}\n')
    (tmp_path / "crds/example.com/gone_v1.json").write_text("{}\n")
    assert script.main(["--check", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "stale: schemas/crds/example.com/route_v1.json" in err
    assert "stale: schemas/crds/example.com/gone_v1.json" in err


# --------------------------------------------------------------------------- null fields


def test_a_null_field_of_a_custom_resource_is_pruned_as_the_api_server_does(tmp_path: Path) -> None:
    # A Helm template or a hand-edited file leaves `ref:` with nothing after it.
    repo = (
        "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata: {name: r}\n"
        "spec:\n  url: https://example.com/app\n  interval: 1m\n  ref:\n"
    )
    assert [f for f in check_files(tmp_path / "a", {"repo.yaml": repo}) if f.rule.startswith("schema/")] == []
    # Pruned, a required field is missing, as the API server then says.
    no_url = repo.replace("  url: https://example.com/app\n", "  url:\n")
    found = [(f.rule, f.message) for f in check_files(tmp_path / "b", {"repo.yaml": no_url})]
    assert found == [("schema/violation", "spec: missing required field 'url'")]
    # A null list item is not a field: it stays, and is refused.
    crd = (
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
        "metadata: {name: things.example.com}\nspec:\n  group: example.com\n"
        "  names: {kind: Thing, plural: things}\n  scope: Namespaced\n  versions:\n"
        "    - name: v1\n      served: true\n      storage: true\n      schema:\n"
        "        openAPIV3Schema:\n          type: object\n          properties:\n"
        "            spec:\n              type: object\n              properties:\n"
        "                tags: {type: array, items: {type: string}}\n"
    )
    thing = "apiVersion: example.com/v1\nkind: Thing\nmetadata: {name: t}\nspec:\n  tags: [a, null]\n"
    found = [(f.rule, f.message) for f in check_files(tmp_path / "c", {"crd.yaml": crd, "t.yaml": thing})]
    assert found == [("schema/violation", "spec.tags[1]: expected string, got null")]
