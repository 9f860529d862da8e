"""The pull-request report as Markdown, and its split into comments that each fit.

One report: a summary line; a prominent section for the objects the merge deletes
(``prune/removed-resources``); the findings grouped by severity and rule, each linked to its
line at the head commit; and per Application/Kustomization the rendered diff in a
``<details>`` block with a ``diff`` fence.

GitHub refuses a comment body over 65,536 characters (422 "body is too long").  The report
is built as blocks; a block that does not fit is split at line boundaries and each piece is
closed and reopened (its fence and ``<details>``), so no comment ends inside a code block.
Beyond ``max_parts`` comments the rest is left out with a note that points to the job summary.
Sizes are counted in UTF-16 code units, which is never fewer than the characters GitHub
counts, so every body fits whatever the text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple
from urllib.parse import quote

from gitops_guard.findings import Finding, Outcome, Severity
from gitops_guard.report.markdown import code, escape
from gitops_guard.report.text import printable

MAX_BODY = 65536
MARKER_PREFIX = "<!-- gitops-guard:report"
REMOVED_RULE = "prune/removed-resources"
_MARKER = re.compile(r"\A<!-- gitops-guard:report id=(?P<id>[A-Za-z0-9_.-]+) part=(?P<part>\d+) -->")
# Room kept in every part for the marker, the continuation lines and the overflow note.
_RESERVED = 1200
_PER_RULE = 100  # findings listed per rule; the rest are counted (all are in the job summary)
_BACKTICKS = re.compile(r"`{3,}")


def size(text: str) -> int:
    """Length as UTF-16 code units (what JavaScript counts; >= Unicode characters)."""
    return len(text.encode("utf-16-le")) // 2


def marker(ident: str, part: int) -> str:
    return f"{MARKER_PREFIX} id={ident} part={part} -->"


def parse_marker(body: str) -> tuple[str, int] | None:
    """``(id, part)`` of a body this tool wrote, from its first line."""
    m = _MARKER.match(body)
    return (m.group("id"), int(m.group("part"))) if m else None


class Block(NamedTuple):
    """A piece of the report: ``head`` + ``lines`` + ``tail``.

    A block with lines may be split between lines; each piece repeats the head
    (``continued`` when given) and the tail, so fences and ``<details>`` stay balanced.
    """

    head: str
    lines: tuple[str, ...] = ()
    tail: str = ""
    continued: str = ""

    def text(self) -> str:
        return self.head + "".join(self.lines) + self.tail


class Change(NamedTuple):
    """What the report needs of one Application/Kustomization's diff."""

    label: str
    path: str
    line: int | None
    status: str  # changed | added | removed
    creates: int
    updates: int
    deletes: int
    pruned: int
    diff: str  # the unified diffs of its objects, secret values masked
    errors: tuple[str, ...] = ()


class Links(NamedTuple):
    """Where findings link to: ``{server}/{repo}/blob/{sha}/{prefix}{path}#L{line}``."""

    server: str
    repo: str
    sha: str
    prefix: str = ""  # the working directory's path inside the repository, with "/"

    def to(self, path: str, line: int | None) -> str | None:
        if not path or not self.sha:
            return None
        url = f"{self.server.rstrip('/')}/{self.repo}/blob/{self.sha}/{quote(self.prefix + path)}"
        return url + (f"#L{line}" if line else "")


def build(
    findings: Sequence[Finding],
    changes: Sequence[Change],
    *,
    links: Links,
    base: str,
    head: str,
    summary_url: str | None = None,
    tool_version: str = "",
) -> list[Block]:
    """The whole report as blocks, in reading order."""
    blocks = [Block(_summary(findings, changes, base, head) + "\n")]
    removed = [f for f in findings if f.rule == REMOVED_RULE]
    if removed:
        blocks += _deletions(removed, links)
    others = [f for f in findings if f.rule != REMOVED_RULE]
    blocks += _findings(others, links, summary_url)
    blocks += _changes(changes)
    footer = f"<sub>gitops-guard {html.escape(tool_version)} · base <code>{base[:12]}</code> → "
    footer += f"<code>{html.escape(head[:12])}</code>"
    if summary_url:
        footer += f" · [full report in the job summary]({summary_url})"
    blocks.append(Block("\n" + footer + "</sub>\n"))
    return blocks


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _summary(findings: Sequence[Finding], changes: Sequence[Change], base: str, head: str) -> str:
    count = {s: sum(1 for f in findings if f.severity is s) for s in Severity}
    removed = sum(1 for f in findings if f.rule == REMOVED_RULE)
    icon = (
        ":x:"
        if count[Severity.ERROR]
        else ":warning:"
        if count[Severity.WARNING] or removed
        else ":white_check_mark:"
    )
    parts = [
        _plural(count[Severity.ERROR], "error"),
        _plural(count[Severity.WARNING], "warning"),
        f"{count[Severity.INFO]} info",
    ]
    objects = sum(c.creates + c.updates + c.deletes for c in changes)
    what = (
        f"{len(changes)} Application{'' if len(changes) == 1 else 's'}/Kustomization"
        f"{'' if len(changes) == 1 else 's'} render differently"
        f" ({_plural(objects, 'object')})"
        if changes
        else "nothing renders differently"
    )
    deletes = f" · **{_plural(removed, 'object')} deleted by prune**" if removed else ""
    return (
        "## gitops-guard report\n\n"
        f"{icon} **{', '.join(parts)}** · {what}{deletes} · base `{base[:12]}` → `{head[:12]}`\n"
    )


def _deletions(removed: Sequence[Finding], links: Links) -> list[Block]:
    head = (
        f"\n### :warning: This change deletes {_plural(len(removed), 'object')}\n\n"
        "When it merges, automated prune deletes these objects from the cluster:\n\n"
        "| Object | Where | Why |\n| --- | --- | --- |\n"
    )
    rows = tuple(
        f"| {code(str(f.object)) if f.object else ''} | {_location(f, links)} | {escape(f.message)} |\n"
        for f in removed
    )
    return [Block(head, rows, "", continued="\n| Object | Where | Why |\n| --- | --- | --- |\n")]


_HEADINGS = {Severity.ERROR: "Errors", Severity.WARNING: "Warnings", Severity.INFO: "Info"}


def _findings(findings: Sequence[Finding], links: Links, summary_url: str | None) -> list[Block]:
    if not findings:
        return [Block("\n### Findings\n\nNo findings.\n")]
    blocks = [Block("\n### Findings\n")]
    for severity in (Severity.ERROR, Severity.WARNING, Severity.INFO):
        of_severity = [f for f in findings if f.severity is severity]
        if not of_severity:
            continue
        blocks.append(Block(f"\n#### {_HEADINGS[severity]} ({len(of_severity)})\n"))
        by_rule: dict[str, list[Finding]] = {}
        for f in of_severity:
            by_rule.setdefault(f.rule, []).append(f)
        for rule, items in sorted(by_rule.items()):
            opened = " open" if severity is Severity.ERROR else ""
            summary = f"<code>{html.escape(rule)}</code> ({len(items)})"
            lines = [_item(f, links) for f in items[:_PER_RULE]]
            if len(items) > _PER_RULE:
                more = f"{len(items) - _PER_RULE} more"
                where = f"[the job summary]({summary_url})" if summary_url else "the job summary"
                lines.append(f"- … and {more}: all findings are in {where}\n")
            blocks.append(
                Block(
                    f"\n<details{opened}><summary>{summary}</summary>\n\n",
                    tuple(lines),
                    "\n</details>\n",
                    continued=f"\n<details{opened}><summary>{summary} (continued)</summary>\n\n",
                )
            )
    return blocks


def _location(f: Finding, links: Links) -> str:
    shown = f.path if f.line is None else f"{f.path}:{f.line}"
    url = links.to(f.path, f.line)
    if not shown:
        return ""
    return f"[{code(shown)}]({url})" if url else code(shown)


def _item(f: Finding, links: Links) -> str:
    parts = [_location(f, links)]
    if f.object is not None:
        parts.append(code(str(f.object)))
    message = escape(f.message)
    if f.outcome is Outcome.NOT_CHECKED:
        message = "_(not checked)_ " + message
    parts.append(message)
    return "- " + " · ".join(p for p in parts if p) + "\n"


def _changes(changes: Sequence[Change]) -> list[Block]:
    if not changes:
        return [
            Block("\n### What changes\n\nNo Application, Kustomization or manifest renders differently.\n")
        ]
    blocks = [Block("\n### What changes\n")]
    for c in changes:
        status = {"added": " (new)", "removed": " (removed)"}.get(c.status, "")
        where = f" — <code>{html.escape(printable(c.path))}</code>" if c.path else ""
        counts = f"{c.creates} to create, {c.updates} to update, {c.deletes} removed"
        if c.pruned:
            counts += f" (<b>{c.pruned} deleted by prune</b>)"
        title = f"<b>{html.escape(printable(c.label))}</b>{status}{where}: {counts}"
        errors = "".join(f"- :exclamation: not rendered: {escape(e[:2000])}\n" for e in c.errors[:10])
        if len(c.errors) > 10:
            errors += f"- … and {len(c.errors) - 10} more render errors\n"
        lines = tuple(_safe_line(line) for line in c.diff.splitlines(keepends=True))
        fence = "`" * max(3, 1 + max((len(m) for line in lines for m in _BACKTICKS.findall(line)), default=0))
        opening = f"\n<details><summary>{title}</summary>\n\n{errors}{chr(10) if errors else ''}"
        if not lines:
            blocks.append(Block(opening + "\n</details>\n"))
            continue
        blocks.append(
            Block(
                f"{opening}{fence}diff\n",
                lines,
                f"{fence}\n\n</details>\n",
                continued=f"\n<details><summary>{title} (continued)</summary>\n\n{fence}diff\n",
            )
        )
    return blocks


def _safe_line(line: str) -> str:
    text = printable(line.rstrip("\n"), keep="\t")
    return text + "\n"


def paginate(
    blocks: Iterable[Block],
    *,
    ident: str = "default",
    limit: int = MAX_BODY,
    max_parts: int = 10,
    summary_url: str | None = None,
    measure: Callable[[str], int] = size,
    overflow: str | None = None,
) -> list[str]:
    """Comment bodies, each at most ``limit`` long (by ``measure``), holding the blocks in order."""
    size = measure
    budget = limit - _RESERVED
    if budget < 2000:
        raise ValueError(f"comment limit {limit} is too small")
    parts: list[list[str]] = [[]]
    used = [0]
    truncated = False

    def room() -> int:
        return budget - used[-1]

    def add(text: str) -> None:
        parts[-1].append(text)
        used[-1] += size(text)

    def new_part() -> bool:
        if len(parts) >= max_parts:
            return False
        parts.append([])
        used.append(0)
        return True

    for block in blocks:
        if truncated:
            break
        whole = block.text()
        if size(whole) <= room():
            add(whole)
            continue
        if not block.lines:
            if used[-1] and not new_part():
                truncated = True
                break
            add(_cut(whole, room(), size) if size(whole) > room() else whole)
            continue
        # Split between lines: open, add lines while they fit with the tail, close, go on.
        head = block.head
        pending = list(block.lines)
        while pending:
            fixed = size(head) + size(block.tail)
            if fixed + size(pending[0]) > room():
                if used[-1] and new_part():
                    continue
                if used[-1]:
                    truncated = True
                    break
                # An empty part and still no room: the line itself is too long.
                pending[0] = _cut(pending[0], room() - fixed - 1, size) + "\n"
            chunk = [head]
            left = room() - fixed
            while pending and size(pending[0]) <= left:
                left -= size(pending[0])
                chunk.append(pending.pop(0))
            chunk.append(block.tail)
            add("".join(chunk))
            head = block.continued or block.head
            if pending and not new_part():
                truncated = True
                break
    total = len(parts)
    bodies = []
    for i, content in enumerate(parts, start=1):
        lines = [marker(ident, i), "\n"]
        if i > 1:
            lines.append(f"**gitops-guard report (continued, part {i} of {total})**\n\n")
        lines += content
        if i < total:
            lines.append(f"\n_Continued in the next comment (part {i + 1} of {total})._\n")
        elif truncated:
            where = f"[the job summary]({summary_url})" if summary_url else "the job summary of this run"
            note = overflow or (
                f"The report is longer than {max_parts} comments can hold, so it stops here. "
                f"The full report is in {where}."
            )
            lines.append(f"\n> [!NOTE]\n> {note}\n")
        body = "".join(lines)
        if size(body) > limit:  # cannot happen: every part keeps _RESERVED free
            raise AssertionError(f"comment part {i} is {size(body)} long, over {limit}")
        bodies.append(body)
    return bodies


def _cut(text: str, room: int, size: Callable[[str], int]) -> str:
    """``text`` shortened to ``room`` units with a note saying so."""
    note = " … [cut: {} more characters]"
    keep = max(0, room - size(note.format(len(text))) - 2)
    out = text[:keep]
    while size(out) > keep:
        out = out[: max(0, len(out) - max(1, (size(out) - keep) // 4))]
    return out + note.format(len(text) - len(out))
