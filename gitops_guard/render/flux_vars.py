"""Flux post-build variable substitution, as kustomize-controller runs it on each object's YAML.

kustomize-controller substitutes the *text* of every built object (then parses it as YAML
again, so ``replicas: ${REPLICAS}`` becomes an integer), with the values of
``spec.postBuild.substitute`` over those of ``substituteFrom`` (ConfigMaps, Secrets).
The expression language is fluxcd/pkg's envsubst: ``${var}``, ``${var=default}``,
``${var:=default}``, ``${var-default}``, ``${var:-default}`` (defaults may hold variables),
``$$`` for a literal ``$``; a bare ``$var`` is left alone.  An object labelled or annotated
``kustomize.toolkit.fluxcd.io/substitute: disabled`` is not substituted.

Offline, a variable can be *unresolved*: its ConfigMap or Secret is not in the repository
(or is encrypted).  Its expression is then left as written, so the schema check does not
validate that field (it skips ``${`` values), and the caller reports the object as not fully
checked.  The other bash operators (``${var^^}``, ``${var:1:2}``, ...) are left as written
and counted as unresolved.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gitops_guard.source.limits import Limits
from gitops_guard.source.yamldoc import parse

DISABLE_KEY = "kustomize.toolkit.fluxcd.io/substitute"
_NAME = re.compile(r"[_A-Za-z][_A-Za-z0-9]*")
_DEFAULT_OPS = (":=", ":-", "=", "-")


@dataclass(frozen=True)
class Substituted:
    text: str
    unresolved: frozenset[str]  # variable names with no known value and no default


def substitute(text: str, values: Mapping[str, str], *, hidden: frozenset[str] = frozenset()) -> Substituted:
    """``text`` with every resolvable expression replaced.  A name in ``hidden`` is known to
    exist (it comes from a Secret) but its value is not put into the text: its expression is
    kept, and it does not count as unresolved."""
    out: list[str] = []
    unresolved: set[str] = set()
    i = 0
    n = len(text)
    while i < n:
        j = text.find("$", i)
        if j < 0:
            out.append(text[i:])
            break
        out.append(text[i:j])
        if text.startswith("$$", j):
            out.append("$")
            i = j + 2
            continue
        if not text.startswith("${", j):
            out.append("$")
            i = j + 1
            continue
        end = _closing(text, j + 2)
        if end < 0:  # no closing brace: text, as envsubst leaves it
            out.append(text[j:])
            break
        expr = text[j + 2 : end]
        whole = text[j : end + 1]
        out.append(_expression(expr, whole, values, hidden, unresolved))
        i = end + 1
    return Substituted("".join(out), frozenset(unresolved))


def substitute_object(
    text: str, values: Mapping[str, str], *, hidden: frozenset[str] = frozenset()
) -> tuple[dict[str, Any] | None, frozenset[str]]:
    """An object's YAML ``text`` substituted and parsed again: the new object (None when nothing
    changed or the text is no longer an object) and the names not known."""
    done = substitute(text, values, hidden=hidden)
    if done.text == text:
        return None, done.unresolved
    parsed = parse(done.text, "<flux postBuild>", Limits())
    data = next((d.data for d in parsed.documents if isinstance(d.data, dict)), None)
    if parsed.problems or not isinstance(data, dict) or not data.get("kind"):
        return None, done.unresolved
    return data, done.unresolved


def substitute_data(
    obj: dict[str, Any], values: Mapping[str, str], *, hidden: frozenset[str] = frozenset()
) -> tuple[dict[str, Any], frozenset[str]]:
    """Post-build substitution of one built object, as kustomize-controller runs it on the
    object's YAML text: the object (itself when it opts out or nothing changed) and the names
    not known."""
    if disabled(obj):
        return obj, frozenset()
    from gitops_guard.source.pyyaml import yaml

    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    text = yaml.dump(obj, Dumper=dumper, sort_keys=False, allow_unicode=True)
    data, unresolved = substitute_object(text, values, hidden=hidden)
    return (obj if data is None else data), unresolved


def _closing(text: str, start: int) -> int:
    depth = 1
    i = start
    while i < len(text):
        c = text[i]
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def _expression(
    expr: str, whole: str, values: Mapping[str, str], hidden: frozenset[str], unresolved: set[str]
) -> str:
    m = _NAME.match(expr)
    if m is None:
        unresolved.add(expr)
        return whole
    name, rest = m.group(0), expr[m.end() :]
    if name in hidden:
        return whole
    if not rest:
        if name in values:
            return values[name]
        unresolved.add(name)
        return whole
    op = next((o for o in _DEFAULT_OPS if rest.startswith(o)), None)
    if op is None:  # a bash string operator we do not evaluate
        unresolved.add(name)
        return whole
    value = values.get(name)
    empty_counts = op.startswith(":")
    if value is not None and (value or not empty_counts):
        return value
    default = substitute(rest[len(op) :], values, hidden=hidden)
    unresolved.update(default.unresolved)
    return default.text


def disabled(body: object) -> bool:
    """Whether the object opts out of substitution (label or annotation ``disabled``)."""
    meta = body.get("metadata") if isinstance(body, dict) else None
    if not isinstance(meta, dict):
        return False
    for key in ("labels", "annotations"):
        entries = meta.get(key)
        if isinstance(entries, dict) and entries.get(DISABLE_KEY) == "disabled":
            return True
    return False
