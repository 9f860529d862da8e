"""``gitops-guard run``: keep apps synced — poll, sync new revisions, self-heal drift, back off.

Shape: one worker thread per app and one coordinator thread for the Leases.

- The **coordinator** (every ``lease_duration / 5`` seconds) renews this engine's replica Lease,
  counts the live engines, renews the app Leases it holds and takes free or expired ones up to
  its share (``ceil(apps / engines)``); above its share it hands one back per round, never one
  that is mid-sync. All of it is state in the API server: replicas need no configuration to
  split the apps between them (``lease.py``).
- A **worker** does nothing while its app's Lease is not held. Holding it, it reconciles at the
  app's interval (``schedule.py``): resolve the source's revision (a Git fetch); a new revision
  is synced when the app is automated; otherwise the live state is compared (``drift``) and,
  with self-heal on, re-synced to the last revision that synced. A revision that is refused
  (it fails ``check``) is never retried, and drift is then healed to the last good revision.
  A failed sync is retried as the app's retry policy says.
- **Unreachable** Git or API server: the reconcile stops there — nothing is synced, so nothing
  is pruned — the app's status says so (log line, ``app_info`` with ``Unknown``), and it is
  tried again with exponential backoff (2 s, factor 3, capped by the app's interval and 300 s).
- **Shutdown** (``stop()``, from SIGTERM/SIGINT): no new reconcile starts; a sync in progress
  finishes the writes of its current wave and stops at its next step — its next read of the
  cluster (a health poll, the next wave) or its next progress report raises :class:`Cancelled`
  (:class:`Guarded`); the workers are joined for up to ``grace`` seconds, the Leases of every
  finished worker are released and the replica Lease removed, so another engine takes over at
  once. A worker still inside the engine after ``grace`` keeps its Lease, which then expires.
  The same stop applies when this engine can no longer renew the app's Lease.

The loop never prints: it writes JSON lines through ``log`` (``jsonlog.py``) and metrics through
``metrics`` (optional).
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from gitops_guard.cluster.errors import ClusterError, ClusterUnreachable
from gitops_guard.errors import ConfigError, GuardError
from gitops_guard.sync.lease import DEFAULT_DURATION, Lease, Replicas, app_lease, share
from gitops_guard.sync.schedule import (
    SELF_HEAL_CAP,
    SELF_HEAL_FACTOR,
    SELF_HEAL_INITIAL,
    Backoff,
    Schedule,
)

Log = Callable[..., None]  # log(level, event, **fields)
DEPENDENCY_REQUEUE = 30.0


class Cancelled(BaseException):
    """Raised into a sync in progress when the loop shuts down (a BaseException, so that the
    engine's ``except Exception`` handlers do not mistake it for a failed step)."""


class Outcome(Protocol):
    """What the engine's ``sync_app`` returns (its ``SyncResult``)."""

    @property
    def status(self) -> str: ...  # Synced | Refused | Failed | DryRun

    @property
    def revision(self) -> str: ...

    @property
    def health(self) -> str: ...

    @property
    def message(self) -> str: ...


class LoadedApp(NamedTuple):
    name: str
    path: Path
    schedule: Schedule  # when to look again and what the loop may do by itself
    spec: Any  # what the reconciler needs to sync it (the engine's AppSpec)
    depends_on: tuple[str, ...] = ()  # Flux dependsOn: names of apps of this run


class Reconciler(Protocol):
    """The engine, as the loop uses it."""

    def load(self, path: Path) -> LoadedApp: ...

    def resolve(self, app: LoadedApp) -> str:
        """The commit the app's source names now (fetching it); SourceError when unreachable."""
        ...

    def sync(self, app: LoadedApp, client: Any, *, revision: str, log: Callable[[str], None]) -> Outcome: ...

    def drift(self, app: LoadedApp, client: Any, revision: str) -> int: ...

    def ready(self, app: LoadedApp, client: Any) -> bool:
        """Whether ``app``'s last sync succeeded (a dependency another engine looks after)."""
        ...


class Options(NamedTuple):
    interval: float | None = None  # --interval: every app's poll period
    namespace: str = "gitops-guard"  # where Leases (and the engine's history) live
    lease_duration: float = DEFAULT_DURATION
    grace: float = 25.0  # how long shutdown waits for syncs in progress
    identity: str = ""


def default_identity() -> str:
    """Host name (a Pod's name in a cluster) plus a random suffix, as client-go does."""
    return f"{socket.gethostname()}_{uuid.uuid4().hex[:8]}"


class Status(NamedTuple):
    sync: str  # Synced | OutOfSync | Unknown
    health: str
    revision: str
    message: str = ""


class Loop:
    def __init__(
        self,
        apps: Sequence[LoadedApp],
        reconciler: Reconciler,
        client: Any,
        *,
        options: Options | None = None,
        log: Log,
        metrics: Any = None,
    ) -> None:
        names = [app.name for app in apps]
        duplicate = sorted({n for n in names if names.count(n) > 1})
        if duplicate:
            raise ConfigError(f"two apps are named {duplicate[0]!r}: app names must be unique")
        options = options or Options()
        self.options = options
        self.identity = options.identity or default_identity()
        self.client = client
        self.reconciler = reconciler
        self.log = log
        self.metrics = metrics
        self.stopping = threading.Event()
        self.replicas = Replicas(client, options.namespace, self.identity, duration=options.lease_duration)
        self.workers = [Worker(self, app, app.schedule.with_interval(options.interval)) for app in apps]
        self.period = max(options.lease_duration / 5, 0.2)
        self._heartbeat = time.monotonic()
        self._coordinator = threading.Thread(target=self._coordinate, name="leases", daemon=True)

    # -- running ---------------------------------------------------------------------------

    def healthy(self) -> bool:
        """The coordinator came round recently (``/healthz``)."""
        return time.monotonic() - self._heartbeat < max(10 * self.period, 30.0)

    def run(self) -> int:
        """Run until :meth:`stop`; returns 0 after a clean shutdown."""
        self.log(
            "info",
            "started",
            identity=self.identity,
            apps=[w.app.name for w in self.workers],
            namespace=self.options.namespace,
        )
        for worker in self.workers:
            worker.thread.start()
        self._coordinator.start()
        while not self.stopping.wait(1.0):
            pass
        return self._shutdown()

    def stop(self) -> None:
        """Ask the loop to shut down (safe from a signal handler: only sets events)."""
        self.stopping.set()
        for worker in self.workers:
            worker.wake.set()

    def _shutdown(self) -> int:
        self.log("info", "stopping", grace=self.options.grace)
        deadline = time.monotonic() + self.options.grace
        for worker in self.workers:
            worker.thread.join(max(deadline - time.monotonic(), 0.0))
        self._coordinator.join(max(deadline - time.monotonic(), 1.0))
        released, abandoned = [], []
        for worker in self.workers:
            if worker.thread.is_alive():
                # Still inside the engine: keep the Lease (it expires) rather than let another
                # engine start while this one may still write.
                abandoned.append(worker.app.name)
                continue
            try:
                if worker.lease.release():
                    released.append(worker.app.name)
            except ClusterError as exc:
                self.log("warning", "lease-release-failed", app=worker.app.name, error=str(exc))
        try:
            self.replicas.leave()
        except ClusterError as exc:
            self.log("warning", "lease-release-failed", lease=self.replicas.lease.name, error=str(exc))
        self.log("info", "stopped", released=released, abandoned=abandoned)
        return 0

    def ready(self, name: str) -> bool:
        """Whether app ``name`` of this run is synced: by this engine's own status when it holds
        the app, else by the app's history (another replica syncs it)."""
        worker = next((w for w in self.workers if w.app.name == name), None)
        if worker is None:
            return True  # not part of this run: nothing to wait for (the engine's rule too)
        if worker.owned:
            return worker.status is not None and worker.status.sync == "Synced"
        return bool(self.reconciler.ready(worker.app, self.client))

    # -- leases ----------------------------------------------------------------------------

    def _coordinate(self) -> None:
        failures = Backoff(self.period, 2.0, max(self.options.lease_duration, 5.0))
        while not self.stopping.is_set():
            delay = self.period
            try:
                self._lease_round()
                failures.reset()
            except ClusterError as exc:
                delay = failures.next()
                self.log("warning", "leases-unavailable", error=str(exc), retry_in=round(delay, 3))
                self._unavailable(exc, delay)
            except Exception as exc:  # a bug must not end the Lease thread
                delay = failures.next()
                self.log("error", "lease-round-failed", error=f"{type(exc).__name__}: {exc}")
            self._heartbeat = time.monotonic()
            self.stopping.wait(delay)

    def _unavailable(self, exc: ClusterError, delay: float) -> None:
        """Say once per outage, for each app this engine was looking after, that it is not being
        synced (its Lease lapses while the API server cannot be reached)."""
        what = "ClusterUnreachable" if isinstance(exc, ClusterUnreachable) else "ClusterError"
        for worker in self.workers:
            if worker.owned and not worker.in_outage:
                worker.in_outage = True
                status = Status("Unknown", "Unknown", worker.revision or "", f"{what}: {exc}")
                worker.set_status(status, event=what, retry_in=round(delay, 3))

    def _lease_round(self) -> None:
        self.replicas.heartbeat()
        limit = share(len(self.workers), self.replicas.count())
        held = [w for w in self.workers if w.lease.held or w.owned]
        for worker in held:
            worker.owned = worker.lease.try_acquire_or_renew()
            if not worker.owned:
                self.log("warning", "lease-lost", app=worker.app.name)
        held = [w for w in self.workers if w.lease.held]
        if len(held) > limit:
            idle = [w for w in held if not w.busy]
            if idle:
                victim = idle[-1]
                with victim.lease.lock:
                    if not victim.busy and victim.lease.release():
                        victim.owned = False
                        self.log("info", "lease-handed-over", app=victim.app.name, share=limit)
            return
        for worker in self.workers:
            if len(held) >= limit or self.stopping.is_set():
                break
            if worker.lease.held:
                continue
            if worker.lease.try_acquire_or_renew():
                worker.owned = True
                held.append(worker)
                self.log("info", "lease-acquired", app=worker.app.name, lease=worker.lease.name)
                worker.wake.set()


class Worker:
    """The reconcile loop of one app."""

    def __init__(self, loop: Loop, app: LoadedApp, schedule: Schedule) -> None:
        self.loop = loop
        self.app = app
        self.schedule = schedule
        self.lease: Lease = app_lease(
            loop.client, loop.options.namespace, app.name, loop.identity, duration=loop.options.lease_duration
        )
        self.wake = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"app:{app.name}", daemon=True)
        self.busy = False
        self.revision: str | None = None  # last revision synced successfully (by this engine)
        self.failed: str | None = None  # last revision whose sync failed
        self.failed_attempts = 0
        self.refused: set[str] = set()
        self.retry_at = 0.0
        self.next_poll = 0.0
        self.next_drift = 0.0
        self.heal = Backoff(SELF_HEAL_INITIAL, SELF_HEAL_FACTOR, SELF_HEAL_CAP)
        self.heal_at = 0.0
        interval = schedule.interval
        self.outage = Backoff(min(2.0, interval), 3.0, min(300.0, max(interval, 10.0)))
        self.retry = schedule.retry.backoff()
        self.status: Status | None = None
        self.head: str | None = None  # what the source named at the last poll
        self.in_outage = False
        self.owned = False  # this engine held the Lease at its last successful round

    # -- the thread ------------------------------------------------------------------------

    def _run(self) -> None:
        log = self.loop.log
        if self.schedule.suspended:
            log("info", "suspended", app=self.app.name)
            self.loop.stopping.wait()
            return
        while not self.loop.stopping.is_set():
            now = time.monotonic()
            due = min(self.next_poll, self.next_drift if self.schedule.drift_interval else self.next_poll)
            if self.retry_at:
                due = min(due, self.retry_at)
            if not self.lease.held:
                self.wake.wait(self.loop.period)
                self.wake.clear()
                continue
            if now < due:
                self.wake.wait(due - now)
                self.wake.clear()
                continue
            with self.lease.lock:
                # Between this check and the end of the reconcile the coordinator may not hand
                # the Lease over (it takes the same lock); renewals go on in that thread.
                if not self.lease.held:
                    continue
                self.busy = True
            try:
                self._reconcile_timed()
            finally:
                self.busy = False

    def _reconcile_timed(self) -> None:
        started = time.monotonic()
        try:
            self.reconcile()
        except Cancelled:
            why = "shutting down" if self.loop.stopping.is_set() else "this engine lost the app's Lease"
            self.loop.log(
                "warning", "sync-abandoned", app=self.app.name, reason=f"{why}: stopped at its next step"
            )
        except Exception as exc:  # a bug must not end the app's thread: report it and back off
            self._outage("InternalError", exc)
        finally:
            if self.loop.metrics is not None:
                self.loop.metrics.observe(time.monotonic() - started)

    def reconcile(self) -> None:
        """One pass: poll the source when due, then sync or compare as the schedule says."""
        now = time.monotonic()
        if self.head is None or now >= self.next_poll:
            try:
                self.head = self.loop.reconciler.resolve(self.app)
            except ClusterError as exc:
                self._outage(
                    "ClusterUnreachable" if isinstance(exc, ClusterUnreachable) else "ClusterError", exc
                )
                return
            except GuardError as exc:
                self._outage("SourceUnavailable", exc)
                return
            self.next_poll = now + self.schedule.interval
        head = self.head
        try:
            new = head != self.revision and head not in self.refused and self.schedule.automated
            if new and (head != self.failed or self._retry_due(now)) and self._dependencies_ready(now, head):
                self._sync(head, reason="new revision" if head != self.failed else "retry")
                self._recovered()
                return
            if now >= self.next_drift and self.schedule.drift_interval:
                self._compare(now)
        except ClusterUnreachable as exc:
            self._outage("ClusterUnreachable", exc)
            return
        except ClusterError as exc:
            self._outage("ClusterError", exc)
            return
        self._recovered()

    def _recovered(self) -> None:
        self.outage.reset()
        if self.in_outage:
            self.in_outage = False
            self.loop.log("info", "recovered", app=self.app.name)

    def _target(self) -> str | None:
        """The revision the live state should match: the head, unless it was refused (then the
        last one synced) or is new and not synced yet (waiting for a dependency). A head whose
        sync failed is the target: healing it retries it, as Argo CD's self-heal does."""
        head = self.head
        if head is None or head in self.refused:
            return self.revision
        if not self.schedule.automated or head in (self.revision, self.failed):
            return head
        return self.revision

    def _compare(self, now: float) -> None:
        target = self._target()
        self.next_drift = now + self.schedule.drift_interval
        if target is None:
            return
        drifted = self.loop.reconciler.drift(self.app, self.loop.client, target)
        if self.loop.metrics is not None:
            self.loop.metrics.drift(self.app.name, drifted)
        if drifted == 0:
            self.heal.reset()
            self.heal_at = 0.0
            self.set_status(self._in_sync(target, self._health()))
            return
        self.loop.log("info", "drift", app=self.app.name, objects=drifted, revision=target)
        if not self.schedule.self_heal:
            off = "self-heal is off" if self.schedule.automated else "automated sync is off"
            self.set_status(
                Status("OutOfSync", self._health(), self.revision or "", f"{drifted} objects differ; {off}")
            )
            return
        if self.schedule.kind == "Application":
            if now < self.heal_at:
                self.set_status(Status("OutOfSync", self._health(), target, f"{drifted} objects drifted"))
                return
            self.heal_at = now + self.heal.next()
        self._sync(target, reason="self-heal")

    def _dependencies_ready(self, now: float, head: str) -> bool:
        """Flux ``dependsOn``: sync only once every dependency's last sync succeeded; else look
        again in 30 s at most (kustomize-controller's ``--requeue-dependency``)."""
        waiting = [name for name in self.app.depends_on if not self.loop.ready(name)]
        if not waiting:
            return True
        self.next_poll = min(self.next_poll, now + min(self.schedule.interval, DEPENDENCY_REQUEUE))
        message = f"revision {head[:12]} waits for {', '.join(waiting)}"
        self.set_status(Status("OutOfSync", self._health(), self.revision or "", message))
        return False

    def _in_sync(self, revision: str, health: str) -> Status:
        """Live matches ``revision``: Synced, unless the source names a revision that was refused."""
        if self.head is not None and self.head != revision and self.head in self.refused:
            return Status(
                "OutOfSync",
                health,
                revision,
                f"revision {self.head[:12]} was refused; {revision[:12]} is applied",
            )
        return Status("Synced", health, revision)

    def _retry_due(self, now: float) -> bool:
        limit = self.schedule.retry.limit
        if limit >= 0 and self.failed_attempts > limit:
            return False
        return bool(self.retry_at) and now >= self.retry_at

    def _sync(self, revision: str, *, reason: str) -> None:
        name = self.app.name
        log = self.loop.log
        stopping = self.loop.stopping

        lease = self.lease

        def engine_log(message: str) -> None:
            # The engine's own progress reports are where a sync can stop cleanly: at shutdown,
            # or when this engine no longer holds the app (it could not renew the Lease).
            if stopping.is_set() or not lease.held:
                raise Cancelled()
            log("info", "sync-step", app=name, message=message)

        log("info", "sync-started", app=name, revision=revision, reason=reason)
        started = time.time()
        client = Guarded(self.loop.client, lambda: stopping.is_set() or not lease.held)
        try:
            outcome = self.loop.reconciler.sync(self.app, client, revision=revision, log=engine_log)
        except ClusterError:
            self._count("Error")
            raise
        except GuardError as exc:
            outcome = _Failed(revision, str(exc))
        status = outcome.status
        log(
            "info" if status == "Synced" else "warning",
            "sync-finished",
            app=name,
            revision=revision,
            status=status,
            health=outcome.health,
            message=outcome.message,
            seconds=round(time.time() - started, 3),
        )
        if status == "Synced":
            self._count("Succeeded")
            self.revision = revision
            self.failed, self.failed_attempts, self.retry_at = None, 0, 0.0
            self.retry.reset()
            self.set_status(self._in_sync(revision, outcome.health))
            self.next_drift = time.monotonic() + self.schedule.drift_interval
        elif status == "Refused":
            self._count("Refused")
            self.refused.add(revision)
            self.set_status(
                Status(
                    "OutOfSync",
                    self._health(),
                    self.revision or "",
                    f"revision {revision[:12]} refused: {outcome.message}",
                )
            )
        else:
            self._count("Failed")
            if self.failed != revision:
                self.failed, self.failed_attempts = revision, 0
                self.retry.reset()
            self.failed_attempts += 1
            limit = self.schedule.retry.limit
            if limit < 0 or self.failed_attempts <= limit:
                delay = self.retry.next()
                self.retry_at = time.monotonic() + delay
                log(
                    "info",
                    "retry-scheduled",
                    app=name,
                    revision=revision,
                    attempt=self.failed_attempts,
                    retry_in=round(delay, 3),
                )
            else:
                self.retry_at = 0.0
            self.set_status(
                Status(
                    "OutOfSync",
                    outcome.health or "Unknown",
                    self.revision or "",
                    f"sync of {revision[:12]} failed: {outcome.message}",
                )
            )

    def _outage(self, what: str, exc: Exception) -> None:
        if what == "InternalError":
            exc = RuntimeError(f"{type(exc).__name__}: {exc}")
        delay = self.outage.next()
        self.next_poll = self.next_drift = time.monotonic() + delay
        self.in_outage = True
        self.set_status(
            Status("Unknown", "Unknown", self.revision or "", f"{what}: {exc}"),
            event=what,
            retry_in=round(delay, 3),
        )

    def _count(self, phase: str) -> None:
        if self.loop.metrics is not None:
            self.loop.metrics.synced(self.app.name, phase)

    def _health(self) -> str:
        return self.status.health if self.status is not None else "Unknown"

    def set_status(
        self, status: Status, *, quiet: bool = False, event: str = "status", **fields: Any
    ) -> None:
        """Record the app's status: an ``app_info`` series, and a log line when it changed."""
        changed = status != self.status
        self.status = status
        if self.loop.metrics is not None:
            self.loop.metrics.status(
                self.app.name, sync_status=status.sync, health_status=status.health, revision=status.revision
            )
        if (changed and not quiet) or event != "status":
            self.loop.log(
                "warning" if status.sync == "Unknown" else "info",
                event,
                app=self.app.name,
                sync_status=status.sync,
                health_status=status.health,
                revision=status.revision,
                message=status.message or None,
                **fields,
            )


class Guarded:
    """The client a sync runs with: the same client, except that once ``stop()`` says so a read
    raises :class:`Cancelled`. Writes already under way go through, so the wave being written is
    finished; the sync stops at its next read — a health poll, or the next wave's listing."""

    def __init__(self, client: Any, stop: Callable[[], bool]) -> None:
        self._client = client
        self._stop = stop

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def _check(self) -> None:
        if self._stop():
            raise Cancelled()

    def get(self, *args: Any, **kwargs: Any) -> Any:
        self._check()
        return self._client.get(*args, **kwargs)

    def list(self, *args: Any, **kwargs: Any) -> Any:
        self._check()
        return self._client.list(*args, **kwargs)

    def iter(self, *args: Any, **kwargs: Any) -> Any:
        self._check()
        return self._client.iter(*args, **kwargs)


class _Failed(NamedTuple):
    revision: str
    message: str
    status: str = "Failed"
    health: str = "Unknown"


def load_apps(reconciler: Reconciler, paths: Sequence[os.PathLike[str] | str]) -> list[LoadedApp]:
    return [reconciler.load(Path(p)) for p in paths]
