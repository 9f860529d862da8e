"""The report every renderer receives: findings plus counts computed once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from gitops_guard import __version__
from gitops_guard.findings import Finding, Outcome, Severity
from gitops_guard.rules import Rule


class Summary(NamedTuple):
    files: int
    documents: int
    errors: int
    warnings: int
    infos: int
    not_checked: int

    def to_json(self) -> dict[str, int]:
        return {
            "files": self.files,
            "documents": self.documents,
            "errors": self.errors,
            "warnings": self.warnings,
            "infos": self.infos,
            "not_checked": self.not_checked,
        }


class Report(NamedTuple):
    findings: tuple[Finding, ...]
    files: int
    documents: int
    # Rules that were active in this run (renderers such as SARIF list them).
    rules: tuple[Rule, ...] = ()
    tool_name: str = "gitops-guard"
    tool_version: str = __version__

    @classmethod
    def build(
        cls,
        findings: Sequence[Finding],
        *,
        files: int,
        documents: int,
        rules: Sequence[Rule] = (),
    ) -> Report:
        ordered = tuple(sorted(findings, key=Finding.sort_key))
        return cls(ordered, files, documents, tuple(sorted(rules, key=lambda r: r.id)))

    @property
    def summary(self) -> Summary:
        count = {s: 0 for s in Severity}
        for f in self.findings:
            count[f.severity] += 1
        return Summary(
            files=self.files,
            documents=self.documents,
            errors=count[Severity.ERROR],
            warnings=count[Severity.WARNING],
            infos=count[Severity.INFO],
            not_checked=sum(1 for f in self.findings if f.outcome is Outcome.NOT_CHECKED),
        )

    def rule(self, rule_id: str) -> Rule | None:
        for r in self.rules:
            if r.id == rule_id:
                return r
        return None
