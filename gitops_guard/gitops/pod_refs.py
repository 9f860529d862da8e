"""The objects a workload's pods need to start, and where each reference is written.

Kubernetes knowledge, not a check: the PersistentVolumeClaims, ConfigMaps and Secrets a pod
spec mounts or reads (unless marked ``optional: true``), its image pull Secrets and its
ServiceAccount.  ``sync/wave-order`` compares them with the order Argo CD applies objects in;
anything that orders applies needs the same list.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

# Where each workload kind keeps its pod spec.
POD_SPEC: Mapping[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}


class Reference(NamedTuple):
    kind: str  # PersistentVolumeClaim, ConfigMap, Secret, ServiceAccount
    name: str
    path: tuple[str | int, ...]  # where the reference is written


def pod_references(body: Mapping[str, Any]) -> list[Reference]:
    """The non-optional objects a workload's pods cannot start without."""
    kind = body.get("kind")
    base = POD_SPEC.get(kind) if isinstance(kind, str) else None
    if base is None:
        return []
    spec: Any = body
    for step in base:
        spec = spec.get(step) if isinstance(spec, dict) else None
    if not isinstance(spec, dict):
        return []
    out: list[Reference] = []

    def add(kind: str, holder: Any, field: str, path: tuple[str | int, ...]) -> None:
        if isinstance(holder, dict) and holder.get("optional") is not True:
            name = holder.get(field)
            if isinstance(name, str) and name:
                out.append(Reference(kind, name, (*base, *path, field)))

    for i, vol in enumerate(_dicts(spec.get("volumes"))):
        add(
            "PersistentVolumeClaim",
            vol.get("persistentVolumeClaim"),
            "claimName",
            ("volumes", i, "persistentVolumeClaim"),
        )
        add("ConfigMap", vol.get("configMap"), "name", ("volumes", i, "configMap"))
        add("Secret", vol.get("secret"), "secretName", ("volumes", i, "secret"))
        projected = vol.get("projected")
        sources = projected.get("sources") if isinstance(projected, dict) else None
        for j, src in enumerate(_dicts(sources)):
            for field, ref_kind in (("configMap", "ConfigMap"), ("secret", "Secret")):
                add(ref_kind, src.get(field), "name", ("volumes", i, "projected", "sources", j, field))
    for group in ("initContainers", "containers", "ephemeralContainers"):
        for i, container in enumerate(_dicts(spec.get(group))):
            for j, env_from in enumerate(_dicts(container.get("envFrom"))):
                add(
                    "ConfigMap",
                    env_from.get("configMapRef"),
                    "name",
                    (group, i, "envFrom", j, "configMapRef"),
                )
                add("Secret", env_from.get("secretRef"), "name", (group, i, "envFrom", j, "secretRef"))
            for j, env in enumerate(_dicts(container.get("env"))):
                value_from = env.get("valueFrom")
                if isinstance(value_from, dict):
                    path = (group, i, "env", j, "valueFrom")
                    add("ConfigMap", value_from.get("configMapKeyRef"), "name", (*path, "configMapKeyRef"))
                    add("Secret", value_from.get("secretKeyRef"), "name", (*path, "secretKeyRef"))
    for field in ("serviceAccountName", "serviceAccount"):
        name = spec.get(field)
        if isinstance(name, str) and name and name != "default":
            out.append(Reference("ServiceAccount", name, (*base, field)))
            break
    for i, secret in enumerate(_dicts(spec.get("imagePullSecrets"))):
        add("Secret", secret, "name", ("imagePullSecrets", i))
    return out


def _dicts(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, list):
        for item in value:
            yield item if isinstance(item, dict) else {}
