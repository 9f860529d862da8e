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
        found: list[Violation] = []
        for error in self.validator(hit).iter_errors(body):
            found.extend(_translate(error, body, hit.schema))
        return found


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
        return [v.other(path, f"must be one of: {options}")]
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
