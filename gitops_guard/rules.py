"""Rule metadata: the public, stable IDs and their user documentation.

Each check module declares the rules it emits as ``Rule`` values; the
catalogue below is an explicit registry (no import magic) that the CLI's
``rules`` command, the SARIF driver and the README are generated from.
"""

from __future__ import annotations

from typing import NamedTuple

from gitops_guard.findings import Severity


class Also(NamedTuple):
    """Another severity some findings of a rule carry, and when."""

    severity: Severity
    when: str


class Rule(NamedTuple):
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
        import textwrap  # only `gitops-guard rules`, SARIF and the README show the documentation

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


# Shared by the schema check and the render stage: a check, or a renderer, that could not run.
NOT_RUN = Rule(
    "check/not-run",
    Severity.ERROR,
    "A check that could not run (a tool missing or failing): reported, never taken as a pass.",
    """
    FAIL:
        gitops-guard check --schema-engine kubeconform    # but kubeconform is not installed

    PASS:
        scripts/install-tools                             # or kubeconform on PATH
        gitops-guard check --schema-engine kubeconform
    """,
    when="a check the run asked for could not run at all (kubeconform missing, a cluster unreachable)",
    also=(
        Also(
            Severity.WARNING,
            "no kustomize or Helm renderer found: the files are checked as written, and the run's "
            "exit code comes from the other findings",
        ),
    ),
)
