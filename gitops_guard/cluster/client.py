"""The operations gitops-guard needs from a cluster: get, list, server-side apply, create,
replace (compare-and-swap on resourceVersion), delete.

Objects are plain dicts as they appear in manifests. Applies are server-side apply (``PATCH``
with ``application/apply-patch+yaml``) under the field manager ``gitops-guard`` with
``force``: the repository is the source of truth, as it is for Argo CD's and Flux's
server-side apply. ``dry_run=True`` adds ``dryRun=All``: the server runs admission,
defaulting and validation and returns the object it would store, and stores nothing.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from types import TracebackType
from typing import Any, Literal, TypedDict, Unpack

from gitops_guard.cluster.discovery import Discovery, ResourceInfo
from gitops_guard.cluster.errors import ClusterError
from gitops_guard.cluster.kubeconfig import ClusterConfig, load_kubeconfig
from gitops_guard.cluster.transport import Transport

FIELD_MANAGER = "gitops-guard"
APPLY_PATCH = "application/apply-patch+yaml"
Propagation = Literal["Background", "Foreground", "Orphan"]
Selector = str | Mapping[str, str] | None


class ListOptions(TypedDict, total=False):
    """The options of :meth:`Client.iter`, which :meth:`Client.list` passes on."""

    label_selector: Selector
    field_selector: Selector
    page_size: int


class Client:
    """One cluster, one user. Thread-safe: each thread gets its own keep-alive connection."""

    def __init__(self, config: ClusterConfig, *, timeout: float = 30.0) -> None:
        self.config = config
        self.transport = Transport(config, timeout=timeout)
        self.discovery = Discovery(self.transport)

    @classmethod
    def from_kubeconfig(
        cls,
        path: str | os.PathLike[str] | None = None,
        *,
        context: str | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float = 30.0,
    ) -> Client:
        return cls(load_kubeconfig(path, context=context, env=env), timeout=timeout)

    def close(self) -> None:
        self.transport.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def namespace(self) -> str:
        """The namespace for namespaced objects that do not name one (the context's, else default)."""
        return self.config.namespace

    def version(self) -> dict[str, Any]:
        """The server's ``/version`` document (gitVersion, major, minor, ...)."""
        return self.transport.request("GET", "/version", what="GET /version").json_object("GET /version")

    def resolve(self, api_version: str, kind: str) -> ResourceInfo:
        return self.discovery.resolve(api_version, kind)

    # -- reading ---------------------------------------------------------------------------

    def get(
        self, api_version: str, kind: str, name: str, namespace: str | None = None
    ) -> dict[str, Any] | None:
        """The live object, or None if it does not exist."""
        info = self.resolve(api_version, kind)
        ns = self._namespace_for(info, namespace)
        what = f"get {_describe(info, ns, name)}"
        response = self.transport.request("GET", info.path(ns, name), what=what, allow=(404,))
        if response.status == 404:
            return None
        return response.json_object(what)

    def list(
        self,
        api_version: str,
        kind: str,
        namespace: str | None = None,
        **options: Unpack[ListOptions],
    ) -> list[dict[str, Any]]:
        """All objects of a kind (in ``namespace``, or in every namespace when None)."""
        return list(self.iter(api_version, kind, namespace, **options))

    def iter(
        self,
        api_version: str,
        kind: str,
        namespace: str | None = None,
        *,
        label_selector: Selector = None,
        field_selector: Selector = None,
        page_size: int = 500,
    ) -> Iterator[dict[str, Any]]:
        """Like :meth:`list`, a page at a time. Items carry apiVersion and kind (lists omit them)."""
        info = self.resolve(api_version, kind)
        what = f"list {_describe(info, namespace, None)}"
        query: dict[str, str] = {"limit": str(page_size)}
        if label_selector:
            query["labelSelector"] = _selector(label_selector)
        if field_selector:
            query["fieldSelector"] = _selector(field_selector)
        path = info.path(namespace if info.namespaced else None)
        while True:
            page = self.transport.request("GET", path, query=query, what=what).json_object(what)
            for item in page.get("items") or []:
                if isinstance(item, dict):
                    item.setdefault("apiVersion", info.api_version)
                    item.setdefault("kind", info.kind)
                    yield item
            token = (page.get("metadata") or {}).get("continue")
            if not token:
                return
            query["continue"] = str(token)

    # -- writing ---------------------------------------------------------------------------

    def apply(
        self,
        obj: Mapping[str, Any],
        *,
        dry_run: bool = False,
        force: bool = True,
        field_manager: str = FIELD_MANAGER,
    ) -> dict[str, Any]:
        """Server-side apply ``obj``; returns the object as the server stored (or would store) it."""
        info, namespace, body, name = self._write_target(obj)
        what = f"apply {_describe(info, namespace, name)}{' (dry run)' if dry_run else ''}"
        query = {"fieldManager": field_manager}
        if force:
            query["force"] = "true"
        if dry_run:
            query["dryRun"] = "All"
        return self._send_object("PATCH", info.path(namespace, name), query, body, APPLY_PATCH, what)

    def create(self, obj: Mapping[str, Any], *, field_manager: str = FIELD_MANAGER) -> dict[str, Any]:
        """Create ``obj``, named or by ``metadata.generateName`` (the server picks the name);
        an existing object is an ApiError with code 409 (AlreadyExists)."""
        info, namespace, body, name = self._write_target(obj, generated=True)
        what = f"create {_describe(info, namespace, name)}"
        query = {"fieldManager": field_manager}
        return self._send_object("POST", info.path(namespace), query, body, "application/json", what)

    def replace(self, obj: Mapping[str, Any], *, field_manager: str = FIELD_MANAGER) -> dict[str, Any]:
        """Replace ``obj`` whole (``PUT``). With ``metadata.resourceVersion`` set this is a
        compare-and-swap: a newer object on the server is an ApiError with code 409 (Conflict)."""
        info, namespace, body, name = self._write_target(obj)
        what = f"replace {_describe(info, namespace, name)}"
        query = {"fieldManager": field_manager}
        return self._send_object("PUT", info.path(namespace, name), query, body, "application/json", what)

    def _send_object(
        self,
        method: str,
        path: str,
        query: Mapping[str, str],
        body: Mapping[str, Any],
        content_type: str,
        what: str,
    ) -> dict[str, Any]:
        """Send ``body`` as compact JSON and return the object the server answered with."""
        payload = json.dumps(body, separators=(",", ":"), default=str).encode("utf-8")
        response = self.transport.request(
            method, path, query=query, body=payload, content_type=content_type, what=what
        )
        return response.json_object(what)

    def _write_target(
        self, obj: Mapping[str, Any], *, generated: bool = False
    ) -> tuple[ResourceInfo, str | None, dict[str, Any], str]:
        api_version, kind, name, meta = _identity(obj, generated=generated)
        info = self.resolve(api_version, kind)
        body = dict(obj)
        namespace = self._namespace_for(info, meta.get("namespace"))
        if info.namespaced and meta.get("namespace") != namespace:
            body["metadata"] = dict(meta, namespace=namespace)
        return info, namespace, body, name

    def delete(
        self,
        api_version: str,
        kind: str,
        name: str,
        namespace: str | None = None,
        *,
        propagation: Propagation = "Background",
        dry_run: bool = False,
    ) -> bool:
        """Delete one object; False if it did not exist.

        ``propagation`` is Kubernetes' propagationPolicy: Background (dependents are removed by
        the garbage collector afterwards), Foreground (the object stays, with a deletion
        timestamp, until its dependents are gone) or Orphan (dependents are kept).
        """
        info = self.resolve(api_version, kind)
        ns = self._namespace_for(info, namespace)
        what = f"delete {_describe(info, ns, name)}{' (dry run)' if dry_run else ''}"
        query: dict[str, str] = {"propagationPolicy": propagation}
        if dry_run:
            query["dryRun"] = "All"
        response = self.transport.request(
            "DELETE", info.path(ns, name), query=query, what=what, ok=(200, 202), allow=(404,)
        )
        return response.status != 404

    def _namespace_for(self, info: ResourceInfo, namespace: str | None) -> str | None:
        if not info.namespaced:
            return None
        return namespace or self.namespace


def _identity(obj: Mapping[str, Any], *, generated: bool = False) -> tuple[str, str, str, dict[str, Any]]:
    """apiVersion, kind, name and metadata of an object to write; with ``generated``, a
    ``metadata.generateName`` may stand for the name (as ``prefix*``, for messages)."""
    api_version = obj.get("apiVersion")
    kind = obj.get("kind")
    meta = obj.get("metadata")
    if not isinstance(api_version, str) or not isinstance(kind, str) or not api_version or not kind:
        raise ClusterError("cannot apply an object without apiVersion and kind")
    if not isinstance(meta, dict):
        raise ClusterError(f"cannot apply a {api_version} {kind} without metadata.name")
    name, prefix = meta.get("name"), meta.get("generateName")
    if isinstance(name, str) and name:
        return api_version, kind, name, meta
    if generated and isinstance(prefix, str) and prefix:
        return api_version, kind, f"{prefix}*", meta
    raise ClusterError(f"cannot apply a {api_version} {kind} without metadata.name")


def _describe(info: ResourceInfo, namespace: str | None, name: str | None) -> str:
    where = f"{namespace}/" if namespace else ""
    return f"{info.api_version} {info.kind} {where}{name or '*'}".rstrip()


def _selector(selector: str | Mapping[str, str]) -> str:
    if isinstance(selector, str):
        return selector
    return ",".join(f"{k}={v}" for k, v in selector.items())
