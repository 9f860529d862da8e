"""Where each shipped CRD schema comes from: ``schemas/sources.json``, written by scripts/update-schemas.

The schemas themselves are found by group/kind/version on disk (``registry.py``) and never
listed on a check's path; this index is read only to name a schema's project and version
(a catalog schema's unknown field, ``gitops-guard schemas list``).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from gitops_guard.datafiles import data_dir

GITOPS = "gitops"  # the GitOps controllers' CRDs: unknown fields are errors
CATALOG = "catalog"  # other projects' CRDs: an unknown field may be version skew


class Origin(NamedTuple):
    project: str  # upstream repository, owner/name
    module: str  # Go module the CRDs were taken from
    version: str  # its version
    licence: str  # SPDX identifier
    tier: str  # GITOPS or CATALOG
    # Helm charts whose version is the operator's version (see deployed.py).
    charts: tuple[str, ...] = ()

    def label(self) -> str:
        return f"{self.project} {self.version}"


class Entry(NamedTuple):
    group: str
    kind: str  # in lower case, as in the file name
    version: str
    origin: Origin
    # Earlier releases of the project whose schema of this kind is also shipped.
    earlier: tuple[str, ...] = ()


class Earlier(NamedTuple):
    """An earlier release's schema of a kind: its own file, or None where it is the shipped one."""

    origin: Origin
    path: Path | None


def schemas_dir() -> Path:
    return data_dir("schemas") / "crds"


def earlier_dir() -> Path:
    return data_dir("schemas") / "earlier"


def origin(group: str, kind: str, version: str) -> Origin | None:
    """The source of the shipped schema of ``group/version, kind``, if one is shipped."""
    index = _index()
    at = index.schemas.get(f"{group}/{kind.lower()}_{version}")
    return index.sources[at] if at is not None else None


def earlier(group: str, kind: str, version: str) -> list[Earlier]:
    """The earlier releases shipped for ``group/version, kind``, oldest first.

    Read only for a group that has any (a directory test first: a check that uses no such
    group never reads the index)."""
    if not (earlier_dir() / group).is_dir():
        return []
    index = _index()
    name = f"{group}/{kind.lower()}_{version}"
    out = []
    for at, stored in index.earlier.get(name, ()):
        source = index.sources[at]
        path = earlier_dir() / f"{name}@{source.version}.json" if stored else None
        out.append(Earlier(source, path))
    return out


def entries() -> list[Entry]:
    index = _index()
    out = []
    for name, at in sorted(index.schemas.items()):
        group, _, stem = name.partition("/")
        kind, _, version = stem.partition("_")
        releases = tuple(index.sources[i].version for i, _ in index.earlier.get(name, ()))
        out.append(Entry(group, kind, version, index.sources[at], releases))
    return out


class _Index(NamedTuple):
    sources: list[Origin]
    schemas: dict[str, int]
    earlier: dict[str, list[tuple[int, bool]]]


@cache
def _index() -> _Index:
    path = data_dir("schemas") / "sources.json"
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
        sources = [
            Origin(
                s["project"], s["module"], s["version"], s["licence"], s["tier"], tuple(s.get("charts", ()))
            )
            for s in data["sources"]
        ]
        schemas = {str(k): int(v) for k, v in data["schemas"].items() if 0 <= int(v) < len(sources)}
        earlier = {
            str(k): [(int(i), bool(stored)) for i, stored in v if 0 <= int(i) < len(sources)]
            for k, v in data.get("earlier", {}).items()
        }
    except (OSError, ValueError, KeyError, TypeError):
        return _Index([], {}, {})
    return _Index(sources, schemas, earlier)
