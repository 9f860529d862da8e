#!/usr/bin/env python3
"""`gitops-guard run` over several apps on one dev cluster: convergence, self-heal and commit
latency, idle cost, memory and shutdown.

One local Git repository holds APPS directories of OBJECTS ConfigMaps each, one Argo CD
Application per directory (automated, selfHeal). The engine runs as `gitops-guard run` with
`--interval` (default 5 s). Reported, each from the moment of the change until the cluster
shows it (polled every 0.1 s by this script):

* first convergence: start of the process until every app's objects exist;
* self-heal: one object of every app deleted at once, until all are back;
* new commit: every app's data changed in one commit, until all are updated;
* idle: CPU seconds the process used over IDLE seconds with nothing to do, and its peak RSS;
* shutdown: SIGTERM until exit (and the exit code).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml
from gitrepo import git
from run_cluster import cluster

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gitops_guard.cluster import Client  # noqa: E402


def _write(repo: Path, apps: int, objects: int, value: str) -> None:
    for a in range(apps):
        directory = repo / f"app-{a:02d}"
        directory.mkdir(parents=True, exist_ok=True)
        docs = [
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": f"a{a:02d}-cm-{i:03d}"},
                "data": {"v": value},
            }
            for i in range(objects)
        ]
        (directory / "all.yaml").write_text(yaml.safe_dump_all(docs), encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", value)


def _app(name: str, repo: Path, path: str, namespace: str) -> str:
    return yaml.safe_dump(
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Application",
            "metadata": {"name": name, "namespace": "argocd"},
            "spec": {
                "project": "default",
                "source": {"repoURL": str(repo), "targetRevision": "main", "path": path},
                "destination": {"server": "https://kubernetes.default.svc", "namespace": namespace},
                "syncPolicy": {"automated": {"prune": True, "selfHeal": True}},
            },
        }
    )


def _until(condition: Callable[[], bool], timeout: float = 600) -> float:
    started = time.perf_counter()
    while not condition():
        if time.perf_counter() - started > timeout:
            raise SystemExit("timed out")
        time.sleep(0.1)
    return time.perf_counter() - started


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=int, default=10)
    parser.add_argument("--objects", type=int, default=20, help="ConfigMaps per app")
    parser.add_argument("--interval", default="5s")
    parser.add_argument("--idle", type=float, default=30.0)
    parser.add_argument("--kubeconfig", help="use this running cluster instead of starting one")
    args = parser.parse_args(argv)

    with (
        cluster(args.kubeconfig) as kubeconfig,
        tempfile.TemporaryDirectory() as tmp,
        Client.from_kubeconfig(kubeconfig) as client,
    ):
        work = Path(tmp)
        namespace = f"bench-loop-{int(time.time())}"
        client.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
        repo = work / "repo"
        repo.mkdir()
        git(repo, "init", "-q", "-b", "main")
        _write(repo, args.apps, args.objects, "one")
        files = []
        for a in range(args.apps):
            path = work / f"app-{a:02d}.yaml"
            path.write_text(_app(f"bench-loop-{a:02d}", repo, f"app-{a:02d}", namespace), encoding="utf-8")
            files.append(str(path))
        total = args.apps * args.objects

        def values() -> list[str]:
            return [
                str((cm.get("data") or {}).get("v"))
                for cm in client.list("v1", "ConfigMap", namespace)
                if "-cm-" in cm["metadata"]["name"]
            ]

        env = dict(os.environ, GITOPS_GUARD_CACHE=str(work / "cache"))
        command = [
            sys.executable,
            "-m",
            "gitops_guard",
            "run",
            *files,
            "--kubeconfig",
            str(kubeconfig),
            "--history-namespace",
            namespace,
            "--interval",
            args.interval,
        ]
        started = time.perf_counter()
        proc = subprocess.Popen(
            command,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:

            def owners() -> int:
                return len(
                    [
                        cm
                        for cm in client.list("v1", "ConfigMap", namespace)
                        if "gitops-guard.dev/tracking-id" in (cm["metadata"].get("annotations") or {})
                    ]
                )

            _until(lambda: owners() >= total)
            first = time.perf_counter() - started
            time.sleep(2)
            for a in range(args.apps):
                client.delete("v1", "ConfigMap", f"a{a:02d}-cm-000", namespace)
            heal = _until(lambda: owners() >= total)
            _write(repo, args.apps, args.objects, "two")
            update = _until(lambda: set(values()) == {"two"})
            time.sleep(5)
            cpu_before = _cpu_seconds(proc.pid)
            time.sleep(args.idle)
            idle_cpu = _cpu_seconds(proc.pid) - cpu_before
            rss = _peak_rss_mib(proc.pid)
            stop = time.perf_counter()
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(120)
            shutdown = time.perf_counter() - stop
        finally:
            if proc.poll() is None:
                proc.kill()
            client.delete("v1", "Namespace", namespace)
        report = {
            "apps": args.apps,
            "objects_per_app": args.objects,
            "interval": args.interval,
            "first_convergence_s": round(first, 2),
            "self_heal_s": round(heal, 2),
            "new_commit_s": round(update, 2),
            "idle_cpu_s_per_s": round(idle_cpu / args.idle, 4),
            "peak_rss_mib": round(rss, 1),
            "shutdown_s": round(shutdown, 2),
            "exit_code": code,
            "total_objects_desired": total,
        }
        print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
