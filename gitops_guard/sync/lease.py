"""Who may write an app: one ``coordination.k8s.io/v1`` Lease per app, and one per engine replica.

The rules are client-go's leader election, per app instead of per process. A Lease names its
``holderIdentity`` and ``leaseDurationSeconds``; the holder renews ``renewTime`` well within
the duration. Another engine may take the Lease over only once it has *seen the same record
unchanged* for a whole duration on its own monotonic clock — never by comparing the holder's
``renewTime`` with its own wall clock, so clock skew between machines cannot hand one app to two
engines. The holder, in turn, stops considering itself the holder ``renew_deadline`` after its
last successful renewal (shorter than the duration), so it stops writing before anyone else may
start. Every write is a compare-and-swap on ``resourceVersion`` (create, or replace the version
that was read): two engines racing for one Lease get one success and one 409 Conflict.

Releasing (graceful shutdown) empties ``holderIdentity`` so that another engine can take the app
at once. Replica Leases (:class:`Replicas`) only count live engines, for sharding: each engine
holds at most its share of the app Leases (all state is in the API server, nothing is configured
per replica).
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from gitops_guard.cluster.errors import ApiError
from gitops_guard.cluster.names import derived_name

API_VERSION = "coordination.k8s.io/v1"
KIND = "Lease"
DEFAULT_DURATION = 15.0  # client-go's LeaseDuration
ROLE_LABEL = "gitops-guard.dev/lease"
APP_ANNOTATION = "gitops-guard.dev/app"
_MICROTIME = "%Y-%m-%dT%H:%M:%S.%fZ"


class Record(NamedTuple):
    """A Lease as read: its holder and timings, and the resourceVersion to write it back with."""

    holder: str
    duration: float
    renew_time: str
    acquire_time: str
    transitions: int
    resource_version: str | None

    @classmethod
    def of(cls, live: Mapping[str, Any]) -> Record:
        spec = live.get("spec") or {}
        meta = live.get("metadata") or {}
        return cls(
            holder=str(spec.get("holderIdentity") or ""),
            duration=float(spec.get("leaseDurationSeconds") or 0),
            renew_time=str(spec.get("renewTime") or ""),
            acquire_time=str(spec.get("acquireTime") or ""),
            transitions=int(spec.get("leaseTransitions") or 0),
            resource_version=meta.get("resourceVersion"),
        )


def micro_time(when: float) -> str:
    """``when`` (Unix seconds) in the MicroTime format Lease timestamps use."""
    return dt.datetime.fromtimestamp(when, dt.UTC).strftime(_MICROTIME)


def parse_micro_time(text: str) -> float | None:
    try:
        return dt.datetime.strptime(text, _MICROTIME).replace(tzinfo=dt.UTC).timestamp()
    except ValueError:
        try:
            return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return None


def lease_name(prefix: str, key: str) -> str:
    """A Lease name for ``key``: readable, and distinct for keys that sanitise alike."""
    return derived_name(prefix, key, fallback="x")


class Lease:
    """One Lease this engine competes for. Not thread-safe on its own: callers hold ``lock``."""

    def __init__(
        self,
        client: Any,
        namespace: str,
        name: str,
        identity: str,
        *,
        duration: float = DEFAULT_DURATION,
        renew_deadline: float | None = None,
        labels: Mapping[str, str] | None = None,
        annotations: Mapping[str, str] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if duration < 1:
            raise ValueError("a lease lasts at least 1 second")
        self.client = client
        self.namespace = namespace
        self.name = name
        self.identity = identity
        self.duration = duration
        # client-go: RenewDeadline 10 s for a 15 s lease.
        self.renew_deadline = renew_deadline if renew_deadline is not None else duration * 2 / 3
        self.labels = dict(labels or {})
        self.annotations = dict(annotations or {})
        self.lock = threading.RLock()
        self._monotonic = monotonic
        self._clock = clock
        self._renewed_at: float | None = None  # monotonic time of our last successful write
        self._observed: tuple[tuple[str, str, float], float] | None = None  # (record key, seen at)

    # -- the holder's view -----------------------------------------------------------------

    @property
    def held(self) -> bool:
        """True while this engine may write: renewed less than ``renew_deadline`` ago."""
        with self.lock:
            return self._renewed_at is not None and self._monotonic() - self._renewed_at < self.renew_deadline

    def try_acquire_or_renew(self) -> bool:
        """Take the Lease if it is free or expired, renew it if ours; True if we hold it now.

        API errors other than a lost race propagate (the caller backs off); a conflict means
        another engine wrote first, which is an ordinary "not ours".
        """
        with self.lock:
            try:
                return self._try_acquire_or_renew()
            except ApiError as exc:
                if exc.conflict:
                    self._renewed_at = None
                    return False
                raise

    def _try_acquire_or_renew(self) -> bool:
        now = self._clock()
        live = self.client.get(API_VERSION, KIND, self.name, self.namespace)
        if live is None:
            self.client.create(self._body(None, acquire=now, renew=now, transitions=0))
            self._renewed_at = self._monotonic()
            return True
        record = Record.of(live)
        if record.holder == self.identity:
            self.client.replace(
                self._body(
                    record.resource_version,
                    acquire=record.acquire_time,
                    renew=now,
                    transitions=record.transitions,
                )
            )
            self._renewed_at = self._monotonic()
            return True
        self._renewed_at = None
        if record.holder and not self._expired(record):
            return False
        self.client.replace(
            self._body(record.resource_version, acquire=now, renew=now, transitions=record.transitions + 1)
        )
        self._renewed_at = self._monotonic()
        self._observed = None
        return True

    def _expired(self, record: Record) -> bool:
        """Whether ``record`` went unrenewed for its whole duration, as seen by this engine."""
        key = (record.holder, record.renew_time, record.duration)
        now = self._monotonic()
        if self._observed is None or self._observed[0] != key:
            self._observed = (key, now)
            return False
        return now - self._observed[1] >= max(record.duration, 1.0)

    def release(self) -> bool:
        """Give the Lease up (if ours) so another engine can take it at once; True if released."""
        with self.lock:
            was_held = self._renewed_at is not None
            self._renewed_at = None
            if not was_held:
                return False
            live = self.client.get(API_VERSION, KIND, self.name, self.namespace)
            if live is None or Record.of(live).holder != self.identity:
                return False
            record = Record.of(live)
            body = self._body(
                record.resource_version,
                acquire=record.acquire_time,
                renew=self._clock(),
                transitions=record.transitions,
            )
            body["spec"]["holderIdentity"] = ""
            body["spec"]["leaseDurationSeconds"] = 1
            try:
                self.client.replace(body)
            except ApiError as exc:
                if exc.conflict:
                    return False
                raise
            return True

    def current(self) -> Record | None:
        """The Lease as the server has it now (None: no such Lease)."""
        live = self.client.get(API_VERSION, KIND, self.name, self.namespace)
        return None if live is None else Record.of(live)

    def _body(
        self, resource_version: str | None, *, acquire: float | str, renew: float, transitions: int
    ) -> dict[str, Any]:
        metadata: dict[str, Any] = {"name": self.name, "namespace": self.namespace}
        if self.labels:
            metadata["labels"] = dict(self.labels)
        if self.annotations:
            metadata["annotations"] = dict(self.annotations)
        if resource_version is not None:
            metadata["resourceVersion"] = resource_version
        acquire_text = (
            acquire
            if isinstance(acquire, str) and acquire
            else micro_time(acquire if isinstance(acquire, float) and acquire else renew)
        )
        return {
            "apiVersion": API_VERSION,
            "kind": KIND,
            "metadata": metadata,
            "spec": {
                "holderIdentity": self.identity,
                "leaseDurationSeconds": max(1, math.ceil(self.duration)),
                "acquireTime": acquire_text,
                "renewTime": micro_time(renew),
                "leaseTransitions": transitions,
            },
        }


def app_lease(
    client: Any, namespace: str, app: str, identity: str, *, duration: float = DEFAULT_DURATION
) -> Lease:
    """The Lease that decides which engine writes ``app``."""
    return Lease(
        client,
        namespace,
        lease_name("gitops-guard-app", app),
        identity,
        duration=duration,
        labels={ROLE_LABEL: "app"},
        annotations={APP_ANNOTATION: app},
    )


class Replicas:
    """This engine's own Lease, and a count of the engines whose Leases are live."""

    def __init__(
        self,
        client: Any,
        namespace: str,
        identity: str,
        *,
        duration: float = DEFAULT_DURATION,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.namespace = namespace
        self.identity = identity
        self.duration = duration
        self._clock = clock
        self.lease = Lease(
            client,
            namespace,
            lease_name("gitops-guard-replica", identity),
            identity,
            duration=duration,
            labels={ROLE_LABEL: "replica"},
            clock=clock,
        )

    def heartbeat(self) -> None:
        self.lease.try_acquire_or_renew()

    def count(self) -> int:
        """Engines with a replica Lease renewed within its duration (this one always counts).

        Only for sharing the apps out: the wall clock is good enough here, because a wrong count
        only makes the shares uneven for a while — exclusivity comes from the app Leases.
        """
        now = self._clock()
        live = {self.identity}
        selector = {ROLE_LABEL: "replica"}
        for item in self.client.list(API_VERSION, KIND, self.namespace, label_selector=selector):
            record = Record.of(item)
            renewed = parse_micro_time(record.renew_time)
            if record.holder and renewed is not None and now - renewed < 2 * max(record.duration, 1.0):
                live.add(record.holder)
        return len(live)

    def leave(self) -> None:
        """Remove this engine's replica Lease (graceful shutdown): the others' shares grow at once."""
        if self.lease.release():
            self.client.delete(API_VERSION, KIND, self.lease.name, self.namespace)


def share(apps: int, replicas: int) -> int:
    """How many of ``apps`` one of ``replicas`` engines should hold at most."""
    return math.ceil(apps / max(replicas, 1))
