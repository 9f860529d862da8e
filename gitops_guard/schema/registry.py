"""Find the schema of an apiVersion/kind: the one place that knows the lookup order.

Order: ``--schema-location`` entries (the user overrides everything), CRDs defined
in the repository being checked, CRD schemas shipped with the tool, then the
built-in Kubernetes schemas of the target version.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

from gitops_guard.datafiles import data_dir
from gitops_guard.schema.builtin import BuiltinSchemas, kind_suffix

_TEMPLATE_VAR = re.compile(r"\{\{\s*\.(\w+)\s*\}\}")


class SchemaHit(NamedTuple):
    schema: dict[str, Any]
    source: str  # where it came from, for messages and for kubeconform parity
    key: str  # unique per schema, for caching compiled validators
    # False when the schema is known to carry no x-kubernetes-validations (no CEL walk needed).
    may_have_rules: bool = True


class RepoCrd(NamedTuple):
    group: str
    kind: str
    version: str
    schema: dict[str, Any]
    path: str  # file that defines the CRD


class SchemaRegistry:
    def __init__(
        self,
        k8s_version: tuple[int, int],
        *,
        locations: Iterable[str] = (),
        repo_crds: Iterable[RepoCrd] = (),
        cache_dir: Path | None = None,
    ) -> None:
        self.k8s_version = k8s_version
        self.builtin = BuiltinSchemas(k8s_version, cache_dir)
        self.locations = list(locations)
        self.repo_crds = {(c.group, c.version, c.kind): c for c in repo_crds}
        self.shipped_dir = data_dir("schemas") / "crds"
        self.cache_dir = cache_dir
        self._memo: dict[tuple[str, str], SchemaHit | None] = {}

    def lookup(self, api_version: str, kind: str) -> SchemaHit | None:
        key = (api_version, kind)
        if key not in self._memo:
            self._memo[key] = self._find(api_version, kind)
        return self._memo[key]

    def _find(self, api_version: str, kind: str) -> SchemaHit | None:
        group, _, version = api_version.rpartition("/")
        for location in self.locations:
            hit = self._from_location(location, group, version, kind)
            if hit is not None:
                return hit
        crd = self.repo_crds.get((group, version, kind))
        if crd is not None:
            return SchemaHit(crd.schema, f"CRD in {crd.path}", f"repo:{group}/{version}/{kind}")
        if group:
            shipped = self.shipped_dir / group / f"{kind.lower()}_{version}.json"
            schema = _read_json(shipped)
            if schema is not None:
                return SchemaHit(schema, f"shipped CRD schema {group}", f"shipped:{shipped}")
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
