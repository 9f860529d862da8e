"""A binding's validationActions as the severity of its findings."""

from __future__ import annotations

from collections.abc import Iterable

from gitops_guard.findings import Severity

ACTION_SEVERITY = {"Deny": Severity.ERROR, "Warn": Severity.WARNING, "Audit": Severity.INFO}


def severity_of(actions: Iterable[str]) -> Severity:
    """Deny → error, Warn → warning, Audit → info; the highest when there are several."""
    known = [ACTION_SEVERITY[a] for a in actions if a in ACTION_SEVERITY]
    return max(known, key=lambda s: s.rank, default=Severity.ERROR)
