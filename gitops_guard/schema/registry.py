"""Find the schema of an apiVersion/kind: the one place that knows the lookup order.

Order: ``--schema-location`` entries (the user overrides everything), CRDs defined
in the repository being checked, CRDs the live cluster serves (``check --kubeconfig``),
CRD schemas shipped with the tool (the GitOps CRDs and the catalog), then the
built-in Kubernetes schemas of the target version.

Shipped schemas are found by group/kind/version on disk, one file per lookup: a run
never lists or loads the catalog. ``schema-extensions`` from the config (allowed enum
values and fields an operator adds to a kind) are applied to whichever schema is found.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from gitops_guard.schema import catalog
from gitops_guard.schema.builtin import BuiltinSchemas, kind_suffix
from gitops_guard.schema.extensions import Extension

_TEMPLATE_VAR = re.compile(r"\{\{\s*\.(\w+)\s*\}\}")


class SchemaHit(NamedTuple):
    schema: dict[str, Any]
    source: str  # where it came from, for messages and for kubeconform parity
    key: str  # unique per schema, for caching compiled validators
    # False when the schema is known to carry no x-kubernetes-validations (no CEL walk needed).
    may_have_rules: bool = True
    # True for a schema shipped with the tool (schemas/crds): its origin is in catalog.py.
    shipped: bool = False
    # For a shipped schema of an earlier release (schemas/earlier), that release.
    release: str = ""
    # A CRD's schema (in the repository, on the cluster, shipped): the API server prunes a
    # null field the schema does not declare nullable before it validates.
    from_crd: bool = False


class RepoCrd(NamedTuple):
    group: str
    kind: str
    version: str
    schema: dict[str, Any]
    path: str  # file that defines the CRD


class ClusterCrds(NamedTuple):
    """``check --kubeconfig``: the CRDs a cluster serves, or why they could not be read."""

    crds: tuple[RepoCrd, ...] = ()
    problem: str | None = None


class SchemaRegistry:
    def __init__(
        self,
        k8s_version: tuple[int, int],
        *,
        locations: Iterable[str] = (),
        repo_crds: Iterable[RepoCrd] = (),
        cluster_crds: Iterable[RepoCrd] = (),
        cache_dir: Path | None = None,
        extensions: Sequence[Extension] = (),
        prefer: Callable[[str, str, str], catalog.Earlier | None] | None = None,
    ) -> None:
        """``prefer`` picks, for a shipped kind's group, kind and version, the earlier
        release's schema to use instead (the release a repository deploys), or None."""
        self.k8s_version = k8s_version
        self.prefer = prefer
        self.builtin = BuiltinSchemas(k8s_version, cache_dir)
        self.locations = list(locations)
        self.repo_crds = {(c.group, c.version, c.kind): c for c in repo_crds}
        self.cluster_crds = {(c.group, c.version, c.kind): c for c in cluster_crds}
        self.extensions = list(extensions)
        self.shipped_dir = catalog.schemas_dir()
        self.cache_dir = cache_dir
        self._memo: dict[tuple[str, str], SchemaHit | None] = {}

    def lookup(self, api_version: str, kind: str) -> SchemaHit | None:
        key = (api_version, kind)
        if key not in self._memo:
            hit = self._find(api_version, kind)
            if hit is not None and self.extensions:
                hit = _extended(hit, api_version, kind, self.extensions)
            self._memo[key] = hit
        return self._memo[key]

    def _find(self, api_version: str, kind: str) -> SchemaHit | None:
        group, _, version = api_version.rpartition("/")
        for location in self.locations:
            hit = self._from_location(location, group, version, kind)
            if hit is not None:
                return hit
        crd = self.repo_crds.get((group, version, kind))
        if crd is not None:
            return SchemaHit(
                crd.schema, f"CRD in {crd.path}", f"repo:{group}/{version}/{kind}", from_crd=True
            )
        crd = self.cluster_crds.get((group, version, kind))
        if crd is not None:
            source = f"CRD served by {crd.path}"
            return SchemaHit(crd.schema, source, f"cluster:{group}/{version}/{kind}", from_crd=True)
        if group:
            shipped = self.shipped_dir / group / f"{kind.lower()}_{version}.json"
            schema = _read_json(shipped)
            if schema is not None:
                # Only a kind the catalog ships can have an earlier release (a built-in
                # kind's group, apps or batch, never asks).
                chosen = self.prefer(group, kind, version) if self.prefer is not None else None
                earlier = (
                    _read_json(chosen.path) if chosen is not None and chosen.path is not None else schema
                )
                if chosen is not None and earlier is not None:
                    path = chosen.path or shipped
                    source = f"shipped CRD schema {group} ({chosen.origin.label()})"
                    return SchemaHit(
                        earlier,
                        source,
                        f"shipped:{path}",
                        shipped=True,
                        release=chosen.origin.version,
                        from_crd=True,
                    )
                source = f"shipped CRD schema {group}"
                return SchemaHit(schema, source, f"shipped:{shipped}", shipped=True, from_crd=True)
        builtin = self.builtin.get(group, version, kind)
        if builtin is not None:
            major, minor = self.k8s_version
            return SchemaHit(
                builtin,
                f"Kubernetes {major}.{minor}",
                f"builtin:{api_version}/{kind}",
                may_have_rules=self.builtin.may_have_rules(group, version, kind),
            )
        return None

    def _from_location(self, location: str, group: str, version: str, kind: str) -> SchemaHit | None:
        major, minor = self.k8s_version
        values = {
            "NormalizedKubernetesVersion": f"v{major}.{minor}.0",
            "StrictSuffix": "-strict",
            "ResourceKind": kind.lower(),
            "ResourceAPIVersion": version,
            "Group": group,
            "KindSuffix": kind_suffix(group, version),
        }
        if "{{" in location:
            candidates = [_TEMPLATE_VAR.sub(lambda m: values.get(m.group(1), m.group(0)), location)]
        else:
            base = location.rstrip("/")
            candidates = [
                f"{base}/{values['ResourceKind']}{values['KindSuffix']}.json",
                f"{base}/{group}/{values['ResourceKind']}_{version}.json",
            ]
        for candidate in candidates:
            schema = self._fetch(candidate)
            if schema is not None and _describes(schema, group, version, kind):
                return SchemaHit(schema, candidate, f"location:{candidate}")
        return None

    def _fetch(self, target: str) -> dict[str, Any] | None:
        if target.startswith(("http://", "https://")):
            return self._fetch_url(target)
        return _read_json(Path(target))

    def _fetch_url(self, url: str) -> dict[str, Any] | None:
        import urllib.parse  # lazily: certifi and the HTTP stack cost ~15 ms at start-up
        import urllib.request

        cached: Path | None = None
        if self.cache_dir is not None:
            cached = self.cache_dir / "schema-http" / urllib.parse.quote(url, safe="")
            hit = _read_json(cached)
            if hit is not None:
                return hit
        try:
            with urllib.request.urlopen(url, timeout=15) as resp:
                body = resp.read()
        except OSError:
            return None
        try:
            schema = json.loads(body)
        except ValueError:
            return None
        if cached is not None and isinstance(schema, dict):
            cached.parent.mkdir(parents=True, exist_ok=True)
            tmp = cached.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(body)
            tmp.replace(cached)
        return schema if isinstance(schema, dict) else None


def _extended(hit: SchemaHit, api_version: str, kind: str, extensions: Sequence[Extension]) -> SchemaHit:
    group = api_version.rpartition("/")[0]
    mine = [e for e in extensions if e.kind == kind and e.api_version in (api_version, group)]
    if not mine:
        return hit
    import copy

    schema = copy.deepcopy(hit.schema)
    for ext in mine:
        for node in _nodes_at(schema, ext.path):
            if ext.enum and isinstance(node.get("enum"), list):
                node["enum"] = [*node["enum"], *(v for v in ext.enum if v not in node["enum"])]
            if ext.fields:
                props = node.setdefault("properties", {})
                for name in ext.fields:
                    props.setdefault(name, {})
    return hit._replace(schema=schema, key=f"{hit.key}+extended", source=f"{hit.source} (extended)")


def _nodes_at(schema: dict[str, Any], path: Sequence[str]) -> list[dict[str, Any]]:
    """The schema nodes ``path`` reaches, looking through allOf/anyOf/oneOf branches."""
    nodes = [schema]
    for step in path:
        found: list[dict[str, Any]] = []
        for node in _with_branches(nodes):
            nxt = node.get("items") if step == "[]" else node.get("properties", {}).get(step)
            if isinstance(nxt, dict):
                found.append(nxt)
        nodes = found
    return _with_branches(nodes)


def _with_branches(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    todo = list(nodes)
    while todo:
        node = todo.pop()
        out.append(node)
        for junctor in ("allOf", "anyOf", "oneOf"):
            branches = node.get(junctor)
            if isinstance(branches, list):
                todo.extend(b for b in branches if isinstance(b, dict))
    return out


def _describes(schema: dict[str, Any], group: str, version: str, kind: str) -> bool:
    """A catalogue file named after the first group label must really be for this group."""
    api_version = f"{group}/{version}" if group else version
    props = schema.get("properties")
    if not isinstance(props, dict):
        return True
    enum = props.get("apiVersion", {}).get("enum") if isinstance(props.get("apiVersion"), dict) else None
    if isinstance(enum, list) and api_version not in enum:
        return False
    kenum = props.get("kind", {}).get("enum") if isinstance(props.get("kind"), dict) else None
    return not (isinstance(kenum, list) and kind not in kenum)


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
