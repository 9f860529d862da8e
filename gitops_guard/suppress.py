"""Findings users chose not to see: inline comments, per-rule ignore paths, baselines.

Inline comments (in any scanned YAML file):

    # gitops-guard: disable-line [RULE,...]   this line and the next one
    # gitops-guard: disable-file [RULE,...]   the whole file

Without RULEs every rule is suppressed; a family prefix (``schema``) works.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from gitops_guard.findings import Finding
from gitops_guard.rules import matches

_DIRECTIVE = re.compile(r"#\s*gitops-guard:\s*(disable-line|disable-file)\b[ \t]*([\w/,\- \t]*)")
_ALL = ("*",)


class Suppressions:
    def __init__(self) -> None:
        self.lines: dict[int, list[tuple[str, ...]]] = {}
        self.file: list[tuple[str, ...]] = []

    def covers(self, finding: Finding) -> bool:
        for selectors in self.file:
            if _hit(finding.rule, selectors):
                return True
        if finding.line is not None:
            for selectors in self.lines.get(finding.line, []):
                if _hit(finding.rule, selectors):
                    return True
        return False


def _hit(rule: str, selectors: Sequence[str]) -> bool:
    return selectors == _ALL or any(matches(rule, s) for s in selectors)


def scan(text: str) -> Suppressions:
    sup = Suppressions()
    if "gitops-guard:" not in text:
        return sup
    for number, line in enumerate(text.splitlines(), start=1):
        m = _DIRECTIVE.search(line)
        if not m:
            continue
        selectors = tuple(s for s in re.split(r"[\s,]+", m.group(2).strip()) if s) or _ALL
        if m.group(1) == "disable-file":
            sup.file.append(selectors)
        else:
            sup.lines.setdefault(number, []).append(selectors)
            sup.lines.setdefault(number + 1, []).append(selectors)
    return sup


def apply_inline(findings: Iterable[Finding], texts: dict[str, str | None]) -> list[Finding]:
    cache: dict[str, Suppressions] = {}
    kept = []
    for f in findings:
        text = texts.get(f.path)
        if text is None:
            kept.append(f)
            continue
        if f.path not in cache:
            cache[f.path] = scan(text)
        if not cache[f.path].covers(f):
            kept.append(f)
    return kept
