"""CEL for admission policies: compile once, evaluate with the Kubernetes libraries.

Library: ``common-expression-language`` (module ``cel``), as for CRD rules (see
``gitops_guard/schema/cel.py`` for why it was chosen). It brings cel-go's string,
list, set and math extensions; of the libraries the API server adds, measured
against cel 0.10, ``quantity``/``isQuantity`` with their methods, the regex
``find``/``findAll`` and the list ``isSorted`` are missing, so they are
registered here as Python functions. The library's ``size()`` of a string counts
UTF-8 bytes where Kubernetes counts characters, so size calls are routed to a
function that counts characters. ``url``, ``ip``, ``cidr``, ``semver``,
``format``, ``cel.bind``, the ``authorizer`` and the ``.?`` optional-field syntax
are not available: an expression that uses one is "could not check", never a pass.

Three outcomes of running an expression:

- a value;
- :class:`EvalError`: an error the API server raises too (no such key, index out
  of range, division by zero, overflow, an invalid quantity or regex) — the
  policy's failurePolicy decides what it means;
- :class:`Unsupported`: something this library cannot do as the API server does.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from gitops_guard.cel_library import INT64_MAX, INT64_MIN, load, one_line, stdlib_functions, unknown_functions

# Markers carried through the library's RuntimeError text, which wraps what a Python
# function raises: they tell an API-server error from a missing capability.
_EVAL_MARK = "[k8s-eval-error]"
_UNSUPPORTED_MARK = "[k8s-unsupported]"


class EvalError(Exception):
    """An evaluation error the API server would raise too."""


class Unsupported(Exception):
    """The expression cannot be evaluated here as the API server would."""


@dataclass(frozen=True)
class Compiled:
    source: str
    program: Any = None
    error: str = ""  # why it cannot run here ("" when it can)
    names: frozenset[str] = frozenset()  # top-level identifiers it reads
    variable_refs: tuple[str, ...] = ()  # the policy variables it reads, in order of appearance


_VARIABLE_REF = re.compile(r"(?<![\w.])variables\s*\.\s*([A-Za-z_][A-Za-z0-9_]*)")


@functools.lru_cache(maxsize=8192)
def compile_expression(source: str) -> Compiled:
    """Compile once per process (a run compiles each distinct expression once)."""
    try:
        cel = load()
    except ImportError:
        return Compiled(source, error="the CEL library 'common-expression-language' is not installed")
    try:
        program = cel.compile(_with_character_size(source))
        used = set(program.functions())
        names = frozenset(program.variables())
    except Exception as exc:
        try:
            cel.compile(source)
            reason = one_line(exc)
        except Exception as original:  # report the error in the expression as written
            reason = one_line(original)
        if ".?" in source or "[?" in source:
            reason = "optional field selection (.? / [?]) is not supported by the CEL library; " + reason
        return Compiled(source, error=f"does not compile: {reason}")
    if "authorizer" in names:
        return Compiled(source, error="authorizer checks need a cluster's RBAC")
    unknown = unknown_functions(used, functions())
    if unknown:
        return Compiled(source, error=f"uses {', '.join(unknown)}, which the CEL library does not provide")
    refs = tuple(dict.fromkeys(_VARIABLE_REF.findall(source)))
    return Compiled(source, program, "", names, refs)


# cel-rust's size() of a string counts UTF-8 bytes; Kubernetes (cel-go) counts code points.
# The built-in cannot be replaced, so size calls are renamed to a function that counts as
# Kubernetes does (string literals are left alone).
_SIZE = "gitopsGuardSize"
_SIZE_CALL = re.compile(r"(?<![\w])size(?=\s*\()")
_STRING_START = re.compile(r"\'\'\'|\"\"\"|'|\"")


def _with_character_size(source: str) -> str:
    if "size" not in source:
        return source
    out: list[str] = []
    position = 0
    while position < len(source):
        start = _STRING_START.search(source, position)
        code_end = start.start() if start else len(source)
        out.append(_SIZE_CALL.sub(_SIZE, source[position:code_end]))
        if start is None:
            break
        quote = start.group(0)
        raw = start.start() > 0 and source[start.start() - 1] in "rR"
        index = start.end()
        while index < len(source) and not source.startswith(quote, index):
            index += 2 if (source[index] == "\\" and not raw) else 1
        end = min(index + len(quote), len(source))
        out.append(source[start.start() : end])
        position = end
    return "".join(out)


def _size(value: Any) -> int:
    if isinstance(value, str | bytes | list | Mapping):
        return len(value)
    raise _unsupported("size() of a value that has no size")


def new_context(variables: Mapping[str, Any]) -> Any:
    """A reusable evaluation context holding ``variables`` and every function."""
    return load().Context(dict(variables), dict(functions()))


def run(compiled: Compiled, context: Any) -> Any:
    if compiled.error:
        raise Unsupported(compiled.error)
    try:
        return compiled.program.execute(context)
    except KeyError as exc:
        key = exc.args[0] if exc.args else ""
        raise EvalError(f"no such key: {key}") from None
    except (IndexError, ZeroDivisionError, OverflowError) as exc:
        raise EvalError(one_line(exc)) from None
    except Exception as exc:  # the library raises plain exceptions of several kinds
        text = one_line(exc)
        for mark, kind in ((_EVAL_MARK, EvalError), (_UNSUPPORTED_MARK, Unsupported)):
            if mark in text:
                raise kind(text.split(mark, 1)[1].split(". Check function", 1)[0].strip()) from None
        raise Unsupported(f"evaluation error: {text}") from None


@functools.cache
def functions() -> Mapping[str, Callable[..., Any]]:
    table: dict[str, Callable[..., Any]] = dict(stdlib_functions())
    table.update(_KUBERNETES)
    return table


# --------------------------------------------------------------------------- values


def to_cel(value: Any) -> Any:
    """A manifest value as the API server hands it to CEL: its JSON form.

    YAML timestamps and dates become the strings JSON would carry; an integer
    beyond int64 cannot be represented (the library would silently make it a
    double), so it is refused.
    """
    if value is None or isinstance(value, bool | str | float):
        return value
    if isinstance(value, int):
        if not INT64_MIN <= value <= INT64_MAX:
            # The value itself stays out of the message: it could be anything, even a secret.
            raise Unsupported("the object holds an integer beyond the int64 range")
        return value
    if isinstance(value, Mapping):
        return {str(k) if not isinstance(k, bool) else str(k).lower(): to_cel(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_cel(v) for v in value]
    if isinstance(value, dt.datetime):
        stamp = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return stamp.isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bytes):
        import base64

        return base64.b64encode(value).decode("ascii")
    raise Unsupported(f"a {type(value).__name__} value has no JSON form")


# --------------------------------------------------------------------------- Kubernetes library


def _eval_error(message: str) -> ValueError:
    return ValueError(f"{_EVAL_MARK} {message}")


def _unsupported(message: str) -> ValueError:
    return ValueError(f"{_UNSUPPORTED_MARK} {message}")


# A quantity travels through CEL as a map holding its exact value in canonical form, so
# that `==` between two quantities compares values (1 == 1000m), as the API server's does.
_QUANTITY_KEY = "@quantity"
_QUANTITY = re.compile(
    r"^([+-]?)([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?[0-9]+)?$"
)
_SUFFIX = {
    "": Decimal(1),
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "k": Decimal("1e3"),
    "M": Decimal("1e6"),
    "G": Decimal("1e9"),
    "T": Decimal("1e12"),
    "P": Decimal("1e15"),
    "E": Decimal("1e18"),
    "Ki": Decimal(2**10),
    "Mi": Decimal(2**20),
    "Gi": Decimal(2**30),
    "Ti": Decimal(2**40),
    "Pi": Decimal(2**50),
    "Ei": Decimal(2**60),
}


def parse_quantity(text: str) -> Decimal | None:
    """The exact value of a Kubernetes quantity ("500m", "1.5Gi", "1e3"), None if invalid."""
    match = _QUANTITY.match(text)
    if match is None:
        return None
    sign, number, suffix = match.group(1), match.group(2), match.group(3) or ""
    try:
        value = Decimal(number)
        if suffix[:1] in ("e", "E"):
            exponent = int(suffix[1:])
            if abs(exponent) > 1000:
                return None
            value = value.scaleb(exponent)
        else:
            value *= _SUFFIX[suffix]
    except (InvalidOperation, ValueError):
        return None
    return -value if sign == "-" else value


def _wrap(value: Decimal) -> dict[str, str]:
    text = "0" if value == 0 else format(value.normalize(), "f")
    return {_QUANTITY_KEY: text}


def _unwrap(value: Any) -> Decimal:
    if isinstance(value, Mapping) and set(value) == {_QUANTITY_KEY}:
        return Decimal(value[_QUANTITY_KEY])
    raise _unsupported("a quantity method called on a value that is not a quantity")


def _operand(value: Any) -> Decimal:
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    return _unwrap(value)


def _quantity(text: Any) -> dict[str, str]:
    if not isinstance(text, str):
        raise _unsupported("quantity() of a value that is not a string")
    value = parse_quantity(text)
    if value is None:
        raise _eval_error("quantities must match the regular expression of a Kubernetes quantity")
    return _wrap(value)


def _is_quantity(text: Any) -> bool:
    return isinstance(text, str) and parse_quantity(text) is not None


def _compare(a: Any, b: Any) -> int:
    x, y = _unwrap(a), _unwrap(b)
    return (x > y) - (x < y)


def _is_integer(q: Any) -> bool:
    value = _unwrap(q)
    return value == value.to_integral_value() and INT64_MIN <= value <= INT64_MAX


def _as_integer(q: Any) -> int:
    if not _is_integer(q):
        raise _eval_error("cannot convert value to integer")
    return int(_unwrap(q))


def _sign(q: Any) -> int:
    value = _unwrap(q)
    return (value > 0) - (value < 0)


_RE2_UNSUPPORTED = re.compile(r"\(\?<?[=!]|\\[1-9]")


@functools.lru_cache(maxsize=512)
def _regex(pattern: str) -> re.Pattern[str]:
    if _RE2_UNSUPPORTED.search(pattern):
        raise _eval_error("the regular expression uses lookaround or a backreference, which RE2 rejects")
    try:
        return re.compile(pattern)
    except re.error:
        raise _eval_error("the regular expression does not compile") from None


def _find(text: Any, pattern: Any) -> str:
    if not isinstance(text, str) or not isinstance(pattern, str):
        raise _unsupported("find() needs a string and a pattern")
    match = _regex(pattern).search(text)
    return match.group(0) if match else ""


def _find_all(text: Any, pattern: Any, limit: Any = -1) -> list[str]:
    if not isinstance(text, str) or not isinstance(pattern, str) or not isinstance(limit, int):
        raise _unsupported("findAll() needs a string, a pattern and an optional int limit")
    found = [m.group(0) for m in _regex(pattern).finditer(text)]
    return found if limit < 0 else found[:limit]


def _is_sorted(items: Any) -> bool:
    if not isinstance(items, list):
        raise _unsupported("isSorted() of a value that is not a list")
    try:
        return all(a <= b for a, b in itertools.pairwise(items))
    except TypeError:
        raise _unsupported("isSorted() of a list of values that do not compare") from None


_KUBERNETES: dict[str, Callable[..., Any]] = {
    _SIZE: _size,
    "quantity": _quantity,
    "isQuantity": _is_quantity,
    "compareTo": _compare,
    "isLessThan": lambda a, b: _compare(a, b) < 0,
    "isGreaterThan": lambda a, b: _compare(a, b) > 0,
    "add": lambda a, b: _wrap(_unwrap(a) + _operand(b)),
    "sub": lambda a, b: _wrap(_unwrap(a) - _operand(b)),
    "sign": _sign,
    "isInteger": _is_integer,
    "asInteger": _as_integer,
    "asApproximateFloat": lambda q: float(_unwrap(q)),
    "find": _find,
    "findAll": _find_all,
    "isSorted": _is_sorted,
}
