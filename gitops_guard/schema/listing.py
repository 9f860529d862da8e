"""``gitops-guard schemas list``: every shipped schema with its source project, version and licence."""

from __future__ import annotations

import json
from importlib import metadata
from typing import Any

from gitops_guard.schema import catalog
from gitops_guard.schema.builtin import available_versions

_BUILTIN_PROJECT = "Kubernetes OpenAPI, as packaged by kubernetes-validate"


def rows() -> list[dict[str, Any]]:
    """Built-in Kubernetes versions first, then one row per shipped CRD schema."""
    try:
        package = metadata.version("kubernetes-validate")
    except metadata.PackageNotFoundError:
        package = "unknown"
    out: list[dict[str, Any]] = [
        {
            "source": "builtin",
            "group": "",
            "kind": "(Kubernetes built-in kinds)",
            "version": f"{major}.{minor}",
            "project": _BUILTIN_PROJECT,
            "module": f"kubernetes-validate {package}",
            "licence": "Apache-2.0",
        }
        for major, minor in available_versions()
    ]
    for entry in catalog.entries():
        origin = entry.origin
        out.append(
            {
                "source": origin.tier,
                "group": entry.group,
                "kind": _kind_name(entry),
                "version": entry.version,
                "project": origin.project,
                "module": f"{origin.module}@{origin.version}",
                "licence": origin.licence,
                # Earlier releases also shipped: used for a repository that deploys one.
                "earlier": list(entry.earlier),
            }
        )
    return out


def _kind_name(entry: catalog.Entry) -> str:
    """The kind as the schema spells it (file names are lower case)."""
    path = catalog.schemas_dir() / entry.group / f"{entry.kind}_{entry.version}.json"
    try:
        with open(path, encoding="utf-8") as fh:
            kinds = json.load(fh)["properties"]["kind"]["enum"]
        return str(kinds[0])
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        return entry.kind


def render(fmt: str) -> str:
    table = rows()
    if fmt == "json":
        return json.dumps({"schemas": table}, indent=2) + "\n"
    header = ("SOURCE", "API VERSION", "KIND", "PROJECT", "MODULE@VERSION", "LICENCE")
    lines = [
        (
            r["source"],
            f"{r['group']}/{r['version']}" if r["group"] else f"Kubernetes {r['version']}",
            r["kind"],
            r["project"],
            r["module"] + "".join(f" (also {v})" for v in r.get("earlier", ())),
            r["licence"],
        )
        for r in table
    ]
    widths = [max(len(str(row[i])) for row in (header, *lines)) for i in range(len(header) - 1)]
    text = []
    for row in (header, *lines):
        cells = [str(cell).ljust(width) for cell, width in zip(row, widths, strict=False)]
        text.append("  ".join([*cells, str(row[-1])]))
    crds = len(table) - len(available_versions())
    projects = len({r["project"].split(" (")[0] for r in table if r["source"] != "builtin"})
    versions = len(available_versions())
    text.append(
        f"{crds} CRD schemas from {projects} projects; built-in schemas of {versions} Kubernetes versions"
    )
    return "\n".join(text) + "\n"
