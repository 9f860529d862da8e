#!/usr/bin/env python3
"""Server-side dry run of 1,000 objects against a real kube-apiserver: objects per second.

This is the cost `gitops-guard diff` pays per object (one dry-run apply each), so it bounds how
fast a repository can be compared with a live cluster. It starts a private dev cluster
(scripts/dev-cluster up in a temporary state directory, stopped at the end) unless
--kubeconfig names a running one, creates one namespace, and times dry-run applies of
ConfigMaps and Deployments (half each), first over one connection, then from --threads
threads (one keep-alive connection each). The namespace is deleted at the end; a check that
the dry run stored nothing comes first.

It also records how long `import gitops_guard.cluster` takes in a fresh interpreter, the
start-up cost the cluster commands add.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import timing

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gitops_guard.cluster import Client  # noqa: E402


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Time server-side dry-run applies against a real cluster.")
    parser.add_argument("--objects", type=int, default=1000, help="objects per round (half ConfigMaps)")
    parser.add_argument("--threads", type=int, default=4, help="threads of the concurrent round")
    parser.add_argument("--kubeconfig", help="use this running cluster instead of starting one")
    parser.add_argument("--json", action="store_true", help="also write bench/out/cluster.json")
    return parser.parse_args(argv)


def objects(count: int, namespace: str) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = []
    for i in range(count):
        name = f"bench-{i:05d}"
        labels = {"app": name, "bench": "cluster"}
        meta = {"name": name, "namespace": namespace, "labels": labels}
        if i % 2 == 0:
            data = {"LOG_LEVEL": "info", "FEATURES": "a,b,c", "config.yaml": "server:\n  port: 8080\n" * 4}
            result.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data})
            continue
        container = {
            "name": "app",
            "image": f"registry.example/app:{i}",
            "ports": [{"containerPort": 8080, "name": "http"}],
            "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}},
            "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http"}},
        }
        spec = {
            "replicas": 2,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}},
        }
        result.append({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta, "spec": spec})
    return result


@contextmanager
def cluster(kubeconfig: str | None) -> Iterator[Path]:
    if kubeconfig:
        yield Path(kubeconfig)
        return
    with tempfile.TemporaryDirectory(prefix="gitops-guard-bench-cluster-") as state:
        env = dict(os.environ, GITOPS_GUARD_CLUSTER_DIR=state)
        script = [sys.executable, str(ROOT / "scripts" / "dev-cluster")]
        started = time.perf_counter()
        up = subprocess.run([*script, "up"], env=env, capture_output=True, text=True, check=False)
        if up.returncode != 0:
            raise SystemExit(f"scripts/dev-cluster up failed:\n{up.stderr}")
        print(f"dev cluster up in {time.perf_counter() - started:.1f}s")
        try:
            yield Path(up.stdout.strip().splitlines()[-1])
        finally:
            subprocess.run([*script, "down"], env=env, capture_output=True, check=False)


def import_time() -> float:
    """Minimum of 5 fresh-interpreter timings of `import gitops_guard.cluster`, in seconds."""
    code = "import time; t = time.perf_counter(); import gitops_guard.cluster; print(time.perf_counter() - t)"
    samples = []
    for _ in range(5):
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
        )
        samples.append(float(out.stdout))
    return min(samples)


def dry_run_round(client: Client, batch: list[dict[str, Any]], threads: int) -> tuple[float, list[float]]:
    """Wall seconds for the whole batch, and each request's latency."""
    latencies: list[float] = []

    def one(obj: dict[str, Any]) -> None:
        start = time.perf_counter()
        client.apply(obj, dry_run=True)
        latencies.append(time.perf_counter() - start)

    start = time.perf_counter()
    if threads == 1:
        for obj in batch:
            one(obj)
    else:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(one, batch))
    return time.perf_counter() - start, latencies


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    imported = import_time()
    print(f"import gitops_guard.cluster: {imported * 1000:.1f} ms (min of 5 fresh interpreters)")
    rounds: list[dict[str, Any]] = []
    with cluster(args.kubeconfig) as kubeconfig, Client.from_kubeconfig(kubeconfig) as client:
        namespace = f"bench-{int(time.time())}"
        client.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
        try:
            batch = objects(args.objects, namespace)
            dry_run_round(client, batch[:20], 1)  # warm-up: discovery, connection, server caches
            for threads in (1, args.threads):
                wall, latencies = dry_run_round(client, batch, threads)
                rate = len(batch) / wall
                p50 = statistics.median(latencies) * 1000
                p95 = statistics.quantiles(latencies, n=20)[-1] * 1000
                print(
                    f"{len(batch)} dry-run applies, {threads} thread(s): {wall:.2f}s, "
                    f"{rate:.0f} objects/s, latency p50 {p50:.1f} ms p95 {p95:.1f} ms"
                )
                rounds.append(
                    {"threads": threads, "objects": len(batch), "seconds": wall, "objects_per_s": rate,
                     "latency_p50_ms": p50, "latency_p95_ms": p95}
                )  # fmt: skip
            stored = client.list("v1", "ConfigMap", namespace, label_selector={"bench": "cluster"})
            stored += client.list("apps/v1", "Deployment", namespace, label_selector={"bench": "cluster"})
            if stored:
                raise SystemExit(f"dry run stored {len(stored)} objects")
            version = client.version().get("gitVersion")
        finally:
            client.delete("v1", "Namespace", namespace)
    if args.json:
        record = {
            "benchmark": "cluster",
            "server": version,
            "import_gitops_guard_cluster_s": imported,
            "rounds": rounds,
            "environment": timing.environment(),
        }
        print(f"\nwrote {timing.write_json('cluster', record)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
