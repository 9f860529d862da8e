"""CRD -> JSON Schema conversion, the shipped CRD schemas, and real repositories against them."""

from __future__ import annotations

import datetime
import importlib.machinery
import importlib.util
import json
import re
import sys
from collections import Counter
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema_rs
import pytest
import yaml

from gitops_guard.schema.crd import DRAFT_2020_12, CrdError, CrdSchema, catalogue_path, crd_to_schemas
from tests.conftest import require_corpus as _corpus

REPO_ROOT = Path(__file__).resolve().parents[2]
SHIPPED = REPO_ROOT / "schemas" / "crds"
CORPUS = REPO_ROOT.parent / "shared" / "corpus"
SCRIPT = REPO_ROOT / "scripts" / "update-schemas"

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@cache
def _script() -> ModuleType:
    """scripts/update-schemas imported as a module (it has no .py suffix)."""
    name = "update_schemas"
    loader = importlib.machinery.SourceFileLoader(name, str(SCRIPT))
    spec = importlib.util.spec_from_loader(name, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    # dataclasses resolve the module by name while the class body runs.
    sys.modules[name] = module
    loader.exec_module(module)
    return module


# --------------------------------------------------------------------------- helpers for truth tables


def make_crd(
    schema: Mapping[str, Any],
    *,
    group: str = "example.com",
    kind: str = "Widget",
    version: str = "v1",
) -> dict[str, Any]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"widgets.{group}"},
        "spec": {
            "group": group,
            "names": {"kind": kind, "plural": "widgets"},
            "scope": "Namespaced",
            "versions": [
                {"name": version, "served": True, "storage": True, "schema": {"openAPIV3Schema": schema}}
            ],
        },
    }


def spec_schema(spec: Mapping[str, Any], **root: Any) -> dict[str, Any]:
    """A root schema whose `spec` is ``spec``."""
    return {"type": "object", "properties": {"spec": spec}, **root}


def convert(schema: Mapping[str, Any], *, strict: bool = True) -> dict[str, Any]:
    (only,) = crd_to_schemas(make_crd(schema), strict=strict)
    return only.schema


def valid(schema: Mapping[str, Any], spec: Any, *, strict: bool = True, **extra: Any) -> bool:
    """Is a Widget with this `spec` valid against the converted ``schema``?"""
    document = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, **extra}
    if spec is not ...:
        document["spec"] = spec
    validator = jsonschema_rs.validator_for(convert(schema, strict=strict), validate_formats=True)
    return bool(validator.is_valid(document))


def schema_nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every schema node below ``node`` (not the property names or enum values)."""
    yield node
    for key in ("properties", "patternProperties"):
        for child in node.get(key, {}).values():
            yield from schema_nodes(child)
    for key in ("items", "additionalProperties", "not"):
        if isinstance(node.get(key), dict):
            yield from schema_nodes(node[key])
    for key in ("anyOf", "allOf", "oneOf"):
        for child in node.get(key, []):
            yield from schema_nodes(child)


# --------------------------------------------------------------------------- conversion rules


def test_description_and_example_are_stripped_but_a_field_named_description_is_kept() -> None:
    schema = spec_schema(
        {
            "type": "object",
            "description": "the spec",
            "example": {"a": 1},
            "properties": {
                "description": {"type": "string", "description": "a field called description"},
                "items": {"type": "array", "items": {"type": "string", "description": "an item"}},
            },
        },
        description="a widget",
    )
    out = convert(schema)
    spec = out["properties"]["spec"]
    assert "description" not in out
    assert "description" not in spec and "example" not in spec
    assert spec["properties"]["description"] == {"type": "string"}
    assert spec["properties"]["items"]["items"] == {"type": "string"}
    assert valid(schema, {"description": "hello"})
    assert not valid(schema, {"description": 3})


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ({"type": "string", "nullable": True}, None, True),
        ({"type": "string", "nullable": True}, "x", True),
        ({"type": "string", "nullable": True}, 1, False),
        ({"type": "string"}, None, False),
        ({"type": "string", "nullable": True, "enum": ["a", "b"]}, None, True),
        ({"type": "string", "nullable": True, "enum": ["a", "b"]}, "c", False),
        ({"type": "object", "nullable": True, "properties": {"a": {"type": "string"}}}, None, True),
        ({"type": "object", "nullable": True, "not": {"required": ["a"]}}, None, True),
        ({"type": "object", "nullable": True, "not": {"required": ["a"]}}, {"a": 1}, False),
    ],
)
def test_nullable(field: dict[str, Any], value: Any, expected: bool) -> None:
    schema = spec_schema({"type": "object", "properties": {"f": field}})
    assert valid(schema, {"f": value}) is expected


INT_OR_STRING = {
    "anyOf": [{"type": "integer"}, {"type": "string"}],
    "x-kubernetes-int-or-string": True,
    "pattern": "^[0-9]+%$",
}


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        (INT_OR_STRING, 80, True),
        (INT_OR_STRING, "50%", True),
        (INT_OR_STRING, "fifty", False),  # the pattern applies to the string form
        (INT_OR_STRING, 1.5, False),
        (INT_OR_STRING, True, False),
        (INT_OR_STRING, None, False),
        ({**INT_OR_STRING, "nullable": True}, None, True),
        ({"x-kubernetes-int-or-string": True}, "http", True),
        ({"x-kubernetes-int-or-string": True}, [], False),
    ],
)
def test_int_or_string(field: dict[str, Any], value: Any, expected: bool) -> None:
    schema = spec_schema({"type": "object", "properties": {"port": field}})
    assert valid(schema, {"port": value}) is expected


def test_int_or_string_branches_are_folded_into_the_type() -> None:
    out = convert(spec_schema({"type": "object", "properties": {"port": INT_OR_STRING}}))
    port = out["properties"]["spec"]["properties"]["port"]
    assert port["type"] == ["integer", "string"]
    assert "anyOf" not in port
    assert port["x-kubernetes-int-or-string"] is True


@pytest.mark.parametrize(
    ("spec_field", "value", "expected"),
    [
        # preserve-unknown-fields keeps an object open even when it lists properties ...
        (
            {
                "type": "object",
                "x-kubernetes-preserve-unknown-fields": True,
                "properties": {"known": {"type": "string"}},
            },
            {"known": "x", "anything": {"goes": [1]}},
            True,
        ),
        # ... but the listed properties are still checked.
        (
            {
                "type": "object",
                "x-kubernetes-preserve-unknown-fields": True,
                "properties": {"known": {"type": "string"}},
            },
            {"known": 1},
            False,
        ),
        ({"x-kubernetes-preserve-unknown-fields": True}, ["any", "json"], True),
        ({"x-kubernetes-preserve-unknown-fields": True}, None, True),
        ({"type": "object", "x-kubernetes-preserve-unknown-fields": True}, {"a": {"b": 1}}, True),
        ({"type": "object", "x-kubernetes-preserve-unknown-fields": True}, "text", False),
    ],
)
def test_preserve_unknown_fields(spec_field: dict[str, Any], value: Any, expected: bool) -> None:
    schema = spec_schema({"type": "object", "properties": {"values": spec_field}})
    assert valid(schema, {"values": value}) is expected


EMBEDDED = {
    "type": "object",
    "x-kubernetes-embedded-resource": True,
    "properties": {"spec": {"type": "object", "properties": {"replicas": {"type": "integer"}}}},
}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}, "spec": {}}, True),
        ({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"labels": {"a": "b"}}}, True),
        ({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"labels": {"a": True}}}, False),
        ({"apiVersion": "apps/v1", "metadata": {"name": "d"}}, False),  # kind is required
        ({"kind": "Deployment"}, False),  # apiVersion is required
        ({"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"replicas": "2"}}, False),
        ({"apiVersion": "apps/v1", "kind": "Deployment", "status": {}}, False),  # strict: unknown field
    ],
)
def test_embedded_resource(value: dict[str, Any], expected: bool) -> None:
    schema = spec_schema({"type": "object", "properties": {"template": EMBEDDED}})
    assert valid(schema, {"template": value}) is expected


STRICT_SPEC = spec_schema(
    {
        "type": "object",
        "properties": {
            "replicas": {"type": "integer"},
            "selector": {"type": "object", "properties": {"app": {"type": "string"}}},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "free": {"type": "object"},
        },
        "anyOf": [
            {"required": ["replicas"]},
            {"properties": {"selector": {"properties": {"app": {"minLength": 1}}}}},
        ],
    }
)


@pytest.mark.parametrize(
    ("spec", "strict", "expected"),
    [
        ({"replicas": 1}, True, True),
        ({"replicas": 1, "replica": 2}, True, False),  # a typo is an unknown field
        ({"replicas": 1, "replica": 2}, False, True),  # ... which non-strict lets through
        ({"replicas": 1, "selector": {"app": "a", "tier": "b"}}, True, False),
        ({"replicas": 1, "selector": {"app": "a", "tier": "b"}}, False, True),
        ({"replicas": 1, "labels": {"any": "key"}}, True, True),  # a declared map stays a map
        ({"replicas": 1, "labels": {"any": 1}}, True, False),
        ({"replicas": 1, "free": {"x": 1}}, True, True),  # no properties listed: not closed
        ({"selector": {"app": "a"}}, True, True),  # junctor branches are not closed
        ({"selector": {"app": ""}}, True, False),
    ],
)
def test_strict_unknown_fields(spec: dict[str, Any], strict: bool, expected: bool) -> None:
    assert valid(STRICT_SPEC, spec, strict=strict) is expected


def test_strict_closes_the_root_too() -> None:
    assert valid(spec_schema({"type": "object"}), {}, strict=True)
    assert not valid(spec_schema({"type": "object"}), {}, strict=True, sepc={})
    assert valid(spec_schema({"type": "object"}), {}, strict=False, sepc={})


def test_x_kubernetes_validations_are_kept_verbatim() -> None:
    rules = [
        {"rule": "self.minReplicas <= self.maxReplicas", "message": "min must not exceed max"},
        {
            "rule": "has(self.a) || has(self.b)",
            "messageExpression": "'need a or b'",
            "reason": "FieldValueInvalid",
        },
    ]
    schema = spec_schema(
        {
            "type": "object",
            "properties": {"minReplicas": {"type": "integer"}, "maxReplicas": {"type": "integer"}},
            "x-kubernetes-validations": rules,
        },
        **{"x-kubernetes-validations": [{"rule": "self.metadata.name.size() < 10"}]},
    )
    out = convert(schema)
    assert out["properties"]["spec"]["x-kubernetes-validations"] == rules
    assert out["x-kubernetes-validations"] == [{"rule": "self.metadata.name.size() < 10"}]
    # jsonschema-rs treats the extension as an annotation: it compiles and does not evaluate CEL.
    assert valid(schema, {"minReplicas": 5, "maxReplicas": 1})


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"apiVersion": "example.com/v1", "kind": "Widget"}, True),
        ({"apiVersion": "example.com/v2", "kind": "Widget"}, False),
        ({"apiVersion": "example.com/v1", "kind": "Gadget"}, False),
        ({"kind": "Widget"}, False),
        (
            {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": "n"}},
            True,
        ),
        ({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": ["w"]}}, False),
        ({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"labels": {"on": True}}}, False),
        ({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"annotations": {"a": "1"}}}, True),
        ({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"labels": None}}, True),
        (
            {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"uid": "x", "finalizers": []}},
            True,
        ),
        ({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": "w"}, False),
    ],
)
def test_envelope(document: dict[str, Any], expected: bool) -> None:
    out = convert(
        {
            "type": "object",
            "properties": {"spec": {"type": "object"}, "status": {"type": "object"}},
            "required": ["spec", "status"],
        }
    )
    assert out["$schema"] == DRAFT_2020_12
    assert "status" not in out["required"]
    validator = jsonschema_rs.validator_for(out)
    assert validator.is_valid({**document, "spec": {}}) is expected


def test_metadata_keeps_the_crds_name_limits() -> None:
    schema = {
        "type": "object",
        "properties": {
            "metadata": {"type": "object", "properties": {"name": {"type": "string", "maxLength": 5}}}
        },
    }
    assert valid(schema, ..., metadata={"name": "short"})
    assert not valid(schema, ..., metadata={"name": "much-too-long"})


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ({"type": "integer", "minimum": 1, "exclusiveMinimum": True}, 1, False),
        ({"type": "integer", "minimum": 1, "exclusiveMinimum": True}, 2, True),
        ({"type": "integer", "minimum": 1, "exclusiveMinimum": False}, 1, True),
        ({"type": "integer", "maximum": 9, "exclusiveMaximum": True}, 9, False),
        ({"type": "integer", "maximum": 9}, 9, True),
        ({"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "set"}, ["a", "a"], False),
        ({"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "set"}, ["a", "b"], True),
        (
            {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "atomic"},
            ["a", "a"],
            True,
        ),
        # Kubernetes formats with no JSON Schema equivalent (or a different one) are not enforced.
        ({"type": "string", "format": "duration"}, "5m", True),
        ({"type": "string", "format": "byte"}, "not base64!", True),
        ({"type": "string", "format": "uri"}, "relative/path", True),
        ({"type": "integer", "format": "int32"}, 1, True),
        ({"type": "string", "format": "date-time"}, "2024-05-01T10:00:00Z", True),
        ({"type": "string", "format": "date-time"}, "yesterday", False),
    ],
)
def test_bounds_sets_and_formats(field: dict[str, Any], value: Any, expected: bool) -> None:
    schema = spec_schema({"type": "object", "properties": {"f": field}})
    assert valid(schema, {"f": value}) is expected


def test_kept_and_dropped_formats() -> None:
    fields = {name: {"type": "string", "format": name} for name in ("int64", "byte", "duration", "date-time")}
    out = convert(spec_schema({"type": "object", "properties": fields}))
    converted = out["properties"]["spec"]["properties"]
    assert {name: converted[name].get("format") for name in fields} == {
        "int64": None,
        "byte": None,
        "duration": None,
        "date-time": "date-time",
    }


def test_all_versions_are_returned_with_served_and_storage() -> None:
    crd = make_crd(spec_schema({"type": "object"}))
    crd["spec"]["versions"] = [
        {
            "name": "v1beta1",
            "served": False,
            "storage": False,
            "schema": {"openAPIV3Schema": {"type": "object"}},
        },
        {**crd["spec"]["versions"][0]},
    ]
    result = crd_to_schemas(crd)
    assert [(s.version, s.served, s.storage) for s in result] == [
        ("v1beta1", False, False),
        ("v1", True, True),
    ]
    assert result[0].schema["properties"]["apiVersion"]["enum"] == ["example.com/v1beta1"]
    assert all(isinstance(s, CrdSchema) and s.group == "example.com" and s.kind == "Widget" for s in result)


def test_v1beta1_crd_with_a_shared_validation_schema() -> None:
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1beta1",
        "kind": "CustomResourceDefinition",
        "spec": {
            "group": "example.com",
            "names": {"kind": "Widget"},
            "version": "v1alpha1",
            "versions": [
                {"name": "v1alpha1", "served": True, "storage": True},
                {"name": "v1alpha2", "served": True, "storage": False},
            ],
            "validation": {
                "openAPIV3Schema": spec_schema(
                    {"type": "object", "properties": {"size": {"type": "integer"}}}
                )
            },
        },
    }
    result = crd_to_schemas(crd)
    assert [s.version for s in result] == ["v1alpha1", "v1alpha2"]
    validator = jsonschema_rs.validator_for(result[1].schema)
    assert validator.is_valid({"apiVersion": "example.com/v1alpha2", "kind": "Widget", "spec": {"size": 1}})
    assert not validator.is_valid(
        {"apiVersion": "example.com/v1alpha2", "kind": "Widget", "spec": {"sise": 1}}
    )


def test_v1beta1_crd_with_only_spec_version() -> None:
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1beta1",
        "kind": "CustomResourceDefinition",
        "spec": {
            "group": "example.com",
            "names": {"kind": "Widget"},
            "version": "v1",
            "validation": {"openAPIV3Schema": {"type": "object"}},
        },
    }
    (only,) = crd_to_schemas(crd)
    assert (only.version, only.served, only.storage) == ("v1", True, True)


def test_catalogue_path() -> None:
    path = catalogue_path("argoproj.io", "ApplicationSet", "v1alpha1")
    assert path == "argoproj.io/applicationset_v1alpha1.json"


def _broken(path: str, value: Any) -> dict[str, Any]:
    """A valid CRD with the item at dotted ``path`` replaced by ``value`` (deleted when ...)."""
    crd = make_crd(spec_schema({"type": "object", "properties": {"a": {"type": "string"}}}))
    node: Any = crd
    keys = path.split(".")
    for key in keys[:-1]:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if value is ...:
        del node[keys[-1]]
    else:
        node[keys[-1]] = value
    return crd


@pytest.mark.parametrize(
    ("crd", "message"),
    [
        (["not", "a", "mapping"], "must be a mapping"),
        (_broken("apiVersion", "v1"), "not a CustomResourceDefinition apiVersion"),
        (_broken("kind", "Deployment"), "is not CustomResourceDefinition"),
        (_broken("spec", ...), "spec must be a mapping"),
        (_broken("spec.group", ""), "spec.group must be a non-empty string"),
        (_broken("spec.names", ...), "spec.names must be a mapping"),
        (_broken("spec.versions", []), "spec.versions must be a non-empty list"),
        (_broken("spec.versions.0.name", 1), "spec.versions[0].name must be a non-empty string"),
        (_broken("spec.versions.0.served", "yes"), "spec.versions[0].served must be true or false"),
        (_broken("spec.versions.0.schema", ...), "spec.versions[0].schema.openAPIV3Schema is missing"),
        (
            _broken("spec.versions.0.schema.openAPIV3Schema.properties.spec.properties.a.type", "str"),
            "properties.spec.properties.a.type: 'str' is not one of",
        ),
        (
            _broken("spec.versions.0.schema.openAPIV3Schema.properties.spec.properties.a", {"$ref": "#/x"}),
            "$ref is not allowed",
        ),
        (
            _broken("spec.versions.0.schema.openAPIV3Schema.properties.spec.properties", ["a"]),
            "properties.spec.properties must be a mapping",
        ),
        (
            _broken("spec.versions.0.schema.openAPIV3Schema.properties.spec.properties.a", {"items": [{}]}),
            "a list of item schemas",
        ),
        (
            _broken("spec.versions.0.schema.openAPIV3Schema.required", "spec"),
            "openAPIV3Schema.required must be a list of field names",
        ),
        (
            _broken(
                "spec.versions.0.schema.openAPIV3Schema.properties.spec.properties.a",
                {"type": "integer", "exclusiveMinimum": True},
            ),
            "exclusiveMinimum needs a numeric minimum",
        ),
    ],
)
def test_malformed_crd_raises_crd_error(crd: Any, message: str) -> None:
    with pytest.raises(CrdError, match=re.escape(message)):
        crd_to_schemas(crd)
    assert issubclass(CrdError, ValueError)


def test_the_result_shares_nothing_with_the_input_or_other_results() -> None:
    rules = [{"rule": "self.a != ''"}]
    crd = make_crd(spec_schema({"type": "object", "x-kubernetes-validations": rules}))
    first = crd_to_schemas(crd)[0].schema
    first["properties"]["spec"]["x-kubernetes-validations"].append({"rule": "false"})
    first["properties"]["metadata"]["properties"]["labels"]["additionalProperties"]["type"] = "integer"
    second = crd_to_schemas(crd)[0].schema
    assert rules == [{"rule": "self.a != ''"}]
    assert second["properties"]["spec"]["x-kubernetes-validations"] == rules
    assert second["properties"]["metadata"]["properties"]["labels"]["additionalProperties"] == {
        "type": "string"
    }


# --------------------------------------------------------------------------- the shipped files


def _shipped_files() -> list[Path]:
    return sorted(SHIPPED.rglob("*.json"))


def test_shipped_catalogue_is_complete() -> None:
    """Every GitOps kind is shipped, and each schema file is one the index names."""
    wanted = {kind for source in _script().SOURCES if source.tier == "gitops" for kind in source.kinds}
    shipped = {json.loads(path.read_text())["properties"]["kind"]["enum"][0] for path in _shipped_files()}
    assert wanted <= shipped
    index = json.loads((SHIPPED.parent / "sources.json").read_text(encoding="utf-8"))
    names = {path.relative_to(SHIPPED).as_posix().removesuffix(".json") for path in _shipped_files()}
    assert set(index["schemas"]) == names
    tiers = {index["sources"][at]["tier"] for at in index["schemas"].values()}
    assert tiers == {"gitops", "catalog"}
    for must in (
        "argoproj.io/application_v1alpha1.json",
        "argoproj.io/applicationset_v1alpha1.json",
        "argoproj.io/appproject_v1alpha1.json",
        "bitnami.com/sealedsecret_v1alpha1.json",
        "external-secrets.io/externalsecret_v1.json",
        "helm.toolkit.fluxcd.io/helmrelease_v2.json",
        "kustomize.toolkit.fluxcd.io/kustomization_v1.json",
        "source.toolkit.fluxcd.io/gitrepository_v1.json",
        "source.toolkit.fluxcd.io/ocirepository_v1.json",
        "source.toolkit.fluxcd.io/helmrepository_v1.json",
    ):
        assert (SHIPPED / must).is_file(), must


@pytest.mark.parametrize("path", _shipped_files(), ids=lambda p: p.relative_to(SHIPPED).as_posix())
def test_shipped_schema_compiles_and_is_canonical(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    schema = json.loads(text)
    assert text == _script().schema_text(schema), "not compact, key-sorted JSON with a trailing newline"
    api_version = schema["properties"]["apiVersion"]["enum"][0]
    kind = schema["properties"]["kind"]["enum"][0]
    group, version = api_version.rsplit("/", 1)
    assert path.relative_to(SHIPPED).as_posix() == catalogue_path(group, kind, version)
    assert schema["$schema"] == DRAFT_2020_12
    jsonschema_rs.meta.validate(schema)
    jsonschema_rs.validator_for(schema)
    jsonschema_rs.validator_for(schema, validate_formats=True, ignore_unknown_formats=False)
    for node in schema_nodes(schema):
        assert not node.keys() & {"description", "example", "nullable"}, node
        assert node.get("format") in (None, "date-time", "date", "ipv4", "ipv6", "uuid"), node


def test_readme_records_every_source() -> None:
    readme = (SHIPPED.parent / "README.md").read_text(encoding="utf-8")
    for source in _script().SOURCES:
        assert f"`{source.module}`" in readme
        assert source.licence in readme
        assert all(name in readme for name in source.files)
        if source.version != source.release:
            assert f"{source.version} (wanted {source.release})" in readme
            assert source.note.split(":")[0] in readme


def _corpus_releases() -> dict[str, str]:
    """project -> release, from the CRD table of the corpus' SOURCES.md."""
    text = (_corpus() / "SOURCES.md").read_text(encoding="utf-8")
    section = text.split("## CRDs", 1)[1].split("\n## ", 1)[0]
    return dict(re.findall(r"^\| ([\w.-]+/[\w.-]+) \| (v[0-9][\w.-]*) ", section, flags=re.M))


@pytest.mark.parametrize(
    "project", sorted({source.project for source in _script().SOURCES if source.tier == "gitops"})
)
def test_corpus_crds_reproduce_the_shipped_schemas(project: str) -> None:
    """The official CRD files in the corpus convert to exactly what is shipped.

    That proves the script's output is reproducible from the upstream data. Where the
    proxy did not serve the wanted release (README: Substitutions), the corpus holds a
    different release, so only the kinds and versions can be compared.
    """
    (source,) = (s for s in _script().SOURCES if s.project == project)
    assert _corpus_releases()[project] == source.release
    corpus_dir = _corpus() / "crds" / project.replace("/", "__")
    converted: list[CrdSchema] = []
    for path in sorted(corpus_dir.rglob("*.yaml")):
        for document in yaml.load_all(path.read_text(encoding="utf-8"), Loader=_LOADER):
            if isinstance(document, dict) and document.get("kind") == "CustomResourceDefinition":
                converted.extend(s for s in crd_to_schemas(document) if s.served)
    assert converted
    for schema in converted:
        shipped = SHIPPED / catalogue_path(schema.group, schema.kind, schema.version)
        assert shipped.is_file(), f"{schema.kind} {schema.version} is served upstream but not shipped"
        if source.version == source.release:
            assert shipped.read_text(encoding="utf-8") == _script().schema_text(schema.schema), shipped
    if source.version == source.release:
        index = json.loads((SHIPPED.parent / "sources.json").read_text(encoding="utf-8"))
        from_source = {
            f"{name}.json"
            for name, at in index["schemas"].items()
            if index["sources"][at]["project"] == project
        }
        assert from_source == {catalogue_path(s.group, s.kind, s.version) for s in converted}


# --------------------------------------------------------------------------- real repositories

# Kinds whose every plain document in the corpus must validate, by apiVersion.
CHECKED_KINDS = {
    ("argoproj.io/v1alpha1", "Application"),
    ("argoproj.io/v1alpha1", "ApplicationSet"),
    ("argoproj.io/v1alpha1", "AppProject"),
    ("kustomize.toolkit.fluxcd.io/v1", "Kustomization"),
    ("helm.toolkit.fluxcd.io/v2", "HelmRelease"),
    ("source.toolkit.fluxcd.io/v1", "GitRepository"),
    ("source.toolkit.fluxcd.io/v1", "OCIRepository"),
    ("source.toolkit.fluxcd.io/v1", "HelmRepository"),
    ("external-secrets.io/v1", "ExternalSecret"),
    ("external-secrets.io/v1", "ClusterSecretStore"),
    ("bitnami.com/v1alpha1", "SealedSecret"),
    ("notification.toolkit.fluxcd.io/v1beta3", "Alert"),
    ("notification.toolkit.fluxcd.io/v1beta3", "Provider"),
    ("notification.toolkit.fluxcd.io/v1", "Receiver"),
}

# Documents that are wrong for the pinned CRDs, with the exact errors they give.
KNOWN_BAD = {
    # The repository runs a newer notification-controller than the pinned v1.9.3, whose Alert
    # `eventSources[].kind` enum has no FluxInstance: the API server with these CRDs rejects it.
    ("onedr0p__home-ops/kubernetes/components/alerts/alertmanager/alert.yaml", "alertmanager"): {
        ("/spec/eventSources/0/kind", "enum"),
    },
}

# xunholy/k8s-gitops leaves `interval` and `prune` out of its app Kustomizations: the parent
# Kustomization in kubernetes/clusters/cluster-00/ks.yaml patches them in (`spec.patches`)
# when Flux builds it. A standalone file therefore lacks two required fields; nothing else may
# be wrong with it. test_parent_patch_still_supplies_the_missing_kustomization_fields checks
# that the parent patch still sets both.
PATCHED_FIELDS = {("/spec", "required:interval"), ("/spec", "required:prune")}


def _patched_by_parent(relative: str, key: tuple[str, str]) -> bool:
    return (
        relative.startswith("xunholy__k8s-gitops/")
        and relative.endswith("/ks.yaml")
        and key == ("kustomize.toolkit.fluxcd.io/v1", "Kustomization")
    )


_FLUX_VARIABLE = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*(?::[-=][^}]*)?\}")


def _json_ready(node: Any) -> Any:
    """What the API server would see: string keys, and YAML timestamps as text."""
    if isinstance(node, dict):
        return {str(key): _json_ready(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_json_ready(item) for item in node]
    if isinstance(node, datetime.date):
        return node.isoformat()
    return node


def _in_chart_templates(path: Path) -> bool:
    """A Helm chart template: its `{{ }}` are rendered before anything is applied.

    Other documents are validated even when they hold `{{`: ApplicationSet templates,
    ExternalSecret templates and strings in HelmRelease `values` are data to the API server.
    """
    for parent in path.parents:
        if parent.name == "templates" and (parent.parent / "Chart.yaml").is_file():
            return True
    return False


@cache
def _kustomize_patch_files(repo: Path) -> frozenset[Path]:
    """Files that kustomization.yaml files use as patches: fragments, not objects."""
    patches: set[Path] = set()
    for kustomization in repo.rglob("kustomization.y*ml"):
        try:
            data = yaml.load(kustomization.read_text(encoding="utf-8"), Loader=_LOADER)
        except yaml.YAMLError:
            continue
        if not isinstance(data, dict):
            continue
        entries = [*(data.get("patches") or []), *(data.get("patchesJson6902") or [])]
        named = [e["path"] for e in entries if isinstance(e, dict) and isinstance(e.get("path"), str)]
        named += [e for e in data.get("patchesStrategicMerge") or [] if isinstance(e, str) and "\n" not in e]
        patches.update((kustomization.parent / name).resolve() for name in named)
    return frozenset(patches)


def _error_key(error: Any) -> tuple[str, str]:
    where = "/" + "/".join(str(part) for part in error.instance_path)
    kind = error.kind
    if isinstance(kind, jsonschema_rs.ValidationErrorKind.Required):
        return where, f"required:{kind.property}"
    return where, type(kind).__name__.lower()


@cache
def _validator(api_version: str, kind: str) -> Any:
    group, version = api_version.rsplit("/", 1)
    schema = json.loads((SHIPPED / catalogue_path(group, kind, version)).read_text(encoding="utf-8"))
    return jsonschema_rs.validator_for(schema, validate_formats=True)


def _documents(repo: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    for path in sorted(repo.rglob("*")):
        if path.suffix not in (".yaml", ".yml", ".json") or not path.is_file() or _in_chart_templates(path):
            continue
        if path.resolve() in _kustomize_patch_files(repo):
            continue
        try:
            documents = list(yaml.load_all(path.read_text(encoding="utf-8"), Loader=_LOADER))
        except (yaml.YAMLError, UnicodeDecodeError):
            continue
        for document in documents:
            if isinstance(document, dict):
                yield path, _json_ready(document)


def _corpus_repos() -> list[str]:
    repos = CORPUS / "repos"
    return sorted(p.name for p in repos.iterdir() if p.is_dir()) if repos.is_dir() else ["(corpus missing)"]


@pytest.mark.parametrize("repo_name", _corpus_repos())
def test_corpus_documents_validate_against_shipped_schemas(repo_name: str) -> None:
    repos = _corpus() / "repos"
    repo = repos / repo_name
    problems: list[str] = []
    for path, document in _documents(repo):
        key = (str(document.get("apiVersion")), str(document.get("kind")))
        if key not in CHECKED_KINDS:
            continue
        relative = path.relative_to(repos).as_posix()
        name = str((document.get("metadata") or {}).get("name"))
        errors = {
            _error_key(error)
            for error in _validator(*key).iter_errors(document)
            # Flux replaces ${VAR} (postBuild.substitute) before the API server sees the value.
            if not (isinstance(error.instance, str) and _FLUX_VARIABLE.search(error.instance))
        }
        expected = KNOWN_BAD.get((relative, name), set())
        if _patched_by_parent(relative, key):
            expected = expected | (PATCHED_FIELDS & errors)
        if errors != expected:
            problems.append(f"{relative} {key[1]} {name}: {sorted(errors)} (expected {sorted(expected)})")
    assert not problems, "\n".join(problems)


def test_corpus_covers_every_checked_kind() -> None:
    """The corpus test above must not pass by finding nothing."""
    repos = _corpus() / "repos"
    seen: Counter[tuple[str, str]] = Counter()
    for repo in sorted(p for p in repos.iterdir() if p.is_dir()):
        for _, document in _documents(repo):
            key = (document.get("apiVersion"), document.get("kind"))
            if key in CHECKED_KINDS:
                seen[key] += 1
    assert set(seen) == CHECKED_KINDS
    assert seen[("argoproj.io/v1alpha1", "ApplicationSet")] >= 50
    assert seen[("kustomize.toolkit.fluxcd.io/v1", "Kustomization")] >= 100
    assert seen[("helm.toolkit.fluxcd.io/v2", "HelmRelease")] >= 100
    assert seen[("external-secrets.io/v1", "ExternalSecret")] >= 50


def test_parent_patch_still_supplies_the_missing_kustomization_fields() -> None:
    parent = _corpus() / "repos" / "xunholy__k8s-gitops" / "kubernetes/clusters/cluster-00/ks.yaml"
    patched = False
    for document in yaml.load_all(parent.read_text(encoding="utf-8"), Loader=_LOADER):
        for entry in (document or {}).get("spec", {}).get("patches", []):
            patch = yaml.safe_load(entry.get("patch", "")) or {}
            if patch.get("kind") == "Kustomization" and {"interval", "prune"} <= set(patch.get("spec", {})):
                patched = True
    assert patched


def test_a_broken_corpus_document_is_caught() -> None:
    """The corpus test can fail: a real document with one typo does not validate."""
    path = _corpus() / "repos" / "onedr0p__home-ops"
    for _, document in _documents(path):
        if (document.get("apiVersion"), document.get("kind")) == ("helm.toolkit.fluxcd.io/v2", "HelmRelease"):
            break
    else:
        pytest.fail("no HelmRelease in onedr0p__home-ops")
    validator = _validator("helm.toolkit.fluxcd.io/v2", "HelmRelease")
    assert validator.is_valid(document)
    spec = dict(document["spec"])
    spec["intervall"] = spec.pop("interval")
    assert not validator.is_valid({**document, "spec": spec})
