"""Read candidate files into classified, parsed files; never raises on bad input."""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from gitops_guard.source.classify import FileKind, classify
from gitops_guard.source.limits import Limits
from gitops_guard.source.walk import Candidate
from gitops_guard.source.yamldoc import Document, Problem, decode, parse


class SourceFile:
    """A file as read: its kind, its text and its parsed documents (filled in by ``read``).

    A plain class rather than a dataclass, for start-up (DESIGN.md "Start-up time").
    """

    def __init__(
        self,
        path: str,
        abspath: Path,
        kind: FileKind,
        text: str | None = None,
        documents: list[Document] | None = None,
        problems: list[Problem] | None = None,
    ) -> None:
        self.path = path  # display path (relative, `/`-separated)
        self.abspath = abspath
        self.kind = kind
        self.text = text
        self.documents: list[Document] = [] if documents is None else documents
        self.problems: list[Problem] = [] if problems is None else problems

    def __repr__(self) -> str:
        return f"SourceFile(path={self.path!r}, abspath={self.abspath!r}, kind={self.kind!r})"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, SourceFile)
        return self._fields() == other._fields()

    __hash__ = None  # type: ignore[assignment]  # mutable, as a dataclass's would be

    def _fields(self) -> tuple[object, ...]:
        return (self.path, self.abspath, self.kind, self.text, self.documents, self.problems)

    @property
    def parsed(self) -> bool:
        return self.kind is not FileKind.HELM_TEMPLATE and self.text is not None


# From this many files on, plain files are parsed by fastyaml (its import costs ~35 ms,
# which a few files do not earn back).
FAST_PARSE_FILES = 150


def load(candidates: list[Candidate], limits: Limits) -> list[SourceFile]:
    from gitops_guard.source import parallel

    fast = len(candidates) >= FAST_PARSE_FILES and fastyaml_available()
    files = parallel.map_files(functools.partial(_read_all, fast=fast), candidates, limits)
    _mark_patches(files)
    return files


def fastyaml_available() -> bool:
    from gitops_guard.source import fastyaml

    return fastyaml.available()


def _read_all(candidates: list[Candidate], limits: Limits, *, fast: bool = False) -> list[SourceFile]:
    @functools.cache
    def is_chart_root(directory: str) -> bool:
        return os.path.isfile(os.path.join(directory, "Chart.yaml"))

    files = []
    for cand in candidates:
        kind = classify(
            cand.display, is_chart_root=functools.partial(_chart_root_above, cand.abspath, is_chart_root)
        )
        files.append(read(cand, kind, limits, fast=fast))
    return files


def _chart_root_above(path: Path, is_chart_root: Callable[[str], bool], levels: int) -> bool:
    parents = path.parents
    return levels <= len(parents) and is_chart_root(str(parents[levels - 1]))


def _mark_patches(files: list[SourceFile]) -> None:
    """Files a kustomization.yaml uses as patches are fragments, not objects; so are files
    named as patches (``patches/``, ``*-patch.yaml``) that no kustomization lists as a
    resource, such as the ones a kubebuilder scaffold keeps for commented-out entries."""
    resolved: set[Path] = set()
    resources: set[Path] = set()
    for sf in files:
        if sf.kind is FileKind.KUSTOMIZATION:
            resolved |= patch_targets(sf)
            resources |= _resource_targets(sf)
    for sf in files:
        if sf.kind is FileKind.MANIFEST and (
            sf.abspath in resolved or (_named_as_patch(sf.path) and sf.abspath not in resources)
        ):
            sf.kind = FileKind.KUSTOMIZE_PATCH


def _named_as_patch(shown: str) -> bool:
    """By the path as the run shows it (from the repository root, as pre-commit passes it):
    the directories above the checkout say nothing about the file."""
    if "patch" not in shown.lower():  # every manifest of the run is asked
        return False
    path = PurePosixPath(shown)
    if path.parent.name in ("patches", "patch"):
        return True
    return any(word in ("patch", "patches") for word in re.split(r"[-_.]", path.stem.lower()))


def _resource_targets(kustomization: SourceFile) -> set[Path]:
    return _targets(kustomization, _resource_paths)


def patch_targets(kustomization: SourceFile) -> set[Path]:
    """The files a kustomization file uses as patches, as normalised absolute paths."""
    return _targets(kustomization, patch_paths)


def _targets(kustomization: SourceFile, paths_of: Callable[[dict[str, object]], list[str]]) -> set[Path]:
    directory = kustomization.abspath.parent
    return {
        Path(os.path.normpath(directory / p))
        for doc in kustomization.documents
        if isinstance(doc.data, dict)
        for p in paths_of(doc.data)
    }


def _resource_paths(kustomization: dict[str, object]) -> list[str]:
    out: list[str] = []
    for key in ("resources", "bases", "components"):
        entries = kustomization.get(key)
        if isinstance(entries, list):
            out.extend(entry for entry in entries if isinstance(entry, str))
    return out


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


def read(cand: Candidate, kind: FileKind, limits: Limits, *, fast: bool = False) -> SourceFile:
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
    parsed = parse(text, cand.display, limits, fast=fast)
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
