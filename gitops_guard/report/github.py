"""GitHub Actions workflow commands: each finding becomes an annotation on the PR diff.

https://docs.github.com/actions/reference/workflow-commands-for-github-actions
"""

from __future__ import annotations

from gitops_guard.findings import Finding, Outcome, Severity
from gitops_guard.report.model import Report
from gitops_guard.report.text import printable, summary_line

_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def render(report: Report, *, color: bool = False) -> str:
    lines = [_command(f) for f in report.findings]
    lines.append(f"gitops-guard: {summary_line(report.summary)}")
    return "\n".join(lines) + "\n"


def _command(finding: Finding) -> str:
    properties = [f"file={escape_property(finding.path)}"]
    # The runner rejects or misplaces annotations with a non-positive line.
    if finding.line is not None and finding.line >= 1:
        properties.append(f"line={finding.line}")
        if finding.column is not None and finding.column >= 1:
            properties.append(f"col={finding.column}")
    title = finding.rule
    if finding.outcome is Outcome.NOT_CHECKED:
        title += " (not checked)"
    properties.append(f"title={escape_property(title)}")
    message = finding.message
    if finding.object is not None:
        message += f" [{finding.object}]"
    return f"::{_COMMAND[finding.severity]} {','.join(properties)}::{escape_data(message)}"


def escape_data(value: str) -> str:
    """Escape the message part, so a newline in it cannot start a second command.

    Besides GitHub's own escapes, other control characters (terminal escape
    sequences would restyle the log) are shown as backslash escapes.
    """
    value = printable(value, keep="\t\r\n")
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    """Escape a ``key=value`` property, where ``:`` and ``,`` are delimiters too."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")
