"""``schema-extensions`` in the config: enum values and fields an operator adds to a kind.

Some operators patch another project's CRD (an operator that lets Flux's Alert watch its
own kinds widens ``spec.eventSources[].kind``). An extension says so without forking the
schema; the registry applies it to whichever schema it finds for the kind:

    schema-extensions:
      - apiVersion: notification.toolkit.fluxcd.io/v1beta3   # or just the group: every version
        kind: Alert
        path: spec.eventSources[].kind                       # "[]": a list's items
        enum: [FluxInstance, ResourceSet]                    # values it also accepts
      - apiVersion: monitoring.coreos.com
        kind: ServiceMonitor
        path: spec
        fields: [fallbackScrapeProtocol]                     # fields it also accepts (any value)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

_KEYS = frozenset({"apiVersion", "kind", "path", "enum", "fields"})


class Extension(NamedTuple):
    api_version: str  # "group/version", or "group" for every version
    kind: str
    path: tuple[str, ...]  # field names; "[]" steps into a list's items
    enum: tuple[Any, ...] = ()  # values the field also accepts
    fields: tuple[str, ...] = ()  # fields the object also accepts, of any value


def parse_path(text: str) -> tuple[str, ...]:
    """``spec.eventSources[].kind`` -> ("spec", "eventSources", "[]", "kind")."""
    steps: list[str] = []
    for part in text.split("."):
        name = part
        lists = 0
        while name.endswith("[]"):
            name = name[:-2]
            lists += 1
        if not name and not (lists and steps):
            raise ValueError(f"empty field name in {text!r}")
        if name:
            steps.append(name)
        steps.extend(["[]"] * lists)
    return tuple(steps)


def parse(value: Any, fail: Callable[[tuple[str | int, ...], str], None]) -> tuple[Extension, ...]:
    """The config's list; ``fail(where, message)`` raises the config error for an entry."""
    key = "schema-extensions"
    if value is None:
        return ()
    if not isinstance(value, list):
        fail((key,), f"{key!r} must be a list of extensions")
    out = []
    for i, entry in enumerate(value):
        where: tuple[str | int, ...] = (key, i)
        if not isinstance(entry, dict):
            fail(where, "an extension is a mapping with apiVersion, kind, path and enum or fields")
            continue
        unknown = sorted(set(entry) - _KEYS)
        if unknown:
            known = ", ".join(sorted(_KEYS))
            fail((*where, unknown[0]), f"unknown extension key {unknown[0]!r} (known: {known})")
        for name in ("apiVersion", "kind", "path"):
            if not isinstance(entry.get(name), str) or not entry[name]:
                fail((*where, name), f"{name!r} must be a non-empty string")
        enum = entry.get("enum", [])
        fields = entry.get("fields", [])
        if not isinstance(enum, list) or any(isinstance(v, dict | list) for v in enum):
            fail((*where, "enum"), "'enum' must be a list of values")
        if not isinstance(fields, list) or not all(isinstance(f, str) and f for f in fields):
            fail((*where, "fields"), "'fields' must be a list of field names")
        if not enum and not fields:
            fail(where, "an extension needs 'enum' or 'fields'")
        try:
            path = parse_path(entry["path"])
        except ValueError as exc:
            fail((*where, "path"), str(exc))
            continue
        out.append(Extension(entry["apiVersion"], entry["kind"], path, tuple(enum), tuple(fields)))
    return tuple(out)
