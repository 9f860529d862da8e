"""JUnit XML, for CI systems that only show test results (GitLab, Jenkins, Azure).

One test case per file that has findings, named by its path, with a
``failure`` per error or warning; info findings go to the case's
``system-out``. A run without findings still emits one passing case, because
several consumers treat a suite with zero tests as a broken report.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from gitops_guard.findings import Finding, Outcome, Severity
from gitops_guard.report.model import Report

SUITE_NAME = "gitops-guard"
_FAILING = (Severity.ERROR, Severity.WARNING)
# Characters XML 1.0 cannot carry at all, not even as character references.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def render(report: Report, *, color: bool = False) -> str:
    by_path: dict[str, list[Finding]] = {}
    for finding in report.findings:
        by_path.setdefault(finding.path, []).append(finding)

    cases = [_case(path, findings) for path, findings in by_path.items()]
    if not cases:
        cases = [_element("testcase", classname=SUITE_NAME, name="all files")]
    # These attributes count XML test cases, which is what JUnit consumers
    # expect; finding counts stay in report.summary.
    tests = str(len(cases))
    failures = str(sum(1 for case in cases if case.find("failure") is not None))

    root = _element("testsuites", name=SUITE_NAME, tests=tests, failures=failures, errors="0")
    suite = _element("testsuite", name=SUITE_NAME, tests=tests, failures=failures, errors="0", skipped="0")
    suite.extend(cases)
    root.append(suite)
    ET.indent(root)
    # ASCII with character references: valid whatever encoding the file is written in.
    body: bytes = ET.tostring(root, encoding="us-ascii")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body.decode("ascii") + "\n"


def _case(path: str, findings: list[Finding]) -> ET.Element:
    case = _element("testcase", classname=SUITE_NAME, name=path)
    notes: list[str] = []
    for finding in findings:
        if finding.severity in _FAILING:
            label = finding.rule
            if finding.outcome is Outcome.NOT_CHECKED:
                label += " (not checked)"
            failure = _element("failure", message=f"{label}: {finding.message}", type=finding.severity.value)
            failure.text = _xml_text(_location(finding))
            case.append(failure)
        else:
            notes.append(f"{_location(finding)}: {finding.severity.value} {finding.rule} {finding.message}")
    if notes:
        out = ET.SubElement(case, "system-out")
        out.text = _xml_text("\n".join(notes))
    return case


def _location(finding: Finding) -> str:
    location = finding.path
    if finding.line is not None:
        location += f":{finding.line}"
        if finding.column is not None:
            location += f":{finding.column}"
    if finding.object is not None:
        location += f" [{finding.object}]"
    return location


def _element(tag: str, **attributes: str) -> ET.Element:
    return ET.Element(tag, {key: _xml_text(value) for key, value in attributes.items()})


def _xml_text(value: str) -> str:
    """Replace what XML cannot hold (control characters, lone surrogates) with visible escapes.

    ElementTree escapes markup characters but writes these through, which
    would leave a file no parser accepts. A bare carriage return in element
    text would be read back as a newline, so it is escaped too.
    """
    return _NOT_XML.sub(_escape_char, value).replace("\r", "\\r")


def _escape_char(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
