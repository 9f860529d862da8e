"""The objects one deployer (an Argo CD Application source, a Flux Kustomization) applies.

Rendering follows the tool that would do it:

* a ``kustomization.yaml`` → ``kustomize build`` (Flux without the load restrictor, as
  kustomize-controller builds);
* Flux without one → what kustomize-controller generates: every YAML file below the
  path, a sub-directory with its own kustomization taken as a unit;
* an Argo CD plain directory → its YAML/JSON files (the footprint honours ``recurse``,
  ``include`` and ``exclude``);
* a local Helm chart → ``helm template`` with the Application's Helm settings.

Then the deployer's own transformations: Argo CD's destination namespace for namespaced
objects without one; Flux's ``patches``, ``namePrefix``/``nameSuffix``, ``images``,
``commonMetadata`` and ``components`` (built by kustomize through the wrapper, as
kustomize-controller adds them to the kustomization), ``targetNamespace`` and
``postBuild`` substitution (``render/flux_vars.py``, values from ``substitute`` and the
ConfigMaps among ``objects``).  Whatever could not be rendered offline is a gap of the
result (``state.py``), never a silently shorter list of objects.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from gitops_guard.data_path import value_at
from gitops_guard.desired.builds import (
    HELM,
    KUSTOMIZE,
    Builder,
    chart_gaps,
    closure_of,
    failed_gap,
    kustomize_gaps,
)
from gitops_guard.desired.state import DesiredObject, DesiredState, Gap, GapKind
from gitops_guard.gitops.apps import Deployer, DeployerModel, Source, Tool
from gitops_guard.gitops.footprint import KUSTOMIZATION_NAMES
from gitops_guard.identity import ObjectKey
from gitops_guard.policy.kinds import KindMap
from gitops_guard.render import helm_options
from gitops_guard.render.helm_options import HelmOptions
from gitops_guard.resources import Resource, from_files
from gitops_guard.source.classify import SCANNED_SUFFIXES, FileKind
from gitops_guard.source.limits import Limits
from gitops_guard.source.load import SourceFile, read
from gitops_guard.source.walk import Candidate

# Cluster-scoped kinds of common CRDs the scope table (policy/kinds.py: Kubernetes and
# the shipped GitOps CRDs) does not hold; a CRD in the rendered objects says so itself.
_OTHER_CLUSTER_KINDS = frozenset(
    {
        ("cert-manager.io", "ClusterIssuer"),
        ("gateway.networking.k8s.io", "GatewayClass"),
        ("kyverno.io", "ClusterPolicy"),
        ("policy", "PodSecurityPolicy"),
    }
)
# Flux Kustomization fields kustomize applies through the wrapper (targetNamespace and
# postBuild are applied to the objects afterwards).
_FLUX_BUILD_FIELDS = ("patches", "patchesStrategicMerge", "patchesJson6902", "namePrefix", "nameSuffix",
                      "images", "commonMetadata", "components")  # fmt: skip


def render_deployer(
    deployer: Deployer,
    model: DeployerModel,
    tree: Path | None = None,
    *,
    cache_bin: Path | None = None,
    kube_version: tuple[int, int] = (1, 37),
    objects: Sequence[Resource] = (),
    scratch: Path | None = None,
) -> DesiredState:
    """What ``deployer`` applies from ``tree``: the directory holding the revision, which the
    model was built from (default: the model's repository root).  ``objects``: the tree's
    objects as written, where Flux ``substituteFrom`` ConfigMaps are looked up.  ``cache_bin``:
    where pinned renderers are (None: the default cache).  Scratch files go to ``scratch`` or a
    temporary directory."""
    if tree is not None and tree.resolve() != model.repo.root.resolve():
        raise ValueError(f"the deployer model was built from {model.repo.root}, not {tree}")
    builder = Builder(cache_bin, kube_version=kube_version)
    if scratch is not None:
        return DesiredRenderer(model, scratch, builder, objects=objects).render(deployer)
    with tempfile.TemporaryDirectory(prefix="gitops-guard-desired-") as tmp:
        return DesiredRenderer(model, Path(tmp), builder, objects=objects).render(deployer)


class DesiredRenderer:
    """Renders the deployers of one source tree (a revision's or the working tree); CRDs one
    deployer renders tell later ones which of their kinds are namespaced."""

    def __init__(
        self,
        model: DeployerModel,
        scratch: Path,
        builder: Builder,
        *,
        objects: Sequence[Resource] = (),
    ) -> None:
        self.model = model
        self.root = model.repo.root  # the tree the model was built from
        self.scratch = scratch
        self.builder = builder
        self.objects = objects
        self._count = 0
        self._crds: list[dict[str, Any]] = []
        self._files: dict[Path, SourceFile | None] = {}

    def render(self, deployer: Deployer) -> DesiredState:
        found: list[DesiredObject] = []
        gaps: list[Gap] = []
        for source in deployer.sources:
            if source.directory is None:
                what = source.reason or source.path or source.repo_url or "?"
                if source.remote:  # someone else's repository or chart: not rendered here
                    gaps.append(Gap(GapKind.REMOTE_SOURCE, f"source not in this repository: {what}"))
                else:
                    gaps.append(Gap(GapKind.MISSING_SOURCE, f"source not found in this repository: {what}"))
                continue
            found += self._source(deployer, source, gaps)
        for item in found:
            if item.obj.get("kind") == "CustomResourceDefinition":
                self._crds.append(item.obj)
        return DesiredState(self._place(deployer, found, gaps), gaps)

    def files(self, rels: Sequence[str]) -> DesiredState:
        """The objects in these tree-relative files, as they are written."""
        gaps: list[Gap] = []
        return DesiredState(read_objects(((self.root / rel, rel) for rel in rels), gaps), gaps)

    # -------------------------------------------------------------- per source

    def _source(self, deployer: Deployer, source: Source, gaps: list[Gap]) -> list[DesiredObject]:
        assert source.directory is not None
        footprint = self.model.footprint(deployer, source)
        directory = self.root if source.directory == "." else self.root / source.directory
        if footprint is None or not directory.is_dir():
            gaps.append(Gap(GapKind.MISSING_SOURCE, f"{source.directory}: not a directory in this revision"))
            return []
        renderer = footprint.renderer
        flux = deployer.tool is Tool.FLUX
        fields = _flux_fields(deployer.spec(), directory, self._next_workdir) if flux else None
        if renderer == "kustomize":
            return self._kustomize(directory, flux, gaps, fields)
        if renderer == "flux-generated":
            return self._flux_generated(source.directory, gaps, fields)
        if renderer == "helm":
            return self._helm(directory, gaps, _helm_options(deployer, source, directory, gaps))
        if renderer == "plugin":
            message = f"{source.directory}: a config management plugin renders it; not rendered offline"
            gaps.append(Gap(GapKind.PLUGIN, message))
            return []
        return self._read(sorted(footprint.files), gaps)

    def _kustomize(
        self,
        directory: Path,
        unrestricted: bool,
        gaps: list[Gap],
        fields: tuple[dict[str, Any], Path] | None = None,
        listed: list[Path] | None = None,
    ) -> list[DesiredObject]:
        missing = self.builder.missing(KUSTOMIZE)
        if missing is not None:
            gaps.append(missing)
            return []
        members = [] if listed is not None else closure_of(directory, self.root)
        offline = kustomize_gaps(members, self.root)
        if offline:
            gaps += offline
            return []
        overlay, workdir = fields if fields is not None else (None, self._next_workdir())
        built = self.builder.kustomize(
            directory, workdir, self.root, unrestricted=unrestricted, overlay=overlay, resources=listed
        )
        if not built.ok:
            gaps.append(failed_gap("kustomize build", self._rel(directory), built.error))
            return []
        out = []
        for obj, origin in built.objects:
            path = origin.path or origin.configured_in
            out.append(self._object(obj, path, line=origin.path is not None))
        return out

    def _flux_generated(
        self, directory: str, gaps: list[Gap], fields: tuple[dict[str, Any], Path] | None
    ) -> list[DesiredObject]:
        """kustomize-controller's generated kustomization: YAML files, recursively; a
        sub-directory with a kustomization is one unit."""
        entries: list[str] = []
        for rel, dirnames, filenames in self.model.repo.walk(directory):
            if rel != directory and any(n in filenames for n in KUSTOMIZATION_NAMES):
                entries.append(rel)
                dirnames[:] = []
                continue
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            entries += [n if rel == "." else f"{rel}/{n}" for n in filenames if n.endswith((".yaml", ".yml"))]
        if not entries:
            return []
        if fields is not None:  # the Kustomization's fields apply to the whole generated list
            base = self.root / directory
            return self._kustomize(base, True, gaps, fields, listed=[self.root / e for e in entries])
        plain = [e for e in entries if not (self.root / e).is_dir()]
        units = [e for e in entries if (self.root / e).is_dir()]
        objects = self._read(plain, gaps)
        for unit in units:
            objects += self._kustomize(self.root / unit, True, gaps)
        return objects

    def _helm(self, chart: Path, gaps: list[Gap], options: HelmOptions) -> list[DesiredObject]:
        missing = self.builder.missing(HELM)
        if missing is not None:
            gaps.append(missing)
            return []
        chart_file = self._load(chart / "Chart.yaml")
        docs = chart_file.documents if chart_file is not None else []
        metadata = next((d.data for d in docs if isinstance(d.data, dict)), {})
        offline = chart_gaps(chart, metadata, self.root)
        if offline:
            gaps += offline
            return []
        rendered = self.builder.helm(chart, self._next_workdir(), self.root, options)
        if not rendered.ok:
            gaps.append(failed_gap("helm template", self._rel(chart), rendered.error))
            return []
        return [self._object(obj, source, line=False) for obj, source in rendered.objects]

    def _read(self, rels: list[str], gaps: list[Gap]) -> list[DesiredObject]:
        return read_objects(((self.root / rel, rel) for rel in rels), gaps)

    # ------------------------------------------------------------------ origins

    def _object(self, obj: dict[str, Any], path: Path | None, *, line: bool) -> DesiredObject:
        rel = self._rel(path) if path is not None else None
        if rel is not None and rel.startswith("../"):
            rel = None  # outside the tree (a scratch file)
        found = None
        if line and path is not None and rel is not None:
            from gitops_guard.render import mapping

            sf = self._load(path)
            doc = mapping.match_in_file(sf, obj) if sf is not None else None
            found = doc.locate(())[0] if doc is not None else None
        return DesiredObject(obj, ObjectKey.of(obj), rel, found)

    def _load(self, path: Path) -> SourceFile | None:
        if path not in self._files:
            try:
                shown = self._rel(path)
                self._files[path] = read(Candidate(path, shown, explicit=False), FileKind.MANIFEST, Limits())
            except OSError:
                self._files[path] = None
        return self._files[path]

    # ------------------------------------------------------- deployer settings

    def _place(self, deployer: Deployer, found: list[DesiredObject], gaps: list[Gap]) -> list[DesiredObject]:
        spec = deployer.spec()
        namespace = deployer.destination.namespace
        force = False
        values: Any = None
        if deployer.tool is Tool.FLUX:
            target = spec.get("targetNamespace")
            namespace, force = (target, True) if isinstance(target, str) and target else (None, False)
            values = _flux_variables(deployer, spec, self.objects)
        kinds = KindMap(self._crds)
        out: list[DesiredObject] = []
        unresolved: set[str] = set()
        for item in found:
            obj = item.obj
            if values is not None:
                obj, missing = _substitute(obj, values)
                unresolved |= missing
            if namespace and _namespaced(kinds, obj):
                meta = obj.setdefault("metadata", {})
                if isinstance(meta, dict) and (force or not meta.get("namespace")):
                    meta["namespace"] = namespace
            out.append(item._replace(obj=obj, key=ObjectKey.of(obj)))
        if unresolved:
            names = ", ".join(sorted(unresolved)[:5]) + (", ..." if len(unresolved) > 5 else "")
            message = f"postBuild variables with no value in this revision: {names} (left as written)"
            gaps.append(Gap(GapKind.UNRESOLVED_VARIABLE, message))
        return out

    def _next_workdir(self) -> Path:
        self._count += 1
        return self.scratch / f"build-{self._count}"

    def _rel(self, path: Path) -> str:
        return os.path.relpath(path, self.root).replace(os.sep, "/")


def _helm_options(deployer: Deployer, source: Source, chart: Path, gaps: list[Gap]) -> HelmOptions:
    """The Argo CD source's helm settings (none for Flux, which renders charts through a
    HelmRelease, and none from an ApplicationSet template, which is not expanded here)."""
    if deployer.tool is not Tool.ARGO_CD:
        return HelmOptions(namespace=deployer.destination.namespace)
    node = None if deployer.generated_by else value_at(deployer.document.data, source.at)
    options = helm_options.from_source(
        node, chart, app_name=deployer.name, namespace=deployer.destination.namespace
    )
    gaps.extend(Gap(GapKind.OPTIONS, problem) for problem in options.problems)
    return options


def _flux_fields(spec: dict[str, Any], directory: Path, workdir: Any) -> tuple[dict[str, Any], Path] | None:
    """The wrapper fields kustomize-controller adds for ``spec`` (None: it adds none that
    change the build), with the work directory the wrapper goes to."""
    if not any(spec.get(k) for k in _FLUX_BUILD_FIELDS):
        return None
    from gitops_guard.render.flux_overlay import overlay
    from gitops_guard.render.flux_plan import as_list

    fields = overlay(spec)
    fields.pop("namespace", None)  # targetNamespace: placed afterwards, kind by kind
    where: Path = workdir()
    components = [c for c in as_list(spec.get("components")) if isinstance(c, str)]
    if components:  # relative to the path, as Flux adds them to its kustomization
        fields["components"] = [
            os.path.relpath(os.path.normpath(directory / c), where).replace(os.sep, "/") for c in components
        ]
    return (fields, where) if fields else None


def _flux_variables(deployer: Deployer, spec: dict[str, Any], objects: Sequence[Resource]) -> Any:
    post = spec.get("postBuild")
    if not isinstance(post, dict):
        return None
    from gitops_guard.render.flux_overlay import spec_variables

    found = spec_variables(spec, deployer.namespace, deployer.path, objects)
    return found if found.active else None


def _substitute(obj: dict[str, Any], values: Any) -> tuple[dict[str, Any], frozenset[str]]:
    """Flux post-build substitution over the object's YAML text, parsed again."""
    from gitops_guard.render import flux_vars

    return flux_vars.substitute_data(obj, values.values, hidden=values.hidden)


def _namespaced(kinds: KindMap, obj: Mapping[str, Any]) -> bool:
    key = ObjectKey.of(obj)
    info = kinds.get(key.group, key.kind)
    return info.namespaced if info is not None else (key.group, key.kind) not in _OTHER_CLUSTER_KINDS


def read_objects(files: Iterable[tuple[Path, str]], gaps: list[Gap]) -> list[DesiredObject]:
    """Objects of YAML/JSON files (``(path, shown name)`` pairs), read as ``check`` reads them
    (size and nesting budgets, items of a ``List``), each with its file and line.  Unreadable
    or malformed files are gaps, never raised: a file that yields no objects must not look
    like removed objects."""
    out: list[DesiredObject] = []
    limits = Limits()
    for path, shown in files:
        if path.suffix not in SCANNED_SUFFIXES:
            continue
        sf = read(Candidate(path, shown, explicit=True), FileKind.MANIFEST, limits)
        first = next((p for p in sf.problems if p.kind != "duplicate-key"), None)
        if first is not None:
            message = f"{shown}:{first.line or '?'}: {first.message}"
            gaps.append(Gap(GapKind.UNREADABLE, message, shown, first.line))
        elif sf.kind is not FileKind.MANIFEST:
            gaps.append(Gap(GapKind.UNREADABLE, f"{shown}: a template, not YAML until rendered", shown))
        for res in from_files([sf]):
            out.append(DesiredObject(res.body, ObjectKey.of(res.body), shown, res.document.locate(())[0]))
    return out


def render_manifests(path: Path, builder: Builder, scratch: Path) -> DesiredState:
    """Plain manifests at ``path``: a directory with a kustomization is built (with the load
    restrictor, as ``kustomize build`` does by default); any other file or directory is read
    as it is written (what a walk of it finds)."""
    from gitops_guard.render.reach import kustomization_in
    from gitops_guard.source.walk import discover

    gaps: list[Gap] = []
    if path.is_dir() and kustomization_in(path) is not None:
        missing = builder.missing(KUSTOMIZE)
        if missing is not None:
            return DesiredState((), [missing])
        built = builder.kustomize(path, scratch / "build", path)
        if not built.ok:
            return DesiredState((), [failed_gap("kustomize build", str(path), built.error)])
        found = []
        for obj, origin in built.objects:
            rel = os.path.relpath(origin.path, path).replace(os.sep, "/") if origin.path else None
            found.append(DesiredObject(obj, ObjectKey.of(obj), rel, None))
        return DesiredState(found)
    candidates, _ = discover([str(path)], path.parent if path.is_file() else path)
    return DesiredState(read_objects(((c.abspath, c.display) for c in candidates), gaps), gaps)
