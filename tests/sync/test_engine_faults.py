"""Fault injection: `gitops-guard sync` killed with SIGKILL at random points of a 200-object
sync, switching between two revisions, then one sync to the end. Nothing may be lost, left
behind, or left without its tracking id.

GITOPS_GUARD_FAULT_POINTS sets the number of kills (default 10; the README's numbers use 20).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from gitops_guard.cluster import Client, ClusterError
from gitops_guard.ownership import TRACKING_ANNOTATION
from gitops_guard.sync import engine
from gitops_guard.sync.history import HistoryStore, Result
from tests.conftest import DevCluster
from tests.helpers import git
from tests.sync.engine_helpers import PRUNE, AppRepo, config_map


def _objects(first: int, last: int, value: str) -> dict[str, str]:
    return {f"cm-{i:03d}.yaml": config_map(f"cm-{i:03d}", data={"v": value}) for i in range(first, last)}


def _settled(client: Client, namespace: str, wanted: list[str]) -> list[dict[str, Any]]:
    """The app's ConfigMaps once the garbage collector has finished Foreground deletions."""
    deadline = time.monotonic() + 30
    while True:
        live = [
            c for c in client.list("v1", "ConfigMap", namespace) if c["metadata"]["name"].startswith("cm-")
        ]
        names = sorted(c["metadata"]["name"] for c in live)
        deleting = [c["metadata"]["name"] for c in live if c["metadata"].get("deletionTimestamp")]
        if names == wanted or not deleting or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert names == wanted, (
        f"extra {sorted(set(names) - set(wanted))}, missing {sorted(set(wanted) - set(names))}"
    )
    return live


def test_kill_9_at_random_points_then_a_rerun_converges(
    client: Client, dev_cluster: DevCluster, namespace: str, history_ns: str, tmp_path: Path
) -> None:
    repo = AppRepo(tmp_path, namespace, policy=PRUNE)
    repo.commit(_objects(0, 200, "a"))
    git(repo.repo, "branch", "a")
    repo.commit(_objects(20, 220, "b"))  # 20 gone, 20 new, every value changed
    git(repo.repo, "branch", "b")
    env = dict(os.environ, GITOPS_GUARD_CACHE=str(tmp_path / "cache"))

    def sync(revision: str) -> subprocess.Popen[bytes]:
        argv = [sys.executable, "-m", "gitops_guard", "sync", str(repo.file), "--revision", revision]
        argv += ["--kubeconfig", str(dev_cluster.kubeconfig), "--history-namespace", history_ns]
        return subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    started = time.monotonic()
    full = sync("a")
    _, err = full.communicate(timeout=180)
    assert full.returncode == 0, err.decode()
    length = time.monotonic() - started
    points = int(os.environ.get("GITOPS_GUARD_FAULT_POINTS", "10"))
    rng = random.Random(20261201)
    killed_mid_write = 0
    for n in range(points):
        proc = sync("b" if n % 2 == 0 else "a")
        time.sleep(rng.uniform(0.1, length))
        if proc.poll() is None:
            proc.kill()
            killed_mid_write += 1
        proc.wait(timeout=60)
        proc.stderr.close()  # type: ignore[union-attr]
    assert killed_mid_write >= points // 2, "the kills came too late to interrupt anything"

    # Back to a (whose first 20 objects the kills may have left being deleted), then to b.
    for revision, first in (("a", 0), ("b", 20)):
        final = sync(revision)
        _, err = final.communicate(timeout=180)
        assert final.returncode == 0, err.decode()
        live = _settled(client, namespace, [f"cm-{i:03d}" for i in range(first, first + 200)])
        assert {c["data"]["v"] for c in live} == {revision}
    for c in live:
        assert (
            c["metadata"]["annotations"][TRACKING_ANNOTATION]
            == f"web:/ConfigMap:{namespace}/{c['metadata']['name']}"
        )
    state = HistoryStore(client, history_ns).read("web")
    assert state.history[-1].result is Result.SUCCEEDED
    assert len(state.inventory) == 200


def _apiserver_pid(dev_cluster: DevCluster) -> int:
    state = json.loads((dev_cluster.state_dir / "state.json").read_text(encoding="utf-8"))
    return next(int(p["pid"]) for p in state["processes"] if p["name"] == "kube-apiserver")


def test_the_api_server_stopping_mid_sync_is_a_clear_error_prunes_nothing_and_a_rerun_resumes(
    client: Client, dev_cluster: DevCluster, namespace: str, history_ns: str, tmp_path: Path
) -> None:
    repo = AppRepo(tmp_path, namespace, policy=PRUNE)
    repo.commit(_objects(0, 100, "a"))
    assert (
        engine.sync_app(repo.spec(), client, history_namespace=history_ns, cache=repo.cache).status
        == "Synced"
    )
    repo.commit(_objects(50, 150, "b"))  # 50 to prune, 50 to update, 50 to create
    pid = _apiserver_pid(dev_cluster)
    paused = []

    def pause_before_writing(text: str) -> None:
        if "writing" in text and not paused:
            os.kill(pid, signal.SIGSTOP)  # the API server stops answering, mid-sync
            paused.append(text)

    try:
        with (
            Client.from_kubeconfig(dev_cluster.kubeconfig, timeout=2) as impatient,
            pytest.raises(ClusterError, match="cannot reach the Kubernetes API"),
        ):
            engine.sync_app(
                repo.spec(),
                impatient,
                history_namespace=history_ns,
                cache=repo.cache,
                log=pause_before_writing,
            )
    finally:
        os.kill(pid, signal.SIGCONT)
    assert paused
    client.discovery.invalidate()
    deadline = time.monotonic() + 30
    while True:  # the server answers again
        try:
            client.version()
            break
        except ClusterError:
            assert time.monotonic() < deadline
            time.sleep(0.5)
    left = [
        c["metadata"]["name"]
        for c in client.list("v1", "ConfigMap", namespace)
        if c["metadata"]["name"].startswith("cm-")
    ]
    assert sorted(left)[:50] == [f"cm-{i:03d}" for i in range(50)]  # nothing was pruned
    result = engine.sync_app(repo.spec(), client, history_namespace=history_ns, cache=repo.cache)
    assert result.status == "Synced", result.render()
    _settled(client, namespace, [f"cm-{i:03d}" for i in range(50, 150)])
    results = [e.result for e in HistoryStore(client, history_ns).read("web").history]
    assert results[0] is Result.SUCCEEDED and results[-1] is Result.SUCCEEDED
    assert Result.RUNNING in results  # the interrupted sync, left as it was when the server went away
