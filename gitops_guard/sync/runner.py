"""The sync engine as the run loop's reconciler: ``engine.py``'s functions behind ``loop.Reconciler``.

What the loop may do by itself comes from the engine's ``AppSpec`` (interval, automated,
self-heal, suspend), with two loop-specific readings of the app's own document: a Flux
``retryInterval`` (the loop retries a failed Flux sync after it), and no retries of a failed
Argo CD sync by the loop — ``sync_app`` already retried it as ``syncPolicy.retry`` says, so a
revision that still fails waits for a new commit or, with ``selfHeal``, for the next drift
heal (the self-heal backoff spaces those).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple, TextIO

from gitops_guard.errors import ConfigError
from gitops_guard.sync import engine
from gitops_guard.sync.git_source import GitCache
from gitops_guard.sync.history import DEFAULT_NAMESPACE
from gitops_guard.sync.jsonlog import JsonLog
from gitops_guard.sync.lease import DEFAULT_DURATION
from gitops_guard.sync.loop import LoadedApp, Loop, Options
from gitops_guard.sync.schedule import DRIFT_CHECK_MAX, Retry, Schedule

DEFAULT_TIMEOUT = 300.0


def schedule_of(spec: engine.AppSpec) -> Schedule:
    """The loop's schedule of an app the engine loaded."""
    body = spec.resources[0].body if spec.resources else {}
    try:
        own = Schedule.of(body) if body.get("kind") == spec.kind else None
    except ConfigError as exc:
        where = f"{spec.file}:{spec.line}" if spec.line else str(spec.file)
        raise ConfigError(f"{where}: {exc}") from None
    if spec.kind == "Kustomization":
        every = own.retry.duration if own is not None else spec.interval
        return Schedule(
            kind="Kustomization",
            interval=spec.interval,
            drift_interval=spec.interval,
            automated=True,
            self_heal=True,
            retry=Retry(limit=-1, duration=every, factor=1.0, max_duration=every),
            suspended=spec.suspend,
        )
    r = spec.retry
    return Schedule(
        kind="Application",
        interval=spec.interval,
        drift_interval=min(spec.interval, DRIFT_CHECK_MAX),
        automated=spec.automated,
        self_heal=spec.automated and spec.self_heal,
        retry=Retry(limit=0, duration=r.duration, factor=r.factor, max_duration=r.max_duration),
        suspended=spec.suspend,
    )


class EngineReconciler:
    """``sync_app``/``drift`` for the loop, with one Git cache and one history namespace."""

    def __init__(self, *, history_namespace: str, cache: GitCache | None = None) -> None:
        self.history_namespace = history_namespace
        self.cache = cache or GitCache()

    def load_all(self, paths: Sequence[Path], extra_files: Sequence[Path] = ()) -> list[LoadedApp]:
        """Every app the files define (a file may hold several, and a Flux source beside them)."""
        files = [*paths, *extra_files]
        loaded = [
            (path, spec) for path in paths for spec in engine.load_apps(path, [f for f in files if f != path])
        ]
        names = {(spec.object_namespace or "", spec.object_name): spec.name for _, spec in loaded}
        return [
            LoadedApp(
                spec.name,
                path,
                schedule_of(spec),
                spec,
                depends_on=tuple(names[d] for d in spec.depends_on if d in names),
            )
            for path, spec in loaded
        ]

    def load(self, path: Path) -> LoadedApp:
        spec = engine.load_app(path)
        return LoadedApp(spec.name, path, schedule_of(spec), spec)

    def resolve(self, app: LoadedApp) -> str:
        return engine.resolve(app.spec, cache=self.cache).commit

    def sync(self, app: LoadedApp, client: Any, *, revision: str, log: Callable[[str], None]) -> Any:
        return engine.sync_app(
            app.spec,
            client,
            revision=revision,
            timeout=app.spec.timeout or DEFAULT_TIMEOUT,
            history_namespace=self.history_namespace,
            log=log,
            cache=self.cache,
        )

    def drift(self, app: LoadedApp, client: Any, revision: str) -> int:
        return engine.drift(
            app.spec, client, revision, history_namespace=self.history_namespace, cache=self.cache
        )

    def ready(self, app: LoadedApp, client: Any) -> bool:
        from gitops_guard.sync.history import HistoryStore, Result

        last = HistoryStore(client, self.history_namespace).read(app.name).last
        return last is not None and last.result is Result.SUCCEEDED


class RunOptions(NamedTuple):
    interval: float | None = None
    metrics_addr: str | None = None
    kubeconfig: str | None = None
    context: str | None = None
    namespace: str = DEFAULT_NAMESPACE
    lease_duration: float = DEFAULT_DURATION
    grace: float = 25.0
    log_level: str = "info"


def run(paths: Sequence[Path], options: RunOptions, *, stream: TextIO) -> int:
    """``gitops-guard run``: load the apps, connect, serve ``/metrics`` and loop until SIGTERM
    or SIGINT; 0 after a clean shutdown. Logs are JSON lines on ``stream``."""
    import signal

    from gitops_guard.cluster import Client
    from gitops_guard.cluster.in_cluster import load_config

    log = JsonLog(stream, level=options.log_level)
    reconciler = EngineReconciler(history_namespace=options.namespace)
    apps = reconciler.load_all(paths)
    address = _address(options.metrics_addr) if options.metrics_addr else None
    with Client(load_config(options.kubeconfig, context=options.context)) as client:
        metrics = server = None
        if address is not None:
            from gitops_guard.sync.metrics import Metrics, Server

            metrics = Metrics()
        loop = Loop(
            apps,
            reconciler,
            client,
            options=Options(
                interval=options.interval,
                namespace=options.namespace,
                lease_duration=options.lease_duration,
                grace=options.grace,
            ),
            log=log,
            metrics=metrics,
        )
        if metrics is not None and address is not None:
            try:
                server = Server(metrics, address[0], address[1], loop.healthy)
            except OSError as exc:
                raise ConfigError(f"--metrics-addr {options.metrics_addr}: {exc.strerror or exc}") from None
            server.start()
            host, port = server.address
            log(
                "info",
                "serving",
                metrics=f"http://{host}:{port}/metrics",
                healthz=f"http://{host}:{port}/healthz",
            )

        def stop(signum: int, _frame: Any) -> None:
            log("info", "signal", signal=signal.Signals(signum).name)
            loop.stop()

        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            return loop.run()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            if server is not None:
                server.stop()


def _address(text: str) -> tuple[str, int]:
    from gitops_guard.sync.metrics import parse_address

    try:
        return parse_address(text)
    except ValueError as exc:
        raise ConfigError(f"--metrics-addr: {exc}") from None
