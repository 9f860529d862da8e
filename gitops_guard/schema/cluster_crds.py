"""The CRDs a live cluster serves, as schemas (``check --kubeconfig F [--context C]``).

They are the exact schemas the API server enforces, so the registry puts them above the
shipped catalog. Converting every CRD of a cluster takes a while and their full list can
be megabytes, so the converted schemas are cached per cluster: a run first lists only the
CRDs' metadata, and when the server URL and every CRD's name and resourceVersion match
the cache, the full list is not fetched at all.

Imported only when ``--kubeconfig`` is given: ``check`` without it never loads the
cluster layer.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from gitops_guard.cachefiles import write_atomically
from gitops_guard.cluster import Client, ClusterError
from gitops_guard.errors import ToolError
from gitops_guard.schema.crd import CrdError, crd_to_schemas
from gitops_guard.schema.registry import ClusterCrds, RepoCrd

_CRD_LIST = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
_METADATA_ONLY = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"
# Bumped whenever the cached form (or crd.py's conversion) changes.
_CACHE_FORMAT = 1


class ClusterCrdError(ToolError):
    """The cluster's CRDs could not be read (unreachable, forbidden, a bad answer)."""


def read_cluster(kubeconfig: Path, context: str | None, cache_dir: Path | None) -> ClusterCrds:
    """The cluster's CRDs for ``check``; a cluster that cannot be reached is a problem, not an error.

    A kubeconfig that is missing or wrong stays an error (a usage error, exit 2).
    """
    try:
        return ClusterCrds(tuple(served_crds(kubeconfig, context, cache_dir)))
    except ClusterCrdError as exc:
        return ClusterCrds(problem=str(exc))


def served_crds(kubeconfig: Path, context: str | None, cache_dir: Path | None) -> list[RepoCrd]:
    """Every served version of every CRD of the cluster; ``RepoCrd.path`` names the cluster."""
    try:
        with Client.from_kubeconfig(kubeconfig, context=context) as client:
            server = client.config.server
            stamp = _stamp(server, _list(client, _METADATA_ONLY))
            cached = _read_cache(cache_dir, server, stamp)
            if cached is not None:
                return cached
            crds = _list(client, "application/json")
    except ClusterError as exc:
        raise ClusterCrdError(str(exc)) from exc
    # The full list may have moved on since the metadata list: key the cache by what it holds.
    stamp = _stamp(server, crds)
    found = _convert(crds, f"the cluster at {server}")
    _write_cache(cache_dir, server, stamp, found)
    return found


def _list(client: Client, accept: str) -> list[dict[str, Any]]:
    what = "list CustomResourceDefinitions"
    items: list[dict[str, Any]] = []
    query = {"limit": "250"}
    while True:
        page = client.transport.request("GET", _CRD_LIST, query=query, accept=accept, what=what)
        data = page.json_object(what)
        items.extend(item for item in data.get("items") or [] if isinstance(item, dict))
        token = (data.get("metadata") or {}).get("continue")
        if not token:
            return items
        query["continue"] = str(token)


def _stamp(server: str, crds: list[dict[str, Any]]) -> str:
    versions = sorted(
        (str(meta.get("name")), str(meta.get("resourceVersion")))
        for meta in (c.get("metadata") for c in crds)
        if isinstance(meta, dict)
    )
    text = json.dumps([_CACHE_FORMAT, server, versions])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _convert(crds: list[dict[str, Any]], where: str) -> list[RepoCrd]:
    found: list[RepoCrd] = []
    for crd in crds:
        crd.setdefault("apiVersion", "apiextensions.k8s.io/v1")
        crd.setdefault("kind", "CustomResourceDefinition")
        try:
            schemas = crd_to_schemas(crd)
        except CrdError:
            continue  # one the API server accepted but we cannot convert: its kinds stay unresolved
        found.extend(RepoCrd(s.group, s.kind, s.version, s.schema, where) for s in schemas if s.served)
    return found


def _cache_file(cache_dir: Path | None, server: str) -> Path | None:
    if cache_dir is None:
        return None
    name = hashlib.sha256(server.encode("utf-8")).hexdigest()[:32]
    return cache_dir / "cluster-crds" / f"{name}.json"


def _read_cache(cache_dir: Path | None, server: str, stamp: str) -> list[RepoCrd] | None:
    path = _cache_file(cache_dir, server)
    if path is None:
        return None
    try:
        entry = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(entry, dict) or entry.get("stamp") != stamp or not isinstance(entry.get("crds"), list):
        return None
    where = f"the cluster at {server}"
    try:
        return [RepoCrd(c["group"], c["kind"], c["version"], c["schema"], where) for c in entry["crds"]]
    except (KeyError, TypeError):
        return None


def _write_cache(cache_dir: Path | None, server: str, stamp: str, crds: list[RepoCrd]) -> None:
    path = _cache_file(cache_dir, server)
    if path is None:
        return
    rows = [{"group": c.group, "kind": c.kind, "version": c.version, "schema": c.schema} for c in crds]
    write_atomically(path, json.dumps({"stamp": stamp, "crds": rows}, separators=(",", ":")))
