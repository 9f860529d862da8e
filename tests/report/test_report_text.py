"""Text: one line per finding, a summary from report.summary, colour only on request."""

from __future__ import annotations

from collections.abc import Callable

from gitops_guard.findings import Finding, Outcome, Severity
from gitops_guard.report.model import Report
from gitops_guard.report.text import render


def test_one_line_per_finding_plus_summary(sample_report: Report) -> None:
    lines = render(sample_report).splitlines()
    assert len(lines) == len(sample_report.findings) + 1
    assert lines[-1] == "2 errors, 3 warnings, 1 info, 1 not checked in 7 files (11 documents)"


def test_location_shapes(make_report: Callable[..., Report]) -> None:
    report = make_report(
        [
            Finding("yaml/syntax", Severity.ERROR, "a.yaml", 2, 5, "full"),
            Finding("yaml/syntax", Severity.ERROR, "b.yaml", 2, None, "no column"),
            Finding("yaml/syntax", Severity.ERROR, "c.yaml", None, None, "no line"),
        ]
    )
    assert render(report).splitlines()[:3] == [
        "a.yaml:2:5: error yaml/syntax full",
        "b.yaml:2: error yaml/syntax no column",
        "c.yaml: error yaml/syntax no line",
    ]


def test_not_checked_is_marked_only_on_its_line(sample_report: Report) -> None:
    lines = render(sample_report).splitlines()[:-1]
    marked = [line for line in lines if "(not checked)" in line]
    assert marked == [
        "crds/widget.yaml:1:1: warning schema/missing (not checked) no schema for example.com/v1,"
        " Kind=Widget [Widget/w1]"
    ]
    assert sum(f.outcome is Outcome.NOT_CHECKED for f in sample_report.findings) == 1


def test_singular_counts(make_report: Callable[..., Report]) -> None:
    report = make_report([Finding("yaml/syntax", Severity.ERROR, "a.yaml", 1, 1, "x")], files=1, documents=1)
    assert render(report).splitlines()[-1] == "1 error, 0 warnings, 0 not checked in 1 file (1 document)"


def test_no_escape_sequences_without_color(sample_report: Report) -> None:
    assert "\033" not in render(sample_report)


def test_colour_wraps_severity_and_summary(sample_report: Report) -> None:
    lines = render(sample_report, color=True).splitlines()
    assert "\033[1;31merror\033[0m" in lines[0]
    assert lines[-1].startswith("\033[1;31m") and lines[-1].endswith("\033[0m")


def test_repository_text_cannot_inject_lines_or_escapes(make_report: Callable[..., Report]) -> None:
    message = "a\nb\r\tc \033[2J\u202egnp.exe\x00 ok"
    report = make_report([Finding("yaml/syntax", Severity.ERROR, "x\ny.yaml", 1, 1, message)])
    first = render(report, color=True).splitlines()[0]
    assert first == (
        "\033[1mx\\ny.yaml:1:1\033[0m: \033[1;31merror\033[0m yaml/syntax"
        " a\\nb\\r\\tc \\x1b[2J\\u202egnp.exe\\x00 ok"
    )
    assert render(report).count("\n") == 2
