"""Resolve the sub-schema that applies at an instance path (for hints such as
"did you mean replicas?"), following ``properties``, ``items``,
``additionalProperties``, local ``$ref`` and the branches of ``allOf/anyOf/oneOf``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def subschemas_at(schema: dict[str, Any], path: Sequence[str | int]) -> list[dict[str, Any]]:
    current = _expand(schema, schema)
    for step in path:
        nxt: list[dict[str, Any]] = []
        for node in current:
            if isinstance(step, int):
                items = node.get("items")
                if isinstance(items, dict):
                    nxt.extend(_expand(schema, items))
            else:
                props = node.get("properties")
                if isinstance(props, dict) and step in props and isinstance(props[step], dict):
                    nxt.extend(_expand(schema, props[step]))
                elif isinstance(node.get("additionalProperties"), dict):
                    nxt.extend(_expand(schema, node["additionalProperties"]))
        current = nxt
        if not current:
            break
    return current


def properties_at(schema: dict[str, Any], path: Sequence[str | int]) -> list[str]:
    names: list[str] = []
    for node in subschemas_at(schema, path):
        props = node.get("properties")
        if isinstance(props, dict):
            names.extend(p for p in props if p not in names)
    return names


def _expand(root: dict[str, Any], node: dict[str, Any], depth: int = 0) -> list[dict[str, Any]]:
    if depth > 32:
        return []
    out = [node]
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target: Any = root
        for part in ref[2:].split("/"):
            target = (
                target.get(part.replace("~1", "/").replace("~0", "~")) if isinstance(target, dict) else None
            )
        if isinstance(target, dict):
            out.extend(_expand(root, target, depth + 1))
    for key in ("allOf", "anyOf", "oneOf"):
        branches = node.get(key)
        if isinstance(branches, list):
            for b in branches:
                if isinstance(b, dict):
                    out.extend(_expand(root, b, depth + 1))
    return out


def has_validations(schema: Mapping[str, Any]) -> bool:
    """Whether any node of ``schema`` (``$defs`` included) carries CEL rules
    (``x-kubernetes-validations``): only then is the CEL machinery imported."""
    stack: list[Any] = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, Mapping):
            if node.get("x-kubernetes-validations"):
                return True
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False
