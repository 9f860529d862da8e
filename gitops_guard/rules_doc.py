"""The rule catalogue as text or Markdown, generated from the rules' own docs."""

from __future__ import annotations

from collections.abc import Iterable

from gitops_guard.rules import Rule


def catalogue(rules: Iterable[Rule], *, markdown: bool = False) -> str:
    out: list[str] = []
    for rule in rules:
        if markdown:
            out.append(f"### `{rule.id}` ({rule.severity.value})\n\n{rule.summary}\n")
            if rule.help:
                out.append(_markdown_body(rule.help) + "\n")
        else:
            out.append(f"{rule.id}  [{rule.severity.value}]\n  {rule.summary}\n")
            if rule.help:
                out.append("".join(f"    {line}\n" if line else "\n" for line in rule.help.splitlines()))
            out.append("\n")
    return "\n".join(out) if markdown else "".join(out)


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
