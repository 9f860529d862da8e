"""The former per-deployer interface (``DesiredRenderer(model, scratch, cache_bin, kube)``,
``.deployer(d)`` → objects by key and errors), as a thin adapter over
:mod:`gitops_guard.desired`, which does all the rendering.  New code calls
:func:`gitops_guard.desired.render_deployer` and reads ``DesiredState.complete``; this module
goes once nothing imports it."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

from gitops_guard.desired.builds import Builder
from gitops_guard.desired.deployer import DesiredRenderer as _Renderer
from gitops_guard.desired.deployer import read_objects as _read_objects
from gitops_guard.desired.state import Gap
from gitops_guard.gitops.apps import Deployer, DeployerModel
from gitops_guard.identity import ObjectKey


class Desired(NamedTuple):
    objects: dict[ObjectKey, dict[str, Any]]
    errors: list[str]
    complete: bool  # False: never prune on it (see DesiredState.complete)
    reasons: tuple[str, ...]


class DesiredRenderer:
    def __init__(self, model: DeployerModel, scratch: Path, cache_bin: Path | None, kube: tuple[int, int]):
        self._renderer = _Renderer(model, scratch, Builder(cache_bin, kube_version=kube))

    def deployer(self, deployer: Deployer) -> Desired:
        state = self._renderer.render(deployer)
        return Desired(state.by_key(), state.errors, state.complete, state.reasons)

    def files(self, rels: list[str], errors: list[str]) -> list[dict[str, Any]]:
        state = self._renderer.files(rels)
        errors += state.errors
        return [o.obj for o in state.objects]


def read_objects(files: Iterable[tuple[Path, str]], errors: list[str]) -> list[dict[str, Any]]:
    gaps: list[Gap] = []
    found = _read_objects(files, gaps)
    errors += [g.message for g in gaps]
    return [o.obj for o in found]
