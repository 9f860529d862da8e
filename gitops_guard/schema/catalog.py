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


def schemas_dir() -> Path:
    return data_dir("schemas") / "crds"


def origin(group: str, kind: str, version: str) -> Origin | None:
    """The source of the shipped schema of ``group/version, kind``, if one is shipped."""
    sources, schemas = _index()
    at = schemas.get(f"{group}/{kind.lower()}_{version}")
    return sources[at] if at is not None else None


def entries() -> list[Entry]:
    sources, schemas = _index()
    out = []
    for name, at in sorted(schemas.items()):
        group, _, stem = name.partition("/")
        kind, _, version = stem.partition("_")
        out.append(Entry(group, kind, version, sources[at]))
    return out


@cache
def _index() -> tuple[list[Origin], dict[str, int]]:
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
    except (OSError, ValueError, KeyError, TypeError):
        return [], {}
    return sources, schemas
