"""Per-app inventory and sync history, kept in the cluster as one ConfigMap per app.

A restarted engine continues where it stopped: the inventory lists every object the app
applied (with its tracking id), which is what a prune may consider, and the last ``keep``
history entries say what each sync did (revision, start and end, result, per-object outcome
counts) or why it was refused (rule IDs and counts). Nothing in it is ever an object's value:
entries hold identities, counts and the engine's own wording.

Writes are optimistic: a ConfigMap is created with ``POST`` (two engines creating it at once:
one gets AlreadyExists) and then replaced with ``PUT`` carrying the ``resourceVersion`` it was
read at, so a write based on a stale read is refused with 409 Conflict; the change is then
applied again to a fresh read, a bounded number of times. The ConfigMap stays under the API
server's 1 MiB limit: the oldest history entries are dropped first, the inventory never is.
"""

from __future__ import annotations

import enum
import json
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from gitops_guard.cluster.errors import ApiError, ClusterError
from gitops_guard.cluster.names import derived_name
from gitops_guard.ownership import TrackingId

DEFAULT_NAMESPACE = "gitops-guard"
DEFAULT_KEEP = 10  # Argo CD's revisionHistoryLimit default
# The API server refuses a ConfigMap whose data exceeds 1 MiB; stay well below for metadata.
MAX_DATA_BYTES = 1024 * 1024 - 64 * 1024
APP_LABEL = "gitops-guard.dev/app-history"
APP_ANNOTATION = "gitops-guard.dev/app"
FORMAT_VERSION = 1
_REASON_LIMIT = 500


class HistoryError(ClusterError):
    """The history could not be read or written (malformed store, too large, or contended)."""


class Result(enum.Enum):
    RUNNING = "Running"  # started, not finished: an engine stopped mid-sync
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    REFUSED = "Refused"  # the revision did not pass `check`: nothing was applied


@dataclass(frozen=True, order=True)
class InventoryItem:
    """One object the app applied: enough to find it again (and prune it) without the repo."""

    api_version: str
    tracking_id: TrackingId

    def to_json(self) -> list[str]:
        return [self.api_version, str(self.tracking_id)]

    @classmethod
    def from_json(cls, raw: Any) -> InventoryItem:
        if not (isinstance(raw, list) and len(raw) == 2 and all(isinstance(x, str) for x in raw)):
            raise ValueError("inventory item must be [apiVersion, trackingId]")
        return cls(raw[0], TrackingId.parse(raw[1]))


@dataclass(frozen=True)
class Refusal:
    """Why a revision was not synced: rule IDs with their finding counts, never a finding's text."""

    rules: tuple[tuple[str, int], ...]
    fail_on: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"failOn": self.fail_on, "rules": dict(self.rules)}

    @classmethod
    def from_json(cls, raw: Any) -> Refusal:
        rules = raw.get("rules") if isinstance(raw, Mapping) else None
        if not isinstance(rules, Mapping):
            raise ValueError("refusal must hold rules")
        return cls(tuple(sorted((str(k), int(v)) for k, v in rules.items())), str(raw.get("failOn") or ""))


@dataclass(frozen=True)
class Entry:
    id: int
    revision: str
    started: str  # RFC 3339, UTC
    result: Result
    finished: str | None = None
    outcomes: tuple[tuple[str, int], ...] = ()  # e.g. (("created", 3), ("unchanged", 40))
    refusal: Refusal | None = None
    reason: str = ""  # the engine's own words for a failure; never an object's data
    # sha256 of what was checked and applied (the rendered objects, the tool's version): a
    # later sync of the same objects need not run `check` again. A digest, never the data.
    digest: str = ""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "revision": self.revision,
            "started": self.started,
            "result": self.result.value,
        }
        if self.finished is not None:
            out["finished"] = self.finished
        if self.outcomes:
            out["outcomes"] = dict(self.outcomes)
        if self.refusal is not None:
            out["refusal"] = self.refusal.to_json()
        if self.reason:
            out["reason"] = self.reason
        if self.digest:
            out["digest"] = self.digest
        return out

    @classmethod
    def from_json(cls, raw: Any) -> Entry:
        if not isinstance(raw, Mapping):
            raise ValueError("history entry must be a mapping")
        outcomes = raw.get("outcomes") or {}
        if not isinstance(outcomes, Mapping):
            raise ValueError("outcomes must be a mapping")
        return cls(
            id=int(raw["id"]),
            revision=str(raw["revision"]),
            started=str(raw["started"]),
            result=Result(raw["result"]),
            finished=None if raw.get("finished") is None else str(raw["finished"]),
            outcomes=tuple(sorted((str(k), int(v)) for k, v in outcomes.items())),
            refusal=None if raw.get("refusal") is None else Refusal.from_json(raw["refusal"]),
            reason=str(raw.get("reason") or ""),
            digest=str(raw.get("digest") or ""),
        )


@dataclass(frozen=True)
class State:
    """What the store holds for one app, as read at ``resource_version`` (None: not stored yet)."""

    app: str
    inventory: tuple[InventoryItem, ...] = ()
    history: tuple[Entry, ...] = ()  # oldest first
    resource_version: str | None = field(default=None, compare=False)

    @property
    def last(self) -> Entry | None:
        return self.history[-1] if self.history else None

    def entry(self, entry_id: int) -> Entry | None:
        return next((e for e in self.history if e.id == entry_id), None)

    def next_id(self) -> int:
        return max((e.id for e in self.history), default=0) + 1


Change = Callable[[State], State]


class HistoryStore:
    """The history ConfigMaps of one engine, in ``namespace`` (which must exist)."""

    def __init__(
        self,
        client: Any,
        namespace: str = DEFAULT_NAMESPACE,
        *,
        keep: int = DEFAULT_KEEP,
        max_bytes: int = MAX_DATA_BYTES,
        attempts: int = 8,
    ) -> None:
        if keep < 1:
            raise ValueError("keep must be at least 1")
        self.client = client
        self.namespace = namespace
        self.keep = keep
        self.max_bytes = max_bytes
        self.attempts = attempts

    @staticmethod
    def name_for(app: str) -> str:
        """The ConfigMap's name: readable, and distinct for app names that sanitise alike."""
        return derived_name("gitops-guard-history", app, fallback="app")

    def read(self, app: str) -> State:
        live = self.client.get("v1", "ConfigMap", self.name_for(app), self.namespace)
        return self._decode(app, live) if live is not None else State(app)

    def update(self, app: str, change: Change) -> State:
        """Apply ``change`` to the stored state and write it back, retrying on conflicts."""
        for attempt in range(self.attempts):
            state = self.read(app)
            wanted = self._fit(change(state))
            body = self._encode(wanted, state.resource_version)
            try:
                if state.resource_version is None:
                    stored = self.client.create(body)
                else:
                    stored = self.client.replace(body)
            except ApiError as exc:
                if exc.code == 409 and attempt + 1 < self.attempts:
                    time.sleep(min(0.01 * 2**attempt, 0.5))
                    continue
                if exc.code == 409:
                    raise HistoryError(
                        f"history of {app!r}: still contended after {self.attempts} attempts"
                    ) from exc
                raise
            return replace(wanted, resource_version=(stored.get("metadata") or {}).get("resourceVersion"))
        raise AssertionError("unreachable")

    # -- the engine's vocabulary ---------------------------------------------------------------

    def begin(
        self,
        app: str,
        revision: str,
        *,
        digest: str = "",
        widen: Iterable[InventoryItem] = (),
        now: str | None = None,
    ) -> Entry:
        """Record a sync of ``revision`` as started; returns its entry (with its id).

        ``widen`` joins the inventory in the same write: what the sync may create is owned
        before it exists, so a sync that dies half-way still prunes it later."""
        started = now or _now()
        return self._append(
            app, lambda entry_id: Entry(entry_id, revision, started, Result.RUNNING, digest=digest), widen
        )

    def finish(
        self,
        app: str,
        entry_id: int,
        result: Result,
        *,
        outcomes: Mapping[str, int] | None = None,
        inventory: tuple[InventoryItem, ...] | None = None,
        reason: str = "",
        now: str | None = None,
    ) -> State:
        """Close entry ``entry_id`` and, when given, replace the inventory in the same write."""
        finished = now or _now()

        def change(state: State) -> State:
            if state.entry(entry_id) is None:
                raise HistoryError(f"history of {app!r} has no entry {entry_id} (dropped as too old?)")
            closed = tuple(
                replace(
                    e,
                    result=result,
                    finished=finished,
                    outcomes=tuple(sorted((outcomes or {}).items())),
                    reason=reason[:_REASON_LIMIT],
                )
                if e.id == entry_id
                else e
                for e in state.history
            )
            return replace(
                state, history=closed, inventory=state.inventory if inventory is None else inventory
            )

        return self.update(app, change)

    def refuse(self, app: str, revision: str, refusal: Refusal, *, now: str | None = None) -> Entry:
        """Record that ``revision`` was refused (it failed `check`); nothing was applied."""
        at = now or _now()
        return self._append(
            app, lambda entry_id: Entry(entry_id, revision, at, Result.REFUSED, finished=at, refusal=refusal)
        )

    def _append(self, app: str, make: Callable[[int], Entry], widen: Iterable[InventoryItem] = ()) -> Entry:
        """Append the entry ``make`` builds from the next free id (and add ``widen`` to the
        inventory); returns the entry written."""
        made: list[Entry] = []
        added = set(widen)

        def change(state: State) -> State:
            entry = make(state.next_id())
            made[:] = [entry]
            inventory = tuple(sorted(set(state.inventory) | added)) if added else state.inventory
            return replace(state, history=(*state.history, entry), inventory=inventory)

        self.update(app, change)
        return made[0]

    # -- encoding ------------------------------------------------------------------------------

    def _fit(self, state: State) -> State:
        history = state.history[-self.keep :]
        while True:
            size = _data_size(_data(replace(state, history=history)))
            if size <= self.max_bytes:
                return replace(state, history=history)
            if len(history) <= 1:
                raise HistoryError(
                    f"history of {state.app!r}: {len(state.inventory)} inventory items need {size} bytes, "
                    f"more than a ConfigMap holds ({self.max_bytes})"
                )
            history = history[1:]

    def _encode(self, state: State, resource_version: str | None) -> dict[str, Any]:
        meta: dict[str, Any] = {
            "name": self.name_for(state.app),
            "namespace": self.namespace,
            "labels": {APP_LABEL: "true"},
            "annotations": {APP_ANNOTATION: state.app},
        }
        if resource_version is not None:
            meta["resourceVersion"] = resource_version
        return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": _data(state)}

    def _decode(self, app: str, live: Mapping[str, Any]) -> State:
        meta = live.get("metadata") or {}
        name = f"{self.namespace}/{self.name_for(app)}"
        stored_app = (meta.get("annotations") or {}).get(APP_ANNOTATION)
        if stored_app != app:
            raise HistoryError(f"ConfigMap {name} holds the history of {stored_app!r}, not {app!r}")
        data = live.get("data") or {}
        try:
            if int(data.get("format", FORMAT_VERSION)) != FORMAT_VERSION:
                raise HistoryError(f"ConfigMap {name}: history format {data.get('format')} is not supported")
            inventory = tuple(InventoryItem.from_json(i) for i in json.loads(data.get("inventory") or "[]"))
            history = tuple(Entry.from_json(e) for e in json.loads(data.get("history") or "[]"))
        except (ValueError, KeyError, TypeError) as exc:
            raise HistoryError(f"ConfigMap {name}: the stored history is malformed ({exc})") from exc
        return State(app, inventory, history, meta.get("resourceVersion"))


def _data(state: State) -> dict[str, str]:
    inventory = [i.to_json() for i in sorted(state.inventory)]
    return {
        "format": str(FORMAT_VERSION),
        "inventory": json.dumps(inventory, separators=(",", ":")),
        "history": json.dumps([e.to_json() for e in state.history], separators=(",", ":")),
    }


def _data_size(data: Mapping[str, str]) -> int:
    return sum(len(k.encode()) + len(v.encode()) for k, v in data.items())


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
