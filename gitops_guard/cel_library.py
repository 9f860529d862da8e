"""The CEL library (``common-expression-language``, module ``cel``) as both of its users load it:
CRD validation rules (``schema/cel.py``) and admission policies (``policy/celenv.py``).

What is shared is what the library is, not how each user evaluates: which functions it
implements itself, its cel-go extensions, the int64 range of CEL integers, a quiet logger,
and how an error of its becomes a one-line reason. ``cel`` is imported only on first use.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from typing import Any

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

# Functions cel-rust implements itself (checked one by one against cel 0.10); the extension
# functions of cel.stdlib, and each user's own, are added to these.
NATIVE_FUNCTIONS = frozenset(
    {
        "size", "contains", "startsWith", "endsWith", "matches",
        "int", "uint", "double", "string", "bytes", "timestamp", "duration", "type", "dyn",
        "getFullYear", "getMonth", "getDate", "getDayOfMonth", "getDayOfWeek", "getDayOfYear",
        "getHours", "getMinutes", "getSeconds", "getMilliseconds",
        "hasValue", "value", "orValue", "or", "of", "none", "ofNonZeroValue",
    }
)  # fmt: skip


@functools.cache
def load() -> Any:
    """The ``cel`` module (ImportError when it is not installed), its logger silenced.

    The library logs every failing Python function, with its argument values, at WARNING on
    the "cel" logger; unconfigured, Python would print that to stderr. Values never leave.
    """
    import logging

    cel = _import_evaluator()
    logger = logging.getLogger("cel")
    if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
        logger.addHandler(logging.NullHandler())
    logger.propagate = False
    return cel


def _import_evaluator() -> Any:
    """``import cel`` without its interactive command line.

    The package's ``__init__`` imports ``cel.cli`` (prompt_toolkit, pygments): ~0.2 s of a
    run that evaluates one rule, for a REPL this process never starts. An empty module
    stands in for it while the package is imported. Should a release need the real one at
    import, the stand-in and what was half imported are dropped and ``cel`` is imported
    as it is.
    """
    import sys
    import types

    if "cel" in sys.modules or "cel.cli" in sys.modules:
        import cel

        return cel
    stand_in = types.ModuleType("cel.cli", "not imported: gitops-guard never runs the cel REPL")
    sys.modules["cel.cli"] = stand_in
    try:
        import cel
    except ImportError:
        for name in [n for n in sys.modules if n == "cel" or n.startswith("cel.")]:
            del sys.modules[name]
        import cel
    finally:
        if sys.modules.get("cel.cli") is stand_in:
            del sys.modules["cel.cli"]
    return cel


@functools.cache
def stdlib_functions() -> Mapping[str, Callable[..., Any]]:
    """cel-go's string, list, set and math extensions as ``cel.stdlib`` provides them;
    empty without the library or with an older release that lacks them (core CEL only)."""
    try:
        load()
        from cel import stdlib
    except ImportError:
        return {}
    return dict(stdlib.STDLIB_FUNCTIONS)


def unknown_functions(used: Iterable[str], extensions: Iterable[str]) -> list[str]:
    """The functions an expression calls that neither the library nor ``extensions`` provide."""
    known = NATIVE_FUNCTIONS | {name.rpartition(".")[2] for name in extensions}
    # Operators and macro helpers are listed under internal names such as `_==_` and `@in`.
    return sorted(f for f in used if f not in known and f[:1] not in "_@!-" and not f.endswith("_"))


def one_line(exc: BaseException | str) -> str:
    """An error as a reason of one line and at most 200 characters."""
    text = " ".join(str(exc).split())
    return text[:200] + ("..." if len(text) > 200 else "")
