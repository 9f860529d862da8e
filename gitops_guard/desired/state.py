"""What a deployer would apply: its objects, where each came from, and whether that is all.

A render is *complete* only when nothing was left out: no remote base or source, no chart
or dependency that is not here, no renderer missing, no build that failed, no variable
without a value.  Each thing left out is a :class:`Gap`; callers that delete (the engine's
prune, the diff's "deleted" entries) must act only on a complete state.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Any, NamedTuple

from gitops_guard.identity import ObjectKey


class GapKind(enum.StrEnum):
    REMOTE_SOURCE = "remote-source"  # the source is another repository, a chart repository, an artifact
    REMOTE_BASE = "remote-base"  # a kustomization names a remote base (never fetched)
    HELM_CHARTS = "helm-charts"  # a kustomization's helmCharts (a chart download)
    MISSING_SOURCE = "missing-source"  # the source path is not in this revision
    UNVENDORED_DEPENDENCY = "unvendored-dependency"  # a chart dependency missing from charts/
    UNRESOLVED_VARIABLE = "unresolved-variable"  # a Flux postBuild variable with no value here
    RENDER_FAILED = "render-failed"  # kustomize or helm failed (or its output is unreadable)
    NO_RENDERER = "no-renderer"  # kustomize or helm is not installed
    PLUGIN = "plugin"  # an Argo CD config management plugin renders it
    UNREADABLE = "unreadable"  # a manifest that does not parse, or a template read as YAML
    OPTIONS = "options"  # source options that cannot be applied offline


# Gaps the diff reports as errors; the others are known limits of an offline render (another
# repository is not this change; an unresolved variable keeps its expression).
_QUIET = frozenset({GapKind.REMOTE_SOURCE, GapKind.UNRESOLVED_VARIABLE})


class Gap(NamedTuple):
    kind: GapKind
    message: str
    path: str | None = None  # repository-relative file it is about, when known
    line: int | None = None
    subject: str = ""  # the entry it is about: a remote base, the first missing dependency


class DesiredObject(NamedTuple):
    obj: dict[str, Any]
    key: ObjectKey
    path: str | None  # repository-relative file it came from (a template for a chart); None: unknown
    line: int | None  # the document's first line there; None for templates and generated objects


class DesiredState:
    """The objects of one render and the gaps that make it incomplete."""

    __slots__ = ("gaps", "objects")

    def __init__(self, objects: Iterable[DesiredObject] = (), gaps: Iterable[Gap] = ()) -> None:
        self.objects: list[DesiredObject] = list(objects)
        self.gaps: tuple[Gap, ...] = tuple(gaps)

    @property
    def complete(self) -> bool:
        return not self.gaps

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why the render is incomplete, one message per gap (empty when complete)."""
        return tuple(dict.fromkeys(g.message for g in self.gaps))

    @property
    def errors(self) -> list[str]:
        """The gaps a diff shows as errors (all but another repository's sources and unresolved
        variables)."""
        return list(dict.fromkeys(g.message for g in self.gaps if g.kind not in _QUIET))

    def by_key(self) -> dict[ObjectKey, dict[str, Any]]:
        """Objects by identity; of two with one key, the later wins (as a later apply would)."""
        return {o.key: o.obj for o in self.objects}

    def __repr__(self) -> str:
        count = len(self.objects)
        return f"DesiredState({count} objects, complete={self.complete}, reasons={self.reasons!r})"
