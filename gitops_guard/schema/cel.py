"""CRD ``x-kubernetes-validations`` rules, evaluated offline as the API server does on create.

The schema and the object are walked together; at every node that carries rules,
each rule runs with ``self`` bound to the (defaulted) value found there. A rule
that cannot be checked faithfully is reported as :class:`CelUnsupported`, never
as a pass and never as a violation.

Library: ``common-expression-language`` 0.10 (module ``cel``, Rust), chosen by
measurement against ``cel-python`` 0.5 (``celpy``) on the 51 rules (32 distinct)
of the corpus CRDs, run 270 times on the 839 corpus objects of those kinds, and
on 44 hand-written rules in the style of the Kubernetes docs (2 cores, medians):

=====================================  ===========  ===========
                                       cel          celpy
=====================================  ===========  ===========
import (celpy: + ``Environment()``)    92 ms        115 ms
compile, per rule                      23 us        224 us
evaluate, per rule                     15 us        295 us
corpus rules compiled                  32/32        32/32
corpus runs, verdict                   270 pass     270 pass
probe rules, API server's verdict      42/44        30/44
probe rules, wrong verdict             1            0
=====================================  ===========  ===========

celpy lacks heterogeneous numeric equality (``1 == 1.0`` is an error, true in
Kubernetes) and every string/list extension Kubernetes enables (``lowerAscii``,
``split``, ``join``, ``sum``...); ``cel`` ships those in ``cel.stdlib``. Most of
``cel``'s import time is its bundled command-line dependencies, paid only when a
rule runs (the import is lazy). ``cel``'s one wrong verdict is guarded below:
``size()`` of a string counts UTF-8 bytes, not characters, so such rules on
non-ASCII text are reported as unsupported (as is a Python int beyond int64,
which ``cel`` silently turns into a double). With the guards: 41/44 right,
3 unsupported, none wrong; the walk costs ~0.2 ms per corpus object.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple, TypeAlias

from gitops_guard import cel_library
from gitops_guard.cel_library import INT64_MAX, INT64_MIN, one_line
from gitops_guard.schema.violations import json_type

# Lives with the schema walks so that the check can ask it without importing this module.
from gitops_guard.schema.walk import has_validations as has_validations

Path: TypeAlias = tuple[str | int, ...]

_RULES_KEY = "x-kubernetes-validations"
_MAX_REF_DEPTH = 32


@dataclass(frozen=True)
class CelViolation:
    """A rule that evaluated to false (or to an error the API server would reject on)."""

    path: Path
    message: str
    rule: str


@dataclass(frozen=True)
class CelUnsupported:
    """A rule that could not be checked here: not a pass, not a violation."""

    path: Path
    rule: str
    reason: str


CelResult: TypeAlias = CelViolation | CelUnsupported


def evaluate(schema: Mapping[str, Any], instance: Any) -> list[CelResult]:
    """Every failed or uncheckable rule of ``schema`` on ``instance``, parents before children."""
    walker = _Walker(schema)
    try:
        walker.visit(schema, instance, ())
    except RecursionError:
        walker.results.append(CelUnsupported((), "", "schema or object nested too deeply to walk"))
    seen: set[CelResult] = set()
    unique: list[CelResult] = []
    for result in walker.results:
        if result not in seen:  # a rule reached through two allOf branches reports once
            seen.add(result)
            unique.append(result)
    return unique


# --------------------------------------------------------------------------- schema view


@dataclass
class _View:
    """What the walk needs of one schema node, its ``$ref`` and matching junctor branches merged."""

    rules: list[Any] = field(default_factory=list)
    properties: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    additional: Mapping[str, Any] | None = None
    items: Mapping[str, Any] | None = None
    types: tuple[str, ...] = ()
    format: str | None = None
    # The declared properties that have a default, for an object that leaves them out.
    defaulted: list[tuple[str, Mapping[str, Any]]] = field(default_factory=list)


_EMPTY = _View()  # no schema: never changed, so one instance (its identity keys conversions)


class _Kept(NamedTuple):
    """What every object of a kind shares, kept per schema root.

    A view depends only on the schema node and the JSON type of the value (which junctor
    branches fit it). The results of a node's rules depend only on its view and its value
    as CEL sees it (rules are pure, and a create has no ``oldSelf``): 500 routes that share
    a match or a parent reference evaluate its rules once. Results are kept with paths
    relative to the node."""

    root: Mapping[str, Any]
    views: dict[tuple[int, str], _View]
    results: dict[tuple[int, str], list[CelResult]]


_KEPT: dict[int, _Kept] = {}
_MAX_ROOTS = 64
_MAX_RESULTS = 4096  # per root
_MAX_KEY = 2048  # the longest value text a result is kept for


def _kept_for(root: Mapping[str, Any]) -> _Kept:
    kept = _KEPT.get(id(root))
    if kept is None or kept.root is not root:
        if len(_KEPT) >= _MAX_ROOTS:
            _KEPT.clear()
        kept = _KEPT[id(root)] = _Kept(root, {}, {})
    return kept


class _Walker:
    def __init__(self, root: Mapping[str, Any]) -> None:
        self._root = root
        self._kept = _kept_for(root)
        self._views = self._kept.views
        self.results: list[CelResult] = []
        self._context: Any = None
        # Containers already converted for CEL, by (view, value) identity: a rule on a
        # parent converts what the rules on its children converted before.  The values
        # are the walk's own defaulted copies, alive until it ends.
        self._converted: dict[tuple[int, int], Any] = {}

    # -- schema resolution -------------------------------------------------

    def _resolve(self, node: Any) -> Mapping[str, Any]:
        """``node`` with a local ``$ref`` followed; sibling keywords still apply, as in 2020-12."""
        if not isinstance(node, Mapping):
            return {}
        current: Mapping[str, Any] = node
        for _ in range(_MAX_REF_DEPTH):
            ref = current.get("$ref")
            if not isinstance(ref, str):
                break
            target = _pointer(self._root, ref)
            siblings = {key: value for key, value in current.items() if key != "$ref"}
            rules = [*_rule_list(target), *_rule_list(siblings)]
            current = {**target, **siblings}
            if rules:
                current = {**current, _RULES_KEY: rules}
        return current

    def _facets(self, node: Any, value: Any, depth: int = 0) -> Iterator[Mapping[str, Any]]:
        """The node and, recursively, those of its allOf/anyOf/oneOf branches whose type fits ``value``.

        The converter may wrap a node in a junctor (a nullable ``$ref``, say); its
        rules must still be found.
        """
        resolved = self._resolve(node)
        yield resolved
        if depth >= _MAX_REF_DEPTH:
            return
        for junctor in ("allOf", "anyOf", "oneOf"):
            branches = resolved.get(junctor)
            if not isinstance(branches, list):
                continue
            for branch in branches:
                if _type_allows(self._resolve(branch).get("type"), value):
                    yield from self._facets(branch, value, depth + 1)

    def view(self, node: Any, value: Any) -> _View:
        key = (id(node), json_type(value))  # all _is_type tells apart, and finer
        view = self._views.get(key)
        if view is None:
            view = self._views[key] = self._view(node, value)
        return view

    def _view(self, node: Any, value: Any) -> _View:
        view = _View()
        for facet in self._facets(node, value):
            view.rules.extend(_rule_list(facet))
            properties = facet.get("properties")
            if isinstance(properties, Mapping):
                for name, sub in properties.items():
                    view.properties.setdefault(str(name), sub)
            additional = facet.get("additionalProperties")
            if view.additional is None and isinstance(additional, Mapping):
                view.additional = additional
            items = facet.get("items")
            if view.items is None and isinstance(items, Mapping):
                view.items = items
            declared = facet.get("type")
            if not view.types and declared is not None:
                view.types = tuple(declared) if isinstance(declared, list) else (str(declared),)
            fmt = facet.get("format")
            if view.format is None and isinstance(fmt, str):
                view.format = fmt
        view.defaulted = [
            (name, sub)
            for name, sub in view.properties.items()
            if self._resolve(sub).get("default") is not None
        ]
        return view

    # -- the walk ------------------------------------------------------------

    def visit(self, node: Any, value: Any, path: Path) -> Any:
        """Evaluate the rules at and below ``path``; return the value with schema defaults applied.

        The API server defaults an object before validating it, so a rule reading a
        defaulted field that the manifest leaves out must see the default.
        """
        view = self.view(node, value)
        own: list[CelResult] = []
        children_start = len(self.results)
        if isinstance(value, Mapping):
            value = self._visit_object(view, value, path)
        elif isinstance(value, list) and view.items is not None:
            value = [self.visit(view.items, item, (*path, index)) for index, item in enumerate(value)]
        if view.rules and value is not None:
            own = self._run_rules(view, value, path)
        # Parents report before their children, as a reader scans a manifest.
        self.results[children_start:children_start] = own
        return value

    def _visit_object(self, view: _View, value: Mapping[str, Any], path: Path) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, child in value.items():
            sub = view.properties.get(str(key), view.additional)
            out[key] = child if sub is None else self.visit(sub, child, (*path, str(key)))
        for name, sub in view.defaulted:
            if name not in out:
                out[name] = self.visit(sub, self._resolve(sub)["default"], (*path, name))
        return out

    # -- rules ---------------------------------------------------------------

    def _run_rules(self, view: _View, value: Any, path: Path) -> list[CelResult]:
        try:
            converted: Any = self._to_cel(view, value)
            unconvertible = ""
        except _Unconvertible as exc:
            converted, unconvertible = None, str(exc)
        key: tuple[int, str] | None = None
        if not unconvertible:
            text = repr(converted)  # types and order included: 1, 1.0, True and "1" differ
            key = (id(view), text) if len(text) <= _MAX_KEY else None
        relative = self._kept.results.get(key) if key is not None else None
        if relative is None:
            relative = self._evaluate(view, converted, unconvertible)
            if key is not None and len(self._kept.results) < _MAX_RESULTS:
                self._kept.results[key] = relative
        if not path:
            return list(relative)
        return [replace(result, path=(*path, *result.path)) for result in relative]

    def _evaluate(self, view: _View, converted: Any, unconvertible: str) -> list[CelResult]:
        """The results of the rules of ``view`` on ``converted``, with paths relative to it."""
        path: Path = ()
        results: list[CelResult] = []
        non_ascii: bool | None = None
        context: Any = False  # bound once for all the rules on this value (a costly conversion)
        for entry in view.rules:
            if not isinstance(entry, Mapping) or not isinstance(entry.get("rule"), str):
                results.append(CelUnsupported(path, str(entry), "malformed x-kubernetes-validations entry"))
                continue
            rule: str = entry["rule"]
            compiled = _compile(rule)
            if compiled.references_old_self and entry.get("optionalOldSelf") is not True:
                continue  # a transition rule: only checked on update, never on create
            reason = compiled.error or unconvertible
            if not reason and compiled.uses_size:
                if non_ascii is None:
                    non_ascii = _has_non_ascii(converted)
                if non_ascii or not rule.isascii():
                    reason = "size() of non-ASCII text: the CEL library counts bytes, Kubernetes characters"
            if reason:
                results.append(CelUnsupported(path, rule, reason))
                continue
            if context is False:
                context = self._bind(converted)
            result = self._run_one(compiled, entry, context, path)
            if result is not None:
                results.append(result)
        return results

    def _run_one(
        self, compiled: _Compiled, entry: Mapping[str, Any], context: Any, path: Path
    ) -> CelResult | None:
        rule = compiled.source
        try:
            if context is None:
                return CelUnsupported(path, rule, "CEL library 'common-expression-language' is not installed")
            if entry.get("optionalOldSelf") is True:
                context.add_variable("oldSelf", cel_library.load().OptionalValue.none())
            verdict = compiled.program.execute(context)
        except KeyError as exc:
            # Reading an absent field: the API server rejects the object with this error.
            key = exc.args[0] if exc.args else ""
            return CelViolation(path, f"no such key: {key} evaluating rule: {rule}", rule)
        except (IndexError, ZeroDivisionError, OverflowError) as exc:
            return CelViolation(path, f"{exc} evaluating rule: {rule}", rule)
        except Exception as exc:  # the library raises plain Exceptions of several kinds
            return CelUnsupported(path, rule, f"evaluation error: {one_line(exc)}")
        if verdict is True:
            return None
        if verdict is not False:
            return CelUnsupported(path, rule, f"rule evaluated to {type(verdict).__name__}, not a bool")
        return CelViolation(_with_field_path(path, entry.get("fieldPath")), self._message(entry, rule), rule)

    def _message(self, entry: Mapping[str, Any], rule: str) -> str:
        """messageExpression's value, else message, else the API server's default."""
        expression = entry.get("messageExpression")
        if isinstance(expression, str):
            compiled = _compile(expression)
            if not (compiled.error or compiled.references_old_self):
                try:
                    text = compiled.program.execute(self._context)
                except Exception:
                    text = None
                # The API server ignores an empty, blank or multi-line result.
                if isinstance(text, str) and text.strip() and "\n" not in text:
                    return text
        message = entry.get("message")
        if isinstance(message, str) and message.strip():
            return message
        return f"failed rule: {rule.strip()}"

    def _to_cel(self, view: _View, value: Any) -> Any:
        """``value`` as the API server hands it to CEL: declared property names escaped,
        numbers typed by the schema, formatted strings as timestamps, durations or bytes."""
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, Mapping | list):
            key = (id(view), id(value))
            done = self._converted.get(key)
            if done is None:
                done = self._converted[key] = self._container_to_cel(view, value)
            return done
        return self._scalar_to_cel(view, value)

    def _container_to_cel(self, view: _View, value: Any) -> Any:
        if isinstance(value, Mapping):
            out: dict[str, Any] = {}
            for key, child in value.items():
                name = str(key)
                sub = view.properties.get(name)
                if sub is not None:
                    escaped = _escape(name)
                    if escaped is not None:
                        out[escaped] = self._to_cel(self.view(sub, child), child)
                elif view.additional is not None:
                    out[name] = self._to_cel(self.view(view.additional, child), child)
                else:
                    out[name] = self._to_cel(_EMPTY, child)
            return out
        items = view.items  # a list
        return [self._to_cel(self.view(items, item) if items else _EMPTY, item) for item in value]

    def _scalar_to_cel(self, view: _View, value: Any) -> Any:
        if isinstance(value, int):
            if not INT64_MIN <= value <= INT64_MAX:
                raise _Unconvertible(f"integer {value} is out of the int64 range")
            return float(value) if "number" in view.types and "integer" not in view.types else value
        if isinstance(value, float):
            return value
        if isinstance(value, str | dt.date):
            return _string_to_cel(value, view.format, typed="string" in view.types)
        raise _Unconvertible(f"a {type(value).__name__} value has no JSON form")

    def _bind(self, value: Any) -> Any:
        """The evaluation context with ``self`` bound, or None without cel.  A rule with
        ``optionalOldSelf`` adds an absent ``oldSelf`` (a create has none); the other rules
        never read it (transition rules are skipped)."""
        try:
            cel = cel_library.load()
        except ImportError:
            return None
        if self._context is None:
            self._context = cel.Context(None, dict(cel_library.stdlib_functions()))
        self._context.add_variable("self", value)
        return self._context


# --------------------------------------------------------------------------- compilation


@dataclass(frozen=True)
class _Compiled:
    source: str
    program: Any = None
    error: str = ""
    references_old_self: bool = False
    uses_size: bool = False


_OLD_SELF = re.compile(r"(?<![\w.])oldSelf\b")


@functools.lru_cache(maxsize=4096)
def _compile(source: str) -> _Compiled:
    try:
        cel = cel_library.load()
    except ImportError:
        return _Compiled(source, error="CEL library 'common-expression-language' is not installed")
    try:
        program = cel.compile(source)
        functions = set(program.functions())
        variables = set(program.variables())
    except Exception as exc:
        # Still recognise a transition rule, which is skipped whether or not it compiles here.
        old_self = _OLD_SELF.search(source) is not None
        return _Compiled(source, error=f"does not compile: {one_line(exc)}", references_old_self=old_self)
    old_self = "oldSelf" in variables
    unknown = cel_library.unknown_functions(functions, cel_library.stdlib_functions())
    if unknown:
        error = f"unsupported function: {', '.join(unknown)}"
        return _Compiled(source, error=error, references_old_self=old_self)
    return _Compiled(source, program=program, references_old_self=old_self, uses_size="size" in functions)


# --------------------------------------------------------------------------- values


class _Unconvertible(Exception):
    """The value cannot be given to CEL exactly as the API server would."""


# Identifiers CEL reserves: a property with one of these names is `__name__` in a rule.
_RESERVED = frozenset(
    {
        "true", "false", "null", "in", "as", "break", "const", "continue", "else", "for",
        "function", "if", "import", "let", "loop", "package", "namespace", "return", "var",
        "void", "while",
    }
)  # fmt: skip
_ESCAPES = {"__": "__underscores__", ".": "__dot__", "-": "__dash__", "/": "__slash__"}
_ESCAPABLE = re.compile(r"__|[./-]|[^A-Za-z0-9_]")


def _escape(name: str) -> str | None:
    """A property name as a CEL rule spells it, or None if rules cannot reach it."""
    if not name or name[0].isdigit():
        return None
    if name in _RESERVED:
        return f"__{name}__"
    unreachable = False

    def replace(match: re.Match[str]) -> str:
        nonlocal unreachable
        escaped = _ESCAPES.get(match.group(0))
        if escaped is None:
            unreachable = True
            return ""
        return escaped

    escaped = _ESCAPABLE.sub(replace, name)
    return None if unreachable else escaped


def _string_to_cel(value: str | dt.date, fmt: str | None, *, typed: bool) -> Any:
    if not typed:
        fmt = None
    if isinstance(value, dt.datetime):
        # YAML read an unquoted timestamp and its spelling is lost: exact only as a timestamp,
        # and close enough where no schema lets a rule read it as text.
        if fmt == "date-time":
            return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        if typed:
            raise _Unconvertible("an unquoted YAML timestamp in a string field")
        return value.isoformat()
    if isinstance(value, dt.date):
        if fmt in ("date", "date-time"):
            return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
        return value.isoformat()
    try:
        if fmt == "date-time":
            parsed = dt.datetime.fromisoformat(value)
            if parsed.tzinfo is None:
                raise ValueError("no time zone")
            return parsed
        if fmt == "date":
            day = dt.date.fromisoformat(value)
            return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
        if fmt == "duration":
            return _go_duration(value)
        if fmt == "byte":
            return base64.b64decode(value, validate=True)
    except (ValueError, OverflowError, binascii.Error) as exc:
        raise _Unconvertible(f"{value!r} is not a valid {fmt}") from exc
    return value


def _go_duration(text: str) -> dt.timedelta:
    """A Go duration ("1h30m", "-1.5s", "0"); anything else is refused rather than guessed.

    Python durations stop at microseconds: a value with a finer part is refused too,
    since rounding it could flip a comparison.
    """
    from gitops_guard import go_duration

    nanos = go_duration.nanoseconds(text)
    if nanos % 1000:
        raise ValueError(f"duration {text!r} is finer than a microsecond")
    return dt.timedelta(microseconds=int(nanos / 1000))


def _has_non_ascii(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if not item.isascii():
                return True
        elif isinstance(item, Mapping):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


# --------------------------------------------------------------------------- schema helpers


def _rule_list(node: Mapping[str, Any]) -> list[Any]:
    rules = node.get(_RULES_KEY)
    return list(rules) if isinstance(rules, list) else []


def _pointer(root: Mapping[str, Any], ref: str) -> Mapping[str, Any]:
    """The node a local JSON pointer (``#/$defs/Name``) names; {} if it names nothing."""
    if not ref.startswith("#"):
        return {}
    node: Any = root
    for raw in ref[1:].split("/")[1:]:
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, Mapping):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return {}
    return node if isinstance(node, Mapping) else {}


def _type_allows(declared: Any, value: Any) -> bool:
    if declared is None:
        return True
    names = declared if isinstance(declared, list) else [declared]
    return any(_is_type(str(name), value) for name in names)


def _is_type(name: str, value: Any) -> bool:
    if name == "null":
        return value is None
    if name == "boolean":
        return isinstance(value, bool)
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if name == "string":
        return isinstance(value, str | dt.date)
    if name == "array":
        return isinstance(value, list)
    if name == "object":
        return isinstance(value, Mapping)
    return True


_FIELD_PATH_PART = re.compile(r"\.([^.\[\]]+)|\['((?:[^'\\]|\\.)*)'\]|\[(\d+)\]")


def _with_field_path(path: Path, field_path: Any) -> Path:
    """``path`` extended by a rule's ``fieldPath`` (``.a.b``, ``['x.y']``); unchanged if unparseable."""
    if not isinstance(field_path, str) or not field_path:
        return path
    parts: list[str | int] = []
    position = 0
    for match in _FIELD_PATH_PART.finditer(field_path):
        if match.start() != position:
            return path
        dotted, quoted, index = match.groups()
        if dotted is not None:
            parts.append(dotted)
        elif quoted is not None:
            parts.append(re.sub(r"\\(.)", r"\1", quoted))
        else:
            parts.append(int(index))
        position = match.end()
    if position != len(field_path):
        return path
    return (*path, *parts)
