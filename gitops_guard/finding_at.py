"""Findings at a place: a document's node or a file's line, for a rule.

Used by the checks and by the render stage (which reports what it could not render before
any check runs), so it sits below both.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from gitops_guard.findings import Finding, ObjectRef, Outcome, Severity
from gitops_guard.rules import Rule

if TYPE_CHECKING:
    from gitops_guard.source.yamldoc import Document


def at_document(
    rule: Rule,
    doc: Document,
    message: str,
    *,
    path: Sequence[str | int] = (),
    key: bool = False,
    obj: ObjectRef | None = None,
    outcome: Outcome = Outcome.VIOLATION,
    fingerprint_key: str = "",
    severity: Severity | None = None,
) -> Finding:
    """``severity``: one the rule documents besides its own (see ``Rule.also``)."""
    where, line, column = doc.position(path, key=key)
    return Finding(
        rule=rule.id,
        severity=rule.severity_for(severity),
        path=where,
        line=line,
        column=column,
        message=message,
        object=obj,
        outcome=outcome,
        fingerprint_key=fingerprint_key,
    )


def at_file(
    rule: Rule,
    path: str,
    message: str,
    *,
    line: int | None = None,
    column: int | None = None,
    outcome: Outcome = Outcome.VIOLATION,
    fingerprint_key: str = "",
    severity: Severity | None = None,
    obj: ObjectRef | None = None,
) -> Finding:
    return Finding(
        rule.id, rule.severity_for(severity), path, line, column, message, obj, outcome, fingerprint_key
    )
