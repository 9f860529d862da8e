"""No format crashes on, or is broken by, strange text from a repository."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable

import pytest

from gitops_guard.findings import Finding, ObjectRef, Outcome, Severity
from gitops_guard.report.formats import FORMATS, render
from gitops_guard.report.model import Report

ODD = [
    "nul\x00 bell\x07 esc\x1b[2J del\x7f c1\x85",
    "crlf\r\nlf\ncr\rtab\t",
    "| pipes | and <tags> & %25 %0A , : ::error::",
    "bidi \u202e\u2066 nonchar \ufffe\uffff",
    "emoji 🚫 combining e\u0301 cjk 漢字 rtl שלום",
    "x" * 200_000,
    "",
]


@pytest.fixture
def odd_report(make_report: Callable[..., Report]) -> Report:
    findings = [
        Finding(
            "policy/odd,rule:x",
            severity,
            f"dir {i}/{text[:40]}.yaml",
            i + 1 if i % 2 else None,
            i + 1 if i % 3 else None,
            text,
            ObjectRef("v1", f"Kind{text[:5]}", text[:10] or None, text[:20] or None) if i % 2 else None,
            outcome=Outcome.NOT_CHECKED if i == 3 else Outcome.VIOLATION,
        )
        for i, text in enumerate(ODD)
        for severity in Severity
    ]
    return make_report(findings)


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_every_format_survives(fmt: str, odd_report: Report) -> None:
    for color in (False, True):
        output = render(odd_report, fmt, color=color)
        output.encode("utf-8")
        assert output.endswith("\n")


@pytest.mark.parametrize("fmt", ["text", "github"])
def test_line_formats_keep_one_line_per_finding(fmt: str, odd_report: Report) -> None:
    output = render(odd_report, fmt)
    assert output.count("\n") == len(odd_report.findings) + 1
    assert "\r" not in output and "\x1b" not in output


def test_markdown_keeps_one_row_per_finding(odd_report: Report) -> None:
    rows = [line for line in render(odd_report, "markdown").splitlines() if line.startswith("| ")]
    # Summary header, alignment and values; findings header and alignment; then the findings.
    assert len(rows) == 3 + 2 + len(odd_report.findings)


def test_machine_formats_parse(odd_report: Report) -> None:
    assert len(json.loads(render(odd_report, "json"))["findings"]) == len(odd_report.findings)
    sarif = json.loads(render(odd_report, "sarif"))
    assert len(sarif["runs"][0]["results"]) == len(odd_report.findings)
    assert ET.fromstring(render(odd_report, "junit")).tag == "testsuites"


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_undecodable_file_names(fmt: str, make_report: Callable[..., Report]) -> None:
    # os.fsdecode() turns bytes that are not UTF-8 into lone surrogates.
    path = b"apps/caf\xe9.yaml".decode("utf-8", "surrogateescape")
    report = make_report([Finding("yaml/syntax", Severity.ERROR, path, 1, 1, f"bad {path}")])
    output = render(report, fmt)
    output.encode("utf-8")
    if fmt == "sarif":
        uri = json.loads(output)["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
        assert uri["artifactLocation"]["uri"] == "apps/caf%E9.yaml"
