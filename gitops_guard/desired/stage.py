"""``check``'s render stage: kustomize roots and local Helm charts → objects joined to the run.

It builds through the desired-state layer's :class:`~gitops_guard.desired.builds.Builder`
and reports its gaps (``builds.kustomize_gaps``/``chart_gaps``) as findings.

Semantics (see DESIGN.md, "Rendering"):

* Files a successfully built root consumed are checked through their rendered
  objects (one per overlay; the pipeline merges identical findings); their plain
  objects leave the run.  Files in no root, and the files of a root that failed,
  are checked as they are written.
* Only roots that include a checked file are built, so a pre-commit run over
  files that no kustomization includes spawns no process.  Of a root's output,
  only objects that come from a checked file (or a checked patch) are kept.
* Nothing is fetched: remote bases, ``helmCharts`` and missing chart
  dependencies are "not checked" findings, never a network call or a hang.
"""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from gitops_guard.desired.builds import HELM, KUSTOMIZE, Builder, chart_gaps, kustomize_gaps
from gitops_guard.desired.state import GapKind
from gitops_guard.finding_at import at_document, at_file
from gitops_guard.findings import Finding, Outcome, Severity
from gitops_guard.progress import Progress
from gitops_guard.render import helm, helm_options, kustomize, mapping, tools
from gitops_guard.render import tree as tree_mod
from gitops_guard.render.helm_options import HelmOptions
from gitops_guard.render.reach import (
    CHART_FILES,
    chart_of,
    flux_applies,
    kustomize_inputs,
    near_kustomization,
    under,
)
from gitops_guard.render.rules import FAILED
from gitops_guard.resources import Resource, object_ref
from gitops_guard.rules import NOT_RUN
from gitops_guard.source.classify import FileKind
from gitops_guard.source.limits import Limits
from gitops_guard.source.load import SourceFile, read
from gitops_guard.source.walk import Candidate, display_path
from gitops_guard.source.yamldoc import Document


class Scope(Protocol):
    """What rendering needs to know of a run (``check``'s Settings has these fields)."""

    @property
    def kubernetes_version(self) -> tuple[int, int]: ...

    @property
    def cache_dir(self) -> Path | None: ...

    @property
    def cwd(self) -> Path: ...


class RenderScope(NamedTuple):
    """A :class:`Scope` for callers other than ``check`` (``diff --base``)."""

    kubernetes_version: tuple[int, int]
    cache_dir: Path | None = None  # the cache root; renderers are pinned under bin/
    cwd: Path = Path()


@dataclass
class RenderOutcome:
    resources: list[Resource]
    findings: list[Finding] = field(default_factory=list)
    # Display paths whose objects were checked through rendered output.
    rendered_paths: set[str] = field(default_factory=set)
    processes: int = 0  # binaries run (kept visible: the hook must spawn none for plain files)
    # The kustomizations under the working directory, when the run looked for them.
    tree: dict[Path, tree_mod.Kustomization] | None = field(default=None, repr=False, compare=False)


@dataclass
class _Job:
    kind: str  # "kustomize" | "helm"
    directory: Path
    file: Path  # kustomization.yaml or Chart.yaml
    closure: list[tree_mod.Kustomization] = field(default_factory=list)
    # A chart rendered the way an Argo CD Application deploys it (None: default values).
    options: HelmOptions | None = None


def render(
    files: Sequence[SourceFile],
    resources: Sequence[Resource],
    settings: Scope,
    *,
    exclude: Any = None,
    timeout: float = tools.DEFAULT_TIMEOUT,
    jobs: int = 2,
    progress: Progress | None = None,
    partial: bool = False,
) -> RenderOutcome:
    """``partial``: the run names files (a hook run), so objects in other files can matter."""
    cache_bin = settings.cache_dir / "bin" if settings.cache_dir else None
    builder = Builder(cache_bin, kube_version=settings.kubernetes_version, timeout=timeout)
    # One loader for the run: a file outside it (a base, a chart's Chart.yaml) is read once.
    loader = _Loader({sf.abspath: sf for sf in files}, settings.cwd.resolve())
    out = _render(files, resources, settings, builder, loader, exclude=exclude, jobs=jobs, progress=progress)
    from gitops_guard.render import flux_plan

    if flux_plan.wants(out.resources) or (partial and flux_plan.has_flux(out.resources)):
        # Objects as Flux Kustomizations apply them (desired/flux_build.py).
        from gitops_guard.desired import flux_build

        failed = frozenset(f.path for f in out.findings if f.rule == FAILED.id)
        flux = flux_build.apply(out.resources, files, settings.cwd, builder, loader, failed=failed,
                                exclude=exclude, jobs=jobs, partial=partial, tree=out.tree)  # fmt: skip
        if flux is not None:
            out.resources, out.processes = flux.resources, out.processes + flux.processes
            out.findings += flux.findings
            out.rendered_paths |= flux.rendered_paths
    return out


def _render(
    files: Sequence[SourceFile],
    resources: Sequence[Resource],
    settings: Scope,
    builder: Builder,
    loader: _Loader,
    *,
    exclude: Any,
    jobs: int,
    progress: Progress | None,
) -> RenderOutcome:
    cwd = loader.cwd
    checked = loader.checked
    findings: list[Finding] = []

    kjobs, flux_tree, tree = _kustomize_jobs(files, cwd, exclude, checked, findings)
    hjobs = _helm_jobs(files, loader, findings)
    if hjobs:
        hjobs = _as_applications_render(hjobs, resources, cwd, checked, findings)
    # Flux's kustomize-controller builds without kustomize's load restrictor (Argo CD's
    # default keeps it): a repository that holds Flux Kustomizations, or a kustomization
    # under flux-system/, is built as Flux does (the same in a directory and a hook run).
    flux = flux_tree or flux_applies(resources)
    if not kjobs and not hjobs:
        return RenderOutcome(list(resources), findings, tree=tree)

    binaries: dict[str, tools.Renderer | None] = {}
    if kjobs:
        binaries[KUSTOMIZE] = builder.renderer(KUSTOMIZE)
    if hjobs:
        binaries[HELM] = builder.renderer(HELM)
    runnable = [job for job in (*kjobs, *hjobs) if binaries[job.kind] is not None]
    if len(runnable) < len(kjobs) + len(hjobs):
        findings.append(_not_run(binaries, kjobs, hjobs, cwd, checked))

    out = RenderOutcome([], findings, tree=tree)
    consumed: set[Path] = set()
    rendered: list[Resource] = []
    with tempfile.TemporaryDirectory(prefix="gitops-guard-render-") as tmp:

        def work(item: tuple[int, _Job]) -> Any:
            i, job = item
            if job.kind == KUSTOMIZE:
                return builder.kustomize(job.directory, Path(tmp, str(i)), cwd, unrestricted=flux)
            return builder.helm(job.directory, Path(tmp, str(i)), cwd, job.options)

        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            results = []
            for result in pool.map(work, enumerate(runnable)):
                results.append(result)
                if progress is not None:
                    progress.rendering(len(results), len(runnable))
    out.processes = len(runnable)
    for job, result in zip(runnable, results, strict=True):
        if not result.ok:
            findings.append(_failed(job, result, _renderer(binaries, job), cwd, checked))
            continue
        if job.kind == "kustomize":
            rendered.extend(_kustomize_objects(job, result, loader, checked, consumed))
        else:
            rendered.extend(_helm_objects(job, result, loader, checked))
    consumed_paths = {checked[p].path for p in consumed if p in checked}
    out.resources = [r for r in resources if r.path not in consumed_paths] + rendered
    out.rendered_paths = consumed_paths | {r.path for r in rendered}
    return out


# --- which roots and charts to render -------------------------------------------------------


def _kustomize_jobs(
    files: Sequence[SourceFile],
    cwd: Path,
    exclude: Any,
    checked: dict[Path, SourceFile],
    findings: list[Finding],
) -> tuple[list[_Job], bool, dict[Path, tree_mod.Kustomization] | None]:
    """The kustomize roots to build, whether a Flux layout holds them, and the tree they came
    from (None: no checked file is near a kustomization, so none was looked for)."""
    near = functools.cache(lambda d: near_kustomization(d / "_", cwd))
    inputs = kustomize_inputs(files, cwd)
    if not any(sf.kind is FileKind.KUSTOMIZATION or near(sf.abspath.parent) for sf in inputs):
        return [], False, None
    tree = tree_mod.discover(cwd, files, exclude)
    # Flux bootstrap (and the Flux operator's layouts) keep a kustomization under flux-system/.
    flux_tree = any("flux-system" in k.dir.relative_to(cwd).parts for k in tree.values())
    checked_dirs: set[Path] = set()
    for sf in inputs:
        for parent in sf.abspath.parents:
            if parent in checked_dirs:
                break
            checked_dirs.add(parent)
            if parent == cwd:
                break
    jobs = []
    for root in tree_mod.roots(tree):
        members = tree_mod.closure(root, tree)
        # A file below a member, or named by one (outside it, as Flux's unrestricted builds allow).
        if not any(k.dir in checked_dirs or any(f in checked for f in k.files) for k in members):
            continue
        gaps = kustomize_gaps(members, cwd)
        if gaps:
            first = gaps[0]
            message = f"not rendered: {first.message}; files under it are checked as written"
            site = _unfetched_entry(root, first.subject if first.kind is GapKind.REMOTE_BASE else None)
            if site is not None:
                findings.append(
                    _at_site(site, cwd, checked, message, Outcome.NOT_CHECKED, fingerprint_key="")
                )
            else:
                findings.append(_at_root(root.file, cwd, checked, message, Outcome.NOT_CHECKED))
            continue
        jobs.append(_Job("kustomize", root.dir, root.file, members))
    return jobs, flux_tree, tree


def _helm_jobs(files: Sequence[SourceFile], loader: _Loader, findings: list[Finding]) -> list[_Job]:
    cwd, checked = loader.cwd, loader.checked
    charts: set[Path] = set()
    for sf in files:
        if sf.kind not in CHART_FILES:
            continue
        chart = chart_of(sf.abspath, cwd)
        if chart is not None:
            charts.add(chart)
    jobs = []
    for chart in helm.chart_roots([c / "Chart.yaml" for c in charts]):
        file = chart / "Chart.yaml"
        chart_file = loader(file)
        doc = _first_mapping(chart_file.documents) if chart_file is not None else None
        gaps = chart_gaps(chart, doc.data if doc is not None else {}, cwd)
        if gaps:
            message = f"not rendered: {gaps[0].message}"
            first_missing = gaps[0].subject
            deps = doc.data.get("dependencies") if doc is not None else None
            names_at = [d.get("name") if isinstance(d, dict) else None for d in deps or []]
            if doc is not None and first_missing in names_at:  # at the first missing dependency
                from gitops_guard.render.failure_site import Site

                site = Site(file, doc, ("dependencies", names_at.index(first_missing)))
                findings.append(
                    _at_site(site, cwd, checked, message, Outcome.NOT_CHECKED, fingerprint_key="")
                )
            else:
                findings.append(_at_root(file, cwd, checked, message, Outcome.NOT_CHECKED))
            continue
        jobs.append(_Job("helm", chart, file))
    return jobs


def _as_applications_render(
    jobs: list[_Job],
    resources: Sequence[Resource],
    cwd: Path,
    checked: dict[Path, SourceFile],
    findings: list[Finding],
) -> list[_Job]:
    """A chart that Argo CD Applications in the run deploy is rendered once per Application,
    with its release name, namespace, value files, values and parameters, as Argo CD renders
    it; a chart no Application names is rendered with its default values."""
    apps = [r for r in resources if r.group == "argoproj.io" and r.kind == "Application"]
    if not apps:
        return jobs
    from gitops_guard.gitops.repository import git_root

    root = git_root(cwd) or cwd  # where Application paths start
    out: list[_Job] = []
    for job in jobs:
        users = []
        for app in apps:
            spec = app.body.get("spec")
            spec = spec if isinstance(spec, dict) else {}
            listed = spec.get("sources")
            sources: list[Any] = listed if isinstance(listed, list) else [spec.get("source")]
            destination = spec.get("destination") if isinstance(spec.get("destination"), dict) else {}
            for source in sources:
                path = source.get("path") if isinstance(source, dict) else None
                if isinstance(path, str) and (root / path).resolve() == job.directory.resolve():
                    options = helm_options.from_source(
                        source,
                        job.directory,
                        app_name=app.ref.name,
                        namespace=destination.get("namespace") if isinstance(destination, dict) else None,
                    )
                    for problem in options.problems:
                        findings.append(
                            _at_root(job.file, cwd, checked, f"Application {app.ref.name}: {problem}",
                                     Outcome.NOT_CHECKED)
                        )  # fmt: skip
                    users.append(replace(job, options=options))
        out.extend(users or [job])
    return out


# --- objects ---------------------------------------------------------------------------------


class _Loader:
    """Source files by absolute path: the run's own, or read on demand (not checked)."""

    def __init__(self, checked: dict[Path, SourceFile], cwd: Path) -> None:
        self.checked = checked
        self.cwd = cwd
        self.extra: dict[Path, SourceFile | None] = {}

    def __call__(self, path: Path) -> SourceFile | None:
        if path in self.checked:
            return self.checked[path]
        if path not in self.extra:
            try:
                cand = Candidate(path, display_path(path, self.cwd), explicit=False)
                sf = read(cand, FileKind.MANIFEST, Limits()) if path.is_file() else None
            except OSError:
                sf = None
            self.extra[path] = sf
        return self.extra[path]


def _kustomize_objects(
    job: _Job,
    built: kustomize.Built,
    load: _Loader,
    checked: dict[Path, SourceFile],
    consumed: set[Path],
) -> Iterable[Resource]:
    root_label = display_path(job.file, load.cwd)
    patch_refs = [(ref, load(ref.file)) for k in job.closure for ref in reversed(k.patches)]
    for body, origin in built.objects:
        ref = object_ref(body)
        if origin.path is not None:
            sf = load(origin.path)
            source = mapping.match_in_file(sf, body) if sf is not None else None
            if source is None:
                continue
            patches = [
                (patch.abspath, doc)
                for pref, patch in patch_refs
                if patch is not None
                for doc in patch.documents
                if mapping.patch_targets(doc, pref.target, body, source.data)
            ]
            # Kept when its file, or a patch that changes it, is part of this run.
            if origin.path not in checked and not any(p in checked for p, _ in patches):
                continue
            if origin.path in checked:
                consumed.add(origin.path)
            document = mapping.rendered_document(source, body, [d for _, d in patches])
            yield Resource(ref, body, document, rendered_by=root_label)
            continue
        origin_file = origin.configured_in or job.file
        if origin_file not in checked:
            continue
        kdoc = _first_mapping(checked[origin_file].documents)
        if kdoc is None:
            continue
        doc = mapping.generator_document(kdoc, body, origin.configured_by)
        yield Resource(ref, body, doc, rendered_by=root_label)


def _helm_objects(
    job: _Job, result: helm.Rendered, load: _Loader, checked: dict[Path, SourceFile]
) -> Iterable[Resource]:
    chart_label = display_path(job.file, load.cwd)
    whole_chart = any(
        p.kind in (FileKind.HELM_VALUES, FileKind.HELM_CHART) and under(a, job.directory)
        for a, p in checked.items()
    )
    for index, (body, source) in enumerate(result.objects):
        target = source if source is not None else job.file
        if not (whole_chart or target in checked):
            continue
        shown = checked[target].path if target in checked else display_path(target, load.cwd)
        # Templates are not YAML: the finding names the template, with no line.
        doc = Document(shown, index, body, None)
        yield Resource(object_ref(body), body, doc, rendered_by=chart_label)


def _first_mapping(docs: list[Document]) -> Document | None:
    return next((d for d in docs if isinstance(d.data, dict)), None)


# --- findings --------------------------------------------------------------------------------


def _renderer(binaries: dict[str, tools.Renderer | None], job: _Job) -> tools.Renderer:
    found = binaries[job.kind]
    assert found is not None  # jobs without a renderer are not run
    return found


def _failed(
    job: _Job, result: Any, renderer: tools.Renderer, cwd: Path, checked: dict[Path, SourceFile]
) -> Finding:
    from gitops_guard.render import failure_site

    error, timed_out = result.error, result.timed_out
    tool = "kustomize build" if job.kind == "kustomize" else "helm template"
    offline = timed_out or "127.0.0.1:9" in error or "proxyconnect" in error
    if offline:
        error = error if timed_out else "it needs the network, and rendering is offline"
    # Which engine ran, when it is not the pinned or PATH binary (its version may differ).
    by = f" (with {renderer.label})" if renderer.origin not in ("pinned", "PATH") else ""
    message = f"{tool} failed{by}: {error}; files under it are checked as written"
    outcome = Outcome.NOT_CHECKED if offline else Outcome.VIOLATION
    if job.kind == "kustomize" and job.closure:
        site = failure_site.kustomize_site(result.detail, job.closure[0], job.closure)
    else:
        site = failure_site.helm_site(result.detail, job.directory)
    if site is not None and not offline:
        return _at_site(site, cwd, checked, message, outcome, fingerprint_key=tool)
    return _at_root(job.file, cwd, checked, message, outcome, fingerprint_key=f"{tool}")


def _unfetched_entry(root: tree_mod.Kustomization, remote: str | None) -> Any:
    """The root's own remote ``resources`` entry or ``helmCharts`` list, when the root has it."""
    from gitops_guard.render import failure_site

    if remote is None:
        return (
            failure_site.Site(root.file, root.document, ("helmCharts",))
            if root.data.get("helmCharts")
            else None
        )
    return failure_site.entry_named(root, remote)


def _at_site(
    site: Any,
    cwd: Path,
    checked: dict[Path, SourceFile],
    message: str,
    outcome: Outcome,
    *,
    fingerprint_key: str,
) -> Finding:
    """At the entry (or template line) that failed: a failure_site.Site."""
    sf = checked.get(site.file)
    doc = _first_mapping(sf.documents) if sf is not None else site.document
    # As at a root: not fetched (offline) is a warning, a failing build an error.
    severity = Severity.WARNING if outcome is Outcome.NOT_CHECKED else Severity.ERROR
    if doc is not None and site.document is not None:
        return at_document(
            FAILED, doc, message, path=site.path, outcome=outcome, fingerprint_key=fingerprint_key,
            severity=severity,
        )  # fmt: skip
    path = sf.path if sf is not None else _show(site.file, cwd)
    return at_file(
        FAILED, path, message, line=site.line, column=site.column, outcome=outcome,
        fingerprint_key=fingerprint_key, severity=severity,
    )  # fmt: skip


def _at_root(
    file: Path,
    cwd: Path,
    checked: dict[Path, SourceFile],
    message: str,
    outcome: Outcome,
    *,
    fingerprint_key: str = "",
) -> Finding:
    sf = checked.get(file)
    doc = _first_mapping(sf.documents) if sf is not None else None
    # Not fetched (offline) is "could not check", a warning like schema/missing; a build
    # that fails on the repository's own files is an error.
    severity = Severity.WARNING if outcome is Outcome.NOT_CHECKED else Severity.ERROR
    if doc is not None:
        return at_document(
            FAILED, doc, message, outcome=outcome, fingerprint_key=fingerprint_key, severity=severity
        )
    path = sf.path if sf is not None else _show(file, cwd)
    return at_file(
        FAILED, path, message, line=1, outcome=outcome, fingerprint_key=fingerprint_key, severity=severity
    )


def _not_run(
    binaries: dict[str, tools.Renderer | None],
    kjobs: list[_Job],
    hjobs: list[_Job],
    cwd: Path,
    checked: dict[Path, SourceFile],
) -> Finding:
    """One finding per run for every root and chart left unrendered: what is missing and how
    to install it.  A warning: reported, never a pass, and not an error of the repository."""
    missing = [(kind, group) for kind, group in (("kustomize", kjobs), ("helm", hjobs))
               if group and binaries.get(kind) is None]  # fmt: skip
    names = " and ".join(kind for kind, _ in missing)
    what = {"kustomize": ("kustomization", "kustomizations"), "helm": ("Helm chart", "Helm charts")}
    counts = ", ".join(f"{len(group)} {what[kind][len(group) != 1]}" for kind, group in missing)
    message = (
        f"{names} not found: {counts} not rendered (files under them are checked as written); "
        f"{tools.install_hint(*(kind for kind, _ in missing))}"
    )
    first = missing[0][1][0].file
    sf = checked.get(first)
    path = sf.path if sf is not None else _show(first, cwd)
    return at_file(
        NOT_RUN, path, message, outcome=Outcome.NOT_CHECKED, fingerprint_key="render:" + names,
        severity=Severity.WARNING,
    )  # fmt: skip


def _show(path: Path, cwd: Path) -> str:
    return display_path(path, cwd)
