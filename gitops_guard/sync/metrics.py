"""The loop's Prometheus metrics and its small HTTP server (``/metrics``, ``/healthz``).

Names and labels are public (CONTRACT.md): ``gitops_guard_sync_total{app,phase}``,
``gitops_guard_reconcile_duration_seconds`` (histogram), ``gitops_guard_app_info{app,
sync_status,health_status,revision}``, ``gitops_guard_drift_objects{app}`` and
``gitops_guard_last_sync_timestamp_seconds{app}``. ``phase`` is how a sync attempt ended:
``Succeeded``, ``Failed``, ``Refused`` (the revision did not pass ``check``) or ``Error`` (the
source or the API server could not be reached). Label values are app names, statuses and
commit ids — never anything read from an object.

``prometheus_client`` is imported here only, and this module only by ``gitops-guard run``.
Each loop has its own registry, so two loops in one process (tests) do not share counters.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

PHASES = ("Succeeded", "Failed", "Refused", "Error")
# A reconcile is a fetch, a compare and perhaps a sync with health waits: seconds to minutes.
DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)


class Metrics:
    """The five contract metrics, in a registry of their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.sync_total = Counter(
            "gitops_guard_sync_total",
            "Sync attempts by how they ended",
            ("app", "phase"),
            registry=self.registry,
        )
        self.reconcile_duration = Histogram(
            "gitops_guard_reconcile_duration_seconds",
            "Time of one reconcile of one app: poll, compare and, when needed, sync",
            buckets=DURATION_BUCKETS,
            registry=self.registry,
        )
        self.app_info = Gauge(
            "gitops_guard_app_info",
            "One series per app with its current sync status, health status and revision",
            ("app", "sync_status", "health_status", "revision"),
            registry=self.registry,
        )
        self.drift_objects = Gauge(
            "gitops_guard_drift_objects",
            "Objects of the app whose live state differs from the desired state at the last compare",
            ("app",),
            registry=self.registry,
        )
        self.last_sync = Gauge(
            "gitops_guard_last_sync_timestamp_seconds",
            "Unix time of the app's last successful sync",
            ("app",),
            registry=self.registry,
        )
        self._info: dict[str, tuple[str, str, str]] = {}
        self._lock = threading.Lock()

    def synced(self, app: str, phase: str, *, when: float | None = None) -> None:
        """Count one sync attempt of ``app`` that ended in ``phase``."""
        self.sync_total.labels(app=app, phase=phase).inc()
        if phase == "Succeeded":
            self.last_sync.labels(app=app).set(time.time() if when is None else when)

    def observe(self, seconds: float) -> None:
        self.reconcile_duration.observe(seconds)

    def drift(self, app: str, objects: int) -> None:
        self.drift_objects.labels(app=app).set(objects)

    def status(self, app: str, *, sync_status: str, health_status: str, revision: str) -> None:
        """Set the app's one ``app_info`` series, removing the one it replaces."""
        wanted = (sync_status, health_status, revision)
        with self._lock:
            old = self._info.get(app)
            if old == wanted:
                return
            if old is not None:
                self.app_info.remove(app, *old)
            self.app_info.labels(app, *wanted).set(1)
            self._info[app] = wanted

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class Server:
    """``/metrics`` and ``/healthz`` on ``host:port`` in a background thread.

    ``healthy()`` decides ``/healthz``: 200 ``ok`` while it returns True, else 503 — the loop
    says it is alive by its heartbeat, not by whether the cluster or Git answer (restarting the
    engine would not fix either).
    """

    def __init__(self, metrics: Metrics, host: str, port: int, healthy: Callable[[], bool]) -> None:
        handler = _handler(metrics, healthy)
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="metrics", daemon=True)

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.httpd.server_address[:2]
        return str(host), int(port)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _handler(metrics: Metrics, healthy: Callable[[], bool]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "gitops-guard"

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/metrics":
                self._answer(200, CONTENT_TYPE_LATEST, metrics.exposition())
            elif path == "/healthz":
                ok = healthy()
                self._answer(200 if ok else 503, "text/plain; charset=utf-8", b"ok\n" if ok else b"stalled\n")
            else:
                self._answer(404, "text/plain; charset=utf-8", b"not found\n")

        def _answer(self, code: int, content_type: str, body: bytes) -> None:
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Scrapes are not logged: the loop's log is for what it does to the cluster."""

    return Handler


def parse_address(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``:PORT`` for every interface, ``[::1]:PORT`` for IPv6) as a pair."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"{text!r} is not HOST:PORT")
    host = host.strip("[]")
    return host or "0.0.0.0", int(port)
