"""Which Flux Kustomizations change the objects they apply, and what to build for each.

A :class:`Plan` is one Flux Kustomization with ``patches``, ``targetNamespace``,
``namePrefix``/``nameSuffix``, ``commonMetadata``, ``images`` or ``postBuild``, and its
``spec.path`` resolved to a directory here through the deployer model (``gitops/apps.py``).
An OCIRepository or Bucket source is taken to hold the deepest ancestor of the
Kustomization's own file under which ``spec.path`` exists (see DESIGN.md, "Objects as Flux
applies them"); children that nothing applies get the parents' Kustomization-wide patches
(:func:`orphan_plans`).  Building is :mod:`~gitops_guard.desired.flux_build`.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitops_guard.render import tree as tree_mod
from gitops_guard.render.reach import kustomization_in
from gitops_guard.resources import Resource
from gitops_guard.source.classify import FileKind
from gitops_guard.source.limits import Limits
from gitops_guard.source.load import SourceFile

FLUX_GROUP = "kustomize.toolkit.fluxcd.io"
# Kustomization fields that change the objects kustomize-controller applies.
TRANSFORMS = (
    "components",
    "patches",
    "patchesStrategicMerge",
    "patchesJson6902",
    "targetNamespace",
    "namePrefix",
    "nameSuffix",
    "commonMetadata",
    "images",
    "postBuild",
)
_ARTIFACT_KINDS = ("OCIRepository", "Bucket")


@dataclass(frozen=True)
class Plan:
    """One Flux Kustomization to build: its object, its spec and its path here."""

    resource: Resource
    spec: dict[str, Any]
    directory: Path  # absolute
    kustomized: bool  # the path has its own kustomization (else Flux generates one)
    assumed: str = ""  # how an artifact source was mapped to this repository
    root: Path = Path("/")  # the directory spec.path is relative to (the source's root here)
    files: tuple[Path, ...] = ()  # what to build instead of the path (children nothing applies)
    # Built for children that nothing applies: a failure leaves them as written, unreported.
    speculative: bool = False
    schema_free: bool = False  # only custom resources: kustomize's built-in schema is not loaded


def wants(resources: Iterable[Resource]) -> bool:
    """Whether any Flux Kustomization among ``resources`` changes the objects it applies."""
    return any(is_flux(r) and any(k in spec_of(r.body) for k in TRANSFORMS) for r in resources)


def has_flux(resources: Iterable[Resource]) -> bool:
    return any(is_flux(r) for r in resources)


def plans(resources: Sequence[Resource], files: Sequence[SourceFile], cwd: Path) -> list[Plan]:
    """The Flux Kustomizations with transforms whose path is a directory here."""
    from gitops_guard.gitops import apps
    from gitops_guard.gitops.repository import Repository

    flux = [r for r in resources if is_flux(r) and any(k in spec_of(r.body) for k in TRANSFORMS)]
    if not flux:
        return []
    repo = Repository.discover(cwd)
    model = apps.build(resources, repo, abspaths={f.path: f.abspath for f in files})
    by_doc = {(id(r.document)): r for r in flux}
    out: list[Plan] = []
    for d in model.deployers:
        res = by_doc.get(id(d.document))
        if res is None or d.kind != "Kustomization" or not d.sources:
            continue
        source = d.sources[0]
        directory, assumed = source.directory, ""
        root = repo.root
        if directory is None and source.remote and (source.repo_url or "").startswith(_ARTIFACT_KINDS):
            found = _artifact_directory(repo, model.file_rel.get(d.path), source.path)
            if found is not None:
                directory, base = found
                root = repo.abspath(base)
                assumed = f"{source.repo_url} taken to hold this repository's {base}"
        if directory is None:
            continue
        absolute = repo.abspath(directory)
        kustomized = kustomization_in(absolute) is not None
        out.append(Plan(res, spec_of(res.body), absolute, kustomized, assumed, root))
    return out


def others(cwd: Path, checked: dict[Path, SourceFile], exclude: Any = None) -> list[SourceFile]:
    """The repository's other Flux Kustomization files, for a run over some files only (a hook
    run on a child's ``ks.yaml``: the parent that patches it is not among them).  Files are
    read only when their bytes name the Flux API group."""
    from gitops_guard.source.load import read
    from gitops_guard.source.walk import discover

    candidates, _ = discover(["."], cwd, exclude=exclude)
    out = []
    for cand in candidates:
        if cand.abspath in checked or cand.abspath.suffix not in (".yaml", ".yml"):
            continue
        try:
            raw = cand.abspath.read_bytes()
        except OSError:
            continue
        if b"kustomize.toolkit.fluxcd.io/" in raw and b"Kustomization" in raw:
            out.append(read(cand, FileKind.MANIFEST, Limits()))
    return out


def _artifact_directory(repo: Any, file_rel: str | None, path: str | None) -> tuple[str, str] | None:
    """The repository directory an artifact's ``path`` most likely is: below the deepest
    ancestor of the Kustomization's own file that has it."""
    from gitops_guard.gitops.repository import normalize_path

    inner = normalize_path(path or ".")
    if file_rel is None or inner is None:
        return None
    base = posixpath.dirname(file_rel)
    while True:
        candidate = normalize_path(posixpath.join(base, inner)) if base else inner
        if candidate is not None and repo.is_dir(candidate):
            return candidate, base or "."
        if not base:
            return None
        base = posixpath.dirname(base)


def orphan_plans(
    built: Sequence[Plan],
    resources: Sequence[Resource],
    tree: dict[Path, tree_mod.Kustomization],
    cwd: Path,
    made: set[int],
) -> list[Plan]:
    """A parent that patches every child Kustomization (``interval``, ``prune``...) would patch
    one that nothing applies yet too (an app switched off by commenting it out of the list):
    such a child, below the parent's source root, is built with the parent's patches that
    select Flux Kustomizations, so a field the parent sets is not reported missing."""
    parents = [(p, _kustomization_patches(p.spec)) for p in built]
    parents = [(p, patches) for p, patches in parents if any(e is not None for e in patches)]
    if not parents:
        return []
    # Units (a file as written, or the kustomize root that renders it) and the objects in each.
    units: dict[Path, set[tuple[str, str, str]]] = {}
    for r in resources:
        if not is_flux(r) or id(r) in made:
            continue
        if r.rendered_by is None:
            units.setdefault(Path(os.path.normpath(cwd / r.path)), set())
        else:
            root = Path(os.path.normpath(cwd / r.rendered_by)).parent
            if root in tree:
                units.setdefault(root, set())
    if not units:
        return []
    builtin: set[Path] = set()  # units holding a built-in kind (strategic merge needs kustomize's schema)
    for r in resources:
        where = Path(os.path.normpath(cwd / (r.rendered_by or r.path)))
        unit = where.parent if r.rendered_by is not None else where
        if unit in units:
            units[unit].add((r.kind, r.ref.namespace or "", r.ref.name or ""))
            if r.rendered_by is not None or "." not in r.group or r.group.endswith("k8s.io"):
                builtin.add(unit)
    out = []
    for parent, patches in parents:
        # One build per batch of units whose objects do not collide (kustomize refuses two
        # objects with one identity).  A batch of custom-resource files only is built without
        # kustomize's built-in OpenAPI schema, whose load costs ~0.4 s a process and holds
        # nothing for those kinds.
        batches: list[tuple[list[Path], set[tuple[str, str, str]], bool]] = []
        for unit, ids in sorted(units.items()):
            if not unit.is_relative_to(parent.root):
                continue
            custom = unit not in builtin
            batch = next((b for b in batches if b[2] == custom and not (b[1] & ids)), None)
            if batch is None:
                batches.append(([unit], set(ids), custom))
            else:
                batch[0].append(unit)
                batch[1].update(ids)
        for listed, _, custom in batches:
            out.append(Plan(parent.resource, {"patches": patches}, parent.root, False, parent.assumed,
                            parent.root, tuple(listed), speculative=True, schema_free=custom))  # fmt: skip
        units = {u: ids for u, ids in units.items() if not u.is_relative_to(parent.root)}
    return out


def _kustomization_patches(spec: dict[str, Any]) -> list[Any]:
    """``spec.patches`` with the entries that do not select Flux Kustomizations blanked
    (indices kept, so findings still point at the right entry)."""
    out: list[Any] = []
    for entry in as_list(spec.get("patches")):
        target = entry.get("target") if isinstance(entry, dict) else None
        selects = (
            isinstance(target, dict)
            and target.get("kind") == "Kustomization"
            and target.get("group") in (None, FLUX_GROUP)
        )
        out.append(entry if selects else None)
    return out


def is_flux(r: Resource) -> bool:
    return r.group == FLUX_GROUP and r.kind == "Kustomization"


def spec_of(body: dict[str, Any]) -> dict[str, Any]:
    spec = body.get("spec")
    return spec if isinstance(spec, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
