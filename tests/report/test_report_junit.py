"""JUnit XML: parses, one case per file with findings, a failure per error or warning."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable

from gitops_guard.findings import Finding, Severity
from gitops_guard.report.junit import render
from gitops_guard.report.model import Report


def _suite(output: str) -> ET.Element:
    root = ET.fromstring(output)
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    assert suite.get("name") == "gitops-guard"
    return suite


def test_one_case_per_file_with_a_failure_per_error_or_warning(sample_report: Report) -> None:
    suite = _suite(render(sample_report))
    cases = suite.findall("testcase")
    assert [case.get("name") for case in cases] == list(dict.fromkeys(f.path for f in sample_report.findings))
    for case in cases:
        findings = [f for f in sample_report.findings if f.path == case.get("name")]
        failing = [f for f in findings if f.severity is not Severity.INFO]
        failures = case.findall("failure")
        assert len(failures) == len(failing)
        for failure, finding in zip(failures, failing, strict=True):
            label = finding.rule + (" (not checked)" if finding.outcome.value == "not-checked" else "")
            assert failure.get("message") == f"{label}: {finding.message}"
            assert failure.get("type") == finding.severity.value
            assert (failure.text or "").startswith(finding.path)
    failed_cases = sum(1 for case in cases if case.find("failure") is not None)
    assert suite.get("tests") == str(len(cases)) and suite.get("failures") == str(failed_cases)


def test_info_findings_do_not_fail(sample_report: Report) -> None:
    suite = _suite(render(sample_report))
    (case,) = [c for c in suite.findall("testcase") if c.get("name") == "apps/café/ünïcode.yaml"]
    assert case.find("failure") is None
    assert "policy/require-labels" in (case.findtext("system-out") or "")


def test_messages_round_trip_through_the_parser(sample_report: Report) -> None:
    suite = _suite(render(sample_report))
    messages = [failure.get("message") for failure in suite.iter("failure")]
    assert 'sync/invalid-wave: argocd.argoproj.io/sync-wave: "one"\nis not an integer' in "\n".join(
        m or "" for m in messages
    )
    assert "prune/overlapping-sources: two sources | deploy <&> the same path" in messages


def test_empty_report_is_one_passing_case(empty_report: Report) -> None:
    suite = _suite(render(empty_report))
    (case,) = suite.findall("testcase")
    assert list(case) == []
    assert suite.get("tests") == "1" and suite.get("failures") == "0"


def test_characters_xml_cannot_hold_are_escaped(make_report: Callable[..., Report]) -> None:
    message = "nul\x00 esc\x1b[0m bell\x07 nonchar\ufffe cr\r ok <&>"
    report = make_report([Finding("yaml/syntax", Severity.ERROR, "a\x0b.yaml", 1, 1, message)])
    output = render(report)
    assert output.isascii()
    case = _suite(output).find("testcase")
    assert case is not None and case.get("name") == "a\\x0b.yaml"
    failure = case.find("failure")
    assert failure is not None
    assert failure.get("message") == "yaml/syntax: nul\\x00 esc\\x1b[0m bell\\x07 nonchar\\ufffe cr\\r ok <&>"
