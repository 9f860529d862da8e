"""Document.locate_in_value: an offset in a string's value → where that character is written."""

from __future__ import annotations

import pytest

from gitops_guard.source.limits import Limits
from gitops_guard.source.yamldoc import parse

NEEDLE = "needle"

# (YAML text with the value at key `v`, expected 1-based (line, column) of NEEDLE)
CASES = {
    "plain": ("v: a needle\n", (1, 6)),
    "literal": ("v: |\n  first\n  the needle\n", (3, 7)),
    "literal strip, header comment": ("v: |- # needle here? no\n  first\n  a needle\n", (3, 5)),
    "literal keep, indent indicator": ("v: |2+\n    deeper\n   x needle\n", (3, 6)),
    "folded": ("v: >\n  one\n  two\n\n  three needle\n", (5, 9)),
    "folded keep": ("v: >+\n  one two\n  the needle\n\n", (3, 7)),
    "double-quoted multi-line": ('v: "line one\n  line \\"two\\" \\t needle"\n', (2, 19)),
    "double-quoted escaped break": ('v: "abc\\\n  def needle"\n', (2, 7)),
    "single-quoted with ''": ("v: 'it''s\n  a needle'\n", (2, 5)),
    "plain multi-line": ("v: first\n  second needle\n", (2, 10)),
    "nested sequence": ("x:\n  - v: |\n      a\n      b needle\n", (4, 9)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_offset_maps_to_the_written_character(name: str) -> None:
    text, expected = CASES[name]
    (doc,) = parse(text, "f.yaml", Limits()).documents
    path: tuple[str | int, ...] = ("x", 0, "v") if name == "nested sequence" else ("v",)
    node_value = doc.data["x"][0]["v"] if name == "nested sequence" else doc.data["v"]
    offset = node_value.index(NEEDLE)
    assert doc.locate_in_value(path, offset, text) == expected
    line, column = expected
    assert text.splitlines()[line - 1][column - 1 :].startswith(NEEDLE)


def test_what_cannot_be_followed_falls_back_to_the_node() -> None:
    text = "a: 1\nv: |\n  x\n"
    (doc,) = parse(text, "f.yaml", Limits()).documents
    assert doc.locate_in_value(("v",), 99, text) == doc.locate(("v",))
    assert doc.locate_in_value(("a",), 0, text) == doc.locate(("a",))


def test_non_ascii_before_the_value_counts_in_characters() -> None:
    text = "é: ü\nv: |\n  ünïcode needle\n"
    (doc,) = parse(text, "f.yaml", Limits()).documents
    assert doc.locate_in_value(("v",), doc.data["v"].index(NEEDLE), text) == (3, 11)


def test_tag_as_written() -> None:
    (doc,) = parse("a: !env_var NAME\nb: !!str x\nc: y\n", "f.yaml", Limits()).documents
    assert [doc.tag_at((k,)) for k in "abc"] == ["!env_var", None, None]
