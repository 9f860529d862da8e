"""The built-in schema engine: jsonschema-rs, one compiled validator per schema.

Measured here on a strict Deployment: jsonschema-rs validates in ~6 µs and
compiles the bundled schema in ~3 ms; ``jsonschema`` needs ~2.7 ms per object
and ~170 ms to import.
"""

from __future__ import annotations

from typing import Any

from gitops_guard.data_path import value_at
from gitops_guard.schema import violations as v
from gitops_guard.schema.registry import SchemaHit
from gitops_guard.schema.violations import Violation
from gitops_guard.schema.walk import properties_at


class BuiltinEngine:
    name = "builtin"

    def __init__(self) -> None:
        self._validators: dict[str, Any] = {}

    def validator(self, hit: SchemaHit) -> Any:
        validator = self._validators.get(hit.key)
        if validator is None:
            from gitops_guard.schema import jsonschema_import

            validator = jsonschema_import.load().validator_for(hit.schema)
            self._validators[hit.key] = validator
        return validator

    def validate(self, body: dict[str, Any], hit: SchemaHit) -> list[Violation]:
        validator = self.validator(hit)
        try:
            errors = list(validator.iter_errors(body))
        except ValueError:  # jsonschema-rs takes string keys only
            as_json = json_keys(body)
            if as_json is body:
                raise
            body, errors = as_json, list(validator.iter_errors(as_json))
        found: list[Violation] = []
        for error in errors:
            found.extend(_translate(error, body, hit.schema))
        return found


def json_keys(node: Any) -> Any:
    """``node`` with every mapping key named as Kubernetes reads it from YAML (``5432:`` in an
    ingress-nginx tcp-services ConfigMap is ``"5432"``, ``true:`` is ``"true"``); ``node``
    itself when every key is a string already."""
    if isinstance(node, dict):
        changed = False
        out: dict[str, Any] = {}
        for key, value in node.items():
            converted = json_keys(value)
            name = key if isinstance(key, str) else _key_name(key)
            changed = changed or converted is not value or name is not key
            out[name] = converted
        return out if changed else node
    if isinstance(node, list):
        items = [json_keys(item) for item in node]
        return items if any(new is not old for new, old in zip(items, node, strict=True)) else node
    return node


def _key_name(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    if isinstance(key, float) and key.is_integer() and abs(key) < 1e21:
        return str(int(key))
    return str(key)


def _translate(error: Any, body: Any, schema: dict[str, Any]) -> list[Violation]:
    path: tuple[str | int, ...] = tuple(error.instance_path)
    kind = error.kind
    name = kind.name
    if name == "additionalProperties":
        known = properties_at(schema, path)
        return [v.unknown_field(path, str(field), known) for field in kind.unexpected]
    if name == "required":
        return [v.missing_field(path, str(kind.property))]
    if name == "type":
        return [v.wrong_type(path, list(kind.types), v.json_type(value_at(body, path)))]
    if name == "enum":
        options = ", ".join(str(o) for o in list(kind.options)[:12])
        return [v.not_listed(path, options)]
    if name == "const":
        return [v.other(path, f"must be {kind.expected_value!r}")]
    if name == "pattern":
        return [v.other(path, f"does not match pattern {kind.pattern}")]
    if name in ("anyOf", "oneOf", "oneOfNotValid"):
        return [v.other(path, "does not match any of the allowed forms")]
    if name in (
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "minProperties",
        "maxProperties",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
    ):
        return [v.other(path, f"violates {name} {kind.limit if hasattr(kind, 'limit') else ''}".rstrip())]
    if name == "uniqueItems":
        return [v.other(path, "items must be unique")]
    if name == "format":
        return [v.other(path, f"is not a valid {kind.format}")]
    return [v.other(path, f"fails the {name} constraint")]
