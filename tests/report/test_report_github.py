"""GitHub workflow commands: escaping truth table and command shape."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from gitops_guard.findings import Finding, ObjectRef, Outcome, Severity
from gitops_guard.report.github import escape_data, escape_property, render
from gitops_guard.report.model import Report


@pytest.mark.parametrize(
    ("raw", "data", "prop"),
    [
        ("plain text", "plain text", "plain text"),
        ("100%", "100%25", "100%25"),
        ("%0A", "%250A", "%250A"),  # an already-escaped-looking value stays literal
        ("a\nb", "a%0Ab", "a%0Ab"),
        ("a\r\nb", "a%0D%0Ab", "a%0D%0Ab"),
        ("key: value", "key: value", "key%3A value"),
        ("a,b", "a,b", "a%2Cb"),
        ("::error::x", "::error::x", "%3A%3Aerror%3A%3Ax"),
        ("%,:\n", "%25,:%0A", "%25%2C%3A%0A"),
        ("é ✓ 🚫 | <&>", "é ✓ 🚫 | <&>", "é ✓ 🚫 | <&>"),
        ("tab\there", "tab\there", "tab\there"),
        ("\033[31mred", "\\x1b[31mred", "\\x1b[31mred"),
        ("", "", ""),
    ],
)
def test_escaping_truth_table(raw: str, data: str, prop: str) -> None:
    assert escape_data(raw) == data
    assert escape_property(raw) == prop


def _runner_unescape(value: str) -> str:
    """What the Actions runner does with a property value (order matters: %25 last)."""
    for escaped, char in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        value = value.replace(escaped, char)
    return value


@pytest.mark.parametrize("raw", ["%3A", "a%2C%0Ab", "100%,\r\n:", "%%25%"])
def test_runner_reads_back_the_original(raw: str) -> None:
    assert _runner_unescape(escape_property(raw)) == raw


def test_one_command_per_finding_then_summary(sample_report: Report) -> None:
    lines = render(sample_report).splitlines()
    assert len(lines) == len(sample_report.findings) + 1
    commands = lines[:-1]
    assert all(re.match(r"^::(error|warning|notice) file=[^:]*::", line) for line in commands)
    assert lines[-1] == "gitops-guard: 2 errors, 3 warnings, 1 info, 1 not checked in 7 files (11 documents)"


def test_severity_and_position(make_report: Callable[..., Report]) -> None:
    report = make_report(
        [
            Finding("a/b", Severity.ERROR, "a.yaml", 3, 4, "m"),
            Finding("a/b", Severity.WARNING, "b.yaml", 3, None, "m"),
            Finding("a/b", Severity.INFO, "c.yaml", None, None, "m", ObjectRef("v1", "Secret", "ns", "s")),
            Finding("a/c", Severity.ERROR, "d.yaml", 1, 1, "m", outcome=Outcome.NOT_CHECKED),
        ]
    )
    assert render(report).splitlines()[:4] == [
        "::error file=a.yaml,line=3,col=4,title=a/b::m",
        "::warning file=b.yaml,line=3,title=a/b::m",
        "::notice file=c.yaml,title=a/b::m [Secret/ns/s]",
        "::error file=d.yaml,line=1,col=1,title=a/c (not checked)::m",
    ]


def test_empty_report_has_only_the_summary(empty_report: Report) -> None:
    assert (
        render(empty_report) == "gitops-guard: 0 errors, 0 warnings, 0 not checked in 3 files (4 documents)\n"
    )
