"""Normalisation, secret masking and the per-object unified diff."""

from __future__ import annotations

import copy
import difflib
from collections.abc import Iterable, Mapping
from typing import Any

# Fields the API server owns: never part of a desired/live comparison.
_SERVER_METADATA = ("managedFields", "resourceVersion", "uid", "creationTimestamp", "generation", "selfLink")
_SERVER_ANNOTATIONS = (
    "kubectl.kubernetes.io/last-applied-configuration",
    "deployment.kubernetes.io/revision",
)
SERVER_METADATA = _SERVER_METADATA  # what sync/plan.py leaves out of its comparison too
SERVER_ANNOTATIONS = _SERVER_ANNOTATIONS


def normalize(obj: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy without status and server-owned metadata."""
    out = copy.deepcopy(dict(obj))
    out.pop("status", None)
    meta = out.get("metadata")
    if isinstance(meta, dict):
        for key in _SERVER_METADATA:
            meta.pop(key, None)
        annotations = meta.get("annotations")
        if isinstance(annotations, dict):
            for key in _SERVER_ANNOTATIONS:
                annotations.pop(key, None)
            if not annotations:
                meta.pop("annotations", None)
        if not meta.get("labels") and "labels" in meta:
            meta.pop("labels")
    return out


def is_secret(obj: Mapping[str, Any] | None) -> bool:
    return bool(obj) and obj.get("kind") == "Secret" and obj.get("apiVersion") == "v1"  # type: ignore[union-attr]


def mask_secrets(objects: Iterable[dict[str, Any] | None]) -> None:
    """Replace Secret values in place with masks, consistently across ``objects``.

    Every distinct value gets its own mask of ``+`` characters, so a changed value
    still shows as changed, while the mask's length says nothing about the value's.
    Credentials the secret detectors find in other objects are masked too (``redact``).
    """
    objects = list(objects)
    secrets = [o for o in objects if o is not None and is_secret(o)]
    values: set[str] = set()
    for obj in secrets:
        for field in ("data", "stringData"):
            section = obj.get(field)
            if isinstance(section, dict):
                values.update(str(v) for v in section.values())
    from gitops_guard.secrets.mask import Masker, digest

    masker = Masker()
    # Masks are handed out in digest order, not in order of appearance.
    masks = {value: masker.mask(value) for value in sorted(values, key=digest)}
    for obj in secrets:
        for field in ("data", "stringData"):
            section = obj.get(field)
            if isinstance(section, dict):
                for key in section:
                    section[key] = masks[str(section[key])]
        meta = obj.get("metadata")
        annotations = meta.get("annotations") if isinstance(meta, dict) else None
        if isinstance(annotations, dict):
            # kubectl's last-applied copy would repeat the values in clear text.
            annotations.pop("kubectl.kubernetes.io/last-applied-configuration", None)
    from gitops_guard.diff.redact import mask_credentials

    mask_credentials(objects, masker)


def to_yaml(obj: Mapping[str, Any] | None) -> str:
    if obj is None:
        return ""
    from gitops_guard.diff.yaml_text import dump

    return dump(obj)


def unified(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None, label: str) -> str:
    """A unified diff of the two objects' YAML (empty when they are equal)."""
    a, b = to_yaml(before), to_yaml(after)
    if a == b:
        return ""
    lines = difflib.unified_diff(
        a.splitlines(keepends=True),
        b.splitlines(keepends=True),
        fromfile=f"a/{label}" if before is not None else "/dev/null",
        tofile=f"b/{label}" if after is not None else "/dev/null",
        n=3,
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)
