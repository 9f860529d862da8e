"""Rule metadata: the public, stable IDs and their user documentation.

Each check module declares the rules it emits as ``Rule`` values; the
catalogue below is an explicit registry (no import magic) that the CLI's
``rules`` command, the SARIF driver and the README are generated from.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from gitops_guard.findings import Severity


@dataclass(frozen=True)
class Also:
    """Another severity some findings of a rule carry, and when."""

    severity: Severity
    when: str


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    summary: str
    # User documentation with PASS/FAIL examples, shown by `gitops-guard rules`.
    doc: str = ""
    # A rule whose findings differ in severity says when each applies: ``when`` for
    # ``severity``, ``also`` for the others.  The catalogue shows all of them, and a check
    # can only report a severity listed here (``severity_for``).
    when: str = ""
    also: tuple[Also, ...] = ()

    @property
    def severities(self) -> tuple[Severity, ...]:
        return (self.severity, *(a.severity for a in self.also))

    def severity_for(self, severity: Severity | None = None) -> Severity:
        """``severity`` (default: the rule's own) when the catalogue documents it for this rule."""
        if severity is None:
            return self.severity
        if severity not in self.severities:
            raise ValueError(f"rule {self.id} does not document severity {severity.value}")
        return severity

    @property
    def family(self) -> str:
        return self.id.split("/", 1)[0]

    @property
    def help(self) -> str:
        return textwrap.dedent(self.doc).strip()


# A rule ID ending in this stands for rules named at run time (``policy/<name>``: one rule
# per admission policy found in the repository).
TEMPLATE = "<name>"


def is_template(rule_id: str) -> bool:
    return rule_id.endswith("/" + TEMPLATE)


def matches(rule_id: str, selector: str) -> bool:
    """``selector`` is a rule ID or a family prefix (``secrets`` or ``secrets/``).

    A template ID (``policy/<name>``) is also named by every ID of its family
    (``policy/require-labels``), so such selectors are known rules.
    """
    selector = selector.rstrip("/")
    if rule_id == selector or rule_id.startswith(selector + "/"):
        return True
    if is_template(rule_id):
        family = rule_id[: -len(TEMPLATE)]
        return selector.startswith(family) and len(selector) > len(family)
    return False
