"""JSON: the version-1 report of the public contract."""

from __future__ import annotations

import json

from gitops_guard.report.json_format import render
from gitops_guard.report.model import Report

CONTRACT_FINDING_KEYS = {"rule", "severity", "path", "line", "column", "message", "object", "fingerprint"}
CONTRACT_OBJECT_KEYS = {"apiVersion", "kind", "namespace", "name"}
CONTRACT_SUMMARY_KEYS = {"files", "documents", "errors", "warnings"}


def test_top_level_shape(sample_report: Report) -> None:
    document = json.loads(render(sample_report))
    assert list(document) == ["version", "tool", "findings", "summary"]
    assert document["version"] == 1
    assert document["tool"] == {"name": "gitops-guard", "version": "9.9.9-test"}


def test_findings_carry_the_contract_fields(sample_report: Report) -> None:
    document = json.loads(render(sample_report))
    assert len(document["findings"]) == len(sample_report.findings)
    for item, finding in zip(document["findings"], sample_report.findings, strict=True):
        assert set(item) >= CONTRACT_FINDING_KEYS
        assert item == finding.to_json()
        assert item["severity"] in {"error", "warning", "info"}
        assert item["fingerprint"].startswith("sha256:")
        assert item["line"] is None or item["line"] >= 1
        assert item["object"] is None or set(item["object"]) == CONTRACT_OBJECT_KEYS
    assert any(item["object"] is None for item in document["findings"])
    assert any(item["line"] is None and item["column"] is None for item in document["findings"])


def test_summary_is_the_report_summary(sample_report: Report) -> None:
    summary = json.loads(render(sample_report))["summary"]
    assert set(summary) >= CONTRACT_SUMMARY_KEYS
    assert summary == sample_report.summary.to_json()
    assert summary["files"] == 7 and summary["documents"] == 11


def test_layout(sample_report: Report) -> None:
    output = render(sample_report)
    assert output.endswith("}\n") and not output.endswith("\n\n")
    assert output.splitlines()[1] == '  "version": 1,'
    assert output.isascii()


def test_empty_report(empty_report: Report) -> None:
    document = json.loads(render(empty_report))
    assert document["findings"] == []
    assert document["summary"]["errors"] == 0 and document["summary"]["files"] == 3
