"""The identity of an object in a cluster: ``ObjectKey`` (group, kind, namespace, name).

The API version is not part of it: ``apps/v1`` and ``apps/v1beta2`` Deployments of one name
are one object.  Reports name an object with its apiVersion (``findings.ObjectRef``); its
``key`` is this identity.  Diff, sync, ownership and the desired state all key objects by it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple


class ObjectKey(NamedTuple):
    """Orderable and hashable; the core group and a cluster-scoped namespace are ``""``."""

    group: str
    kind: str
    namespace: str
    name: str

    @classmethod
    def of(cls, obj: Mapping[str, Any], default_namespace: str = "") -> ObjectKey:
        """The key of a manifest or live object (``generateName`` stands in for a missing name)."""
        api_version = str(obj.get("apiVersion") or "")
        group = api_version.rpartition("/")[0] if "/" in api_version else ""
        meta = obj.get("metadata")
        meta = meta if isinstance(meta, Mapping) else {}
        return cls(
            group,
            str(obj.get("kind") or ""),
            str(meta.get("namespace") or default_namespace),
            str(meta.get("name") or meta.get("generateName") or ""),
        )

    @classmethod
    def strict(cls, obj: Mapping[str, Any]) -> ObjectKey:
        """The key from string fields only (anything else reads as ``""``, no ``generateName``):
        what a tracking id must name exactly."""
        meta = obj.get("metadata")
        meta = meta if isinstance(meta, Mapping) else {}
        api_version = obj.get("apiVersion")
        kind, namespace, name = obj.get("kind"), meta.get("namespace"), meta.get("name")
        return cls(
            api_version.rpartition("/")[0] if isinstance(api_version, str) else "",
            kind if isinstance(kind, str) else "",
            namespace if isinstance(namespace, str) else "",
            name if isinstance(name, str) else "",
        )

    def __str__(self) -> str:
        kind = f"{self.kind}.{self.group}" if self.group else self.kind
        return f"{kind} {self.namespace}/{self.name}" if self.namespace else f"{kind} {self.name}"
