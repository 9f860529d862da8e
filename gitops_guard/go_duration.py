"""Go durations (``1h30m``, ``500ms``, ``.5s``), as Argo CD, Flux and CRD rules write them.

One grammar for the three readers: the sync engine's app specs and command-line options
(:func:`seconds`) and CEL's ``duration()`` on CRD fields (:func:`nanoseconds`, exact).
It is Go's ``time.ParseDuration``: an optional sign, then one or more decimal numbers
each with a unit (``ns``, ``us``/``µs``/``μs``, ``ms``, ``s``, ``m``, ``h``); ``0``
alone needs none.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_NANOS = {"ns": 1, "us": 10**3, "µs": 10**3, "μs": 10**3, "ms": 10**6, "s": 10**9, "m": 60 * 10**9}
_NANOS["h"] = 60 * _NANOS["m"]
_SECONDS = re.compile(r"\d+(?:\.\d+)?")


def nanoseconds(text: str) -> Decimal:
    """The signed length of Go duration ``text`` in nanoseconds, exactly; ValueError otherwise."""
    sign, body = (-1, text[1:]) if text.startswith("-") else (1, text.removeprefix("+"))
    if body == "0":
        return Decimal(0)
    position, total = 0, Decimal(0)
    for match in _PART.finditer(body):
        if match.start() != position:
            break
        total += Decimal(match.group(1)) * _NANOS[match.group(2)]
        position = match.end()
    if not body or position != len(body):
        raise ValueError(f"{text!r} is not a duration (e.g. 30s, 5m, 1h30m)")
    return sign * total


def seconds(value: Any) -> float:
    """A Go duration, or a number of seconds (a number, or digits in a string), in seconds.

    ValueError for anything else, and for a negative length: no setting here takes one.
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        total = float(value)
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        total = float(text) if _SECONDS.fullmatch(text) else float(nanoseconds(text) / 10**9)
    else:
        raise ValueError(f"{value!r} is not a duration (e.g. 30s, 5m, 1h30m)")
    if total < 0:
        raise ValueError(f"{value!r}: a duration cannot be negative")
    return total
