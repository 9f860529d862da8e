"""The check that reports what the render stage could not render.

Rendering happens before the checks run (its objects are what they check), so this check
only reports the stage's findings; ``check/not-run`` is shared with the schema check and
means the same here: a binary is missing, nothing was rendered, and that is never a pass.
"""

from __future__ import annotations

from collections.abc import Iterator

from gitops_guard.checks.base import CheckContext
from gitops_guard.findings import Finding
from gitops_guard.render.rules import FAILED, UNRESOLVED
from gitops_guard.rules import NOT_RUN, Rule


class RenderCheck:
    name: str = "render"
    rules: tuple[Rule, ...] = (FAILED, UNRESOLVED, NOT_RUN)

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        yield from ctx.render_findings
