"""Fields left out of a desired/live comparison: Argo CD ``ignoreDifferences`` and Flux
Kustomization ``spec.ignore`` (drift-detection rules: JSON pointers per target).

Supported, per entry matched by group, kind, name and namespace (Flux: also version, label
and annotation selectors):

* ``jsonPointers`` (RFC 6901), removed from both sides;
* ``jqPathExpressions`` of the path form Argo CD's docs use — ``.a.b``, ``.a[]``,
  ``.a[0]``, ``.a[] | select(.name == "x")`` chains; anything else is reported as not
  supported rather than silently ignored;
* ``managedFieldsManagers``: every field the live object's managedFields give to one of
  those managers (fieldsV1 ``f:``/``k:``/``i:`` keys) is taken from the live object.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

_STEP = re.compile(
    r"""\s*(?:
        \.(?P<field>[A-Za-z_$][\w$-]*)
      | \.?\[(?P<index>\d+)\]
      | \.?\[\]
      | \.?\["(?P<quoted>[^"]+)"\]
      | \|\s*select\(\s*\.(?P<sel_field>[\w-]+)\s*==\s*"(?P<sel_value>[^"]*)"\s*\)
      | (?P<pipe>\|)(?=\s*\.)
    )""",
    re.X,
)


@dataclass(frozen=True)
class IgnoreRule:
    group: str
    kind: str
    name: str
    namespace: str
    pointers: tuple[str, ...]
    jq: tuple[str, ...]
    managers: tuple[str, ...]
    version: str = ""
    label_selector: str = ""
    annotation_selector: str = ""
    any_group: bool = False  # Flux: an unset group matches every group

    def matches(self, obj: Mapping[str, Any]) -> bool:
        api = str(obj.get("apiVersion") or "")
        group, _, version = api.rpartition("/")
        meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
        assert isinstance(meta, dict)
        return (
            (self.group in ("*", group) or (self.any_group and not self.group))
            and (not self.kind or self.kind in ("*", obj.get("kind")))
            and (not self.version or self.version == version)
            and (not self.name or self.name == meta.get("name"))
            and (not self.namespace or self.namespace == meta.get("namespace"))
            and selector_matches(self.label_selector, meta.get("labels"))
            and selector_matches(self.annotation_selector, meta.get("annotations"))
        )


def selector_matches(selector: str, values: Any) -> bool:
    """Equality-based selectors: ``a=b``, ``a==b``, ``a!=b``, ``a``, ``!a``, comma-separated."""
    if not selector.strip():
        return True
    have = values if isinstance(values, dict) else {}
    for term in (t.strip() for t in selector.split(",")):
        if not term:
            continue
        if "!=" in term:
            key, _, want = term.partition("!=")
            if have.get(key.strip()) == want.strip():
                return False
        elif "=" in term:
            key, _, want = term.replace("==", "=").partition("=")
            if have.get(key.strip()) != want.strip():
                return False
        elif term.startswith("!"):
            if term[1:].strip() in have:
                return False
        elif term not in have:
            return False
    return True


def rules_from(spec: Mapping[str, Any]) -> list[IgnoreRule]:
    out = []
    for entry in spec.get("ignoreDifferences") or []:
        if not isinstance(entry, dict):
            continue
        out.append(
            IgnoreRule(
                str(entry.get("group") or ""),
                str(entry.get("kind") or ""),
                str(entry.get("name") or ""),
                str(entry.get("namespace") or ""),
                tuple(str(p) for p in entry.get("jsonPointers") or []),
                tuple(str(p) for p in entry.get("jqPathExpressions") or []),
                tuple(str(m) for m in entry.get("managedFieldsManagers") or []),
            )
        )
    return out


def rules_from_flux(spec: Mapping[str, Any]) -> list[IgnoreRule]:
    """Flux Kustomization ``spec.ignore``: ``[{paths: [json pointers], target: {...}}]``."""
    out = []
    for entry in spec.get("ignore") or []:
        if not isinstance(entry, dict):
            continue
        target = entry.get("target") if isinstance(entry.get("target"), dict) else {}
        assert isinstance(target, dict)
        out.append(
            IgnoreRule(
                str(target.get("group") or ""),
                str(target.get("kind") or ""),
                str(target.get("name") or ""),
                str(target.get("namespace") or ""),
                tuple(str(p) for p in entry.get("paths") or []),
                (),
                (),
                version=str(target.get("version") or ""),
                label_selector=str(target.get("labelSelector") or ""),
                annotation_selector=str(target.get("annotationSelector") or ""),
                any_group=True,
            )
        )
    return out


def apply(
    rules: list[IgnoreRule], live: dict[str, Any] | None, desired: dict[str, Any], errors: list[str]
) -> None:
    """Remove ignored fields from ``desired`` and ``live`` (both normalised copies) in place.

    ``live`` must still carry managedFields for manager rules; callers normalise afterwards.
    """
    for rule in rules:
        if not rule.matches(desired):
            continue
        for pointer in rule.pointers:
            for obj in (live, desired):
                if obj is not None:
                    _remove_pointer(obj, pointer)
        for expr in rule.jq:
            for obj in (live, desired):
                if obj is not None and not _remove_jq(obj, expr):
                    errors.append(f"ignoreDifferences: jq expression not supported: {expr}")
                    break
        if rule.managers and live is not None:
            for entry in live.get("metadata", {}).get("managedFields") or []:
                if isinstance(entry, dict) and entry.get("manager") in rule.managers:
                    for path in _field_paths(entry.get("fieldsV1") or {}):
                        _remove_path(live, path)
                        _remove_path(desired, path)


def _remove_pointer(obj: Any, pointer: str) -> None:
    if not pointer.startswith("/"):
        return
    steps = [s.replace("~1", "/").replace("~0", "~") for s in pointer[1:].split("/")]
    _remove_path(obj, [int(s) if s.isdigit() and isinstance(obj, list) else s for s in steps])


def _remove_path(obj: Any, path: list[Any]) -> None:
    node = obj
    for step in path[:-1]:
        node = _child(node, step)
        if node is None:
            return
    last = path[-1] if path else None
    if isinstance(node, dict) and last in node:
        del node[last]
    elif isinstance(node, list):
        if isinstance(last, int) and 0 <= last < len(node):
            node.pop(last)
        elif isinstance(last, dict):  # k:{...} key of a list item
            node[:] = [item for item in node if not _keyed(item, last)]
        elif isinstance(last, str) and last.isdigit() and int(last) < len(node):
            node.pop(int(last))


def _child(node: Any, step: Any) -> Any:
    if isinstance(node, dict):
        return node.get(step) if isinstance(step, str) else None
    if isinstance(node, list):
        if isinstance(step, int) or (isinstance(step, str) and step.isdigit()):
            i = int(step)
            return node[i] if 0 <= i < len(node) else None
        if isinstance(step, dict):
            return next((item for item in node if _keyed(item, step)), None)
    return None


def _keyed(item: Any, key: dict[str, Any]) -> bool:
    return isinstance(item, dict) and all(item.get(k) == v for k, v in key.items())


def _remove_jq(obj: dict[str, Any], expr: str) -> bool:
    steps: list[tuple[str, Any]] = []
    pos = 0
    text = expr.strip()
    while pos < len(text):
        m = _STEP.match(text, pos)
        if m is None or m.end() == pos:
            return False
        if m.group("field") or m.group("quoted"):
            steps.append(("field", m.group("field") or m.group("quoted")))
        elif m.group("index") is not None:
            steps.append(("index", int(m.group("index"))))
        elif m.group("sel_field"):
            steps.append(("select", (m.group("sel_field"), m.group("sel_value"))))
        elif m.group("pipe"):
            pass  # `a | .b` is `a.b` for a path
        else:
            steps.append(("each", None))
        pos = m.end()
    if not steps:
        return False
    _jq_delete(obj, steps)
    return True


def _jq_delete(node: Any, steps: list[tuple[str, Any]]) -> None:
    kind, arg = steps[0]
    rest = steps[1:]
    if kind == "field" and isinstance(node, dict):
        if not rest:
            node.pop(arg, None)
        elif arg in node:
            _jq_delete(node[arg], rest)
    elif kind == "index" and isinstance(node, list) and arg < len(node):
        if not rest:
            node.pop(arg)
        else:
            _jq_delete(node[arg], rest)
    elif kind == "each" and isinstance(node, list):
        if not rest:
            node.clear()
            return
        if rest[0][0] == "select":
            field, value = rest[0][1]
            chosen = [item for item in node if isinstance(item, dict) and str(item.get(field)) == value]
            if len(rest) == 1:
                node[:] = [item for item in node if item not in chosen]
            else:
                for item in chosen:
                    _jq_delete(item, rest[1:])
            return
        for item in node:
            _jq_delete(item, rest)


def _field_paths(fields: Mapping[str, Any], prefix: tuple[Any, ...] = ()) -> Iterator[list[Any]]:
    """Leaf paths of a managedFields ``fieldsV1`` set."""
    for key, sub in fields.items():
        if key == ".":
            continue
        if key.startswith("f:"):
            step: Any = key[2:]
        elif key.startswith("k:"):
            try:
                step = json.loads(key[2:])
            except ValueError:
                continue
        elif key.startswith("i:"):
            step = int(key[2:]) if key[2:].isdigit() else None
            if step is None:
                continue
        else:  # v: (set values) cannot be addressed by path
            continue
        path = (*prefix, step)
        if isinstance(sub, dict) and any(k != "." for k in sub):
            yield from _field_paths(sub, path)
        else:
            yield list(path)
