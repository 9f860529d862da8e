"""Schema violations as both engines report them, in one wording.

Messages name the field and the expectation but never echo the offending
value: a value may be a secret (and a wrong type in ``Secret.data`` is one).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

InstancePath = tuple[str | int, ...]


class Violation(NamedTuple):
    path: InstancePath
    message: str
    # True: the path ends with a field name that should be pointed at (unknown field).
    at_key: bool = False
    # True: a value the schema does not list (enum). With an unknown field, what another
    # release of a catalog CRD (or another channel: Gateway API's experimental) may accept.
    unlisted: bool = False


def dotted(path: Sequence[str | int]) -> str:
    out = ""
    for step in path:
        if isinstance(step, int):
            out += f"[{step}]"
        else:
            out += f".{step}" if out else str(step)
    return out or "(root)"


def unknown_field(path: InstancePath, name: str, known: Iterable[str]) -> Violation:
    import difflib  # only for an unknown field

    full = (*path, name)
    hint = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    suffix = f" (did you mean {hint[0]}?)" if hint else ""
    return Violation(full, f"{dotted(full)}: unknown field{suffix}", at_key=True)


def missing_field(path: InstancePath, name: str) -> Violation:
    return Violation(path, f"{dotted(path)}: missing required field {name!r}")


def wrong_type(path: InstancePath, expected: Sequence[str], got: str) -> Violation:
    want = " or ".join(t for t in expected if t != "null") or "null"
    return Violation(path, f"{dotted(path)}: expected {want}, got {got}")


def not_listed(path: InstancePath, options: str) -> Violation:
    return Violation(path, f"{dotted(path)}: must be one of: {options}", unlisted=True)


def other(path: InstancePath, text: str) -> Violation:
    return Violation(path, f"{dotted(path)}: {text}")


def json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__
