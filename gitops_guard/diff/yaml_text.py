"""Objects as YAML that people read in a diff: multi-line strings as literal blocks.

A kustomize patch or a config file held in a string is dumped by default as one
double-quoted line with ``\\n`` escapes and ``\\`` continuations, so a one-line change
in it shows as one huge changed line.  As a literal block (``|``) every line of the
string is a line of the diff.  Lines are never folded either: a long value is one line.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

# Characters a literal block cannot carry as they are: other line breaks (a loader would
# turn them into "\n"), the byte-order mark, and what the emitter itself would escape.
_NOT_LITERAL = frozenset("\r\x85\u2028\u2029\ufeff")
_NO_FOLD = 1 << 30


def _literal_ok(value: str) -> bool:
    if "\n" not in value:
        return False
    for ch in value:
        if ch in _NOT_LITERAL:
            return False
        if ch in "\n\t":
            continue
        code = ord(ch)
        if code < 0x20 or 0x7F <= code < 0xA0 or 0xD800 <= code < 0xE000 or code in (0xFFFE, 0xFFFF):
            return False
    return True


class _Dumper(yaml.SafeDumper):
    """SafeDumper that keeps multi-line strings as literal blocks.

    PyYAML gives up the literal style for a string with a space before a line break
    (common in rendered templates) and falls back to an escaped one-liner; such a string
    is still valid, and exact, as a literal block, so this emitter keeps it.
    """

    def choose_scalar_style(self) -> str:
        event = self.event
        if (
            isinstance(event, yaml.ScalarEvent)
            and event.style == "|"
            and not self.simple_key_context
            and not self.flow_level
        ):
            if self.analysis is None:
                self.analysis = self.analyze_scalar(event.value)
            return "|"
        style: str = super().choose_scalar_style()
        return style


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if _literal_ok(value) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def dump(obj: Mapping[str, Any]) -> str:
    text: str = yaml.dump(
        dict(obj),
        Dumper=_Dumper,
        sort_keys=True,
        default_flow_style=False,
        allow_unicode=True,
        width=_NO_FOLD,
    )
    # A keep-chomped block at the very end makes the emitter close the document ("...").
    return text.removesuffix("...\n")
