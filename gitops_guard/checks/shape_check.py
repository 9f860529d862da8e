"""Documents shaped like Kubernetes objects that lack their apiVersion or kind.

Without both a document is not an object (``resources.is_object``), so no schema rule
sees it and a typo such as ``apiversion:`` would pass silently, while ``kubectl apply``
and kubeconform reject the file. Only manifests are looked at (never kustomization
files, patches a kustomization lists, Helm files, CI or tool configuration), and only a
document with ``metadata.name`` (or ``generateName``). Other tools' files share that shape
(a Zarf package has ``kind`` and ``metadata`` but no ``apiVersion``; a Score workload has
``apiVersion`` and ``metadata`` but no ``kind``), so a document is reported only with
evidence that it was meant for Kubernetes: a misspelt key, or a kind or API group the tool
knows (built-in schemas, shipped CRDs, CRDs in the repository).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from gitops_guard.checks.base import CheckContext, at_document
from gitops_guard.findings import Finding, Severity
from gitops_guard.resources import Resource
from gitops_guard.rules import Rule
from gitops_guard.source.classify import FileKind
from gitops_guard.source.load import SourceFile
from gitops_guard.source.yamldoc import Document, node_at

INCOMPLETE = Rule(
    "schema/incomplete-object",
    Severity.ERROR,
    "A document shaped like a Kubernetes object (metadata with a name) without apiVersion or kind.",
    """
    Such a document is not an object, so no schema rule would check it; the API
    server, kubectl and kubeconform reject it. A misspelt key (`apiversion`,
    `api_version`, `Kind`) is pointed at with a "did you mean" hint. Without one,
    the document is reported when its kind is one the tool knows (built-in kinds,
    shipped CRDs, CRDs in the repository) or its apiVersion names a known API
    group: other tools' files of the same shape (a Zarf package, a Score workload)
    are not Kubernetes objects. Items of a `kind: List` are looked at too.
    Kustomization files, the patches a kustomization lists (or that are named as
    patches and listed by none as a resource), Helm charts and values,
    CI workflows and tool configuration never are.

    FAIL:
        # missing apiVersion: the key is written 'apiversion' (did you mean apiVersion?)
        apiversion: apps/v1
        kind: Deployment
        metadata:
          name: api

    FAIL:
        kind: ConfigMap         # missing apiVersion (kind ConfigMap)
        metadata:
          name: settings

    PASS:
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: api
    """,
)

_FIELDS = ("apiVersion", "kind")
_CUTOFF = 0.85  # difflib ratio for a misspelt key: apiVerison, apiversions, knd, kinds
_MAX_LEVELS = 40  # how far up a one-file run looks for a kustomization that patches with it


class Shape(NamedTuple):
    """What an object-shaped document lacks."""

    missing: str  # "apiVersion" or "kind"
    typo: str | None  # the key written instead, when there is one
    bad_value: str | None  # "empty" or "not a string": the key is there without a usable value
    api_version: str | None
    kind: str | None


class ShapeCheck:
    name: str = "shape"
    rules: tuple[Rule, ...] = (INCOMPLETE,)

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        suspects = [(sf, doc, shape) for sf in ctx.files for doc, shape in _suspects(sf)]
        if not suspects:
            return
        known: _Known | None = None
        patches = _Patches()
        for sf, doc, shape in suspects:
            if shape.typo is None and shape.bad_value is None:
                known = known or _Known(ctx.resources, ctx.settings.kubernetes_version)
                if not known.vouches(shape):
                    continue
            if patches.is_patch(sf.abspath):
                continue
            yield _finding(doc, shape)


def _suspects(sf: SourceFile) -> Iterator[tuple[Document, Shape]]:
    # A Go/Helm template that happens to parse is not an object until rendered.
    if sf.kind is not FileKind.MANIFEST or (sf.text is not None and "{{" in sf.text):
        return
    for doc in sf.documents:
        data = doc.data
        if not isinstance(data, dict):
            continue
        items = data.get("items")
        if data.get("kind") == "List" and isinstance(items, list):
            for i, item in enumerate(items):
                shape = shape_of(item)
                if shape is not None:
                    yield Document(doc.path, doc.index, item, node_at(doc.tree(), ("items", i))), shape
            continue
        shape = shape_of(data)
        if shape is not None:
            yield doc, shape


def shape_of(data: Any) -> Shape | None:
    """What an object-shaped mapping lacks; None for an object, or for no object shape at all."""
    if not isinstance(data, dict) or not _named(data.get("metadata")):
        return None
    present = {f: _text(data.get(f)) for f in _FIELDS}
    missing = [f for f in _FIELDS if present[f] is None]
    if not missing:
        return None
    typos = {f: _typo(data, f) for f in missing}
    # The other field, or a misspelling of it, says this was meant as an object.
    for field in missing:
        other = "kind" if field == "apiVersion" else "apiVersion"
        if present[other] is None and typos.get(other) is None:
            return None
    field = missing[0]
    value = data.get(field)  # not a non-blank string, since it is missing
    bad = None
    if field in data:
        bad = "empty" if value is None or isinstance(value, str) else "not a string"
    return Shape(field, typos[field], bad, present["apiVersion"], present["kind"])


def _named(meta: Any) -> bool:
    return isinstance(meta, dict) and any(_text(meta.get(k)) for k in ("name", "generateName"))


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _squash(key: str) -> str:
    return "".join(c for c in key.lower() if c.isalpha())


def _typo(data: dict[str, Any], field: str) -> str | None:
    """A key of ``data`` that is ``field`` misspelt or miscased (never ``field`` itself)."""
    keys = [k for k in data if isinstance(k, str) and k != field]
    exact = [k for k in keys if _squash(k) == field.lower()]
    if exact:
        return exact[0]
    import difflib  # only for a document that already lacks a field

    squashed = {_squash(k): k for k in keys}
    close = difflib.get_close_matches(field.lower(), list(squashed), n=1, cutoff=_CUTOFF)
    return squashed[close[0]] if close else None


def _finding(doc: Document, shape: Shape) -> Finding:
    field = shape.missing
    if shape.typo is not None:
        message = f"missing {field}: the key is written {shape.typo!r} (did you mean {field}?)"
        return at_document(INCOMPLETE, doc, _tail(message), path=(shape.typo,), key=True)
    if shape.bad_value is not None:
        return at_document(INCOMPLETE, doc, _tail(f"{field} is {shape.bad_value}"), path=(field,))
    what = f"kind {shape.kind}" if field == "apiVersion" else f"apiVersion {shape.api_version}"
    return at_document(INCOMPLETE, doc, _tail(f"missing {field} ({what})"))


def _tail(message: str) -> str:
    return f"{message}; the API server rejects a document without apiVersion and kind"


class _Known:
    """Kinds and API groups the tool has schemas for, read only when a document needs them."""

    def __init__(self, resources: Sequence[Resource], version: tuple[int, int]) -> None:
        from gitops_guard.schema import catalog
        from gitops_guard.schema.builtin import BuiltinSchemas

        self.kinds: set[str] = set()
        self.groups: set[tuple[str, str]] = set()  # (group or its first label, version)
        # Built-in files are `{kind}-{first group label}-{version}.json` (`{kind}-{version}` for core).
        for name in BuiltinSchemas(version).kinds():
            parts = name.removesuffix(".json").split("-")
            if len(parts) < 2:
                continue  # all.json
            self.kinds.add(parts[0])
            self.groups.add(("" if len(parts) == 2 else parts[1], parts[-1]))
        shipped = catalog.schemas_dir()
        for path in shipped.glob("*/*.json"):
            kind, _, crd_version = path.stem.partition("_")
            self.kinds.add(kind)
            self.groups.add((path.parent.name, crd_version))
        for res in resources:
            if res.kind == "CustomResourceDefinition" and res.group == "apiextensions.k8s.io":
                self._crd(res.body)

    def _crd(self, body: dict[str, Any]) -> None:
        spec = body.get("spec")
        if not isinstance(spec, dict):
            return
        names = spec.get("names")
        kind = names.get("kind") if isinstance(names, dict) else None
        if isinstance(kind, str):
            self.kinds.add(kind.lower())
        versions = spec.get("versions")
        group = spec.get("group")
        for v in versions if isinstance(versions, list) else []:
            if isinstance(v, dict) and isinstance(v.get("name"), str) and isinstance(group, str):
                self.groups.add((group, v["name"]))

    def vouches(self, shape: Shape) -> bool:
        if shape.missing == "apiVersion":
            return shape.kind is not None and shape.kind.lower() in self.kinds
        group, _, version = (shape.api_version or "").rpartition("/")
        if (group, version) in self.groups:
            return True
        # Built-in groups are known by their first label: apps, networking(.k8s.io), ...
        first, _, rest = group.partition(".")
        upstream = rest in ("", "k8s.io") or rest.endswith(".k8s.io")
        return upstream and (first, version) in self.groups


class _Patches:
    """Whether a file is a patch of a kustomization above it (a one-file run has not seen that
    kustomization; a whole-tree run has already classified its patches)."""

    def __init__(self) -> None:
        self._listed: dict[Path, frozenset[Path]] = {}

    def is_patch(self, path: Path) -> bool:
        directory = path.parent
        for _ in range(_MAX_LEVELS):
            if path in self._patches_in(directory):
                return True
            if (directory / ".git").exists() or directory.parent == directory:
                return False
            directory = directory.parent
        return False

    def _patches_in(self, directory: Path) -> frozenset[Path]:
        if directory not in self._listed:
            self._listed[directory] = _read_patches(directory)
        return self._listed[directory]


def _read_patches(directory: Path) -> frozenset[Path]:
    from gitops_guard.render.reach import kustomization_in
    from gitops_guard.source.limits import Limits
    from gitops_guard.source.load import patch_targets, read
    from gitops_guard.source.walk import Candidate

    found = kustomization_in(directory)
    if found is None:
        return frozenset()
    kustomization = read(Candidate(found, str(found), True), FileKind.KUSTOMIZATION, Limits())
    return frozenset(patch_targets(kustomization))
