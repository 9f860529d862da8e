"""Who owns a live object: gitops-guard's tracking id, Argo CD's and Flux's ownership marks.

Ownership is read from tracking metadata only, never from a name: an object with the same
kind and name that another tool (or nobody) applied is not ours to prune.

gitops-guard marks every object it applies with the annotation
``gitops-guard.dev/tracking-id: <app>:<group>/<kind>:<namespace>/<name>``, the format of Argo
CD's own ``argocd.argoproj.io/tracking-id``: the core group is empty (``web:/ConfigMap:ns/x``)
and so is the namespace of a cluster-scoped object (``web:rbac.authorization.k8s.io/ClusterRole:/x``).
An id counts only on the object it names: one copied onto another object (by a controller that
copies annotations, or by hand) claims nothing, as in Argo CD.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from gitops_guard.gitops.argo_annotations import annotations_of
from gitops_guard.identity import ObjectKey

TRACKING_ANNOTATION = "gitops-guard.dev/tracking-id"
ARGO_TRACKING = "argocd.argoproj.io/tracking-id"
ARGO_INSTANCE_LABEL = "app.kubernetes.io/instance"
FLUX_NAME_LABEL = "kustomize.toolkit.fluxcd.io/name"
FLUX_NAMESPACE_LABEL = "kustomize.toolkit.fluxcd.io/namespace"

Owns = Callable[[Mapping[str, Any]], bool]


class MalformedTrackingId(ValueError):
    """A tracking id that does not read ``<app>:<group>/<kind>:<namespace>/<name>``."""


@dataclass(frozen=True, order=True)
class TrackingId:
    app: str
    group: str
    kind: str
    namespace: str  # "" for a cluster-scoped object
    name: str

    def __str__(self) -> str:
        return f"{self.app}:{self.group}/{self.kind}:{self.namespace}/{self.name}"

    @classmethod
    def parse(cls, value: str) -> TrackingId:
        """Read an id; :class:`MalformedTrackingId` says which part is wrong."""
        if not isinstance(value, str):
            raise MalformedTrackingId(f"tracking id must be a string, not {type(value).__name__}")
        app, sep1, rest = value.partition(":")
        group_kind, sep2, namespace_name = rest.partition(":")
        if not sep1 or not sep2:
            raise MalformedTrackingId(f"tracking id {value!r} is not <app>:<group>/<kind>:<namespace>/<name>")
        group, slash1, kind = group_kind.partition("/")
        # Names never hold "/", RBAC names may hold ":" (system:controller:...), so the name is
        # everything after the namespace's slash.
        namespace, slash2, name = namespace_name.partition("/")
        if not slash1 or "/" in kind:
            raise MalformedTrackingId(f"tracking id {value!r}: {group_kind!r} is not <group>/<kind>")
        if not slash2 or "/" in name:
            raise MalformedTrackingId(f"tracking id {value!r}: {namespace_name!r} is not <namespace>/<name>")
        for part, what in ((app, "app"), (kind, "kind"), (name, "name")):
            if not part:
                raise MalformedTrackingId(f"tracking id {value!r} has an empty {what}")
        return cls(app, group, kind, namespace, name)

    @classmethod
    def of(cls, app: str, obj: Mapping[str, Any]) -> TrackingId:
        """The id of ``obj`` for ``app``; a namespaced object must name its namespace already."""
        if not app or ":" in app or "/" in app:
            raise MalformedTrackingId(f"app name {app!r} cannot be part of a tracking id (empty, ':' or '/')")
        group, kind, namespace, name = ObjectKey.strict(obj)
        if not kind or not name:
            raise MalformedTrackingId("an object without kind and metadata.name has no tracking id")
        return cls(app, group, kind, namespace, name)

    @property
    def key(self) -> ObjectKey:
        """The object this id names."""
        return ObjectKey(self.group, self.kind, self.namespace, self.name)

    def refers_to(self, obj: Mapping[str, Any]) -> bool:
        """True when this id names ``obj`` itself (apart from the app)."""
        return self.key == ObjectKey.strict(obj)


def stamp(obj: Mapping[str, Any], app: str) -> dict[str, Any]:
    """A copy of ``obj`` carrying ``app``'s tracking annotation (the input is not changed)."""
    value = str(TrackingId.of(app, obj))
    meta = dict(obj.get("metadata") or {})
    meta["annotations"] = {**(meta.get("annotations") or {}), TRACKING_ANNOTATION: value}
    return {**obj, "metadata": meta}


def tracking_id(obj: Mapping[str, Any]) -> TrackingId | None:
    """gitops-guard's id on ``obj``; None when there is none; :class:`MalformedTrackingId` when bad."""
    value = annotations_of(obj).get(TRACKING_ANNOTATION)
    return None if value is None else TrackingId.parse(value)


def owned_by(obj: Mapping[str, Any], app: str) -> bool:
    """True when gitops-guard applied ``obj`` for ``app``: its own, valid, self-referring id."""
    try:
        found = tracking_id(obj)
    except MalformedTrackingId:
        return False
    return found is not None and found.app == app and found.refers_to(obj)


class Tool(enum.Enum):
    GITOPS_GUARD = "gitops-guard"
    ARGO_CD = "Argo CD"
    FLUX = "Flux"


@dataclass(frozen=True)
class Claim:
    """One ownership mark found on an object: which tool, which app, through which key."""

    tool: Tool
    app: str  # Flux: the Kustomization's name
    namespace: str | None  # Flux: the Kustomization's namespace; otherwise None
    key: str  # the annotation or label that says so


def claims(obj: Mapping[str, Any]) -> list[Claim]:
    """Every valid mark on ``obj``, gitops-guard's first; malformed or copied ids claim nothing.

    Argo CD's tracking annotation, when present, decides for Argo CD and its instance label is
    then ignored (Argo CD's annotation+label tracking writes both; the annotation wins).
    """
    annotations, labels = annotations_of(obj), _labels(obj)
    out: list[Claim] = []
    for key, tool in ((TRACKING_ANNOTATION, Tool.GITOPS_GUARD), (ARGO_TRACKING, Tool.ARGO_CD)):
        value = annotations.get(key)
        if value is None:
            continue
        try:
            found = TrackingId.parse(value)
        except MalformedTrackingId:
            continue
        if found.refers_to(obj):
            out.append(Claim(tool, found.app, None, key))
    instance = labels.get(ARGO_INSTANCE_LABEL)
    if isinstance(instance, str) and instance and ARGO_TRACKING not in annotations:
        out.append(Claim(Tool.ARGO_CD, instance, None, ARGO_INSTANCE_LABEL))
    flux_name, flux_namespace = labels.get(FLUX_NAME_LABEL), labels.get(FLUX_NAMESPACE_LABEL)
    if isinstance(flux_name, str) and isinstance(flux_namespace, str) and flux_name and flux_namespace:
        out.append(Claim(Tool.FLUX, flux_name, flux_namespace, FLUX_NAME_LABEL))
    return out


def argo_owner(app: str, namespace: str) -> Owns:
    """Ownership by Argo CD Application ``app`` in ``namespace``.

    Argo CD names an Application outside its control-plane namespace ``<namespace>_<app>``
    (apps in any namespace); we do not know which namespace that is, so both spellings count.
    gitops-guard's own id for the same app counts too (the app was synced by gitops-guard).
    """
    names = {app, f"{namespace}_{app}"} if namespace else {app}

    def owns(obj: Mapping[str, Any]) -> bool:
        return any(c.app in names for c in claims(obj) if c.tool is not Tool.FLUX)

    return owns


def flux_owner(name: str, namespace: str) -> Owns:
    """Ownership by Flux Kustomization ``namespace/name`` (its two labels, exactly)."""

    def owns(obj: Mapping[str, Any]) -> bool:
        return any(c.tool is Tool.FLUX and (c.app, c.namespace) == (name, namespace) for c in claims(obj))

    return owns


def _labels(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = obj.get("metadata")
    found = meta.get("labels") if isinstance(meta, Mapping) else None
    return found if isinstance(found, Mapping) else {}
