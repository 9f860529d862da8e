"""The kustomizations of a repository and which of them are roots.

A root is a kustomization that no other kustomization in the tree includes
(as a ``resources``/``bases``/``components`` directory); building the roots
renders every overlay once.  Components cannot be built on their own and are
never roots.  All of this is read statically (no process), so a run over files
that no kustomization includes costs a few ``stat`` calls.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitops_guard.render.reach import NAMES
from gitops_guard.source.classify import FileKind
from gitops_guard.source.limits import Limits
from gitops_guard.source.load import SourceFile
from gitops_guard.source.yamldoc import Document, decode, parse

_SKIP_DIRS = frozenset({".git", "node_modules", ".terraform", "__pycache__"})
# A remote target: a URL, an scp-like git address, or host.tld/path (kustomize's own forms).
_REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|git@|[a-z0-9-]+(?:\.[a-z0-9-]+)+(?::\d+)?/)", re.I)


@dataclass(frozen=True)
class PatchRef:
    file: Path
    target: dict[str, Any] | None  # the entry's `target:` selector, if any


@dataclass
class Kustomization:
    file: Path  # absolute path of kustomization.yaml
    document: Document | None
    data: dict[str, Any]
    directories: list[Path] = field(default_factory=list)  # included kustomization dirs
    files: list[Path] = field(default_factory=list)  # included resource files
    remote: list[str] = field(default_factory=list)
    patches: list[PatchRef] = field(default_factory=list)

    @property
    def dir(self) -> Path:
        return self.file.parent

    @property
    def is_component(self) -> bool:
        return self.data.get("kind") == "Component"


def is_remote(entry: str) -> bool:
    return bool(_REMOTE.match(entry))


def discover(top: Path, loaded: Iterable[SourceFile], exclude: Any = None) -> dict[Path, Kustomization]:
    """Every kustomization under ``top``, parsed (reusing files the run already loaded)."""
    known = {sf.abspath: sf for sf in loaded if sf.kind is FileKind.KUSTOMIZATION}
    out: dict[Path, Kustomization] = {}
    for file in _walk(top, exclude):
        sf = known.get(file)
        doc = _first_mapping(sf.documents) if sf is not None else _read(file, top)
        data = doc.data if doc is not None else {}
        out[file.parent] = _parse(file, doc, data if isinstance(data, dict) else {})
    return out


def _walk(top: Path, exclude: Any) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
        for name in NAMES:
            if name in filenames:
                path = Path(dirpath) / name
                if exclude is not None:
                    rel = os.path.relpath(path, top).replace(os.sep, "/")
                    if exclude.match_file(rel):
                        break
                yield path
                break  # kustomize refuses a directory with two; the first is enough here


def _read(file: Path, top: Path) -> Document | None:
    try:
        text, problem = decode(file.read_bytes())
    except OSError:
        return None
    if text is None or problem is not None:
        return None
    display = os.path.relpath(file, top).replace(os.sep, "/")
    return _first_mapping(parse(text, display, Limits()).documents)


def _first_mapping(docs: list[Document]) -> Document | None:
    return next((d for d in docs if isinstance(d.data, dict)), None)


def _parse(file: Path, doc: Document | None, data: dict[str, Any]) -> Kustomization:
    k = Kustomization(file, doc, data)
    for key in ("resources", "bases", "components"):
        entries = data.get(key)
        if not isinstance(entries, list):
            continue
        for entry in entries:
            if not isinstance(entry, str):
                continue
            target = Path(os.path.normpath(k.dir / entry))
            if target.is_dir():
                k.directories.append(target)
            elif target.is_file():
                k.files.append(target)
            elif not target.exists() and is_remote(entry):
                k.remote.append(entry)
    for key in ("patchesStrategicMerge", "patches", "patchesJson6902"):
        entries = data.get(key)
        if not isinstance(entries, list):
            continue
        for entry in entries:
            rel = entry.get("path") if isinstance(entry, dict) else entry
            selector = entry.get("target") if isinstance(entry, dict) else None
            if isinstance(rel, str) and "\n" not in rel:
                file = Path(os.path.normpath(k.dir / rel))
                if file.is_file():
                    k.patches.append(PatchRef(file, selector if isinstance(selector, dict) else None))
    return k


def roots(tree: dict[Path, Kustomization]) -> list[Kustomization]:
    included = {d for k in tree.values() for d in k.directories}
    return [k for d, k in sorted(tree.items()) if d not in included and not k.is_component]


def closure(root: Kustomization, tree: dict[Path, Kustomization]) -> list[Kustomization]:
    """The root and every kustomization it includes, transitively (cycles are cut)."""
    seen: dict[Path, Kustomization] = {}
    stack = [root]
    while stack:
        k = stack.pop()
        if k.dir in seen:
            continue
        seen[k.dir] = k
        stack.extend(tree[d] for d in k.directories if d in tree)
    return list(seen.values())


def closure_from(directory: Path, top: Path) -> list[Kustomization]:
    """The kustomization in ``directory`` and every one it includes, transitively, read on
    demand (no walk of ``top``, which only names files in messages); empty without one."""
    seen: dict[Path, Kustomization] = {}
    stack = [Path(os.path.normpath(directory))]
    while stack:
        here = stack.pop()
        if here in seen:
            continue
        file = next((here / n for n in NAMES if (here / n).is_file()), None)
        if file is None:
            continue
        doc = _read(file, top)
        data = doc.data if doc is not None else {}
        seen[here] = _parse(file, doc, data if isinstance(data, dict) else {})
        stack.extend(seen[here].directories)
    return list(seen.values())
