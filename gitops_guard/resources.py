"""Kubernetes objects found in parsed documents."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

from gitops_guard.findings import ObjectRef
from gitops_guard.source.classify import FileKind
from gitops_guard.source.load import SourceFile
from gitops_guard.source.yamldoc import Document, node_at

# Only these file kinds hold objects that are applied to a cluster as they are.
_OBJECT_FILES = frozenset({FileKind.MANIFEST})


class Resource(NamedTuple):
    ref: ObjectRef
    body: dict[str, Any]
    document: Document
    # Display path of the kustomization or Chart.yaml this object was rendered by (None: as written).
    rendered_by: str | None = None

    @property
    def api_version(self) -> str:
        return self.ref.api_version

    @property
    def kind(self) -> str:
        return self.ref.kind

    @property
    def group(self) -> str:
        return self.ref.group

    @property
    def version(self) -> str:
        return self.api_version.rpartition("/")[2]

    @property
    def path(self) -> str:
        return self.document.path


def is_object(data: Any) -> bool:
    """A document is a Kubernetes object when it names both apiVersion and kind."""
    return (
        isinstance(data, dict)
        and isinstance(data.get("apiVersion"), str)
        and isinstance(data.get("kind"), str)
        and bool(data["apiVersion"])
        and bool(data["kind"])
        # kustomize's built-in transformer/generator configs are not cluster objects
        and data["apiVersion"] != "builtin"
    )


def object_ref(data: dict[str, Any]) -> ObjectRef:
    meta = data.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    name = meta.get("name")
    namespace = meta.get("namespace")
    return ObjectRef(
        data["apiVersion"],
        data["kind"],
        namespace if isinstance(namespace, str) else None,
        name if isinstance(name, str) else (meta.get("generateName") or None),
    )


def from_files(files: Iterable[SourceFile]) -> Iterator[Resource]:
    for sf in files:
        if sf.kind not in _OBJECT_FILES:
            continue
        for doc in sf.documents:
            data = doc.data
            if _is_list(data):
                # v1 List (kubectl's `kind: List`, any `*List`): its items are applied as
                # objects of their own; the list itself is never stored.
                for i, item in enumerate(data["items"]):
                    if is_object(item):
                        sub = Document(doc.path, doc.index, item, node_at(doc.tree(), ("items", i)))
                        yield Resource(object_ref(item), item, sub)
            elif is_object(data):
                yield Resource(object_ref(data), data, doc)


def _is_list(data: Any) -> bool:
    return (
        isinstance(data, dict)
        and isinstance(data.get("kind"), str)
        and data["kind"].endswith("List")
        and data.get("apiVersion") in ("v1", None)
        and isinstance(data.get("items"), list)
    )
