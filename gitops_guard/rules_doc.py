"""The rule catalogue as text or Markdown, generated from the rules' own docs."""

from __future__ import annotations

from collections.abc import Iterable

from gitops_guard.rules import Rule


def catalogue(rules: Iterable[Rule], *, markdown: bool = False) -> str:
    out: list[str] = []
    for rule in rules:
        levels = _levels(rule)
        if markdown:
            out.append(f"### `{rule.id}` ({_either(rule)})\n\n{rule.summary}\n")
            if levels:
                out.append("".join(f"- **{sev}** when {when}\n" for sev, when in levels))
            if rule.help:
                out.append(_markdown_body(rule.help) + "\n")
        else:
            out.append(f"{rule.id}  [{'|'.join(s.value for s in rule.severities)}]\n  {rule.summary}\n")
            out.extend(f"  {sev} when {when}\n" for sev, when in levels)
            if rule.help:
                out.append("".join(f"    {line}\n" if line else "\n" for line in rule.help.splitlines()))
            out.append("\n")
    return "\n".join(out) if markdown else "".join(out)


def _levels(rule: Rule) -> list[tuple[str, str]]:
    """(severity, when) for a rule whose findings differ in severity; empty for one severity."""
    if not rule.also:
        return []
    return [(rule.severity.value, rule.when), *((a.severity.value, a.when) for a in rule.also)]


def _either(rule: Rule) -> str:
    names = [s.value for s in rule.severities]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _markdown_body(text: str) -> str:
    """Prose stays prose; PASS:/FAIL: examples become YAML code blocks."""
    blocks: list[str] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.rstrip().endswith(":") and line.strip().split(" ")[0].rstrip(":") in ("PASS", "FAIL"):
            code = []
            i += 1
            while i < len(lines) and (lines[i].startswith("    ") or not lines[i].strip()):
                code.append(lines[i][4:])
                i += 1
            while code and not code[-1].strip():
                code.pop()
            blocks.append(f"**{line.strip()}**\n\n```yaml\n" + "\n".join(code) + "\n```\n")
            continue
        blocks.append(line)
        i += 1
    return "\n".join(blocks)
