"""The run loop in-process against the real dev cluster and real Git repositories.

The reconciler here is the small real one in loop_helpers (plain manifests, server-side apply
through the real client); tests/sync/test_run_cli.py runs ``gitops-guard run`` with the engine.
"""

from __future__ import annotations

import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gitops_guard.cluster import Client
from gitops_guard.ownership import TRACKING_ANNOTATION
from gitops_guard.sync.lease import app_lease
from gitops_guard.sync.loop import Loop, Options
from gitops_guard.sync.metrics import Metrics, Server
from tests.conftest import DevCluster
from tests.sync.loop_helpers import (
    CapturedLog,
    PlainReconciler,
    Relay,
    application,
    commit,
    configmap,
    make_repo,
    relayed_kubeconfig,
    server_address,
    wait_for,
)


class Running:
    def __init__(self, loop: Loop) -> None:
        self.loop = loop
        self.code: int | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        self.code = self.loop.run()

    def stop(self) -> int | None:
        self.loop.stop()
        self.thread.join(60)
        assert not self.thread.is_alive(), "the loop did not stop"
        return self.code


@pytest.fixture
def started() -> Iterator[list[Running]]:
    running: list[Running] = []
    yield running
    for r in running:
        if r.thread.is_alive():
            r.stop()


def _data(client: Client, name: str, namespace: str) -> dict[str, Any] | None:
    live = client.get("v1", "ConfigMap", name, namespace)
    return None if live is None else dict(live.get("data") or {})


def _app(tmp_path: Path, name: str, repo: Path, namespace: str, **kwargs: Any) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(application(name, repo, namespace, **kwargs), encoding="utf-8")
    return path


def _loop(
    client: Client,
    namespace: str,
    reconciler: PlainReconciler,
    paths: list[Path],
    log: CapturedLog,
    *,
    metrics: Metrics | None = None,
    identity: str = "",
) -> Loop:
    apps = [reconciler.load(p) for p in paths]
    options = Options(interval=0.5, namespace=namespace, lease_duration=3.0, grace=10.0, identity=identity)
    return Loop(apps, reconciler, client, options=options, log=log, metrics=metrics)


def test_new_commits_are_synced_and_drift_is_healed(
    client: Client, namespace: str, tmp_path: Path, started: list[Running]
) -> None:
    repo = make_repo(tmp_path / "repo")
    first = commit(repo, {"manifests/web.yaml": configmap("web", namespace, color="blue")})
    reconciler = PlainReconciler(tmp_path / "cache")
    log = CapturedLog()
    loop = _loop(client, namespace, reconciler, [_app(tmp_path, "web", repo, namespace)], log)
    started.append(Running(loop))

    wait_for("the first sync", lambda: _data(client, "web", namespace) == {"color": "blue"})
    live = client.get("v1", "ConfigMap", "web", namespace)
    assert live is not None
    assert live["metadata"]["annotations"][TRACKING_ANNOTATION] == f"web:/ConfigMap:{namespace}/web"

    second = commit(repo, {"manifests/web.yaml": configmap("web", namespace, color="green")})
    wait_for("the new commit", lambda: _data(client, "web", namespace) == {"color": "green"})

    # Someone deletes the object: the loop puts it back.
    client.delete("v1", "ConfigMap", "web", namespace)
    wait_for("the deleted object to return", lambda: _data(client, "web", namespace) == {"color": "green"})
    # Someone edits it: the loop restores the repository's value.
    edited = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "web", "namespace": namespace},
        "data": {"color": "red"},
    }
    client.apply(edited, field_manager="someone-else")
    assert _data(client, "web", namespace) == {"color": "red"}
    wait_for("the edit to be reverted", lambda: _data(client, "web", namespace) == {"color": "green"})

    assert [rev for _, rev in reconciler.synced][:2] == [first, second]
    reasons = [e["reason"] for e in log.events("sync-started")]
    assert reasons[:2] == ["new revision", "new revision"]
    assert reasons.count("self-heal") >= 2
    assert log.events("drift", app="web")
    assert running_stop(started) == 0


def running_stop(started: list[Running]) -> int | None:
    return started[-1].stop()


def test_shutdown_releases_the_lease(
    client: Client, namespace: str, tmp_path: Path, started: list[Running]
) -> None:
    repo = make_repo(tmp_path / "repo")
    commit(repo, {"manifests/a.yaml": configmap("a", namespace, k="v")})
    reconciler = PlainReconciler(tmp_path / "cache")
    log = CapturedLog()
    loop = _loop(
        client, namespace, reconciler, [_app(tmp_path, "a", repo, namespace)], log, identity="engine-x"
    )
    started.append(Running(loop))
    wait_for("the sync", lambda: reconciler.synced)
    lease = app_lease(client, namespace, "a", "observer")
    record = lease.current()
    assert record is not None and record.holder == "engine-x"
    assert running_stop(started) == 0
    record = lease.current()
    assert record is not None and record.holder == ""
    assert client.get("coordination.k8s.io/v1", "Lease", loop.replicas.lease.name, namespace) is None
    assert log.events("stopped", released=["a"], abandoned=[])


def test_two_engines_never_write_one_app_and_share_several(
    client: Client, namespace: str, tmp_path: Path, started: list[Running]
) -> None:
    repo = make_repo(tmp_path / "repo")
    names = ["a", "b", "c", "d"]
    commit(repo, {f"{n}/cm.yaml": configmap(n, namespace, k="1") for n in names})
    paths = [_app(tmp_path, n, repo, namespace, path=n) for n in names]
    one, two = PlainReconciler(tmp_path / "cache1"), PlainReconciler(tmp_path / "cache2")
    log_one, log_two = CapturedLog(), CapturedLog()
    started.append(Running(_loop(client, namespace, one, paths, log_one, identity="engine-1")))
    wait_for("engine-1 to sync everything", lambda: {a for a, _ in one.synced} == set(names))
    started.append(Running(_loop(client, namespace, two, paths, log_two, identity="engine-2")))

    # engine-2 joins: engine-1 hands apps over until each holds its share of two.
    def holders() -> dict[str, str]:
        out = {}
        for n in names:
            record = app_lease(client, namespace, n, "observer").current()
            out[n] = record.holder if record else ""
        return out

    wait_for(
        "the apps to be shared 2/2",
        lambda: sorted(holders().values()) == ["engine-1", "engine-1", "engine-2", "engine-2"],
        timeout=40,
    )
    moved = {n for n, h in holders().items() if h == "engine-2"}
    wait_for("engine-2 to sync its apps", lambda: {a for a, _ in two.synced} == moved)
    # Never both at once: every app engine-2 synced, engine-1 had handed over first.
    handed = {e["app"] for e in log_one.events("lease-handed-over")}
    assert moved <= handed
    synced_by_two = {a for a, _ in two.synced}
    assert synced_by_two == moved

    # engine-1 stops: engine-2 takes everything at once (released, not expired).
    assert started[0].stop() == 0
    wait_for("engine-2 to hold every app", lambda: set(holders().values()) == {"engine-2"}, timeout=20)
    assert running_stop(started) == 0


def test_metrics_and_healthz_over_http(
    client: Client, namespace: str, tmp_path: Path, started: list[Running]
) -> None:
    repo = make_repo(tmp_path / "repo")
    head = commit(repo, {"manifests/m.yaml": configmap("m", namespace, k="v")})
    reconciler = PlainReconciler(tmp_path / "cache")
    metrics = Metrics()
    log = CapturedLog()
    loop = _loop(client, namespace, reconciler, [_app(tmp_path, "m", repo, namespace)], log, metrics=metrics)
    server = Server(metrics, "127.0.0.1", 0, loop.healthy)
    server.start()
    try:
        started.append(Running(loop))
        host, port = server.address
        base = f"http://{host}:{port}"

        def scrape() -> str:
            with urllib.request.urlopen(f"{base}/metrics", timeout=5) as response:
                assert response.status == 200
                assert response.headers["Content-Type"].startswith("text/plain")
                return str(response.read().decode())

        wait_for("a drift compare", lambda: 'gitops_guard_drift_objects{app="m"} 0.0' in scrape())
        text = scrape()
        assert 'gitops_guard_sync_total{app="m",phase="Succeeded"} 1.0' in text
        info = f'app="m",health_status="Healthy",revision="{head}",sync_status="Synced"'
        assert f"gitops_guard_app_info{{{info}}} 1.0" in text
        assert 'gitops_guard_last_sync_timestamp_seconds{app="m"}' in text
        assert "gitops_guard_reconcile_duration_seconds_bucket{le=" in text
        assert "gitops_guard_reconcile_duration_seconds_count " in text
        with urllib.request.urlopen(f"{base}/healthz", timeout=5) as response:
            assert response.status == 200 and response.read() == b"ok\n"
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"{base}/nothing", timeout=5)
        assert missing.value.code == 404
        assert running_stop(started) == 0
    finally:
        server.stop()


def test_api_server_unreachable_gives_a_clear_status_and_recovers(
    client: Client, dev_cluster: DevCluster, namespace: str, tmp_path: Path, started: list[Running]
) -> None:
    relay = Relay(server_address(dev_cluster.kubeconfig))
    kubeconfig = relayed_kubeconfig(dev_cluster.kubeconfig, relay.port, tmp_path / "kubeconfig")
    repo = make_repo(tmp_path / "repo")
    commit(
        repo,
        {
            "manifests/keep.yaml": configmap("keep", namespace, v="1"),
            "manifests/u.yaml": configmap("u", namespace, v="1"),
        },
    )
    reconciler = PlainReconciler(tmp_path / "cache")
    metrics = Metrics()
    log = CapturedLog()
    with Client.from_kubeconfig(kubeconfig, timeout=5) as relayed:
        apps = [reconciler.load(_app(tmp_path, "u", repo, namespace))]
        options = Options(interval=0.5, namespace=namespace, lease_duration=3.0, grace=10.0)
        loop = Loop(apps, reconciler, relayed, options=options, log=log, metrics=metrics)
        started.append(Running(loop))
        wait_for("the first sync", lambda: _data(client, "u", namespace) == {"v": "1"})

        relay.cut()
        head = commit(
            repo, {"manifests/u.yaml": configmap("u", namespace, v="2"), "manifests/keep.yaml": None}
        )
        wait_for("the outage to be reported", lambda: log.events("ClusterUnreachable", app="u"), timeout=30)
        record = log.events("ClusterUnreachable", app="u")[0]
        assert record["sync_status"] == "Unknown" and "cannot reach the Kubernetes API" in record["message"]
        assert record["retry_in"] > 0
        assert b'sync_status="Unknown"' in metrics.exposition(), log.buffer.getvalue()
        # Nothing was written meanwhile (seen directly, not through the relay).
        assert _data(client, "u", namespace) == {"v": "1"}
        assert _data(client, "keep", namespace) == {"v": "1"}

        relay.restore()
        wait_for("the loop to recover", lambda: _data(client, "u", namespace) == {"v": "2"}, timeout=60)
        wait_for("the recovery to be logged", lambda: log.events("recovered", app="u"))
        assert (reconciler.synced[-1]) == ("u", head)
        # This reconciler never prunes; the engine's prune rules are tested with the engine.
        assert _data(client, "keep", namespace) == {"v": "1"}
        assert running_stop(started) == 0
    relay.cut()


def test_git_unreachable_syncs_nothing_says_so_and_recovers(
    client: Client, namespace: str, tmp_path: Path, started: list[Running]
) -> None:
    repo = make_repo(tmp_path / "repo")
    commit(repo, {"manifests/g.yaml": configmap("g", namespace, v="1")})
    reconciler = PlainReconciler(tmp_path / "cache")
    log = CapturedLog()
    started.append(Running(_loop(client, namespace, reconciler, [_app(tmp_path, "g", repo, namespace)], log)))
    wait_for("the first sync", lambda: reconciler.synced)
    hidden = repo.rename(tmp_path / "elsewhere")  # the remote is gone
    status = wait_for("the outage", lambda: log.events("SourceUnavailable", app="g"))[0]
    assert status["sync_status"] == "Unknown" and "file://" in status["message"]
    synced = len(reconciler.synced)
    time.sleep(2)
    assert len(reconciler.synced) == synced
    hidden.rename(repo)
    head = commit(repo, {"manifests/g.yaml": configmap("g", namespace, v="2")})
    wait_for(
        "the new commit after the outage", lambda: _data(client, "g", namespace) == {"v": "2"}, timeout=60
    )
    wait_for("the recovery", lambda: log.events("recovered", app="g"))
    assert reconciler.synced[-1] == ("g", head)
    assert running_stop(started) == 0


class SlowReconciler(PlainReconciler):
    """Syncs that take a while and read the cluster as they go (as a health wait does)."""

    def sync(self, app: Any, client: Any, *, revision: str, log: Any) -> Any:
        for _ in range(200):
            client.get("v1", "Namespace", app.spec.namespace)
            time.sleep(0.05)
        return super().sync(app, client, revision=revision, log=log)


def test_a_sync_stops_when_its_engine_loses_the_lease(
    client: Client, namespace: str, tmp_path: Path, started: list[Running]
) -> None:
    repo = make_repo(tmp_path / "repo")
    commit(repo, {"manifests/s.yaml": configmap("s", namespace, v="1")})
    reconciler = SlowReconciler(tmp_path / "cache")
    log = CapturedLog()
    loop = _loop(
        client, namespace, reconciler, [_app(tmp_path, "s", repo, namespace)], log, identity="engine-s"
    )
    started.append(Running(loop))
    wait_for("the slow sync to start", lambda: log.events("sync-started", app="s"))
    # Another engine takes the Lease (as if this one had been partitioned away long enough).
    lease = app_lease(client, namespace, "s", "thief", duration=60)
    live = client.get("coordination.k8s.io/v1", "Lease", lease.name, namespace)
    assert live is not None
    live["spec"]["holderIdentity"] = "thief"
    live["spec"]["leaseDurationSeconds"] = 60
    client.replace(live)
    abandoned = wait_for("the sync to stop", lambda: log.events("sync-abandoned", app="s"), timeout=20)
    assert "lost the app's Lease" in abandoned[0]["reason"]
    assert reconciler.synced == [] and _data(client, "s", namespace) is None
    assert log.events("lease-lost", app="s")
    record = lease.current()
    assert record is not None and record.holder == "thief"
    assert running_stop(started) == 0
    record = lease.current()
    assert record is not None and record.holder == "thief"  # never released by the old holder


def test_without_automated_sync_the_loop_only_reports(
    client: Client, namespace: str, tmp_path: Path, started: list[Running]
) -> None:
    repo = make_repo(tmp_path / "repo")
    head = commit(repo, {"manifests/m.yaml": configmap("manual", namespace, v="1")})
    reconciler = PlainReconciler(tmp_path / "cache")
    log = CapturedLog()
    path = _app(tmp_path, "manual", repo, namespace, automated=False)
    started.append(Running(_loop(client, namespace, reconciler, [path], log)))
    status = wait_for(
        "the out-of-sync report", lambda: log.events("status", app="manual", sync_status="OutOfSync")
    )
    assert "automated sync is off" in status[0]["message"]
    time.sleep(1.5)
    assert reconciler.synced == [] and _data(client, "manual", namespace) is None
    # Someone syncs it by hand: the loop sees the app in sync with the head.
    for obj in reconciler.desired(reconciler.load(path), head):
        client.apply(obj)
    wait_for(
        "the synced report", lambda: log.events("status", app="manual", sync_status="Synced", revision=head)
    )
    assert reconciler.synced == []
    assert running_stop(started) == 0
