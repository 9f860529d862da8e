"""Objects as a Flux Kustomization applies them.

kustomize-controller builds ``spec.path`` with kustomize (no load restrictor; a directory
without a kustomization gets a generated one listing its YAML files, a sub-directory with
its own kustomization as one unit), adds the Kustomization's ``targetNamespace``,
``namePrefix``/``nameSuffix``, ``patches``, ``images`` and ``commonMetadata`` to that
kustomization, and then substitutes ``postBuild`` variables in each object's text.  A
parent that patches its child Kustomizations (``interval``, ``prune``...) therefore changes
what the child objects *are*: validating them as written reports fields a patch sets.

This module builds each such Kustomization's path the same way with the real kustomize: a
wrapper kustomization in a scratch directory lists the path (or the files Flux would
generate a kustomization for) and carries the Kustomization's fields, so kustomize applies
its own patch, namespace, prefix and image semantics; the wrapper never touches the
repository.  Objects are mapped back to their source lines as the render stage maps them
(render/mapping.py); a field an inline ``spec.patches`` entry sets is reported inside that
patch, in the Flux Kustomization's file.  They then replace the same files' objects as
written (or as plain ``kustomize build`` renders them).

Offline limits, chosen for precision (a false error blocks a deploy):

* an OCIRepository or Bucket source is taken to hold a directory of this repository when the
  Kustomization's own file sits below a directory that has ``spec.path`` (``flux push
  artifact`` of the repository's ``kubernetes/`` holds both the cluster's Kustomization and
  the paths it names); the deepest such directory wins, and none means not built;
* a build that fails is "not checked" (a warning), never an error: the emulation, not the
  repository, may be what differs;
* variables whose value is not in the repository leave their expression in place (the schema
  check does not validate ``${`` values) and the object gets one ``render/unresolved-variable``
  note; a Secret's values are never put into objects (their names count as known).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitops_guard.desired.builds import KUSTOMIZE, Builder
from gitops_guard.finding_at import at_document
from gitops_guard.findings import Finding, Outcome, Severity
from gitops_guard.render import flux_vars, kustomize, mapping
from gitops_guard.render import tree as tree_mod
from gitops_guard.render.flux_overlay import (
    Variables,
    generated_resources,
    inline_patches,
    overlay,
    variables,
)
from gitops_guard.render.flux_plan import Plan, as_list, orphan_plans, others, plans
from gitops_guard.render.reach import NAMES, kustomization_in
from gitops_guard.render.rules import FAILED, UNRESOLVED
from gitops_guard.resources import Resource, from_files, object_ref
from gitops_guard.source.load import SourceFile
from gitops_guard.source.walk import display_path


@dataclass
class FluxOutcome:
    resources: list[Resource]
    findings: list[Finding] = field(default_factory=list)
    rendered_paths: set[str] = field(default_factory=set)
    processes: int = 0


Loader = Callable[[Path], SourceFile | None]


# --- build and map ---------------------------------------------------------------------------


def apply(
    resources: Sequence[Resource],
    files: Sequence[SourceFile],
    cwd: Path,
    builder: Builder,
    load: Loader,
    *,
    failed: frozenset[str],
    exclude: Any,
    jobs: int,
    partial: bool,
    tree: dict[Path, tree_mod.Kustomization] | None = None,
) -> FluxOutcome | None:
    """The render stage's objects as the run's Flux Kustomizations apply them (None: nothing
    to build, or no kustomize).  ``partial``: the run names files, so parents may be elsewhere;
    ``tree``: the run's kustomizations, when the render stage already discovered them."""
    import tempfile

    if builder.renderer(KUSTOMIZE) is None:
        return None
    cwd = cwd.resolve()
    checked = {sf.abspath: sf for sf in files}
    extra = others(cwd, checked, exclude) if partial else []
    todo = plans([*resources, *from_files(extra)], [*files, *extra], cwd)
    if not todo:
        return None
    with tempfile.TemporaryDirectory(prefix="gitops-guard-flux-") as tmp:
        return build_all(todo, resources, files, checked, load, builder, Path(tmp), cwd,
                         exclude=exclude, jobs=jobs, failed=failed, tree=tree)  # fmt: skip


def build_all(
    todo: Sequence[Plan],
    resources: Sequence[Resource],
    files: Sequence[SourceFile],
    checked: dict[Path, SourceFile],
    load: Loader,
    builder: Builder,
    scratch: Path,
    cwd: Path,
    *,
    exclude: Any = None,
    jobs: int = 2,
    failed: frozenset[str] = frozenset(),
    tree: dict[Path, tree_mod.Kustomization] | None = None,
) -> FluxOutcome:
    """Build every plan and put its objects in place of the same files' other objects; then
    give the parents' Kustomization-wide patches to child Kustomizations no build applies."""
    if tree is None:
        tree = tree_mod.discover(cwd, files, exclude)
    around = _checked_dirs(checked, cwd)
    todo = [p for p in todo if any(d in around for d in (p.directory, *(k.dir for k in _members(p, tree))))]
    # A kustomization that failed on its own fails every build that includes it: not run again.
    todo = [p for p in todo if not any(display_path(k.file, cwd) in failed for k in _members(p, tree))]
    run = _Run(tree, checked, load, builder, scratch, cwd, jobs, failed)
    out = FluxOutcome(list(resources))
    run.apply(todo, out)
    orphans = orphan_plans(todo, out.resources, tree, cwd, run.built)
    if orphans:
        run.apply(orphans, out)
    return out


@dataclass
class _Run:
    tree: dict[Path, tree_mod.Kustomization]
    checked: dict[Path, SourceFile]
    load: Loader
    builder: Builder
    scratch: Path
    cwd: Path
    jobs: int
    failed: frozenset[str] = frozenset()  # kustomizations the render stage reported as failed
    count: int = 0
    built: set[int] = field(default_factory=set)  # id() of the objects a Kustomization's build made

    def apply(self, todo: Sequence[Plan], out: FluxOutcome) -> None:
        from concurrent.futures import ThreadPoolExecutor

        rendered: list[Resource] = []
        consumed: set[Path] = set()
        replaced: set[str] = set()
        # A Kustomization that only sets targetNamespace and postBuild over a kustomize root the
        # render stage built: its objects are that build's, placed and substituted here (no
        # second kustomize process, which costs as much as the first).
        built_roots = {r.rendered_by for r in out.resources if r.rendered_by is not None}
        labels = {id(p): _label(p, self.cwd) for p in todo}
        quick = [p for p in todo if self._quick(p, labels[id(p)], built_roots)]
        todo = [p for p in todo if p not in quick]
        kinds = _kinds(out.resources) if quick else None
        for plan in quick:
            label = labels[id(plan)]
            replaced.add(label)
            variables_ = variables(plan, out.resources)
            for r in out.resources:
                if r.rendered_by != label:
                    continue
                res, unresolved = _placed(plan, r, variables_, kinds)
                rendered.append(res)
                self.built.add(id(res))
                if unresolved:
                    out.findings.append(_unresolved(plan, res, unresolved))
        first = self.count
        self.count += len(todo)
        with ThreadPoolExecutor(max_workers=max(1, self.jobs)) as pool:
            results = list(pool.map(self._build, enumerate(todo, start=first)))
        out.processes += len(todo)
        for i, (plan, built) in enumerate(zip(todo, results, strict=True), start=first):
            members = _members(plan, self.tree)
            if not built.ok:
                # Reported once: a kustomization that fails on its own is render/failed already.
                known = any(display_path(k.file, self.cwd) in self.failed for k in members)
                # A parent read from a file outside the run (a hook run) is not reported on.
                outside = plan.resource.path not in {sf.path for sf in self.checked.values()}
                if not (plan.speculative or known or outside):
                    out.findings.append(_failed(plan, built.error))
                continue
            replaced |= {display_path(k.file, self.cwd) for k in members}
            mapper = _Mapper(
                plan,
                labels[id(plan)],
                members,
                self.load,
                self.checked,
                self.cwd,
                out.resources,
                self._dir(i),
            )
            for body, origin, text in zip(*_columns(built), strict=True):
                mapped, missing = mapper(body, origin, text)
                if mapped is None:
                    continue
                if origin.path is not None and origin.path in self.checked:
                    consumed.add(origin.path)
                rendered.append(mapped)
                if not plan.speculative:
                    self.built.add(id(mapped))
                if missing:
                    out.findings.append(_unresolved(plan, mapped, missing))
        shown = {self.checked[p].path for p in consumed}
        out.resources = [
            r
            for r in out.resources
            if r.rendered_by not in replaced and not (r.path in shown and r.rendered_by is None)
        ] + rendered
        out.rendered_paths |= shown | {r.path for r in rendered}

    def _quick(self, plan: Plan, label: str, built_roots: set[str]) -> bool:
        if plan.files or not plan.kustomized or plan.spec.get("components"):
            return False
        if set(overlay(plan.spec)) - {"namespace"}:
            return False
        return label in built_roots

    def _dir(self, i: int) -> Path:
        return self.scratch / f"flux-{i}"

    def _build(self, item: tuple[int, Plan]) -> kustomize.Built:
        i, plan = item
        listed = list(plan.files) if plan.files else None
        if listed is None and not plan.kustomized:
            listed = generated_resources(plan.directory)
        if listed == []:
            return kustomize.Built()
        fields = overlay(plan.spec)
        # spec.components are relative to the path (Flux adds them to its kustomization).
        components = [c for c in as_list(plan.spec.get("components")) if isinstance(c, str)]
        if components:
            fields["components"] = [
                os.path.relpath(os.path.normpath(plan.directory / c), self._dir(i)).replace(os.sep, "/")
                for c in components
            ]
        if plan.schema_free:
            self._dir(i).mkdir(parents=True, exist_ok=True)
            (self._dir(i) / "openapi.json").write_text('{"definitions": {}}\n', encoding="utf-8")
            fields["openapi"] = {"path": "openapi.json"}
        return self.builder.kustomize(
            plan.directory,
            self._dir(i),
            self.cwd,
            unrestricted=True,
            overlay=fields,
            resources=listed,
            keep_text=True,
        )


def _label(plan: Plan, cwd: Path) -> str:
    """What the plain build of the plan's path is named (its kustomization's display path)."""
    return display_path(kustomization_in(plan.directory) or plan.directory / NAMES[0], cwd)


def _kinds(resources: Sequence[Resource]) -> Any:
    from gitops_guard.policy.kinds import KindMap

    return KindMap(r.body for r in resources if r.kind == "CustomResourceDefinition")


def _placed(plan: Plan, res: Resource, vars_: Variables, kinds: Any) -> tuple[Resource, frozenset[str]]:
    """``res`` (rendered by the plain build) with the plan's namespace and variables."""
    import copy

    body = copy.deepcopy(res.body)
    target = plan.spec.get("targetNamespace")
    meta = body.get("metadata")
    if isinstance(target, str) and target and isinstance(meta, dict):
        info = kinds.get(res.group, res.kind)
        if info is None or info.namespaced:  # kustomize takes unknown kinds to be namespaced
            meta["namespace"] = target
    unresolved: frozenset[str] = frozenset()
    if vars_.active:
        body, unresolved = flux_vars.substitute_data(body, vars_.values, hidden=vars_.hidden)
    document = res.document.with_data(body)
    return Resource(object_ref(body), body, document, rendered_by=res.rendered_by), unresolved


def _checked_dirs(checked: dict[Path, SourceFile], cwd: Path) -> set[Path]:
    """Every directory holding a checked file, and their parents up to ``cwd``: a plan whose
    directories are not among them builds nothing (a hook run over other files)."""
    out: set[Path] = set()
    for path in checked:
        for parent in path.parents:
            if parent in out:
                break
            out.add(parent)
            if parent == cwd:
                break
    return out


def _columns(built: kustomize.Built) -> tuple[list[dict[str, Any]], list[kustomize.Origin], list[str]]:
    return [b for b, _ in built.objects], [o for _, o in built.objects], built.texts


def _members(plan: Plan, tree: dict[Path, tree_mod.Kustomization]) -> list[tree_mod.Kustomization]:
    if plan.files:
        return [k for f in plan.files if f in tree for k in tree_mod.closure(tree[f], tree)]
    if plan.kustomized:
        root = tree.get(plan.directory)
        return tree_mod.closure(root, tree) if root is not None else []
    units = [p for p in generated_resources(plan.directory) if p in tree]
    return [k for u in units for k in tree_mod.closure(tree[u], tree)]


class _Mapper:
    """A built object → a Resource over its source document, after substitution."""

    def __init__(
        self,
        plan: Plan,
        label: str,
        members: list[tree_mod.Kustomization],
        load: Loader,
        checked: dict[Path, SourceFile],
        cwd: Path,
        resources: Sequence[Resource],
        workdir: Path,
    ) -> None:
        self.plan = plan
        self.load = load
        self.checked = checked
        self.workdir = workdir
        # What the plain build would name (sync checks place objects by their build's directory);
        # children nothing applies keep the label they had.
        self.label = label
        self.labels = {r.path: r.rendered_by for r in resources} if plan.speculative else {}
        self.file_patches = [(ref, load(ref.file)) for k in members for ref in reversed(k.patches)]
        own = load(cwd / plan.resource.path)
        self.inline = inline_patches(plan, own.text or "" if own is not None else "")
        self.vars = variables(plan, resources)

    def __call__(
        self, body: dict[str, Any], origin: kustomize.Origin, text: str
    ) -> tuple[Resource | None, frozenset[str]]:
        unresolved: frozenset[str] = frozenset()
        if self.vars.active and not flux_vars.disabled(body):
            data, unresolved = flux_vars.substitute_object(text, self.vars.values, hidden=self.vars.hidden)
            if data is not None:
                kustomize.take_origin(data, self.workdir)
                body = data
        if origin.path is None:
            return self._generated(body, origin), unresolved
        sf = self.load(origin.path)
        source = mapping.match_in_file(sf, body) if sf is not None else None
        if source is None or origin.path not in self.checked:
            return None, unresolved
        patches = [
            doc
            for pref, patch in self.file_patches
            if patch is not None
            for doc in patch.documents
            if mapping.patch_targets(doc, pref.target, body, source.data)
        ]
        patches = [
            doc for doc, selector in self.inline if mapping.patch_targets(doc, selector, body, source.data)
        ] + patches
        document = mapping.rendered_document(source, body, patches)
        label = self.labels.get(source.path, self.label) if self.plan.speculative else self.label
        return Resource(object_ref(body), body, document, rendered_by=label), unresolved

    def _generated(self, body: dict[str, Any], origin: kustomize.Origin) -> Resource | None:
        origin_file = origin.configured_in
        if origin_file is None or origin_file not in self.checked:
            return None
        kdoc = next((d for d in self.checked[origin_file].documents if isinstance(d.data, dict)), None)
        if kdoc is None:
            return None
        doc = mapping.generator_document(kdoc, body, origin.configured_by)
        return Resource(object_ref(body), body, doc, rendered_by=self.label)


# --- findings --------------------------------------------------------------------------------


def _failed(plan: Plan, error: str) -> Finding:
    res = plan.resource
    message = (
        f"not rendered as Flux applies it: kustomize build with this Kustomization's fields failed: {error}; "
        "the objects under its path are checked without them"
    )
    # Not checked, a warning: the emulation, not the repository, may be what fails.
    return at_document(FAILED, res.document, message, path=("spec", "path"), obj=res.ref,
                       outcome=Outcome.NOT_CHECKED, fingerprint_key="flux-build",
                       severity=Severity.WARNING)  # fmt: skip


def _unresolved(plan: Plan, res: Resource, names: frozenset[str]) -> Finding:
    shown = ", ".join(sorted(names)[:5]) + (", ..." if len(names) > 5 else "")
    ks = plan.resource.ref
    message = (
        f"postBuild variables of Flux Kustomization {ks.namespace + '/' if ks.namespace else ''}{ks.name} "
        f"not known offline ({shown}): the fields that use them are not validated"
    )
    return at_document(UNRESOLVED, res.document, message, obj=res.ref, outcome=Outcome.NOT_CHECKED,
                       fingerprint_key=",".join(sorted(names)))  # fmt: skip
