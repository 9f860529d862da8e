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
class Rule:
    id: str
    severity: Severity
    summary: str
    # User documentation with PASS/FAIL examples, shown by `gitops-guard rules`.
    doc: str = ""

    @property
    def family(self) -> str:
        return self.id.split("/", 1)[0]

    @property
    def help(self) -> str:
        return textwrap.dedent(self.doc).strip()


def matches(rule_id: str, selector: str) -> bool:
    """``selector`` is a rule ID or a family prefix (``secrets`` or ``secrets/``)."""
    selector = selector.rstrip("/")
    return rule_id == selector or rule_id.startswith(selector + "/")
