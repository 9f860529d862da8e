"""The pinned-findings harness of tests/test_corpus.py: parsing, comparison and regeneration."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops_guard.findings import Finding, ObjectRef, Outcome, Severity
from tests import corpus_pins as cp


def finding(path: str, line: int | None, rule: str, *, not_checked: bool = False, kind: str = "") -> Finding:
    return Finding(
        rule=rule,
        severity=Severity.ERROR,
        path=path,
        line=line,
        column=None,
        message="m",
        object=ObjectRef("example.io/v1", kind, None, "x") if kind else None,
        outcome=Outcome.NOT_CHECKED if not_checked else Outcome.VIOLATION,
    )


TEXT = """\
# comment
[expected]
a.yaml:3 secrets/detected  # a committed password
dir with space/b.yaml:- prune/not-resolved not-checked  # debatable: path not in this copy
[known-false]
c.yaml:7 schema/violation  # cause 1: the parent's patches set it
[schema/missing]
example.io/v1 Widget 2
"""

TRUE_A = finding("a.yaml", 3, "secrets/detected")
TRUE_B = finding("dir with space/b.yaml", None, "prune/not-resolved", not_checked=True)
FALSE_C = finding("c.yaml", 7, "schema/violation")
MISSING = [finding("w.yaml", n, "schema/missing", not_checked=True, kind="Widget") for n in (1, 2)]


def test_parse_reads_every_section() -> None:
    pins = cp.parse(TEXT)
    assert [e.key for e in pins.expected] == [cp.key_of(TRUE_A), cp.key_of(TRUE_B)]
    assert pins.expected[1].debatable and not pins.expected[0].debatable
    assert [e.cause for e in pins.known_false] == [1]
    assert pins.missing == {("example.io/v1", "Widget"): 2}


def test_render_then_parse_is_the_same() -> None:
    pins = cp.parse(TEXT)
    assert cp.parse(cp.render("repo", pins)) == pins


@pytest.mark.parametrize(
    "bad",
    [
        "[other]\n",
        "a.yaml:3 secrets/detected  # r\n",
        "[expected]\na.yaml:x secrets/detected  # r\n",
        "[expected]\na.yaml secrets/detected  # r\n",
        "[schema/missing]\nexample.io/v1 Widget\n",
    ],
)
def test_parse_rejects_malformed_lines_with_their_position(bad: str) -> None:
    with pytest.raises(cp.PinError, match=r"^f\.txt:\d+: "):
        cp.parse(bad, "f.txt")


def test_reason_must_be_written() -> None:
    pins = cp.parse("[expected]\na.yaml:1 x/y  # UNREVIEWED\nb.yaml:1 x/y\nc.yaml:1 x/y  # why\n")
    assert [e.reviewed for e in pins.expected] == [False, False, True]


def test_exact_findings_pass_with_or_without_the_known_false_one() -> None:
    pins = cp.parse(TEXT)
    assert cp.compare(pins, [TRUE_A, TRUE_B, FALSE_C, *MISSING]).ok
    assert cp.compare(pins, [TRUE_A, TRUE_B, *MISSING]).ok


def test_a_true_finding_swapped_for_a_false_one_fails() -> None:
    pins = cp.parse(TEXT)
    other = finding("a.yaml", 4, "secrets/detected")  # same rule and file, another line
    result = cp.compare(pins, [other, TRUE_B, *MISSING])
    assert not result.ok
    assert result.missing == (cp.key_of(TRUE_A),)
    assert result.unexpected == (cp.key_of(other),)
    assert "- a.yaml:3 secrets/detected" in result.render()
    assert "+ a.yaml:4 secrets/detected" in result.render()


def test_a_duplicate_finding_fails() -> None:
    result = cp.compare(cp.parse(TEXT), [TRUE_A, TRUE_A, TRUE_B, *MISSING])
    assert result.unexpected == (cp.key_of(TRUE_A),) and not result.missing


def test_outcome_is_part_of_the_pin() -> None:
    violation = finding("dir with space/b.yaml", None, "prune/not-resolved")
    result = cp.compare(cp.parse(TEXT), [TRUE_A, violation, *MISSING])
    assert result.missing == (cp.key_of(TRUE_B),) and result.unexpected == (cp.key_of(violation),)


def test_known_false_fails_once_its_cause_is_forbidden() -> None:
    pins = cp.parse(TEXT)
    assert cp.compare(pins, [TRUE_A, TRUE_B, FALSE_C, *MISSING], forbidden_causes={2}).ok
    result = cp.compare(pins, [TRUE_A, TRUE_B, FALSE_C, *MISSING], forbidden_causes={1})
    assert not result.ok and [e.key for e in result.forbidden] == [cp.key_of(FALSE_C)]
    assert cp.compare(pins, [TRUE_A, TRUE_B, *MISSING], forbidden_causes={1}).ok


def test_schema_missing_counts_per_type() -> None:
    pins = cp.parse(TEXT)
    result = cp.compare(pins, [TRUE_A, TRUE_B, MISSING[0]])
    assert result.missing_counts == ((("example.io/v1", "Widget"), 2, 1),)
    other = finding("w.yaml", 1, "schema/missing", not_checked=True, kind="Gadget")
    assert not cp.compare(pins, [TRUE_A, TRUE_B, MISSING[0], other]).ok


def test_regenerate_keeps_reasons_and_marks_new_findings() -> None:
    pins = cp.parse(TEXT)
    new = finding("d.yaml", 2, "policy/disallow-latest-tag")
    moved = finding("a.yaml", 5, "secrets/detected")
    again = cp.regenerate(pins, [moved, TRUE_B, FALSE_C, new, MISSING[0]])
    reasons = {e.key: e.reason for e in again.expected}
    assert reasons == {
        cp.key_of(TRUE_B): "debatable: path not in this copy",
        cp.key_of(moved): cp.UNREVIEWED,
        cp.key_of(new): cp.UNREVIEWED,
    }
    assert again.known_false == pins.known_false
    assert again.missing == {("example.io/v1", "Widget"): 1}
    assert cp.compare(again, [moved, TRUE_B, FALSE_C, new, MISSING[0]]).ok


def test_regenerate_keeps_gone_known_false_entries_unless_asked() -> None:
    pins = cp.parse(TEXT)
    assert cp.regenerate(pins, [TRUE_A]).known_false == pins.known_false
    assert cp.regenerate(pins, [TRUE_A], drop_gone_false=True).known_false == ()


def test_gone_lists_lost_expected_entries_once_each() -> None:
    pins = cp.parse(TEXT + "[expected]\na.yaml:3 secrets/detected  # the same value again\n")
    again = cp.regenerate(pins, [TRUE_A, FALSE_C])
    assert [e.reason for e in again.expected] == ["a committed password"]
    assert [e.reason for e in cp.gone(pins, again)] == [
        "debatable: path not in this copy",
        "the same value again",
    ]


def test_main_repins_keeping_reasons(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cp, "EXPECTED_DIR", tmp_path)
    (tmp_path / "r.txt").write_text(TEXT)
    new = finding("d.yaml", 2, "policy/disallow-latest-tag")
    monkeypatch.setattr(cp, "run", lambda repo: (TRUE_A, FALSE_C, new, *MISSING))
    assert cp.main(["r"]) == 0
    again = cp.load("r")
    assert [e.reason for e in again.expected] == ["a committed password", cp.UNREVIEWED]
    assert again.known_false == cp.parse(TEXT).known_false


def test_main_refuses_a_run_whose_checks_could_not_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cp, "EXPECTED_DIR", tmp_path)
    (tmp_path / "r.txt").write_text(TEXT)
    monkeypatch.setattr(cp, "run", lambda repo: (TRUE_A, finding("k/kustomization.yaml", 1, "check/not-run")))
    assert cp.main(["r"]) == 2
    assert (tmp_path / "r.txt").read_text() == TEXT
