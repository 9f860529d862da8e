"""Plain text for terminals and pre-commit: one line per finding, then a summary.

``path:line:col: severity rule message [Kind/ns/name]`` is the shape editors and
CI problem matchers already parse (compilers, yamllint ``parsable``), so each
finding must stay on exactly one line whatever its message contains.
"""

from __future__ import annotations

from gitops_guard.findings import Finding, Outcome, Severity
from gitops_guard.report.model import Report, Summary

_RESET = "\033[0m"
_BOLD = "\033[1m"
_SEVERITY_COLOR = {
    Severity.ERROR: "\033[1;31m",
    Severity.WARNING: "\033[1;33m",
    Severity.INFO: "\033[1;36m",
}
_NOT_CHECKED_COLOR = "\033[1;35m"
_OK_COLOR = "\033[1;32m"

# Bidirectional overrides can make a terminal show text in another order than
# it is stored ("Trojan Source"); a security report should show what is there.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def render(report: Report, *, color: bool = False) -> str:
    lines = [_finding_line(f, color=color) for f in report.findings]
    lines.append(summary_line(report.summary, color=color))
    return "\n".join(lines) + "\n"


def _finding_line(finding: Finding, *, color: bool) -> str:
    location = printable(finding.path)
    if finding.line is not None:
        location += f":{finding.line}"
        if finding.column is not None:
            location += f":{finding.column}"
    severity = finding.severity.value
    marker = " (not checked)" if finding.outcome is Outcome.NOT_CHECKED else ""
    if color:
        location = f"{_BOLD}{location}{_RESET}"
        severity = f"{_SEVERITY_COLOR[finding.severity]}{severity}{_RESET}"
        if marker:
            marker = f" {_NOT_CHECKED_COLOR}{marker.strip()}{_RESET}"
    line = f"{location}: {severity} {printable(finding.rule)}{marker} {printable(finding.message)}"
    if finding.object is not None:
        line += f" [{printable(str(finding.object))}]"
    return line


def summary_line(summary: Summary, *, color: bool = False) -> str:
    """``N errors, M warnings, K not checked in F files (D documents)``; other formats reuse it."""
    counts = [_plural(summary.errors, "error"), _plural(summary.warnings, "warning")]
    # Info findings are rare; mentioning "0 info" on every commit is noise.
    if summary.infos:
        counts.append(f"{summary.infos} info")
    counts.append(f"{summary.not_checked} not checked")
    text = (
        f"{', '.join(counts)} in {_plural(summary.files, 'file')} ({_plural(summary.documents, 'document')})"
    )
    if not color:
        return text
    if summary.errors:
        tone = _SEVERITY_COLOR[Severity.ERROR]
    elif summary.warnings:
        tone = _SEVERITY_COLOR[Severity.WARNING]
    elif summary.not_checked:
        tone = _NOT_CHECKED_COLOR
    else:
        tone = _OK_COLOR
    return f"{tone}{text}{_RESET}"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def printable(value: str, *, keep: str = "") -> str:
    """Make repository-controlled text safe to print, escaping what is not text.

    Messages quote file content, so they may hold newlines, escape sequences
    that would recolour or clear a terminal or CI log, or lone surrogates from
    undecodable file names (which would crash the final write to stdout).
    Those become visible backslash escapes; characters in ``keep`` (formats
    with their own newline encoding pass ``"\\n"``) and ordinary non-ASCII
    text are left alone.
    """
    if value.isprintable():
        return value
    out: list[str] = []
    for char in value:
        code = ord(char)
        if char in keep:
            out.append(char)
        elif char in _NAMED_ESCAPES:
            out.append(_NAMED_ESCAPES[char])
        elif code < 0x20 or 0x7F <= code < 0xA0:
            out.append(f"\\x{code:02x}")
        elif 0xD800 <= code < 0xE000 or char in _BIDI_CONTROLS:
            out.append(f"\\u{code:04x}")
        else:
            out.append(char)
    return "".join(out)
