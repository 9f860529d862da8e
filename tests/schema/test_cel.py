"""CEL `x-kubernetes-validations`: truth tables on a hand-written schema, then the corpus CRDs' rules
on real corpus objects."""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from gitops_guard.schema.cel import CelResult, CelUnsupported, CelViolation, evaluate, has_validations
from tests.conftest import require_corpus as _corpus

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _rules(*entries: Mapping[str, Any]) -> dict[str, Any]:
    return {"x-kubernetes-validations": list(entries)}


# A CRD-shaped schema: a rule for each behaviour the evaluator must honour.
WIDGET: dict[str, Any] = {
    "type": "object",
    "properties": {
        "apiVersion": {"type": "string"},
        "kind": {"type": "string"},
        "metadata": {"type": "object"},
        "spec": {
            "type": "object",
            **_rules(
                {
                    "rule": "self.minReplicas <= self.maxReplicas",
                    "message": "minReplicas must not exceed maxReplicas",
                },
                {
                    "rule": "!has(self.chart) || !has(self.chartRef)",
                    "messageExpression": "'chart and chartRef are both set on ' + self.name",
                    "fieldPath": ".chartRef",
                },
                {"rule": "self.name == oldSelf.name", "message": "name is immutable"},
                {
                    "rule": "!has(self.max__dash__surge) || self.max__dash__surge < 5",
                    "message": "surge too high",
                },
            ),
            "properties": {
                "name": {"type": "string"},
                "minReplicas": {"type": "integer", "default": 1},
                "maxReplicas": {"type": "integer"},
                "max-surge": {"type": "integer"},
                "chart": {"type": "string"},
                "chartRef": {"type": "string"},
                "ratio": {"type": "number", **_rules({"rule": "type(self) == double && self <= 1.0"})},
                "count": {"type": "integer", **_rules({"rule": "type(self) == int"})},
                "tags": {
                    "type": "array",
                    "items": {
                        "type": "string",
                        **_rules({"rule": "self.startsWith('t-')", "message": "tags start with t-"}),
                    },
                },
                "labels": {
                    "type": "object",
                    "additionalProperties": {"type": "string"},
                    **_rules({"rule": "self.all(k, k.matches('^[a-z]+$') && self[k].size() > 0)"}),
                },
                "optional": {"type": "object", **_rules({"rule": "has(self.a)", "message": "a is required"})},
                "url": {"type": "string", **_rules({"rule": "self.isURL()", "message": "must be a URL"})},
                "code": {
                    "type": "string",
                    **_rules({"rule": "self.size() <= 3", "message": "at most 3 characters"}),
                },
                "mode": {
                    "type": "string",
                    **_rules(
                        {
                            "rule": "self.lowerAscii() == self",
                            "messageExpression": "'mode ' + self + ' must be lower case'",
                        }
                    ),
                },
                "strategy": {
                    "type": "object",
                    **_rules(
                        {
                            "rule": "oldSelf.hasValue() || self.name == 'initial'",
                            "optionalOldSelf": True,
                            "message": "a new strategy must start as 'initial'",
                        },
                        {"rule": "self.nmae == 'typo'", "message": "never true"},
                    ),
                    "properties": {"name": {"type": "string"}, "nmae": {"type": "string"}},
                },
            },
        },
    },
}


def _spec(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"name": "w", "maxReplicas": 3}
    base.update(fields)
    return {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": base}


def _summary(results: list[CelResult]) -> list[tuple[str, tuple[str | int, ...], str]]:
    return [
        ("violation", r.path, r.message) if isinstance(r, CelViolation) else ("unsupported", r.path, r.reason)
        for r in results
    ]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        pytest.param({}, [], id="valid; minReplicas defaulted; transition rule skipped"),
        pytest.param(
            {"minReplicas": 4},
            [("violation", ("spec",), "minReplicas must not exceed maxReplicas")],
            id="message",
        ),
        pytest.param(
            {"maxReplicas": 0},
            [("violation", ("spec",), "minReplicas must not exceed maxReplicas")],
            id="default applied before the rule",
        ),
        pytest.param(
            {"chart": "a", "chartRef": "b"},
            [("violation", ("spec", "chartRef"), "chart and chartRef are both set on w")],
            id="messageExpression and fieldPath",
        ),
        pytest.param({"max-surge": 2}, [], id="escaped property name passes"),
        pytest.param(
            {"max-surge": 9}, [("violation", ("spec",), "surge too high")], id="escaped property name fails"
        ),
        pytest.param({"ratio": 1}, [], id="number field is a double even when written as 1"),
        pytest.param({"count": 2}, [], id="integer field is an int"),
        pytest.param(
            {"ratio": 2},
            [("violation", ("spec", "ratio"), "failed rule: type(self) == double && self <= 1.0")],
            id="default message",
        ),
        pytest.param(
            {"tags": ["t-a", "b", "t-c"]},
            [("violation", ("spec", "tags", 1), "tags start with t-")],
            id="list item path",
        ),
        pytest.param({"labels": {"app": "x"}}, [], id="map keys pass"),
        pytest.param(
            {"labels": {"App": "x"}},
            [
                (
                    "violation",
                    ("spec", "labels"),
                    "failed rule: self.all(k, k.matches('^[a-z]+$') && self[k].size() > 0)",
                )
            ],
            id="map keys fail",
        ),
        pytest.param({"optional": {"a": 1}}, [], id="present field passes"),
        pytest.param(
            {"optional": {}}, [("violation", ("spec", "optional"), "a is required")], id="present field fails"
        ),
        pytest.param({"optional": None}, [], id="null field is not evaluated"),
        pytest.param(
            {"url": "https://example.com"},
            [("unsupported", ("spec", "url"), "unsupported function: isURL")],
            id="unknown function",
        ),
        pytest.param({"code": "abc"}, [], id="size of ASCII"),
        pytest.param(
            {"code": "abcd"},
            [("violation", ("spec", "code"), "at most 3 characters")],
            id="size of ASCII fails",
        ),
        pytest.param(
            {"code": "éé"},
            [
                (
                    "unsupported",
                    ("spec", "code"),
                    "size() of non-ASCII text: the CEL library counts bytes, Kubernetes characters",
                )
            ],
            id="size of non-ASCII text is not guessed",
        ),
        pytest.param({"mode": "fast"}, [], id="extension function passes"),
        pytest.param(
            {"mode": "Fast"},
            [("violation", ("spec", "mode"), "mode Fast must be lower case")],
            id="extension function fails",
        ),
        pytest.param(
            {"strategy": {"name": "initial", "nmae": "typo"}},
            [],
            id="optionalOldSelf: evaluated with no old object",
        ),
        pytest.param(
            {"strategy": {"name": "other", "nmae": "typo"}},
            [("violation", ("spec", "strategy"), "a new strategy must start as 'initial'")],
            id="optionalOldSelf fails",
        ),
        pytest.param(
            {"strategy": {"name": "initial"}},
            [("violation", ("spec", "strategy"), "no such key: nmae evaluating rule: self.nmae == 'typo'")],
            id="reading an absent field is the API server's error",
        ),
    ],
)
def test_widget_truth_table(
    fields: dict[str, Any], expected: list[tuple[str, tuple[str | int, ...], str]]
) -> None:
    assert _summary(evaluate(WIDGET, _spec(**fields))) == expected


def test_parent_rules_report_before_children() -> None:
    results = evaluate(WIDGET, _spec(minReplicas=9, tags=["x"]))
    assert [r.path for r in results] == [("spec",), ("spec", "tags", 0)]


def test_evaluate_does_not_change_the_object() -> None:
    obj = _spec(tags=["t-a"])
    before = copy.deepcopy(obj)
    evaluate(WIDGET, obj)
    assert obj == before  # the default of minReplicas was applied to a copy


def test_transition_rule_is_skipped_even_when_it_would_fail() -> None:
    schema = {"type": "object", **_rules({"rule": "self.x == oldSelf.x + 1", "message": "never on create"})}
    assert evaluate(schema, {"x": 1}) == []


def test_transition_rule_is_skipped_even_when_it_does_not_compile_here() -> None:
    schema = _rules({"rule": "self.?x == oldSelf.?x", "message": "immutable"})
    assert evaluate(schema, {"x": 1}) == []


def test_compile_error_is_unsupported() -> None:
    schema = _rules({"rule": "self.x +", "message": "m"})
    [result] = evaluate(schema, {"x": 1})
    assert isinstance(result, CelUnsupported)
    assert result.rule == "self.x +"
    assert result.reason.startswith("does not compile")


def test_optional_field_syntax_is_unsupported_not_a_crash() -> None:
    [result] = evaluate(_rules({"rule": "self.?x.orValue(1) == 1"}), {})
    assert isinstance(result, CelUnsupported)


def test_non_bool_result_is_unsupported() -> None:
    [result] = evaluate(_rules({"rule": "self.x"}), {"x": 1})
    assert isinstance(result, CelUnsupported)
    assert "not a bool" in result.reason


def test_failing_message_expression_falls_back_to_message() -> None:
    schema = _rules({"rule": "false", "messageExpression": "self.missing", "message": "plain"})
    assert evaluate(schema, {}) == [CelViolation((), "plain", "false")]


def test_blank_message_expression_falls_back_to_default() -> None:
    schema = _rules({"rule": "1 > 2", "messageExpression": "'  '"})
    assert evaluate(schema, {}) == [CelViolation((), "failed rule: 1 > 2", "1 > 2")]


def test_field_path_with_brackets() -> None:
    schema = _rules({"rule": "false", "message": "m", "fieldPath": ".data['a.b'].c"})
    [result] = evaluate(schema, {})
    assert result.path == ("data", "a.b", "c")


def test_integer_beyond_int64_is_unsupported() -> None:
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, **_rules({"rule": "self.n > 0"})}
    [result] = evaluate(schema, {"n": 2**70})
    assert isinstance(result, CelUnsupported)
    assert "int64" in result.reason


def test_date_time_field_is_a_timestamp() -> None:
    schema = {
        "type": "object",
        "properties": {"at": {"type": "string", "format": "date-time"}},
        **_rules({"rule": "self.at < timestamp('2030-01-01T00:00:00Z')", "message": "too late"}),
    }
    assert evaluate(schema, {"at": "2024-05-01T10:00:00Z"}) == []
    assert _summary(evaluate(schema, {"at": "2031-05-01T10:00:00Z"})) == [("violation", (), "too late")]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("90m", []),
        ("1h30m0.5s", []),
        ("2h", [("violation", (), "must be shorter than 2h")]),
        ("2h1ms", [("violation", (), "must be shorter than 2h")]),
        # Not a Go duration, or finer than the microseconds a Python duration holds.
        ("2 hours", [("unsupported", (), "'2 hours' is not a valid duration")]),
        ("1h59m59.9999999s", [("unsupported", (), "'1h59m59.9999999s' is not a valid duration")]),
    ],
)
def test_duration_field_is_a_duration(
    value: str, expected: list[tuple[str, tuple[str | int, ...], str]]
) -> None:
    schema = {
        "type": "object",
        "properties": {"timeout": {"type": "string", "format": "duration"}},
        **_rules({"rule": "self.timeout < duration('2h')", "message": "must be shorter than 2h"}),
    }
    assert _summary(evaluate(schema, {"timeout": value})) == expected


def test_refs_and_junctors_are_followed() -> None:
    """The converter may put a node under $defs and wrap it in anyOf (e.g. to allow null)."""
    schema = {
        "$defs": {"Spec": {"type": "object", **_rules({"rule": "self.a < self.b", "message": "a < b"})}},
        "type": "object",
        "properties": {"spec": {"anyOf": [{"$ref": "#/$defs/Spec"}, {"type": "null"}]}},
    }
    assert has_validations(schema)
    assert evaluate(schema, {"spec": {"a": 1, "b": 2}}) == []
    assert evaluate(schema, {"spec": None}) == []
    assert _summary(evaluate(schema, {"spec": {"a": 3, "b": 2}})) == [("violation", ("spec",), "a < b")]


def test_has_validations() -> None:
    assert has_validations(WIDGET)
    assert not has_validations({"type": "object", "properties": {"a": {"type": "string"}}})
    assert not has_validations({"x-kubernetes-validations": []})


# --------------------------------------------------------------------------- corpus


@cache
def _crds() -> tuple[dict[str, Any], ...]:
    docs: list[dict[str, Any]] = []
    for path in sorted((_corpus() / "crds").rglob("*.yaml")):
        for doc in yaml.load_all(path.read_text(encoding="utf-8"), Loader=_LOADER):
            if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition":
                docs.append(doc)
    return tuple(docs)


@cache
def _schemas(form: str) -> dict[tuple[str, str], Mapping[str, Any]]:
    """(apiVersion, kind) -> schema of every served corpus CRD version: the CRD's own
    openAPIV3Schema ("crd") or the JSON Schema the project converts it to ("converted")."""
    out: dict[tuple[str, str], Mapping[str, Any]] = {}
    for crd in _crds():
        if form == "converted":
            from gitops_guard.schema.crd import crd_to_schemas

            for converted in crd_to_schemas(crd):
                if converted.served:
                    out[(f"{converted.group}/{converted.version}", converted.kind)] = converted.schema
        else:
            spec = crd["spec"]
            for version in spec["versions"]:
                if version.get("served"):
                    key = (f"{spec['group']}/{version['name']}", spec["names"]["kind"])
                    out[key] = version["schema"]["openAPIV3Schema"]
    return out


def _rule_entries() -> Iterator[dict[str, Any]]:
    def walk(node: Any) -> Iterator[dict[str, Any]]:
        if isinstance(node, dict):
            yield from node.get("x-kubernetes-validations", [])
            for value in node.values():
                yield from walk(value)
        elif isinstance(node, list):
            for value in node:
                yield from walk(value)

    for crd in _crds():
        for version in crd["spec"]["versions"]:
            yield from walk(version["schema"]["openAPIV3Schema"])


@cache
def _corpus_objects() -> tuple[tuple[str, dict[str, Any]], ...]:
    """(file, object) for every corpus repository object of a kind whose served CRD has rules."""
    with_rules = {key for key, schema in _schemas("crd").items() if has_validations(schema)}
    found: list[tuple[str, dict[str, Any]]] = []
    for path in sorted((_corpus() / "repos").rglob("*.y*ml")):
        try:
            docs = list(yaml.load_all(path.read_text(encoding="utf-8"), Loader=_LOADER))
        except yaml.YAMLError:
            continue  # Helm templates are not YAML until rendered
        for doc in docs:
            if isinstance(doc, dict) and (doc.get("apiVersion"), doc.get("kind")) in with_rules:
                found.append((str(path.relative_to(_corpus())), doc))
    return tuple(found)


def _corpus_object(suffix: str, kind: str) -> dict[str, Any]:
    for file, doc in _corpus_objects():
        if file.endswith(suffix) and doc["kind"] == kind:
            return copy.deepcopy(doc)
    raise AssertionError(f"no {kind} in a corpus file ending {suffix}")


def test_every_corpus_rule_compiles_and_runs() -> None:
    """Each rule of the corpus CRDs (51, 32 distinct) on an empty object: a verdict, never 'unsupported'."""
    entries = list(_rule_entries())
    assert len(entries) >= 50
    for entry in entries:
        results = evaluate({"type": "object", "x-kubernetes-validations": [entry]}, {})
        assert not [r for r in results if isinstance(r, CelUnsupported)], entry["rule"]


@pytest.mark.parametrize("form", ["crd", "converted"])
def test_valid_corpus_objects_pass(form: str) -> None:
    objects = _corpus_objects()
    kinds = {doc["kind"] for _, doc in objects}
    assert {"HelmRelease", "Receiver", "Provider", "ClusterSecretStore"} <= kinds
    assert len(objects) > 300
    schemas = _schemas(form)
    failures = [
        (file, result)
        for file, doc in objects
        for result in evaluate(schemas[(doc["apiVersion"], doc["kind"])], doc)
    ]
    assert failures == []


@pytest.mark.parametrize("form", ["crd", "converted"])
def test_broken_helmrelease_violates(form: str) -> None:
    release = _corpus_object(
        "flux2-kustomize-helm-example/infrastructure/controllers/cert-manager.yaml", "HelmRelease"
    )
    schema = _schemas(form)[("helm.toolkit.fluxcd.io/v2", "HelmRelease")]
    assert evaluate(schema, release) == []

    release["spec"]["chart"] = {
        "spec": {"chart": "cert-manager", "sourceRef": {"kind": "HelmRepository", "name": "x"}}
    }
    release["spec"]["upgrade"]["strategy"]["name"] = "RemediateOnFailure"
    release["spec"]["upgrade"]["strategy"]["retryInterval"] = "1m"
    assert _summary(evaluate(schema, release)) == [
        ("violation", ("spec",), "either chart or chartRef must be set"),
        (
            "violation",
            ("spec", "upgrade", "strategy"),
            ".retryInterval can only be set when .name is 'RetryOnFailure'",
        ),
    ]


@pytest.mark.parametrize("form", ["crd", "converted"])
def test_broken_receiver_and_secret_store_violate(form: str) -> None:
    schemas = _schemas(form)
    receiver = _corpus_object("flux-instance/app/receiver.yaml", "Receiver")
    del receiver["spec"]["secretRef"]
    assert _summary(evaluate(schemas[("notification.toolkit.fluxcd.io/v1", "Receiver")], receiver)) == [
        ("violation", ("spec",), "secretRef is required when type is not generic-oidc")
    ]

    store = _corpus_object(
        "onepassword-sdk-home-operations/app/clustersecretstore.yaml", "ClusterSecretStore"
    )
    store["spec"]["provider"]["onepasswordSDK"]["environment"] = "prod"
    assert _summary(evaluate(schemas[("external-secrets.io/v1", "ClusterSecretStore")], store)) == [
        (
            "violation",
            ("spec", "provider", "onepasswordSDK"),
            "at most one of the fields in [vault environment] may be set",
        )
    ]


@pytest.mark.parametrize("form", ["crd", "converted"])
def test_bucket_rules_see_the_schema_default(form: str) -> None:
    """Bucket's spec.provider defaults to 'generic'; its rules read it even when the manifest omits it."""
    schema = _schemas(form)[("source.toolkit.fluxcd.io/v1", "Bucket")]
    bucket: dict[str, Any] = {
        "apiVersion": "source.toolkit.fluxcd.io/v1",
        "kind": "Bucket",
        "metadata": {"name": "b", "namespace": "flux-system"},
        "spec": {
            "interval": "5m",
            "bucketName": "b",
            "endpoint": "minio.example.com",
            "sts": {"provider": "ldap", "endpoint": "https://minio.example.com"},
        },
    }
    assert evaluate(schema, bucket) == []
    bucket["spec"]["sts"]["provider"] = "aws"
    assert _summary(evaluate(schema, bucket)) == [
        (
            "violation",
            ("spec",),
            "'ldap' is the only supported STS provider for the 'generic' Bucket provider",
        )
    ]


def test_the_evaluator_is_imported_without_its_interactive_command_line() -> None:
    import subprocess
    import sys

    code = (
        "import sys; import gitops_guard.cel_library as c; cel = c.load(); "
        "print(sorted(m for m in ('prompt_toolkit', 'pygments', 'cel.cli') if m in sys.modules), "
        "len(c.stdlib_functions()) > 0, hasattr(cel, 'Context'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[] True True"


def test_a_value_met_again_gets_its_results_at_its_own_place() -> None:
    # Rules are evaluated once per distinct value of a node and the results kept: the next
    # object with the same value must get them at its own path, with its own fieldPath.
    item = {
        "type": "object",
        "properties": {"port": {"type": "integer"}},
        **_rules({"rule": "self.port > 0", "message": "port must be positive", "fieldPath": ".port"}),
    }
    schema = {"type": "object", "properties": {"items": {"type": "array", "items": item}}}
    first = evaluate(schema, {"items": [{"port": 0}, {"port": 8}]})
    second = evaluate(schema, {"items": [{"port": 8}, {"port": 9}, {"port": 0}]})
    assert _summary(first) == [("violation", ("items", 0, "port"), "port must be positive")]
    assert _summary(second) == [("violation", ("items", 2, "port"), "port must be positive")]
    # Equal-looking values of other types are other values: 1.0 is not 1.
    number = {"type": "object", "properties": {"n": {}}, **_rules({"rule": "type(self.n) == int"})}
    assert evaluate(number, {"n": 1}) == []
    assert [r.message for r in evaluate(number, {"n": 1.0}) if isinstance(r, CelViolation)] == [
        "failed rule: type(self.n) == int"
    ]
