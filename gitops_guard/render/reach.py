"""Whether a run has anything to render, answered with a few ``stat`` calls.

The pipeline asks this before importing the render stage (its temporary directories,
thread pool and process runners): a pre-commit run over files that no kustomization
includes and no chart holds imports none of it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from gitops_guard.source.classify import FileKind
from gitops_guard.source.load import SourceFile

if TYPE_CHECKING:
    from gitops_guard.resources import Resource

NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
KUSTOMIZE_INPUTS = frozenset({FileKind.MANIFEST, FileKind.KUSTOMIZE_PATCH, FileKind.KUSTOMIZATION})
CHART_FILES = frozenset({FileKind.HELM_TEMPLATE, FileKind.HELM_VALUES, FileKind.HELM_CHART})


def kustomization_in(directory: Path) -> Path | None:
    for name in NAMES:
        candidate = directory / name
        if candidate.is_file():
            return candidate
    return None


def near_kustomization(path: Path, top: Path) -> bool:
    """Whether a kustomization lives in ``path``'s directory or above it, up to ``top``.

    Under kustomize's default load restrictor a kustomization can only include
    files at or below its own directory, so a file with no kustomization above
    it is in no build at all.
    """
    directory = path.parent
    while True:
        if kustomization_in(directory) is not None:
            return True
        if directory == top or directory.parent == directory or top not in directory.parents:
            return False
        directory = directory.parent


def chart_of(path: Path, cwd: Path) -> Path | None:
    """The top-level chart a file belongs to (a vendored subchart belongs to its parent)."""
    found = None
    for parent in path.parents:
        if (parent / "Chart.yaml").is_file():
            found = parent
            if not (parent.parent.name == "charts" and (parent.parent.parent / "Chart.yaml").is_file()):
                return parent
        if parent == cwd or parent.parent == parent:
            break
    return found


def under(path: Path, directory: Path) -> bool:
    return path == directory or directory in path.parents


def kustomize_inputs(files: Sequence[SourceFile], cwd: Path) -> list[SourceFile]:
    """The checked files a kustomize build could consume: manifests, patches, kustomizations."""
    return [sf for sf in files if sf.kind in KUSTOMIZE_INPUTS and under(sf.abspath, cwd)]


def flux_applies(resources: Iterable[Resource]) -> bool:
    """Whether a Flux Kustomization is among the objects: it can change the objects under its
    path with no kustomization there."""
    return any(r.api_version.startswith("kustomize.toolkit.fluxcd.io/") for r in resources)


def may_render(files: Sequence[SourceFile], cwd: Path) -> bool:
    """False only when rendering would certainly build nothing and report nothing: no
    checked file is a kustomization or lies under one, and none belongs to a chart."""
    cwd = cwd.resolve()
    near = functools.cache(lambda d: near_kustomization(d / "_", cwd))
    if any(
        sf.kind is FileKind.KUSTOMIZATION or near(sf.abspath.parent) for sf in kustomize_inputs(files, cwd)
    ):
        return True
    return any(sf.kind in CHART_FILES and chart_of(sf.abspath, cwd) is not None for sf in files)
