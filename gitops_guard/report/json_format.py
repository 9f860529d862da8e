"""The version-1 JSON report from the public contract (scripts and CI parse it)."""

from __future__ import annotations

import json

from gitops_guard.report.model import Report

REPORT_VERSION = 1


def render(report: Report, *, color: bool = False) -> str:
    document = {
        "version": REPORT_VERSION,
        "tool": {"name": report.tool_name, "version": report.tool_version},
        "findings": [finding.to_json() for finding in report.findings],
        "summary": report.summary.to_json(),
    }
    # ASCII-only output survives any console or file encoding, and paths with
    # undecodable bytes (lone surrogates) still serialize as \udcXX escapes.
    return json.dumps(document, indent=2, ensure_ascii=True) + "\n"
