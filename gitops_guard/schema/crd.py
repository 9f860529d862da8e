"""Turn a CustomResourceDefinition into JSON Schemas, one per version.

A CRD's ``openAPIV3Schema`` is OpenAPI 3.0 with Kubernetes extensions, not JSON
Schema. The API server gives some keywords a meaning JSON Schema lacks
(``nullable``, ``x-kubernetes-int-or-string``, ``x-kubernetes-preserve-unknown-fields``,
``x-kubernetes-embedded-resource``, ``x-kubernetes-list-type``) and reads others
differently (boolean ``exclusiveMinimum``, Go-flavoured ``format`` names). This
module rewrites those into draft 2020-12 so that a JSON Schema validator reaches
the verdict the API server would, and leaves ``x-kubernetes-validations`` in
place for the CEL evaluator, which walks the same schema.

Everything here is pure: callers load the YAML and write the files.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"

_CRD_API_VERSIONS = frozenset({"apiextensions.k8s.io/v1", "apiextensions.k8s.io/v1beta1"})

# Documentation only; dropping them keeps the shipped schemas small. A field
# *named* "description" (AppProject has one) lives under `properties` and is kept.
_DOC_KEYWORDS = frozenset({"description", "example", "externalDocs"})

# Formats whose JSON Schema meaning matches the API server's. The others are
# dropped: int32/int64/byte/password are unknown to JSON Schema, "duration" is
# a Go duration ("5m") for Kubernetes but ISO 8601 ("PT5M") for JSON Schema, and
# "uri" accepts relative references in Kubernetes but not in JSON Schema.
_KEPT_FORMATS = frozenset({"date-time", "date", "ipv4", "ipv6", "uuid"})

_TYPES = frozenset({"object", "array", "string", "integer", "number", "boolean"})

_STRING = {"type": "string"}
_STRING_MAP = {"type": ["object", "null"], "additionalProperties": _STRING}

# Enough ObjectMeta to catch the common mistakes (a label value that YAML read
# as a boolean, a name that is a list) without re-implementing the API server's
# metadata validation. Unknown metadata fields are tolerated: the API server
# drops them on the way in.
_METADATA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": _STRING,
        "generateName": _STRING,
        "namespace": _STRING,
        "labels": _STRING_MAP,
        "annotations": _STRING_MAP,
    },
}


class CrdError(ValueError):
    """The document is not a CRD this module can convert."""


@dataclass(frozen=True)
class CrdSchema:
    group: str
    kind: str
    version: str
    served: bool
    storage: bool
    schema: dict[str, Any]


def catalogue_path(group: str, kind: str, version: str) -> str:
    """Where kubeconform's CRD catalogue keeps the schema of ``group/version, kind``."""
    return f"{group}/{kind.lower()}_{version}.json"


def crd_to_schemas(crd: Mapping[str, Any], *, strict: bool = True) -> list[CrdSchema]:
    """One :class:`CrdSchema` per version of ``crd``, served or not, in CRD order.

    With ``strict`` an object that lists its ``properties`` rejects fields it
    does not list, as ``kubectl apply --validate=strict`` and ``kubeconform
    -strict`` do; without it the unknown fields pass, as the API server's
    pruning lets them.
    """
    if not isinstance(crd, Mapping):
        raise CrdError("a CRD must be a mapping")
    api_version = crd.get("apiVersion")
    if api_version not in _CRD_API_VERSIONS:
        raise CrdError(f"apiVersion {api_version!r} is not a CustomResourceDefinition apiVersion")
    if crd.get("kind") != "CustomResourceDefinition":
        raise CrdError(f"kind {crd.get('kind')!r} is not CustomResourceDefinition")
    spec = _mapping(crd.get("spec"), "spec")
    group = _text(spec.get("group"), "spec.group")
    names = _mapping(spec.get("names"), "spec.names")
    kind = _text(names.get("kind"), "spec.names.kind")

    result: list[CrdSchema] = []
    for name, served, storage, raw, where in _versions(spec, v1=api_version == "apiextensions.k8s.io/v1"):
        schema = _object_schema(raw, where, group=group, version=name, kind=kind, strict=strict)
        result.append(CrdSchema(group, kind, name, served, storage, schema))
    return result


def _versions(spec: Mapping[str, Any], *, v1: bool) -> list[tuple[str, bool, bool, Mapping[str, Any], str]]:
    """(name, served, storage, openAPIV3Schema, path of that schema) per version.

    v1beta1 allowed one schema for all versions (``spec.validation``) and a
    single ``spec.version`` instead of a list; v1 requires a list with a
    schema in every entry.
    """
    shared: Mapping[str, Any] | None = None
    if not v1 and spec.get("validation") is not None:
        validation = _mapping(spec.get("validation"), "spec.validation")
        shared = _mapping(validation.get("openAPIV3Schema"), "spec.validation.openAPIV3Schema")

    entries = spec.get("versions")
    if entries is None and not v1 and spec.get("version") is not None:
        entries = [{"name": spec.get("version"), "served": True, "storage": True}]
    if not isinstance(entries, list) or not entries:
        raise CrdError("spec.versions must be a non-empty list")

    out: list[tuple[str, bool, bool, Mapping[str, Any], str]] = []
    for index, entry in enumerate(entries):
        where = f"spec.versions[{index}]"
        entry = _mapping(entry, where)
        name = _text(entry.get("name"), f"{where}.name")
        served = _flag(entry.get("served"), f"{where}.served", required=v1)
        storage = _flag(entry.get("storage"), f"{where}.storage", required=v1)
        raw_schema = entry.get("schema")
        if raw_schema is not None:
            holder = _mapping(raw_schema, f"{where}.schema")
            raw = _mapping(holder.get("openAPIV3Schema"), f"{where}.schema.openAPIV3Schema")
            out.append((name, served, storage, raw, f"{where}.schema.openAPIV3Schema"))
        elif shared is not None:
            out.append((name, served, storage, shared, "spec.validation.openAPIV3Schema"))
        else:
            raise CrdError(f"{where}.schema.openAPIV3Schema is missing")
    return out


def _object_schema(
    raw: Mapping[str, Any], where: str, *, group: str, version: str, kind: str, strict: bool
) -> dict[str, Any]:
    """The schema of a whole custom object: the CRD's schema plus the envelope."""
    schema = _convert(raw, where, strict=strict, in_junctor=False)
    properties = dict(schema.get("properties", {}))
    # A one-value enum, as kubeconform's catalogue spells it, so that lookups
    # can check a schema is for the apiVersion/kind they asked about.
    properties["apiVersion"] = {"type": "string", "enum": [f"{group}/{version}"]}
    properties["kind"] = {"type": "string", "enum": [kind]}
    properties["metadata"] = _metadata_schema(properties.get("metadata"))
    schema["properties"] = properties
    schema["type"] = "object"
    # Status is written by the controller, never by the repository.
    required = [name for name in schema.get("required", []) if name not in ("status", "apiVersion", "kind")]
    schema["required"] = ["apiVersion", "kind", *required]
    return {"$schema": DRAFT_2020_12, **schema}


def _metadata_schema(declared: Any) -> dict[str, Any]:
    """Our ObjectMeta schema, keeping the CRD's limits on name/generateName.

    Those two are the only metadata fields a CRD may constrain.
    """
    # A fresh copy each time: callers own the schemas they get back.
    metadata = copy.deepcopy(_METADATA)
    if isinstance(declared, Mapping):
        for field in ("name", "generateName"):
            limit = declared.get("properties", {}).get(field)
            if isinstance(limit, Mapping):
                metadata["properties"][field] = {**limit, "type": "string"}
    return metadata


def _convert(node: Any, where: str, *, strict: bool, in_junctor: bool) -> dict[str, Any]:
    """Convert one schema node (and everything below it).

    ``in_junctor`` is set below anyOf/allOf/oneOf/not: structural schemas only
    put value checks there, so closing objects with ``additionalProperties:
    false`` would reject the very fields the branch is about.
    """
    node = _mapping(node, where)
    if "$ref" in node:
        raise CrdError(f"{where}: $ref is not allowed in a CRD schema")

    nullable = _flag(node.get("nullable"), f"{where}.nullable", required=False)
    int_or_string = _flag(
        node.get("x-kubernetes-int-or-string"), f"{where}.x-kubernetes-int-or-string", required=False
    )
    preserve = _flag(
        node.get("x-kubernetes-preserve-unknown-fields"),
        f"{where}.x-kubernetes-preserve-unknown-fields",
        required=False,
    )
    embedded = _flag(
        node.get("x-kubernetes-embedded-resource"), f"{where}.x-kubernetes-embedded-resource", required=False
    )

    out: dict[str, Any] = {}
    for key, value in node.items():
        here = f"{where}.{key}"
        if key in _DOC_KEYWORDS or key in ("nullable", "type", "exclusiveMinimum", "exclusiveMaximum"):
            continue
        if key == "format":
            if value in _KEPT_FORMATS:
                out[key] = value
        elif key in ("properties", "patternProperties"):
            members = _mapping(value, here)
            out[key] = {
                str(name): _convert(sub, f"{here}.{name}", strict=strict, in_junctor=in_junctor)
                for name, sub in members.items()
            }
        elif key == "items":
            if isinstance(value, list):
                raise CrdError(f"{here}: a list of item schemas is not allowed in a CRD schema")
            out[key] = _convert(value, here, strict=strict, in_junctor=in_junctor)
        elif key == "additionalProperties":
            out[key] = (
                value
                if isinstance(value, bool)
                else _convert(value, here, strict=strict, in_junctor=in_junctor)
            )
        elif key in ("anyOf", "allOf", "oneOf"):
            if not isinstance(value, list):
                raise CrdError(f"{here} must be a list")
            out[key] = [
                _convert(branch, f"{here}[{i}]", strict=strict, in_junctor=True)
                for i, branch in enumerate(value)
            ]
        elif key == "not":
            out[key] = _convert(value, here, strict=strict, in_junctor=True)
        elif key == "enum":
            if not isinstance(value, list):
                raise CrdError(f"{here} must be a list")
            out[key] = copy.deepcopy([*value, None] if nullable and None not in value else value)
        elif key == "required":
            if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
                raise CrdError(f"{here} must be a list of field names")
            out[key] = list(value)
        else:
            # Validation keywords JSON Schema shares with OpenAPI, and the
            # x-kubernetes-* markers (kept verbatim for the CEL evaluator).
            out[key] = copy.deepcopy(value)

    _apply_bounds(node, out, where)

    types = _types(node.get("type"), where, int_or_string=int_or_string, nullable=nullable)
    if types:
        out["type"] = types[0] if len(types) == 1 else types
    if int_or_string:
        _drop_int_or_string_branches(out)
    if nullable and "not" in out:
        # `not` would otherwise reject null, which the API server accepts for a
        # nullable field without looking at its other checks.
        out["not"] = {"allOf": [{"not": {"type": "null"}}, out["not"]]}

    if node.get("x-kubernetes-list-type") == "set":
        out["uniqueItems"] = True

    if embedded:
        properties = out.setdefault("properties", {})
        properties.setdefault("apiVersion", dict(_STRING))
        properties.setdefault("kind", dict(_STRING))
        properties.setdefault("metadata", _metadata_schema(None))
        # The API server insists on these two in an embedded object.
        others = [name for name in out.get("required", []) if name not in ("apiVersion", "kind")]
        out["required"] = ["apiVersion", "kind", *others]

    closes = strict and not in_junctor and not preserve and "properties" in out
    if closes and "additionalProperties" not in out and (types is None or "object" in types):
        out["additionalProperties"] = False
    return out


def _types(declared: Any, where: str, *, int_or_string: bool, nullable: bool) -> list[str] | None:
    """The JSON Schema ``type`` list, or None when any type is allowed."""
    if int_or_string:
        types = ["integer", "string"]
    elif declared is None:
        # Untyped nodes (preserve-unknown-fields, junctor branches) accept
        # any value, null included.
        return None
    elif isinstance(declared, str) and declared in _TYPES:
        types = [declared]
    else:
        raise CrdError(f"{where}.type: {declared!r} is not one of {', '.join(sorted(_TYPES))}")
    if nullable:
        types.append("null")
    return types


def _drop_int_or_string_branches(out: dict[str, Any]) -> None:
    """controller-gen spells int-or-string as ``anyOf: [{type: integer}, {type: string}]``.

    The type list already says that; the branches would also reject null when
    the field is nullable.
    """
    branches = out.get("anyOf")
    if not isinstance(branches, list):
        return
    kept = [branch for branch in branches if branch not in ({"type": "integer"}, {"type": "string"})]
    if kept:
        out["anyOf"] = kept
    else:
        del out["anyOf"]


def _apply_bounds(node: Mapping[str, Any], out: dict[str, Any], where: str) -> None:
    """OpenAPI 3.0's boolean exclusiveMinimum/Maximum become 2020-12's numeric ones."""
    for bound, exclusive in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
        flag = _flag(node.get(exclusive), f"{where}.{exclusive}", required=False)
        if not flag:
            continue
        limit = node.get(bound)
        if not _is_number(limit):
            raise CrdError(f"{where}.{exclusive} needs a numeric {bound}")
        out.pop(bound, None)
        out[exclusive] = limit


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise CrdError(f"{where} must be a mapping, not {_type_name(value)}")
    return value


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise CrdError(f"{where} must be a non-empty string")
    return value


def _flag(value: Any, where: str, *, required: bool) -> bool:
    if value is None and not required:
        return False
    if not isinstance(value, bool):
        raise CrdError(f"{where} must be true or false, not {_type_name(value)}")
    return value


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, Sequence) and not isinstance(value, str):
        return "a list"
    return type(value).__name__
