"""Discovery: which resource (plural, scope) serves an apiVersion/kind, cached per client.

The API server's aggregated discovery (``apidiscovery.k8s.io/v2``, served since Kubernetes
1.30) answers for every group in two requests (``/api`` and ``/apis``), so a whole run costs two
round trips instead of one per group-version. Servers that do not serve it get the per
group-version documents instead. A kind that is not in the cache triggers one refresh (its
CRD may have been created since), so a cache never hides a newly installed kind.
"""

from __future__ import annotations

import threading
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any

from gitops_guard.cluster.errors import ApiError, ClusterError, UnknownKind
from gitops_guard.cluster.transport import Transport

_AGGREGATED = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"

GVK = tuple[str, str, str]


@dataclass(frozen=True)
class ResourceInfo:
    """One resource the server serves, e.g. apps/v1 Deployment = ``deployments``, namespaced."""

    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool
    verbs: tuple[str, ...] = ()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def path(self, namespace: str | None = None, name: str | None = None) -> str:
        """The REST path of the collection, or of one object when ``name`` is given.

        ``namespace`` is ignored for cluster-scoped resources; for namespaced ones, None means
        "all namespaces" (valid for list only).
        """
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            base += f"/namespaces/{_segment(namespace)}"
        base += f"/{self.plural}"
        if name is not None:
            base += f"/{_segment(name)}"
        return base


def _segment(value: str) -> str:
    if not value or value in (".", "..") or "/" in value:
        raise ClusterError(f"{value!r} is not a valid object name or namespace")
    return urllib.parse.quote(value, safe="")


def split_api_version(api_version: str) -> tuple[str, str]:
    group, _, version = api_version.rpartition("/")
    return group, version


class Discovery:
    """The server's resources by (group, version, kind), loaded lazily and refreshed on a miss."""

    # A miss refreshes at most this often, so a loop over objects of an unknown kind does not
    # turn into a discovery storm.
    min_refresh_interval = 1.0

    def __init__(self, transport: Transport) -> None:
        self._transport = transport
        self._lock = threading.Lock()
        self._by_gvk: dict[GVK, ResourceInfo] | None = None
        self._loaded_at = 0.0

    def resources(self) -> list[ResourceInfo]:
        with self._lock:
            if self._by_gvk is None:
                self._load()
            assert self._by_gvk is not None
            return list(self._by_gvk.values())

    def resolve(self, api_version: str, kind: str) -> ResourceInfo:
        """The resource for ``api_version``/``kind``; UnknownKind if the server does not serve it."""
        group, version = split_api_version(api_version)
        key = (group, version, kind)
        with self._lock:
            if self._by_gvk is None:
                self._load()
            assert self._by_gvk is not None
            found = self._by_gvk.get(key)
            if found is None and time.monotonic() - self._loaded_at >= self.min_refresh_interval:
                self._load()
                found = self._by_gvk.get(key)
        if found is None:
            raise UnknownKind(api_version, kind, self._transport.config.server)
        return found

    def invalidate(self) -> None:
        with self._lock:
            self._by_gvk = None

    def wait_for(self, api_version: str, kind: str, *, timeout: float = 30.0) -> ResourceInfo:
        """Resolve, polling until the kind is served (a CRD just applied takes a moment)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.resolve(api_version, kind)
            except UnknownKind:
                if time.monotonic() >= deadline:
                    raise
            time.sleep(0.2)

    # -- loading ---------------------------------------------------------------------------

    def _load(self) -> None:
        table: dict[GVK, ResourceInfo] = {}
        for root in ("/api", "/apis"):
            response = self._transport.request("GET", root, accept=_AGGREGATED, what=f"discovery {root}")
            document = response.json_object(f"discovery {root}")
            if document.get("kind") == "APIGroupDiscoveryList":
                _add_aggregated(table, document)
            elif root == "/api":
                for version in document.get("versions") or []:
                    self._add_legacy(table, "", str(version))
            else:
                for group in document.get("groups") or []:
                    for entry in group.get("versions") or []:
                        group_name, version = split_api_version(str(entry.get("groupVersion", "")))
                        self._add_legacy(table, group_name, version)
        self._by_gvk = table
        self._loaded_at = time.monotonic()

    def _add_legacy(self, table: dict[GVK, ResourceInfo], group: str, version: str) -> None:
        path = f"/apis/{group}/{version}" if group else f"/api/{version}"
        try:
            response = self._transport.request("GET", path, what=f"discovery {path}")
        except ApiError as exc:
            # An aggregated API whose backing service is down answers 503, and a group version
            # removed since /apis listed it (its CRD deleted meanwhile) 404: skip that group
            # rather than failing every operation on the cluster.
            if exc.code in (404, 503):
                return
            raise
        for resource in response.json_object(f"discovery {path}").get("resources") or []:
            name = str(resource.get("name", ""))
            if not name or "/" in name:  # subresources such as deployments/status
                continue
            info = ResourceInfo(
                group,
                version,
                str(resource.get("kind", "")),
                name,
                bool(resource.get("namespaced")),
                tuple(str(v) for v in resource.get("verbs") or ()),
            )
            table.setdefault((group, version, info.kind), info)


def _add_aggregated(table: dict[GVK, ResourceInfo], document: dict[str, Any]) -> None:
    for group in document.get("items") or []:
        group_name = str((group.get("metadata") or {}).get("name") or "")
        for version in group.get("versions") or []:
            version_name = str(version.get("version", ""))
            for resource in version.get("resources") or []:
                response_kind = resource.get("responseKind") or {}
                kind = str(response_kind.get("kind") or "")
                plural = str(resource.get("resource") or "")
                if not kind or not plural:
                    continue
                info = ResourceInfo(
                    group_name,
                    version_name,
                    kind,
                    plural,
                    resource.get("scope") == "Namespaced",
                    tuple(str(v) for v in resource.get("verbs") or ()),
                )
                table.setdefault((group_name, version_name, kind), info)
