"""Map a rendered object back to the document it came from.

A rendered object gets a ``Document`` whose data is the rendered body and
whose node tree is the *source* document's: ``Document.locate`` then gives the
exact line of any field that exists in the source, and the nearest existing
ancestor (the document start at worst) for fields a patch or transformer added.
kustomize's origin names a file but not a document index, so the document is
chosen by kind and name (allowing for ``namePrefix``/``nameSuffix``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gitops_guard.data_path import value_at
from gitops_guard.resources import Resource, from_files
from gitops_guard.source.load import SourceFile
from gitops_guard.source.yamldoc import Document, node_at

# kustomize generator kinds (configuredBy) -> the kustomization field that declares them.
GENERATOR_FIELDS = {
    "ConfigMapGenerator": "configMapGenerator",
    "SecretGenerator": "secretGenerator",
    "HelmChartInflationGenerator": "helmCharts",
}


def match_in_file(sf: SourceFile, body: dict[str, Any]) -> Document | None:
    """The document of ``sf`` that ``body`` was rendered from, or None if it has none."""
    candidates = list(from_files([_as_manifest(sf)]))
    if not candidates:
        return None
    best = _best(candidates, body)
    return best.document


def _as_manifest(sf: SourceFile) -> SourceFile:
    from gitops_guard.source.classify import FileKind

    if sf.kind is FileKind.MANIFEST:
        return sf
    copy = SourceFile(sf.path, sf.abspath, FileKind.MANIFEST, sf.text, sf.documents, sf.problems)
    return copy


def _best(candidates: Sequence[Resource], body: dict[str, Any]) -> Resource:
    kind = body.get("kind")
    meta = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
    name = meta.get("name") if isinstance(meta, dict) else None
    same_kind = [c for c in candidates if c.kind == kind] or list(candidates)
    if not isinstance(name, str):
        return same_kind[0]
    exact = [c for c in same_kind if c.ref.name == name]
    if exact:
        return exact[0]
    # namePrefix / nameSuffix / generated hash suffixes: the longest source name contained.
    contained = [c for c in same_kind if c.ref.name and c.ref.name in name]
    if contained:
        return max(contained, key=lambda c: len(c.ref.name or ""))
    return same_kind[0]


def rendered_document(source: Document, body: dict[str, Any], patches: Sequence[Document] = ()) -> Document:
    # The source's node tree, shared lazily (a worker-parsed document rebuilds it on first use).
    return RenderedDocument(
        source.path,
        source.index,
        body,
        source.root,
        recompose=source.tree if source.root is None else None,
        patches=tuple(patches),
        source_data=source.data,
    )


def generator_document(kustomization: Document, body: dict[str, Any], generator: str | None) -> Document:
    """A generated object points at its generator entry in kustomization.yaml."""
    key = GENERATOR_FIELDS.get(generator or "")
    data = kustomization.data if isinstance(kustomization.data, dict) else {}
    entries = data.get(key) if key else None
    node = kustomization.tree()
    if isinstance(entries, list) and entries:
        index = _generator_index(entries, body)
        node = node_at(node, (key or "", index)) or node
    return Document(kustomization.path, kustomization.index, body, node)


def _generator_index(entries: list[Any], body: dict[str, Any]) -> int:
    meta = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
    name = meta.get("name") if isinstance(meta, dict) else None
    best, best_len = 0, -1
    for i, entry in enumerate(entries):
        entry_name = entry.get("name") if isinstance(entry, dict) else None
        matched = isinstance(entry_name, str) and isinstance(name, str) and entry_name in name
        if matched and len(str(entry_name)) > best_len:
            best, best_len = i, len(str(entry_name))
    return best


def has_path(data: Any, path: Sequence[str | int]) -> bool:
    """Whether every step of ``path`` exists in plain data (a patch that sets the field)."""
    node = data
    for step in path:
        in_map = isinstance(node, dict) and step in node
        in_list = isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node)
        if not (in_map or in_list):
            return False
        node = node[step]
    return True


class RenderedDocument(Document):
    """A rendered object's document: the source's node tree, plus the patch documents that
    target the object (the last applied first).  A finding about a field a patch set or
    changed is reported in the patch; everything else in the source."""

    def __init__(
        self,
        path: str,
        index: int,
        data: Any,
        root: Any = None,
        recompose: Any = None,
        *,
        patches: tuple[Document, ...] = (),
        source_data: Any = None,
    ) -> None:
        super().__init__(path, index, data, root, recompose)
        self.patches = patches
        self.source_data = source_data

    def __eq__(self, other: object) -> bool:
        return (
            super().__eq__(other) is True
            and isinstance(other, RenderedDocument)
            and self.patches == other.patches
            and self.source_data == other.source_data
        )

    __hash__ = None

    def position(self, path: Sequence[str | int], *, key: bool = False) -> tuple[str, int | None, int | None]:
        for patch in self.patches:
            where = _in_patch(patch, path, key, self.source_data)
            if where is not None:
                return where
        return super().position(path, key=key)


def _in_patch(
    patch: Document, path: Sequence[str | int], key: bool, source: Any
) -> tuple[str, int | None, int | None] | None:
    data = patch.data
    if isinstance(data, dict):
        # A strategic-merge patch has the object's own shape; it is the cause only when
        # it holds the field with a value the source does not have (not kind, name...).
        if path and has_path(data, path) and value_at(data, path) != value_at(source, path, _MISSING):
            return (patch.path, *patch.locate(path, key=key))
        return None
    if isinstance(data, list):  # JSON 6902: the op whose path covers the field
        for j, op in enumerate(data):
            if not isinstance(op, dict) or not isinstance(op.get("path"), str) or "value" not in op:
                continue
            steps = _pointer(op["path"])
            if tuple(path[: len(steps)]) == steps:
                return (patch.path, *patch.locate((j, "value", *path[len(steps) :]), key=key))
    return None


_MISSING = object()


def _pointer(text: str) -> tuple[str | int, ...]:
    out: list[str | int] = []
    for raw in text.strip("/").split("/") if text.strip("/") else []:
        part = raw.replace("~1", "/").replace("~0", "~")
        out.append(int(part) if part.isdigit() else part)
    return tuple(out)


def patch_targets(
    patch_doc: Document, selector: dict[str, Any] | None, body: dict[str, Any], src: Any
) -> bool:
    """Whether a patch document (or its entry's ``target:``) selects the rendered object."""
    kind = body.get("kind")
    names = {n for n in (_name(body), _name(src)) if n}
    if selector is not None:
        want_kind = selector.get("kind")
        want_name = selector.get("name")
        if isinstance(want_kind, str) and want_kind != kind:
            return False
        if isinstance(want_name, str):
            return any(_regex_match(want_name, n) for n in names)
        return True
    data = patch_doc.data
    if not isinstance(data, dict):
        return False
    if data.get("kind") not in (None, kind):
        return False
    patch_name = _name(data)
    return patch_name is None or any(patch_name == n or patch_name in n for n in names)


def _name(data: Any) -> str | None:
    meta = data.get("metadata") if isinstance(data, dict) else None
    name = meta.get("name") if isinstance(meta, dict) else None
    return name if isinstance(name, str) else None


def _regex_match(pattern: str, name: str) -> bool:
    import re

    try:
        return re.fullmatch(pattern, name) is not None
    except re.error:
        return pattern == name
