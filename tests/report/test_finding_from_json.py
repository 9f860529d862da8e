"""A JSON report's findings read back (``gitops-guard comment --findings``)."""

from __future__ import annotations

import json

import pytest

from gitops_guard.findings import Finding, ObjectRef, Outcome, Severity
from gitops_guard.report.formats import render
from gitops_guard.report.model import Report


def test_round_trip_through_the_json_report() -> None:
    findings = [
        Finding(
            "schema/violation",
            Severity.ERROR,
            "a.yaml",
            7,
            3,
            "bad",
            ObjectRef("apps/v1", "Deployment", "x", "y"),
        ),
        Finding(
            "schema/missing", Severity.WARNING, "b.yaml", None, None, "no schema", None, Outcome.NOT_CHECKED
        ),
    ]
    document = json.loads(render(Report.build(findings, files=2, documents=2), "json"))
    assert [Finding.from_json(f) for f in document["findings"]] == sorted(findings, key=Finding.sort_key)


@pytest.mark.parametrize(
    "data",
    [
        {"rule": "x", "severity": "fatal", "path": "a", "message": "m"},
        {"rule": "x", "severity": "error", "path": "a"},
        {"rule": "x", "severity": "error", "path": "a", "message": "m", "line": "7"},
        {"rule": "x", "severity": "error", "path": "a", "message": "m", "object": {"kind": "K"}},
    ],
)
def test_malformed_findings_raise(data: dict[str, object]) -> None:
    with pytest.raises((KeyError, TypeError, ValueError)):
        Finding.from_json(data)
