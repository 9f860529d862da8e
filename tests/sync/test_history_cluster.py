"""The history store against the real dev cluster: persistence, races, the size limit."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest

from gitops_guard.cluster import ApiError, Client
from gitops_guard.ownership import TrackingId
from gitops_guard.sync.history import (
    HistoryError,
    HistoryStore,
    InventoryItem,
    Refusal,
    Result,
    State,
)
from tests.conftest import DevCluster


def _items(n: int, namespace: str = "apps") -> tuple[InventoryItem, ...]:
    return tuple(
        InventoryItem("v1", TrackingId("web", "", "ConfigMap", namespace, f"cm-{i:05d}")) for i in range(n)
    )


def test_a_sync_is_recorded_and_read_back_by_a_new_store(client: Client, namespace: str) -> None:
    store = HistoryStore(client, namespace)
    assert store.read("web") == State("web")
    entry = store.begin("web", "a" * 40, now="2026-01-01T00:00:00Z")
    assert entry.id == 1 and store.read("web").last == entry  # a restarted engine sees it running
    inventory = _items(3)
    store.finish(
        "web",
        entry.id,
        Result.SUCCEEDED,
        outcomes={"created": 3, "unchanged": 0},
        inventory=inventory,
        now="2026-01-01T00:00:05Z",
    )
    refused = store.refuse("web", "b" * 40, Refusal((("secrets/plaintext", 2),), "error"))
    again = HistoryStore(client, namespace).read("web")
    assert again.inventory == inventory
    assert [(e.id, e.result, e.revision[:1]) for e in again.history] == [
        (1, Result.SUCCEEDED, "a"),
        (2, Result.REFUSED, "b"),
    ]
    assert again.history[0].outcomes == (("created", 3), ("unchanged", 0))
    assert again.history[0].finished == "2026-01-01T00:00:05Z"
    assert again.entry(refused.id) is not None and again.history[1].refusal == Refusal(
        (("secrets/plaintext", 2),), "error"
    )
    live = client.get("v1", "ConfigMap", store.name_for("web"), namespace)
    assert live is not None and live["metadata"]["labels"] == {"gitops-guard.dev/app-history": "true"}


def test_a_sync_widens_the_inventory_as_it_begins(client: Client, namespace: str) -> None:
    store = HistoryStore(client, namespace)
    first = store.begin("web", "a" * 40)
    store.finish("web", first.id, Result.SUCCEEDED, inventory=_items(2))
    # What the next sync may create is owned in the write that starts it, before it exists.
    second = store.begin("web", "b" * 40, digest="d" * 64, widen=_items(3)[1:])
    state = HistoryStore(client, namespace).read("web")
    assert state.inventory == _items(3)
    assert state.last == second and second.digest == "d" * 64 and second.result is Result.RUNNING


def test_a_write_based_on_a_stale_read_is_refused(client: Client, namespace: str) -> None:
    store = HistoryStore(client, namespace)
    store.begin("web", "a" * 40)
    stale = client.get("v1", "ConfigMap", store.name_for("web"), namespace)
    assert stale is not None
    store.begin("web", "b" * 40)
    with pytest.raises(ApiError) as caught:
        client.replace(stale)
    assert caught.value.code == 409
    assert len(store.read("web").history) == 2  # the newer write survived


def test_two_writers_racing_lose_no_entry(client: Client, namespace: str, dev_cluster: DevCluster) -> None:
    # Two engines (own clients, own connections) append at once, the first writes racing to
    # create the ConfigMap: every entry lands exactly once, with distinct ids.
    per_writer = 12
    errors: list[BaseException] = []

    def writer(tag: str) -> None:
        try:
            with Client.from_kubeconfig(dev_cluster.kubeconfig) as own:
                store = HistoryStore(own, namespace, keep=100, attempts=50)
                for i in range(per_writer):
                    store.begin("web", f"{tag}{i:039d}")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(tag,)) for tag in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    history = HistoryStore(client, namespace).read("web").history
    assert sorted(e.id for e in history) == list(range(1, 2 * per_writer + 1))
    assert sorted(e.revision for e in history) == sorted(
        f"{t}{i:039d}" for t in "ab" for i in range(per_writer)
    )


def test_contention_past_the_bound_is_a_clear_error(client: Client, namespace: str) -> None:
    store = HistoryStore(client, namespace, attempts=3)
    store.begin("web", "a" * 40)

    def meddling(state: State) -> State:
        # Another writer slips in between every read and write.
        HistoryStore(client, namespace).begin("web", "c" * 40)
        return replace(state, inventory=_items(1))

    with pytest.raises(HistoryError, match="still contended after 3 attempts"):
        store.update("web", meddling)


def test_the_store_stays_under_the_api_servers_size_limit(client: Client, namespace: str) -> None:
    # ~350 KB of inventory, and refusals of ~20 KB each: only the newest entries fit, and the
    # API server (which refuses ConfigMaps over 1 MiB) accepts every write.
    store = HistoryStore(client, namespace, keep=100)
    inventory = _items(9000)
    big = Refusal(tuple((f"policy/rule-with-a-long-identifier-{i:04d}", i) for i in range(400)), "error")
    entry = store.begin("web", "0" * 40)
    store.finish("web", entry.id, Result.SUCCEEDED, inventory=inventory)
    for i in range(1, 40):
        store.refuse("web", f"{i:040d}", big)
    state = store.read("web")
    assert state.inventory == inventory
    assert 1 < len(state.history) < 40 and state.history[-1].revision == f"{39:040d}"
    live = client.get("v1", "ConfigMap", store.name_for("web"), namespace)
    assert live is not None
    assert sum(len(k) + len(v.encode()) for k, v in live["data"].items()) <= 1024 * 1024


def test_a_full_inventory_that_cannot_fit_is_refused_before_writing(client: Client, namespace: str) -> None:
    store = HistoryStore(client, namespace)
    entry = store.begin("web", "0" * 40)
    with pytest.raises(HistoryError, match="more than a ConfigMap holds"):
        store.finish("web", entry.id, Result.SUCCEEDED, inventory=_items(30000))
    assert store.read("web").history[-1].result is Result.RUNNING  # nothing half-written
