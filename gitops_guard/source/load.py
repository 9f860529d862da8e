"""Read candidate files into classified, parsed files; never raises on bad input."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from gitops_guard.source.classify import FileKind, classify
from gitops_guard.source.limits import Limits
from gitops_guard.source.walk import Candidate
from gitops_guard.source.yamldoc import Document, Problem, decode, parse


@dataclass
class SourceFile:
    path: str  # display path (relative, `/`-separated)
    abspath: Path
    kind: FileKind
    text: str | None = field(repr=False, default=None)
    documents: list[Document] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def parsed(self) -> bool:
        return self.kind is not FileKind.HELM_TEMPLATE and self.text is not None


def load(candidates: list[Candidate], limits: Limits) -> list[SourceFile]:
    from gitops_guard.source import parallel

    files = parallel.map_files(_read_all, candidates, limits)
    _mark_patches(files)
    return files


def _read_all(candidates: list[Candidate], limits: Limits) -> list[SourceFile]:
    @functools.cache
    def is_chart_root(directory: str) -> bool:
        return os.path.isfile(os.path.join(directory, "Chart.yaml"))

    files = []
    for cand in candidates:
        kind = classify(
            cand.display, is_chart_root=functools.partial(_chart_root_above, cand.abspath, is_chart_root)
        )
        files.append(read(cand, kind, limits))
    return files


def _chart_root_above(path: Path, is_chart_root: Callable[[str], bool], levels: int) -> bool:
    parents = path.parents
    return levels <= len(parents) and is_chart_root(str(parents[levels - 1]))


def _mark_patches(files: list[SourceFile]) -> None:
    """Files a kustomization.yaml uses as patches are fragments, not objects."""
    patches: set[Path] = set()
    for sf in files:
        if sf.kind is not FileKind.KUSTOMIZATION:
            continue
        for doc in sf.documents:
            if isinstance(doc.data, dict):
                patches.update(sf.abspath.parent / p for p in patch_paths(doc.data))
    if not patches:
        return
    resolved = {Path(os.path.normpath(p)) for p in patches}
    for sf in files:
        if sf.kind is FileKind.MANIFEST and sf.abspath in resolved:
            sf.kind = FileKind.KUSTOMIZE_PATCH


def patch_paths(kustomization: dict[str, object]) -> list[str]:
    out: list[str] = []
    for key in ("patchesStrategicMerge", "patches", "patchesJson6902"):
        entries = kustomization.get(key)
        if not isinstance(entries, list):
            continue
        for entry in entries:
            if isinstance(entry, str) and "\n" not in entry and not entry.lstrip().startswith(("{", "[")):
                out.append(entry)
            elif isinstance(entry, dict) and isinstance(entry.get("path"), str):
                out.append(entry["path"])
    return out


def read(cand: Candidate, kind: FileKind, limits: Limits) -> SourceFile:
    sf = SourceFile(cand.display, cand.abspath, kind)
    if kind is FileKind.TEXT:
        return _read_text(sf, limits)
    try:
        size = cand.abspath.stat().st_size
        if size > limits.max_file_bytes:
            sf.problems.append(
                Problem(
                    "too-complex",
                    f"file is {size / 1048576:.1f} MiB, over the {limits.max_file_bytes // 1048576} MiB "
                    "limit; not checked",
                    None,
                    None,
                )
            )
            return sf
        raw = cand.abspath.read_bytes()
    except OSError as exc:
        sf.problems.append(Problem("syntax", f"cannot read file: {exc.strerror}", None, None))
        return sf
    text, problem = decode(raw)
    if problem is not None:
        sf.problems.append(problem)
        return sf
    sf.text = text
    if kind is FileKind.HELM_TEMPLATE or text is None:
        return sf
    parsed = parse(text, cand.display, limits)
    if parsed.problems and "{{" in text and any(p.kind == "syntax" for p in parsed.problems):
        # A Go/Helm template outside a chart's templates/ (a chart-less template, a
        # templated values file): not YAML until rendered, so not a syntax error.
        sf.kind = FileKind.HELM_TEMPLATE
        return sf
    sf.documents = parsed.documents
    sf.problems = parsed.problems
    return sf


def _read_text(sf: SourceFile, limits: Limits) -> SourceFile:
    """A file that is not YAML: its text for the secret scan, or nothing.

    Binary content, undecodable bytes and oversized files are simply not text to scan:
    they are not YAML, so they are no YAML problem either.
    """
    try:
        if sf.abspath.stat().st_size > limits.max_file_bytes:
            return sf
        raw = sf.abspath.read_bytes()
    except OSError:
        return sf
    text, problem = decode(raw)
    sf.text = text if problem is None else None
    return sf
