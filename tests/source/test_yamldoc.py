from __future__ import annotations

import pytest

from gitops_guard.source.limits import Limits
from gitops_guard.source.yamldoc import decode, parse


def doc(text: str, limits: Limits | None = None):  # type: ignore[no-untyped-def]
    return parse(text, "f.yaml", limits or Limits())


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ("a: 1\n b: 2\n", 2, 3),  # bad indentation
        ("a: [1, 2\n", 2, 1),  # unclosed flow sequence
        ("key: 'unterminated\n", 2, 1),
        ("- a\nb: c\n", 2, 1),
    ],
)
def test_syntax_error_has_parser_position(text: str, line: int, column: int) -> None:
    parsed = doc(text)
    [problem] = parsed.problems
    assert problem.kind == "syntax"
    assert (problem.line, problem.column) == (line, column)


def test_documents_before_a_syntax_error_are_kept() -> None:
    parsed = doc("a: 1\n---\nb: [\n")
    assert [d.data for d in parsed.documents] == [{"a": 1}]
    assert parsed.problems[0].kind == "syntax"


def test_duplicate_key_points_at_second_occurrence_and_last_wins() -> None:
    parsed = doc("spec:\n  replicas: 2\n  replicas: 3\n")
    [problem] = parsed.problems
    assert problem.kind == "duplicate-key"
    assert (problem.line, problem.column) == (3, 3)
    assert "first defined at line 2" in problem.message
    assert parsed.documents[0].data == {"spec": {"replicas": 3}}


def test_locate_points_at_value_or_key() -> None:
    parsed = doc("a: 1\nspec:\n  containers:\n  - name: x\n    image: y\n")
    d = parsed.documents[0]
    assert d.locate(("spec", "containers", 0, "image")) == (5, 12)
    assert d.locate(("spec", "containers", 0, "image"), key=True) == (5, 5)
    # a path that does not exist resolves to its deepest existing ancestor
    assert d.locate(("spec", "nope", "deeper")) == (3, 3)


def test_tags_are_never_constructed() -> None:
    parsed = doc("a: !!python/object/apply:os.system ['echo hi']\nb: !Ref x\n")
    assert parsed.problems == []
    assert parsed.documents[0].data == {"a": ["echo hi"], "b": "x"}


def test_merge_keys_follow_yaml_semantics() -> None:
    parsed = doc("base: &b {x: 1, y: 2}\nchild:\n  <<: *b\n  y: 3\n")
    assert parsed.documents[0].data["child"] == {"x": 1, "y": 3}


def test_alias_bomb_is_bounded() -> None:
    lines = ['a: &a ["l","l","l","l","l","l","l","l","l"]']
    prev = "a"
    for name in "bcdefghi":
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
        prev = name
    parsed = doc("\n".join(lines) + "\n")
    assert [p.kind for p in parsed.problems] == ["too-complex"]
    assert "alias" in parsed.problems[0].message


def test_deep_nesting_is_bounded() -> None:
    parsed = doc("a: " + "[" * 10000 + "]" * 10000 + "\n")
    assert [p.kind for p in parsed.problems] == ["too-complex"]


def test_timestamps_and_scalars_stay_json_types() -> None:
    parsed = doc("t: 2024-01-01\nn: null\nb: yes\ni: 0x10\nf: 1.5\ns: '1'\n")
    assert parsed.documents[0].data == {"t": "2024-01-01", "n": None, "b": True, "i": 16, "f": 1.5, "s": "1"}


def test_decode_handles_bom_binary_and_invalid_utf8() -> None:
    assert decode(b"\xef\xbb\xbfa: 1\n") == ("a: 1\n", None)
    text, problem = decode(b"a: 1\x00\x01")
    assert text is None and problem is not None and "binary" in problem.message
    text, problem = decode(b"a: 1\nb: \xff\n")
    assert text is None and problem is not None
    assert (problem.line, problem.column) == (2, 4)


def test_crlf_positions() -> None:
    parsed = doc("a: 1\r\nb: 2\r\nb: 3\r\n")
    assert (parsed.problems[0].line, parsed.problems[0].column) == (3, 1)


def test_empty_and_separator_only_files() -> None:
    assert doc("").documents == [] and doc("").problems == []
    parsed = doc("---\n")
    assert parsed.problems == [] and all(d.data is None for d in parsed.documents)


def test_anchor_may_be_redefined_as_in_yaml_1_2() -> None:
    parsed = doc("a: &x 1\nb: *x\nc: &x 2\nd: *x\n")
    assert parsed.problems == []
    assert parsed.documents[0].data == {"a": 1, "b": 1, "c": 2, "d": 2}
