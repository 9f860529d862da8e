"""The one place kustomize and Helm are run, and what keeps a build from being complete.

:class:`Builder` looks each renderer up once (``render/tools.py``: pinned, PATH, wheel) and
runs it offline (``render/kustomize.py``, ``render/helm.py``); the check render stage, the
Flux build, both diffs and the sync engine all build through it.  :func:`kustomize_gaps` and
:func:`chart_gaps` say, without starting a process, what a build would have to fetch: a
remote base, ``helmCharts``, a chart dependency missing from ``charts/``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from gitops_guard.desired.state import Gap, GapKind
from gitops_guard.render import helm, helm_options, kustomize, tools
from gitops_guard.render import tree as tree_mod
from gitops_guard.render.helm_options import HelmOptions
from gitops_guard.source.walk import display_path

KUSTOMIZE = "kustomize"
HELM = "helm"


class Builder:
    """Renderers of one run: looked up on first use, shared by threads."""

    def __init__(
        self,
        cache_bin: Path | None = None,
        *,
        kube_version: tuple[int, int] = (1, 37),
        timeout: float = tools.DEFAULT_TIMEOUT,
    ) -> None:
        self.cache_bin = cache_bin
        self.kube_version = kube_version
        self.timeout = timeout
        self._found: dict[str, tools.Renderer | None] = {}
        self._lock = threading.Lock()

    def renderer(self, kind: str) -> tools.Renderer | None:
        """``kustomize`` or ``helm``; None when none is installed."""
        with self._lock:
            if kind not in self._found:
                find = tools.find_kustomize if kind == KUSTOMIZE else tools.find_helm
                self._found[kind] = find(self.cache_bin)
            return self._found[kind]

    def missing(self, kind: str) -> Gap | None:
        """A NO_RENDERER gap when ``kind`` is not installed."""
        if self.renderer(kind) is not None:
            return None
        return Gap(GapKind.NO_RENDERER, f"{kind} not found: not rendered ({tools.install_hint(kind)})")

    def kustomize(
        self,
        directory: Path,
        workdir: Path,
        cwd: Path,
        *,
        unrestricted: bool = False,
        overlay: dict[str, Any] | None = None,
        resources: list[Path] | None = None,
        keep_text: bool = False,
    ) -> kustomize.Built:
        """``kustomize build`` of ``directory`` through a wrapper in ``workdir`` (see
        :func:`gitops_guard.render.kustomize.build`); the renderer must exist."""
        return kustomize.build(
            self._required(KUSTOMIZE), directory, workdir, cwd, self.timeout, unrestricted=unrestricted,
            overlay=overlay, resources=resources, keep_text=keep_text,
        )  # fmt: skip

    def helm(
        self, chart: Path, workdir: Path, cwd: Path, options: HelmOptions | None = None
    ) -> helm.Rendered:
        """``helm template`` of ``chart`` with ``options`` (default values when None); inline
        values are written to ``workdir``.values.yaml."""
        options = options or HelmOptions()
        value_files = helm_options.with_inline_file(options, workdir.with_suffix(".values.yaml"))
        return helm.template(
            self._required(HELM), chart, self.kube_version, self.timeout, cwd, release=options.release,
            namespace=options.namespace or "default", value_files=value_files, set_values=options.parameters,
        )  # fmt: skip

    def _required(self, kind: str) -> tools.Renderer:
        found = self.renderer(kind)
        if found is None:
            raise LookupError(f"{kind} not found")  # callers ask ``renderer`` first
        return found


def kustomize_gaps(members: Sequence[tree_mod.Kustomization], cwd: Path) -> list[Gap]:
    """What a build of these kustomizations (a root and what it includes) would fetch: remote
    bases first, then ``helmCharts``."""
    out = [
        Gap(GapKind.REMOTE_BASE, f"remote base {remote!r} is not fetched (rendering is offline)",
            display_path(k.file, cwd), subject=remote)
        for k in members
        for remote in k.remote
    ]  # fmt: skip
    for k in members:
        if k.data.get("helmCharts"):
            shown = display_path(k.file, cwd)
            message = f"{shown} uses helmCharts (needs --enable-helm and a chart download)"
            out.append(Gap(GapKind.HELM_CHARTS, message, shown))
    return out


def chart_gaps(chart: Path, metadata: dict[str, Any], cwd: Path) -> list[Gap]:
    """A chart whose dependencies are not all vendored under ``charts/``: one gap naming them
    (``subject``: the first missing one)."""
    missing = helm.missing_dependencies(chart, metadata)
    if not missing:
        return []
    names = ", ".join(missing[:3]) + (", ..." if len(missing) > 3 else "")
    message = (
        f"chart dependencies not in charts/ ({names}) are not fetched (rendering is offline; vendor "
        "them with `helm dependency build`)"
    )
    return [Gap(GapKind.UNVENDORED_DEPENDENCY, message, display_path(chart / "Chart.yaml", cwd),
                subject=missing[0])]  # fmt: skip


def closure_of(directory: Path, top: Path) -> list[tree_mod.Kustomization]:
    """The kustomization in ``directory`` and every local one it includes (none: no
    kustomization there), read on demand rather than by walking the whole tree."""
    return tree_mod.closure_from(directory, top)


def failed_gap(tool: str, shown: str, error: str) -> Gap:
    return Gap(GapKind.RENDER_FAILED, f"{tool} {shown}: {error}", shown)


def describe(gaps: Iterable[Gap]) -> str:
    return "; ".join(dict.fromkeys(g.message for g in gaps))
