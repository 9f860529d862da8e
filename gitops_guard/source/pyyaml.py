"""PyYAML, imported without compiling a regular expression this project never runs.

``yaml.reader`` compiles its non-printable-character class when it is imported: a
Unicode class of five ranges that costs ~57M instructions, a seventh of a one-file
``check`` (measured with callgrind, ``bench/run_onefile.py``). Only the pure-Python
``Reader`` uses it, and documents here are parsed by libyaml. While PyYAML is imported,
that one pattern is handed out as a ``LazyPattern``, compiled on first use, so a caller
of the pure-Python loader still gets exactly the same checks. Every other pattern, and
every other caller of ``re.compile``, is untouched.
"""

from __future__ import annotations

import re
import sys
from typing import TYPE_CHECKING, Any

__all__ = ["NON_PRINTABLE", "LazyPattern", "yaml"]

# The pattern exactly as yaml/reader.py spells it.
NON_PRINTABLE = "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"


class LazyPattern:
    """A compiled pattern made on first use; attribute access is delegated to it."""

    __slots__ = ("_compiled", "_flags", "_source")

    def __init__(self, source: str, flags: int) -> None:
        self._source = source
        self._flags = flags
        self._compiled: re.Pattern[str] | None = None

    @property
    def compiled(self) -> bool:
        return self._compiled is not None

    def __getattr__(self, name: str) -> Any:
        if self._compiled is None:
            self._compiled = re.compile(self._source, self._flags)
        return getattr(self._compiled, name)


def _import() -> Any:
    if "yaml" in sys.modules:
        return sys.modules["yaml"]
    real = re.compile

    def compile_deferring_non_printable(pattern: Any, flags: int = 0) -> Any:
        if pattern == NON_PRINTABLE and not flags:
            return LazyPattern(pattern, flags)
        return real(pattern, flags)

    re.compile = compile_deferring_non_printable
    try:
        import yaml as module
    finally:
        re.compile = real
    return module


if TYPE_CHECKING:
    import yaml
else:
    yaml = _import()
