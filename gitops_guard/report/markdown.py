"""GitHub-flavoured Markdown for job summaries and pull-request comments.

Everything that comes from the repository (paths, messages, object names) is
escaped: a message must not be able to break the table, open an HTML tag or
turn into a link in a comment that reviewers trust.
"""

from __future__ import annotations

import re

from gitops_guard.findings import Finding, Outcome
from gitops_guard.report.model import Report
from gitops_guard.report.text import printable

HEADING = "## gitops-guard report"

# ASCII punctuation that means something inline (emphasis, code, links, HTML,
# entities, strikethrough, table cells). CommonMark lets any of it be
# backslash-escaped, so one rule covers all of them.
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<>&~|#!])")
_NEWLINES = re.compile(r"\r\n|\r|\n")
_BACKTICK_RUN = re.compile(r"`+")


def render(report: Report, *, color: bool = False) -> str:
    summary = report.summary
    lines = [
        HEADING,
        "",
        "| Errors | Warnings | Info | Not checked | Files | Documents |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| {summary.errors} | {summary.warnings} | {summary.infos} | {summary.not_checked}"
        f" | {summary.files} | {summary.documents} |",
        "",
    ]
    if not report.findings:
        lines.append("No findings.")
    else:
        lines.append("| Severity | Rule | Location | Object | Message |")
        lines.append("| --- | --- | --- | --- | --- |")
        lines.extend(_row(f) for f in report.findings)
    return "\n".join(lines) + "\n"


def _row(finding: Finding) -> str:
    severity = finding.severity.value
    if finding.outcome is Outcome.NOT_CHECKED:
        severity += " (not checked)"
    location = finding.path if finding.line is None else f"{finding.path}:{finding.line}"
    obj = code(str(finding.object)) if finding.object is not None else ""
    cells = [severity, code(finding.rule), code(location), obj, escape(finding.message)]
    return "| " + " | ".join(cells) + " |"


def escape(value: str) -> str:
    """Plain text inside a table cell: punctuation escaped, line breaks as ``<br>``."""
    lines = _NEWLINES.split(printable(value, keep="\t\r\n"))
    return "<br>".join(_INLINE_SPECIAL.sub(r"\\\1", line) for line in lines)


def code(value: str) -> str:
    """A code span inside a table cell, fenced so backticks in ``value`` cannot close it."""
    value = _NEWLINES.sub(" ", printable(value, keep="\t\r\n"))
    if not value:
        return ""
    fence = "`" * (max((len(run) for run in _BACKTICK_RUN.findall(value)), default=0) + 1)
    # CommonMark strips one space from each side, and a span may not start or
    # end with a backtick next to its fence, so pad in exactly those cases.
    if value[0] == "`" or value[-1] == "`" or (value[0] == " " and value[-1] == " " and value.strip()):
        value = f" {value} "
    # GFM splits table rows on "|" before parsing inline code, even inside spans.
    return fence + value.replace("|", "\\|") + fence
