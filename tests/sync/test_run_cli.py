"""``gitops-guard run`` as a process, with the real engine, against the dev cluster."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from gitops_guard.cluster import Client
from gitops_guard.ownership import TRACKING_ANNOTATION
from gitops_guard.sync.history import HistoryStore
from gitops_guard.sync.lease import app_lease
from tests.conftest import DevCluster
from tests.sync.engine_helpers import AppRepo, config_map, flux_source, job
from tests.sync.loop_helpers import wait_for

AUTOMATED = """\
  syncPolicy:
    automated:
      prune: true
      selfHeal: true
"""


class Engine:
    """One ``gitops-guard run`` process; its JSON log lines are collected as they come."""

    def __init__(self, args: list[str], env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gitops_guard", "run", *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.lines: list[dict[str, Any]] = []
        self.raw: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.raw.append(line)
            if line.startswith("{"):
                self.lines.append(json.loads(line))

    def events(self, event: str, **match: Any) -> list[dict[str, Any]]:
        return [
            r
            for r in list(self.lines)
            if r["event"] == event and all(r.get(k) == v for k, v in match.items())
        ]

    def wait_event(self, event: str, timeout: float = 60, **match: Any) -> dict[str, Any]:
        found: list[dict[str, Any]] = wait_for(
            f"log event {event} {match} (log so far: {''.join(self.raw)[-3000:]})",
            lambda: self.events(event, **match) or self._dead(),
            timeout=timeout,
        )
        return found[-1]

    def _dead(self) -> list[dict[str, Any]]:
        if self.proc.poll() is not None:
            self._reader.join(5)
            raise AssertionError(
                f"gitops-guard run exited {self.proc.returncode}:\n{''.join(self.raw)[-3000:]}"
            )
        return []

    def terminate(self, timeout: float = 60) -> int:
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout)
        self._reader.join(5)
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


@pytest.fixture
def engines() -> Iterator[list[Engine]]:
    started: list[Engine] = []
    yield started
    for engine in started:
        engine.kill()


def _args(dev_cluster: DevCluster, namespace: str, *files: Path, extra: tuple[str, ...] = ()) -> list[str]:
    return [
        *(str(f) for f in files),
        "--kubeconfig",
        str(dev_cluster.kubeconfig),
        "--history-namespace",
        namespace,
        "--interval",
        "1s",
        "--lease-duration",
        "3s",
        "--shutdown-grace",
        "20s",
        *extra,
    ]


def _data(client: Client, name: str, namespace: str) -> dict[str, Any] | None:
    live = client.get("v1", "ConfigMap", name, namespace)
    return None if live is None else dict(live.get("data") or {})


def test_run_syncs_heals_serves_metrics_and_stops_on_sigterm(
    client: Client, dev_cluster: DevCluster, namespace: str, tmp_path: Path, engines: list[Engine]
) -> None:
    app = AppRepo(tmp_path, namespace, name="run-web", policy=AUTOMATED)
    first = app.commit({"cm.yaml": config_map("settings", data={"mode": "a"})})
    engine = Engine(_args(dev_cluster, namespace, app.file, extra=("--metrics-addr", "127.0.0.1:0")))
    engines.append(engine)
    serving = engine.wait_event("serving")
    base = serving["metrics"].rsplit("/", 1)[0]
    engine.wait_event("sync-finished", status="Synced", revision=first)
    live = client.get("v1", "ConfigMap", "settings", namespace)
    assert live is not None and live["data"] == {"mode": "a"}
    assert live["metadata"]["annotations"][TRACKING_ANNOTATION] == f"run-web:/ConfigMap:{namespace}/settings"

    # A new commit is picked up.
    second = app.commit({"cm.yaml": config_map("settings", data={"mode": "b"})})
    engine.wait_event("sync-finished", status="Synced", revision=second)
    assert _data(client, "settings", namespace) == {"mode": "b"}

    # Drift: deleted, then edited by someone else; the loop restores both.
    client.delete("v1", "ConfigMap", "settings", namespace)
    wait_for("the deleted object to return", lambda: _data(client, "settings", namespace) == {"mode": "b"})
    edited = yaml.safe_load(config_map("settings", data={"mode": "hacked"}))
    edited["metadata"]["namespace"] = namespace
    client.apply(edited, field_manager="kubectl-edit")
    wait_for("the edit to be reverted", lambda: _data(client, "settings", namespace) == {"mode": "b"})
    assert engine.events("sync-started", reason="self-heal")

    def scrape(path: str) -> tuple[int, str, str]:
        with urllib.request.urlopen(base + path, timeout=5) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()

    wait_for(
        "a clean compare", lambda: 'gitops_guard_drift_objects{app="run-web"} 0.0' in scrape("/metrics")[2]
    )
    status, content_type, text = scrape("/metrics")
    assert status == 200 and content_type.startswith("text/plain; version=")
    families = {line.split()[2] for line in text.splitlines() if line.startswith("# TYPE")}
    assert {
        "gitops_guard_sync_total",
        "gitops_guard_reconcile_duration_seconds",
        "gitops_guard_app_info",
        "gitops_guard_drift_objects",
        "gitops_guard_last_sync_timestamp_seconds",
    } <= families
    assert "# TYPE gitops_guard_reconcile_duration_seconds histogram" in text
    synced = [
        line
        for line in text.splitlines()
        if line.startswith('gitops_guard_sync_total{app="run-web",phase="Succeeded"}')
    ]
    assert synced and float(synced[0].split()[-1]) >= 3  # two commits and at least one heal
    info = f'app="run-web",health_status="Healthy",revision="{second}",sync_status="Synced"'
    assert f"gitops_guard_app_info{{{info}}} 1.0" in text
    assert scrape("/healthz")[0] == 200

    # SIGTERM: exit 0 and the Lease is free for another engine at once.
    assert engine.terminate() == 0
    record = app_lease(client, namespace, "run-web", "observer").current()
    assert record is not None and record.holder == ""
    assert engine.events("stopped", released=["run-web"], abandoned=[])
    history = HistoryStore(client, namespace).read("run-web").history
    assert [e.result.value for e in history][-1] == "Succeeded"


def test_two_engine_processes_never_write_one_app(
    client: Client, dev_cluster: DevCluster, namespace: str, tmp_path: Path, engines: list[Engine]
) -> None:
    app = AppRepo(tmp_path, namespace, name="run-pair", policy=AUTOMATED)
    head = app.commit({"cm.yaml": config_map("pair", data={"k": "1"})})
    args = _args(dev_cluster, namespace, app.file)
    one = Engine(args)
    engines.append(one)
    one.wait_event("sync-finished", status="Synced", revision=head)
    two = Engine(args)
    engines.append(two)
    two.wait_event("started")
    time.sleep(4)  # longer than a lease duration: two keeps watching a renewed lease
    assert two.events("sync-started") == [] and two.events("lease-acquired") == []
    holder = app_lease(client, namespace, "run-pair", "observer").current()
    identity = one.events("started")[0]["identity"]
    assert holder is not None and holder.holder == identity

    # The holder dies without releasing: two takes over once the lease has expired, and heals.
    one.proc.kill()
    one.proc.wait(10)
    killed_at = time.monotonic()
    client.delete("v1", "ConfigMap", "pair", namespace)
    two.wait_event("lease-acquired", app="run-pair", timeout=30)
    assert time.monotonic() - killed_at >= 2.0  # not before the 3 s lease could have expired
    wait_for("two to heal the app", lambda: _data(client, "pair", namespace) == {"k": "1"}, timeout=30)
    assert two.terminate() == 0


def test_sigterm_mid_sync_stops_cleanly(
    client: Client, dev_cluster: DevCluster, namespace: str, tmp_path: Path, engines: list[Engine]
) -> None:
    # Wave 0 is a Job that never gets a node, so the sync waits on its health; wave 1 follows.
    app = AppRepo(tmp_path, namespace, name="run-slow", policy=AUTOMATED)
    app.commit(
        {
            "job.yaml": job("stuck", unschedulable=True),
            "cm.yaml": config_map("after", wave=1),
        }
    )
    engine = Engine(_args(dev_cluster, namespace, app.file))
    engines.append(engine)
    engine.wait_event("sync-step", timeout=90)
    wait_for("the wave 0 Job", lambda: client.get("batch/v1", "Job", "stuck", namespace))
    time.sleep(1)
    started = time.monotonic()
    assert engine.terminate(timeout=30) == 0
    assert time.monotonic() - started < 15  # it stopped at its next poll, not at the sync's timeout
    abandoned = engine.events("sync-abandoned", app="run-slow")
    assert abandoned, "".join(engine.raw)
    assert engine.events("stopped", released=["run-slow"], abandoned=[])
    record = app_lease(client, namespace, "run-slow", "observer").current()
    assert record is not None and record.holder == ""
    # Wave 1 was never written; what was written carries the app's tracking id.
    assert client.get("v1", "ConfigMap", "after", namespace) is None
    stuck = client.get("batch/v1", "Job", "stuck", namespace)
    assert stuck is not None and stuck["metadata"]["annotations"][TRACKING_ANNOTATION].startswith("run-slow:")


def test_run_refuses_bad_input_clearly(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", encoding="utf-8")
    env = dict(os.environ)
    proc = subprocess.run(
        [sys.executable, "-m", "gitops_guard", "run", str(bad), "--interval", "soon"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert proc.returncode == 2
    assert "--interval" in proc.stderr and "Traceback" not in proc.stderr
    proc = subprocess.run(
        [sys.executable, "-m", "gitops_guard", "run", str(bad)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 2
    assert "no Argo CD Application or Flux Kustomization" in proc.stderr and "Traceback" not in proc.stderr


def test_api_server_lost_mid_sync_prunes_nothing_and_resumes(
    client: Client, dev_cluster: DevCluster, namespace: str, tmp_path: Path
) -> None:
    from gitops_guard.sync.loop import Loop, Options
    from gitops_guard.sync.runner import EngineReconciler
    from tests.sync.loop_helpers import CapturedLog, Relay, relayed_kubeconfig, server_address

    relay = Relay(server_address(dev_cluster.kubeconfig))
    kubeconfig = relayed_kubeconfig(dev_cluster.kubeconfig, relay.port, tmp_path / "kubeconfig")
    app = AppRepo(tmp_path, namespace, name="run-outage", policy=AUTOMATED)
    app.commit({"keep.yaml": config_map("keep", data={"v": "1"}), "gone.yaml": config_map("gone")})

    class CutAtWaveOne(EngineReconciler):
        """The engine, with the API server cut off as soon as it starts writing wave 1."""

        cut = threading.Event()

        def sync(self, app: Any, client: Any, *, revision: str, log: Any) -> Any:
            def spy(message: str) -> None:
                if "wave 1" in message and not self.cut.is_set():
                    self.cut.set()
                    relay.cut()
                log(message)

            return super().sync(app, client, revision=revision, log=spy)

    reconciler = CutAtWaveOne(history_namespace=namespace)
    log = CapturedLog()
    with Client.from_kubeconfig(kubeconfig, timeout=5) as relayed:
        loop = Loop(
            reconciler.load_all([app.file]),
            reconciler,
            relayed,
            options=Options(interval=1.0, namespace=namespace, lease_duration=3.0, grace=10.0),
            log=log,
        )
        thread = threading.Thread(target=loop.run, daemon=True)
        thread.start()
        try:
            wait_for("the first sync", lambda: log.events("sync-finished", status="Synced"), timeout=60)
            assert client.get("v1", "ConfigMap", "gone", namespace) is not None
            app.commit(
                {"keep.yaml": config_map("keep", data={"v": "2"}), "late.yaml": config_map("late", wave=1)}
            )
            wait_for("the cut", reconciler.cut.is_set, timeout=60)
            wait_for(
                "the outage status", lambda: log.events("ClusterUnreachable", app="run-outage"), timeout=60
            )
            time.sleep(2)
            # Wave 0 was written, wave 1 was not, and nothing was pruned.
            assert _data(client, "keep", namespace) == {"v": "2"}
            assert client.get("v1", "ConfigMap", "late", namespace) is None
            assert client.get("v1", "ConfigMap", "gone", namespace) is not None
            status = log.events("ClusterUnreachable", app="run-outage")[-1]
            assert (
                status["sync_status"] == "Unknown" and "cannot reach the Kubernetes API" in status["message"]
            )

            relay.restore()
            wait_for(
                "wave 1 after the restart",
                lambda: client.get("v1", "ConfigMap", "late", namespace),
                timeout=60,
            )
            wait_for(
                "the prune", lambda: client.get("v1", "ConfigMap", "gone", namespace) is None, timeout=60
            )
            wait_for("the recovery to be logged", lambda: log.events("recovered", app="run-outage"))

            def results() -> list[str]:
                return [e.result.value for e in HistoryStore(client, namespace).read("run-outage").history]

            wait_for("the resumed sync's record", lambda: results()[-1] == "Succeeded")
            assert results()[0] == "Succeeded"
        finally:
            loop.stop()
            thread.join(30)
            relay.cut()


def test_a_refused_revision_is_never_applied_and_drift_heals_to_the_last_good_one(
    client: Client, namespace: str, tmp_path: Path
) -> None:
    from gitops_guard.sync.loop import Loop, Options
    from gitops_guard.sync.metrics import Metrics
    from gitops_guard.sync.runner import EngineReconciler
    from tests.sync.engine_helpers import deployment
    from tests.sync.loop_helpers import CapturedLog

    app = AppRepo(tmp_path, namespace, name="run-refuse", policy=AUTOMATED)
    good = app.commit({"cm.yaml": config_map("conf", data={"v": "good"})})
    reconciler = EngineReconciler(history_namespace=namespace)
    log, metrics = CapturedLog(), Metrics()
    loop = Loop(
        reconciler.load_all([app.file]),
        reconciler,
        client,
        options=Options(interval=1.0, namespace=namespace, lease_duration=3.0, grace=10.0),
        log=log,
        metrics=metrics,
    )
    thread = threading.Thread(target=loop.run, daemon=True)
    thread.start()
    try:
        wait_for("the good revision", lambda: log.events("sync-finished", status="Synced", revision=good), 60)
        bad_deployment = deployment("web").replace("replicas: 2", "replica: 2")
        bad = app.commit({"cm.yaml": config_map("conf", data={"v": "bad"}), "d.yaml": bad_deployment})
        wait_for("the refusal", lambda: log.events("sync-finished", status="Refused", revision=bad), 60)
        assert _data(client, "conf", namespace) == {"v": "good"}
        assert client.get("apps/v1", "Deployment", "web", namespace) is None
        # Drift is healed to the last revision that passed check, and the bad one is not retried.
        client.delete("v1", "ConfigMap", "conf", namespace)
        wait_for("the heal", lambda: _data(client, "conf", namespace) == {"v": "good"}, 60)
        assert log.events("sync-started", reason="self-heal", revision=good)
        assert len(log.events("sync-started", revision=bad)) == 1
        text = metrics.exposition().decode()
        assert 'gitops_guard_sync_total{app="run-refuse",phase="Refused"} 1.0' in text
        # The cluster is at the good revision; the source's head is not applied: OutOfSync.
        assert f'app="run-refuse",health_status="Healthy",revision="{good}",sync_status="OutOfSync"' in text
        fixed = app.commit({"cm.yaml": config_map("conf", data={"v": "fixed"})})
        wait_for("the fixed revision", lambda: _data(client, "conf", namespace) == {"v": "fixed"}, 60)
        wait_for(
            "the fixed sync to finish", lambda: log.events("sync-finished", status="Synced", revision=fixed)
        )
        refused = [
            e
            for e in HistoryStore(client, namespace).read("run-refuse").history
            if e.result.value == "Refused"
        ]
        assert [e.revision for e in refused] == [bad]
    finally:
        loop.stop()
        thread.join(30)


# Two Flux Kustomizations, ``top`` depending on ``base``, after a GitRepository (flux_source).
FLUX_PAIR = """\
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {{name: base, namespace: flux-system}}
spec:
  interval: 10m
  path: ./base
  prune: true
  targetNamespace: {namespace}
  sourceRef: {{kind: GitRepository, name: apps}}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {{name: top, namespace: flux-system}}
spec:
  interval: 10m
  path: ./top
  prune: true
  targetNamespace: {namespace}
  dependsOn: [{{name: base}}]
  sourceRef: {{kind: GitRepository, name: apps}}
"""


def test_flux_depends_on_holds_an_app_until_its_dependency_synced(
    client: Client, namespace: str, tmp_path: Path
) -> None:
    from gitops_guard.sync.loop import Loop, Options
    from gitops_guard.sync.runner import EngineReconciler
    from tests.helpers import committed_repo, git, write_files
    from tests.sync.engine_helpers import deployment
    from tests.sync.loop_helpers import CapturedLog

    broken = deployment("base-web").replace("replicas: 2", "replica: 2")
    repo = committed_repo(
        tmp_path / "repo", {"base/d.yaml": broken, "top/cm.yaml": config_map("top")}, "broken base"
    )
    flux = tmp_path / "flux.yaml"
    flux.write_text(flux_source(repo) + FLUX_PAIR.format(namespace=namespace), encoding="utf-8")
    reconciler = EngineReconciler(history_namespace=namespace)
    apps = reconciler.load_all([flux])
    assert [(a.name, a.depends_on) for a in apps] == [
        ("base", ()),
        ("top", ("base",)),
    ]
    log = CapturedLog()
    loop = Loop(
        apps,
        reconciler,
        client,
        options=Options(interval=1.0, namespace=namespace, lease_duration=3.0),
        log=log,
    )
    thread = threading.Thread(target=loop.run, daemon=True)
    thread.start()
    try:
        wait_for(
            "base to be refused",
            lambda: log.events("sync-finished", app="base", status="Refused"),
        )
        time.sleep(3)
        assert log.events("sync-started", app="top") == []
        assert client.get("v1", "ConfigMap", "top", namespace) is None
        waiting = log.events("status", app="top")
        assert waiting and "waits for base" in waiting[-1]["message"]

        write_files(repo, {"base/d.yaml": config_map("base-ok")})
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "fixed base")
        wait_for("top after base", lambda: client.get("v1", "ConfigMap", "top", namespace), timeout=60)
        base_done = log.events("sync-finished", app="base", status="Synced")
        top_started = log.events("sync-started", app="top")
        assert base_done and top_started and base_done[0]["ts"] <= top_started[0]["ts"]
    finally:
        loop.stop()
        thread.join(30)


def test_secret_values_never_reach_the_loop_log_or_metrics(
    client: Client, namespace: str, tmp_path: Path
) -> None:
    from gitops_guard.sync.loop import Loop, Options
    from gitops_guard.sync.metrics import Metrics
    from gitops_guard.sync.runner import EngineReconciler
    from tests.sync.loop_helpers import CapturedLog

    value = "Zq8-unusual-Secret-Value-41xT"
    secret = yaml.safe_dump(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "creds"},
            "stringData": {"password": value},
        }
    )
    app = AppRepo(tmp_path, namespace, name="run-secret", policy=AUTOMATED)
    head = app.commit({"cm.yaml": config_map("c"), "secret.yaml": secret})
    reconciler = EngineReconciler(history_namespace=namespace)
    log, metrics = CapturedLog(), Metrics()
    loop = Loop(
        reconciler.load_all([app.file]),
        reconciler,
        client,
        options=Options(interval=1.0, namespace=namespace, lease_duration=3.0),
        log=log,
        metrics=metrics,
    )
    thread = threading.Thread(target=loop.run, daemon=True)
    thread.start()
    try:
        refused = wait_for(
            "the refusal", lambda: log.events("sync-finished", status="Refused", revision=head), 60
        )
        assert "secrets/" in refused[0]["message"]
    finally:
        loop.stop()
        thread.join(30)
    assert client.get("v1", "Secret", "creds", namespace) is None
    assert value not in log.buffer.getvalue()
    assert value.encode() not in metrics.exposition()


def test_two_engine_processes_share_the_apps(
    client: Client, dev_cluster: DevCluster, namespace: str, tmp_path: Path, engines: list[Engine]
) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = AppRepo(tmp_path / "a", namespace, name="shard-a", policy=AUTOMATED)
    second = AppRepo(tmp_path / "b", namespace, name="shard-b", policy=AUTOMATED)
    first.commit({"cm.yaml": config_map("shard-a")})
    second.commit({"cm.yaml": config_map("shard-b")})
    args = _args(dev_cluster, namespace, first.file, second.file)
    one = Engine(args)
    engines.append(one)
    wait_for("one to sync both", lambda: len(one.events("sync-finished", status="Synced")) >= 2, timeout=60)
    two = Engine(args)
    engines.append(two)

    def holders() -> list[str]:
        records = [app_lease(client, namespace, n, "observer").current() for n in ("shard-a", "shard-b")]
        return [r.holder if r else "" for r in records]

    ids = [e.wait_event("started")["identity"] for e in (one, two)]
    wait_for("one app each", lambda: sorted(holders()) == sorted(ids), timeout=40)
    moved = one.events("lease-handed-over")
    assert len(moved) == 1
    two.wait_event("sync-finished", status="Synced", app=moved[0]["app"])
    assert one.terminate() == 0
    wait_for("two to take both", lambda: holders() == [ids[1], ids[1]], timeout=20)
    assert two.terminate() == 0


def test_a_bad_retry_interval_names_the_file_and_line(tmp_path: Path) -> None:
    flux = tmp_path / "flux.yaml"
    flux.write_text(
        (flux_source(tmp_path) + FLUX_PAIR.format(namespace="x")).replace(
            "interval: 10m\n  path: ./base", "interval: 10m\n  retryInterval: soon\n  path: ./base"
        ),
        encoding="utf-8",
    )
    proc = subprocess.run(
        [sys.executable, "-m", "gitops_guard", "run", str(flux)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 2, proc.stderr
    assert f"{flux}:9: Kustomization base: spec.retryInterval: 'soon' is not a duration" in proc.stderr
    assert "Traceback" not in proc.stderr
