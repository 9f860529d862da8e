"""Which version of an operator the repository itself deploys, read off its Helm chart.

A Flux HelmRelease (``spec.chart.spec.chart`` + ``version``), a Flux OCIRepository of a chart
(``oci://.../CHART`` + ``ref.tag``), a HelmChart, or an Argo CD Application source (``chart`` +
``targetRevision``) names a chart and a version. For the catalog projects whose chart version
is the operator's version (``charts`` in ``schemas/sources.json``), that says whether the
catalog schema is the one the cluster will run. Read only when a catalog finding needs it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, NamedTuple

from gitops_guard.resources import Resource

_VERSION = re.compile(r"v?(\d+\.\d+\.\d+)")


class Deployed(NamedTuple):
    chart: str
    version: str  # without a leading "v"
    path: str  # the file that says so


def exact(version: str) -> str | None:
    """``v1.2.3``/``1.2.3`` -> ``1.2.3``; ranges, ``latest`` or a bare major -> None."""
    m = _VERSION.fullmatch(version.strip())
    return m.group(1) if m else None


def find(resources: Sequence[Resource], charts: Iterable[str]) -> list[Deployed]:
    """Every exact chart version the resources pin, for the named charts."""
    wanted = set(charts)
    out: list[Deployed] = []
    for res in resources:
        for chart, version in _charts(res):
            pinned = exact(version) if isinstance(version, str) else None
            if chart in wanted and pinned is not None:
                out.append(Deployed(chart, pinned, res.path))
    return out


def _charts(res: Resource) -> Iterator[tuple[str, Any]]:
    body, kind, group = res.body, res.kind, res.group
    spec = body.get("spec")
    if not isinstance(spec, dict):
        return
    if group == "helm.toolkit.fluxcd.io" and kind == "HelmRelease":
        chart = _at(spec, "chart", "spec")
        if isinstance(chart, dict) and isinstance(chart.get("chart"), str):
            yield chart["chart"], chart.get("version")
    elif group == "source.toolkit.fluxcd.io" and kind == "HelmChart":
        if isinstance(spec.get("chart"), str):
            yield spec["chart"], spec.get("version")
    elif group == "source.toolkit.fluxcd.io" and kind == "OCIRepository":
        url, ref = spec.get("url"), spec.get("ref")
        if isinstance(url, str) and isinstance(ref, dict):
            yield url.rstrip("/").rsplit("/", 1)[-1], ref.get("tag")
    elif group == "argoproj.io" and kind == "Application":
        sources = spec.get("sources")
        for source in [spec.get("source"), *(sources if isinstance(sources, list) else [])]:
            if isinstance(source, dict) and isinstance(source.get("chart"), str):
                yield source["chart"], source.get("targetRevision")


def _at(node: Any, *keys: str) -> Any:
    for key in keys:
        node = node.get(key) if isinstance(node, dict) else None
    return node
