"""Who owns a live object: gitops-guard's tracking id, Argo CD's and Flux's ownership marks.

Ownership is read from tracking metadata only, never from a name: an object with the same
kind and name that another tool (or nobody) applied is not ours to prune.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

TRACKING_ANNOTATION = "gitops-guard.dev/tracking-id"
ARGO_TRACKING = "argocd.argoproj.io/tracking-id"
ARGO_INSTANCE_LABEL = "app.kubernetes.io/instance"
FLUX_NAME_LABEL = "kustomize.toolkit.fluxcd.io/name"
FLUX_NAMESPACE_LABEL = "kustomize.toolkit.fluxcd.io/namespace"


def argo_owner(app: str, namespace: str) -> Callable[[dict[str, Any]], bool]:
    prefixes = (f"{app}:", f"{namespace}_{app}:") if namespace else (f"{app}:",)

    def owns(obj: dict[str, Any]) -> bool:
        meta = obj.get("metadata") or {}
        annotations = meta.get("annotations") or {}
        labels = meta.get("labels") or {}
        for key in (TRACKING_ANNOTATION, ARGO_TRACKING):
            value = annotations.get(key)
            if isinstance(value, str) and value.startswith(prefixes):
                return True
        return bool(labels.get(ARGO_INSTANCE_LABEL) == app and ARGO_TRACKING not in annotations)

    return owns


def flux_owner(name: str, namespace: str) -> Callable[[dict[str, Any]], bool]:
    def owns(obj: dict[str, Any]) -> bool:
        labels = (obj.get("metadata") or {}).get("labels") or {}
        return bool(labels.get(FLUX_NAME_LABEL) == name and labels.get(FLUX_NAMESPACE_LABEL) == namespace)

    return owns
