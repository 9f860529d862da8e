"""Kubernetes' own schemas, offline, from the data the ``kubernetes-validate`` package ships.

Only its JSON files are used (importing the package would pull in ``jsonschema``,
~170 ms). Its per-kind files ``$ref`` one shared ``_definitions.json``; we bundle
each kind into a standalone schema with only the definitions it reaches, which is
what both our validator and kubeconform want.

Bundling a kind means parsing the 1.8 MB ``_definitions.json`` (~10 ms, most of a
one-file run's work), so bundled schemas are kept in the cache directory, keyed by
the source files' size and modification time: a later run reads the ~200 kB
bundle of each kind it meets (~0.5 ms). The cache is an optimisation only: an
unreadable or unwritable cache falls back to bundling.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
from pathlib import Path
from typing import Any

from gitops_guard.cachefiles import write_atomically
from gitops_guard.errors import ConfigError

_DIR_RE = re.compile(r"^v(\d+)\.(\d+)\.\d+-local-strict$")
_REF_PREFIX = "/api/_definitions.json#/$defs/"
# Bumped whenever _bundle's output changes, so that old cache entries are not read.
_CACHE_FORMAT = 2
_RULES_KEY = '"x-kubernetes-validations"'


def schema_root() -> Path:
    spec = importlib.util.find_spec("kubernetes_validate")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError("the kubernetes-validate package (built-in Kubernetes schemas) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "kubernetes-json-schema"


def available_versions() -> list[tuple[int, int]]:
    versions = []
    for entry in schema_root().iterdir():
        m = _DIR_RE.match(entry.name)
        if m:
            versions.append((int(m.group(1)), int(m.group(2))))
    return sorted(versions)


def parse_version(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"v?(\d+)\.(\d+)(?:\.\d+)?", text.strip())
    if not m:
        raise ConfigError(f"invalid Kubernetes version {text!r}: expected MAJOR.MINOR, e.g. 1.31")
    return int(m.group(1)), int(m.group(2))


def kind_suffix(group: str, version: str) -> str:
    """kubeconform's ``KindSuffix``: ``-{first group label}-{version}``, or ``-{version}`` for core."""
    first = group.split(".", 1)[0]
    return f"-{first}-{version}" if group else f"-{version}"


def _ref_target(ref: str) -> str | None:
    for prefix in (_REF_PREFIX, "#/$defs/"):
        if ref.startswith(prefix):
            return ref[len(prefix) :]
    return None


class BuiltinSchemas:
    """Schemas of one Kubernetes minor version; bundles each kind once per instance."""

    def __init__(self, version: tuple[int, int], cache_dir: Path | None = None) -> None:
        versions = available_versions()
        if version not in versions:
            shipped = ", ".join(f"{a}.{b}" for a, b in versions)
            raise ConfigError(
                f"no built-in schemas for Kubernetes {version[0]}.{version[1]}; shipped: {shipped}"
            )
        self.version = version
        self.directory = schema_root() / f"v{version[0]}.{version[1]}.0-local-strict"
        self._defs: dict[str, Any] | None = None
        self._cache: dict[str, dict[str, Any] | None] = {}
        self._cache_root = cache_dir / "builtin-schemas" if cache_dir is not None else None
        self._cache_dir: Path | None = None  # the root's directory for these definitions, once known
        # Kind files whose bundle has no x-kubernetes-validations key at all (read off the text).
        self._without_rules: set[str] = set()

    def filename(self, group: str, version: str, kind: str) -> str:
        return f"{kind.lower()}{kind_suffix(group, version)}.json"

    def get(self, group: str, version: str, kind: str) -> dict[str, Any] | None:
        name = self.filename(group, version, kind)
        if name not in self._cache:
            self._cache[name] = self._load(name, f"{group}/{version}" if group else version, kind)
        return self._cache[name]

    def may_have_rules(self, group: str, version: str, kind: str) -> bool:
        """False when the bundle certainly holds no CEL rules, so the check skips walking it."""
        return self.filename(group, version, kind) not in self._without_rules

    def kinds(self) -> list[str]:
        return sorted(p.name for p in self.directory.glob("*.json") if not p.name.startswith("_"))

    def _load(self, name: str, api_version: str, kind: str) -> dict[str, Any] | None:
        schema = self._bundled(name)
        if schema is None:
            return None
        # The file name only carries the first label of the group: make sure the
        # schema really is for this apiVersion and kind before using it.
        props = schema.get("properties", {})
        if api_version not in props.get("apiVersion", {}).get("enum", [api_version]):
            return None
        if kind not in props.get("kind", {}).get("enum", [kind]):
            return None
        return schema

    def _bundled(self, name: str) -> dict[str, Any] | None:
        """The bundle of kind file ``name``, from the cache when its source has not changed."""
        try:
            stat = os.stat(self.directory / name)
        except OSError:
            return None
        stamp = [stat.st_mtime_ns, stat.st_size]
        cached = self._cache_file(name)
        if cached is not None:
            try:
                text = cached.read_text(encoding="utf-8")
                entry = json.loads(text)
                if (
                    isinstance(entry, dict)
                    and entry.get("source") == stamp
                    and isinstance(entry.get("schema"), dict)
                ):
                    schema: dict[str, Any] = entry["schema"]
                    if _RULES_KEY not in text:
                        self._without_rules.add(name)
                    return schema
            except (OSError, ValueError):
                pass
        try:
            bundled = self.bundle_file(name)
        except OSError:
            return None
        text = json.dumps({"source": stamp, "schema": bundled})
        if _RULES_KEY not in text:
            self._without_rules.add(name)
        if cached is not None:
            write_atomically(cached, text)
        return bundled

    def _cache_file(self, name: str) -> Path | None:
        """Where the bundle of ``name`` is cached: a directory per shipped definitions file."""
        if self._cache_dir is None:
            if self._cache_root is None:
                return None
            try:
                defs = os.stat(self.directory / "_definitions.json")
            except OSError:
                self._cache_root = None
                return None
            major, minor = self.version
            stamp = f"v{major}.{minor}-{defs.st_mtime_ns}-{defs.st_size}-f{_CACHE_FORMAT}"
            self._cache_dir = self._cache_root / stamp
        return self._cache_dir / name

    def bundle_file(self, name: str) -> dict[str, Any]:
        return self._bundle(json.loads((self.directory / name).read_text(encoding="utf-8")))

    def _bundle(self, schema: dict[str, Any]) -> dict[str, Any]:
        if self._defs is None:
            self._defs = json.loads((self.directory / "_definitions.json").read_text(encoding="utf-8"))[
                "$defs"
            ]
        defs = self._defs
        reached: dict[str, Any] = {}
        todo: list[Any] = [schema]
        while todo:
            node = todo.pop()
            if isinstance(node, dict):
                ref = node.get("$ref")
                # Kind files point into _definitions.json; definitions point at each other locally.
                target = _ref_target(ref) if isinstance(ref, str) else None
                if target is not None and target not in reached and target in defs:
                    reached[target] = defs[target]
                    todo.append(defs[target])
                todo.extend(v for k, v in node.items() if k != "$ref")
            elif isinstance(node, list):
                todo.extend(node)
        text = json.dumps({**schema, "$defs": reached}).replace(_REF_PREFIX, "#/$defs/")
        bundled: dict[str, Any] = _without_docs(json.loads(text))
        bundled["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        return bundled


# Keywords whose values are data, not schemas: a "description" key inside one is data too.
_DATA_KEYWORDS = frozenset({"default", "enum", "const", "example", "examples"})
_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "$defs", "definitions"})


def _without_docs(node: Any) -> Any:
    """``node`` without its ``description`` keywords: three quarters of a bundled Deployment
    (218 KB -> 57 KB), read and compiled on every run that meets the kind. A property named
    "description" (PriorityClass has one) is a member of ``properties`` and stays."""
    if isinstance(node, list):
        return [_without_docs(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "description" and isinstance(value, str):
            continue
        if key in _DATA_KEYWORDS:
            out[key] = value
        elif key in _SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {name: _without_docs(sub) for name, sub in value.items()}
        else:
            out[key] = _without_docs(value)
    return out
