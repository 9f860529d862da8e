"""YAML validity: what the loader saw while parsing (it never raises)."""

from __future__ import annotations

from collections.abc import Iterator

from gitops_guard.checks.base import CheckContext, at_file
from gitops_guard.findings import Finding, Outcome, Severity
from gitops_guard.rules import Rule

SYNTAX = Rule(
    "yaml/syntax",
    Severity.ERROR,
    "A YAML document that does not parse.",
    """
    Reports the parser's own message, line and column. Binary files and invalid
    UTF-8 with a YAML name are reported here too. Helm chart templates are not
    YAML until rendered and are never parsed.

    FAIL:
        metadata:
          name: api
         namespace: prod     # bad indentation

    PASS:
        metadata:
          name: api
          namespace: prod
    """,
)
DUPLICATE_KEY = Rule(
    "yaml/duplicate-key",
    Severity.ERROR,
    "A mapping with the same key twice (Kubernetes keeps the last one silently).",
    """
    FAIL:
        spec:
          replicas: 2
          replicas: 3

    PASS:
        spec:
          replicas: 3
    """,
)
TOO_COMPLEX = Rule(
    "yaml/too-complex",
    Severity.ERROR,
    "A file or document too large, too deeply nested or expanding too many aliases to check.",
    """
    Protects every run from hostile input (a "billion laughs" alias bomb, a
    10,000-level nest, a 50 MB file). The document is not checked, and says so.

    FAIL:
        a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x"]
        b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
        # ... nine levels deep: a billion strings once expanded

    PASS:
        defaults: &defaults {replicas: 2}
        api: {<<: *defaults, image: api:1.4}    # anchors and merge keys in moderation
    """,
)

_RULES = {"syntax": SYNTAX, "duplicate-key": DUPLICATE_KEY, "too-complex": TOO_COMPLEX}


class YamlCheck:
    name: str = "yaml"
    rules: tuple[Rule, ...] = (SYNTAX, DUPLICATE_KEY, TOO_COMPLEX)

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        for sf in ctx.files:
            for problem in sf.problems:
                rule = _RULES[problem.kind]
                outcome = Outcome.NOT_CHECKED if rule is TOO_COMPLEX else Outcome.VIOLATION
                yield at_file(
                    rule,
                    sf.path,
                    problem.message,
                    line=problem.line,
                    column=problem.column,
                    outcome=outcome,
                    fingerprint_key=problem.fingerprint_key,
                )
