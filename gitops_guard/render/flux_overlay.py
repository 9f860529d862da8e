"""What kustomize-controller adds to a path's kustomization, and the values it substitutes.

:func:`overlay` turns a Flux Kustomization's fields into kustomization fields (kustomize then
applies them with its own semantics), :func:`generated_resources` is the kustomization Flux
generates for a path without one, :func:`variables` the ``postBuild`` values known offline,
and :func:`inline_patches` each ``spec.patches[].patch`` as a document positioned in the Flux
Kustomization's file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitops_guard.render.flux_plan import Plan, as_list
from gitops_guard.render.reach import kustomization_in
from gitops_guard.resources import Resource
from gitops_guard.source.limits import Limits
from gitops_guard.source.yamldoc import Document, node_at, parse


def overlay(spec: dict[str, Any]) -> dict[str, Any]:
    """The kustomization fields kustomize-controller adds for ``spec`` (postBuild aside)."""
    out: dict[str, Any] = {}
    target = spec.get("targetNamespace")
    if isinstance(target, str) and target:
        out["namespace"] = target
    for key in ("namePrefix", "nameSuffix"):
        if isinstance(spec.get(key), str) and spec[key]:
            out[key] = spec[key]
    patches: list[dict[str, Any]] = []
    for entry in as_list(spec.get("patches")):
        if isinstance(entry, dict) and isinstance(entry.get("patch"), str):
            patches.append(_with_target({"patch": entry["patch"]}, entry.get("target")))
    for entry in as_list(spec.get("patchesStrategicMerge")):
        if isinstance(entry, dict):
            patches.append({"patch": json.dumps(entry)})
    for entry in as_list(spec.get("patchesJson6902")):
        if isinstance(entry, dict) and isinstance(entry.get("patch"), list):
            patches.append(_with_target({"patch": json.dumps(entry["patch"])}, entry.get("target")))
    if patches:
        out["patches"] = patches
    images = [
        {k: v for k, v in i.items() if k in ("name", "newName", "newTag", "digest")}
        for i in as_list(spec.get("images"))
        if isinstance(i, dict) and isinstance(i.get("name"), str)
    ]
    if images:
        out["images"] = images
    common = spec.get("commonMetadata")
    if isinstance(common, dict):
        labels = common.get("labels")
        if isinstance(labels, dict) and labels:
            # Flux's common labels go on metadata only, never into selectors.
            out["labels"] = [{"pairs": labels, "includeSelectors": False, "includeTemplates": False}]
        annotations = common.get("annotations")
        if isinstance(annotations, dict) and annotations:
            out["commonAnnotations"] = annotations
    return out


def _with_target(patch: dict[str, Any], target: Any) -> dict[str, Any]:
    if isinstance(target, dict):
        keys = ("group", "version", "kind", "name", "namespace", "labelSelector", "annotationSelector")
        selector = {k: v for k, v in target.items() if k in keys and isinstance(v, str)}
        if selector:
            patch["target"] = selector
    return patch


def generated_resources(directory: Path) -> list[Path]:
    """What kustomize-controller's generated kustomization lists: YAML files below the path,
    recursively; a sub-directory with a kustomization is one entry, not descended into."""
    out: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(directory):
        here = Path(dirpath)
        dirnames.sort()
        keep = []
        for d in dirnames:
            sub = here / d
            if d.startswith("."):
                continue
            if kustomization_in(sub) is not None:
                out.append(sub)
            else:
                keep.append(d)
        dirnames[:] = keep
        out += [here / n for n in sorted(filenames) if n.endswith((".yaml", ".yml"))]
    return out


@dataclass(frozen=True)
class Variables:
    values: dict[str, str]
    hidden: frozenset[str]  # names a Secret provides: known, never substituted
    active: bool  # postBuild substitution runs at all


def variables(plan: Plan, resources: Sequence[Resource]) -> Variables:
    return spec_variables(plan.spec, plan.resource.ref.namespace, plan.resource.path, resources)


def spec_variables(
    spec: dict[str, Any], ns: str | None, near: str, resources: Sequence[Resource]
) -> Variables:
    """The ``postBuild`` values of a Kustomization ``spec`` in namespace ``ns``, declared in
    the file shown as ``near``; ``substituteFrom`` objects are looked up among ``resources``."""
    post = spec.get("postBuild")
    if not isinstance(post, dict):
        return Variables({}, frozenset(), active=False)
    values: dict[str, str] = {}
    hidden: set[str] = set()
    refs = as_list(post.get("substituteFrom"))
    from gitops_guard.gitops.evidence import Objects

    objs = Objects(resources)
    for ref in refs:
        if not isinstance(ref, dict) or ref.get("kind") not in ("ConfigMap", "Secret"):
            continue
        name = ref.get("name")
        if not isinstance(name, str):
            continue
        found = objs.find("", ref["kind"], ns, name, near)
        if found is None:
            continue  # in the cluster only (or optional and absent): its variables stay unresolved
        if ref["kind"] == "ConfigMap":
            data = found.body.get("data")
            for k, v in (data if isinstance(data, dict) else {}).items():
                if isinstance(v, str):
                    values[str(k)] = v.replace("\n", "")
        else:
            for key in ("data", "stringData"):
                entries = found.body.get(key)
                hidden.update(str(k) for k in (entries if isinstance(entries, dict) else {}))
    inline = post.get("substitute")
    for k, v in (inline if isinstance(inline, dict) else {}).items():
        if isinstance(v, (str, int, float, bool)):
            values[str(k)] = (v if isinstance(v, str) else json.dumps(v)).replace("\n", "")
            hidden.discard(str(k))
    active = bool(values or hidden or refs)
    return Variables(values, frozenset(hidden - values.keys()), active=active)


# --- inline patches, mapped into the Flux Kustomization's file --------------------------------


class InlinePatch(Document):
    """A ``spec.patches[].patch`` string parsed on its own, positioned in its file: a literal
    block scalar's lines map one to one (the usual form); any other style points at the
    entry's ``patch:`` value."""

    anchor: tuple[int | None, int | None] = (None, None)
    offset: tuple[int, int] | None = None  # (line of the block's first content line, indent)

    @classmethod
    def of(
        cls,
        parsed: Document,
        *,
        index: int,
        anchor: tuple[int | None, int | None],
        offset: tuple[int, int] | None,
    ) -> InlinePatch:
        out = cls(parsed.path, index, parsed.data, parsed.root, parsed.recompose)
        out.anchor, out.offset = anchor, offset
        return out

    def __eq__(self, other: object) -> bool:
        return (
            super().__eq__(other) is True
            and isinstance(other, InlinePatch)
            and (self.anchor, self.offset) == (other.anchor, other.offset)
        )

    __hash__ = None

    def locate(self, path: Sequence[str | int], *, key: bool = False) -> tuple[int | None, int | None]:
        if self.offset is None or self.tree() is None:
            return self.anchor
        line, column = super().locate(path, key=key)
        if line is None or column is None:
            return self.anchor
        return self.offset[0] + line - 1, self.offset[1] + column


def inline_patches(plan: Plan, text: str) -> list[tuple[Document, dict[str, Any] | None]]:
    """Each inline patch of ``plan`` as a document positioned in ``text`` (its file)."""
    doc = plan.resource.document
    entries = as_list(plan.spec.get("patches"))
    out: list[tuple[Document, dict[str, Any] | None]] = []
    lines = text.split("\n")
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("patch"), str):
            continue
        parsed = parse(entry["patch"], doc.path, Limits())
        first = next((d for d in parsed.documents if d.data is not None), None)
        if first is None:
            continue
        at = ("spec", "patches", i, "patch")
        anchor = doc.locate(at)
        node = node_at(doc.tree(), at)
        offset = None
        if node is not None and getattr(node, "style", None) == "|":
            start = node.start_mark.line + 1  # 0-based line of the first content line
            indent = _indent(lines, start)
            if indent is not None:
                offset = (start + 1, indent)
        target = entry.get("target")
        out.append(
            (
                InlinePatch.of(first, index=doc.index, anchor=anchor, offset=offset),
                target if isinstance(target, dict) else None,
            )
        )
    return out


def _indent(lines: list[str], index: int) -> int | None:
    if not 0 <= index < len(lines):
        return None
    line = lines[index]
    return len(line) - len(line.lstrip(" "))
