"""What every check receives (the helpers that turn positions into findings are
:mod:`gitops_guard.finding_at`, re-exported here)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from gitops_guard.finding_at import at_document as at_document
from gitops_guard.finding_at import at_file as at_file
from gitops_guard.findings import Finding
from gitops_guard.resources import Resource
from gitops_guard.rules import Rule
from gitops_guard.source.load import SourceFile


class Settings(NamedTuple):
    kubernetes_version: tuple[int, int]
    schema_engine: str = "builtin"
    schema_locations: tuple[str, ...] = ()
    cache_dir: Path | None = None
    cwd: Path = Path()  # the working directory (relative "." unless given)
    # PR mode (`check --base REV`): the revision the change is compared against.
    base: str | None = None
    # An unknown field in a catalog CRD schema (other projects' CRDs, pinned to one upstream
    # version): "warning" (it may be version skew) or "error".
    catalog_unknown_fields: str = "warning"
    # registry.Extension values: enum values and fields operators add to kinds.
    schema_extensions: tuple[Any, ...] = ()
    # `check --kubeconfig F [--context C]`: a registry.ClusterCrds, the CRDs the cluster serves
    # (read by the command, so that checks never reach the cluster client).
    cluster: Any = None


class CheckContext(NamedTuple):
    files: Sequence[SourceFile]
    resources: Sequence[Resource]
    settings: Settings
    # Rule IDs this run reports; a check may skip work for rules not in it.
    active: frozenset[str]
    # What the render stage could not render (render/failed, check/not-run); see desired/stage.py.
    render_findings: Sequence[Finding] = ()


class Check(Protocol):
    name: str
    rules: tuple[Rule, ...]

    def run(self, ctx: CheckContext) -> Iterable[Finding]: ...
