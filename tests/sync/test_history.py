"""The history store's encoding, without a cluster (the store itself: test_history_cluster.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gitops_guard.ownership import TrackingId
from gitops_guard.sync.history import (
    Entry,
    HistoryError,
    HistoryStore,
    InventoryItem,
    Refusal,
    Result,
    State,
)


def _item(name: str) -> InventoryItem:
    return InventoryItem("v1", TrackingId("web", "", "ConfigMap", "apps", name))


def _entry(i: int, **kw: Any) -> Entry:
    return Entry(i, f"{i:040x}", "2026-01-01T00:00:00Z", Result.SUCCEEDED, **kw)


def test_names_are_valid_and_distinct_for_look_alike_apps() -> None:
    names = {HistoryStore.name_for(a) for a in ("a_b", "a-b", "A-B", "argocd_web", "")}
    assert len(names) == 5
    assert all(len(n) <= 253 and n == n.lower() and ".." not in n for n in names)


def test_entries_round_trip_without_values() -> None:
    entry = _entry(
        3,
        finished="2026-01-01T00:01:00Z",
        outcomes=(("created", 2), ("unchanged", 9)),
        refusal=Refusal((("schema/invalid", 1), ("secrets/plaintext", 2)), "error"),
    )
    raw = entry.to_json()
    assert raw["refusal"] == {"failOn": "error", "rules": {"secrets/plaintext": 2, "schema/invalid": 1}}
    assert Entry.from_json(json.loads(json.dumps(raw))) == entry


def test_fit_keeps_the_newest_entries() -> None:
    store = HistoryStore(None, keep=3)
    state = State("web", (_item("a"),), tuple(_entry(i) for i in range(1, 8)))
    assert [e.id for e in store._fit(state).history] == [5, 6, 7]


def test_fit_drops_the_oldest_to_stay_under_the_size_limit() -> None:
    store = HistoryStore(None, keep=100, max_bytes=1200)
    state = State("web", (_item("a"),), tuple(_entry(i) for i in range(1, 30)))
    fitted = store._fit(state)
    assert 1 <= len(fitted.history) < 29 and fitted.history[-1].id == 29
    assert fitted.inventory == state.inventory  # the inventory is never dropped


def test_an_inventory_too_large_for_one_configmap_is_an_error() -> None:
    store = HistoryStore(None, max_bytes=500)
    state = State("web", tuple(_item(f"cm-{i}") for i in range(50)), (_entry(1),))
    with pytest.raises(HistoryError, match="50 inventory items need"):
        store._fit(state)


@pytest.mark.parametrize(
    ("data", "complaint"),
    [
        ({"history": "not json"}, "malformed"),
        ({"history": '[{"id": 1}]'}, "malformed"),
        ({"inventory": '[["v1", "garbage"]]'}, "malformed"),
        ({"history": '[{"id": 1, "revision": "a", "started": "t", "result": "Exploded"}]'}, "malformed"),
        ({"format": "2"}, "format 2 is not supported"),
    ],
)
def test_a_damaged_store_is_a_clear_error(data: dict[str, str], complaint: str) -> None:
    store = HistoryStore(None)
    live = {"metadata": {"annotations": {"gitops-guard.dev/app": "web"}}, "data": data}
    with pytest.raises(HistoryError, match=complaint):
        store._decode("web", live)


def test_a_configmap_of_another_app_is_not_read_as_ours() -> None:
    live = {"metadata": {"annotations": {"gitops-guard.dev/app": "other"}}, "data": {}}
    with pytest.raises(HistoryError, match="holds the history of 'other', not 'web'"):
        HistoryStore(None)._decode("web", live)
