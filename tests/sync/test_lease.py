"""App and replica Leases against the real dev cluster's coordination.k8s.io API."""

from __future__ import annotations

import threading
import time

from gitops_guard.cluster import Client
from gitops_guard.sync.lease import (
    Lease,
    Record,
    Replicas,
    app_lease,
    lease_name,
    micro_time,
    parse_micro_time,
    share,
)


def test_micro_time_round_trips() -> None:
    when = 1_790_000_000.123456
    text = micro_time(when)
    assert text.endswith("Z") and "." in text
    parsed = parse_micro_time(text)
    assert parsed is not None and abs(parsed - when) < 1e-5
    assert parse_micro_time("not a time") is None


def test_lease_names_are_valid_and_distinct() -> None:
    assert lease_name("gitops-guard-app", "web") != lease_name("gitops-guard-app", "WEB")
    name = lease_name("gitops-guard-app", "x" * 400)
    assert len(name) <= 253 and name.startswith("gitops-guard-app-x")


def test_share_rounds_up() -> None:
    assert share(5, 2) == 3
    assert share(4, 2) == 2
    assert share(3, 0) == 3


def test_only_one_engine_holds_an_app_and_takes_over_after_expiry(client: Client, namespace: str) -> None:
    a = app_lease(client, namespace, "web", "engine-a", duration=2)
    b = app_lease(client, namespace, "web", "engine-b", duration=2)
    assert a.try_acquire_or_renew() and a.held
    assert not b.try_acquire_or_renew() and not b.held
    # While a renews, b never gets it, however long it watches.
    deadline = time.monotonic() + 3.0
    while time.monotonic() < deadline:
        assert a.try_acquire_or_renew()
        last_renewal = time.monotonic()
        assert not b.try_acquire_or_renew()
        time.sleep(0.3)
    record = a.current()
    assert record is not None and record.holder == "engine-a" and record.duration == 2
    # a stops renewing (it died): a itself stops counting as holder after its renew deadline...
    time.sleep(a.renew_deadline + 0.1)
    assert not a.held
    # ... and b takes over once it has seen the same record for a whole lease duration.
    started = time.monotonic()
    while not b.try_acquire_or_renew():
        assert time.monotonic() - started < 5.0, "b never took the expired lease over"
        time.sleep(0.2)
    # Not before b saw a's last record unchanged for the lease's 2 s.
    assert time.monotonic() - last_renewal >= 2.0
    record = b.current()
    assert record is not None and record.holder == "engine-b" and record.transitions == 1
    # a comes back: the lease is b's now.
    assert not a.try_acquire_or_renew()


def test_release_hands_the_app_over_at_once(client: Client, namespace: str) -> None:
    a = app_lease(client, namespace, "api", "engine-a", duration=30)
    b = app_lease(client, namespace, "api", "engine-b", duration=30)
    assert a.try_acquire_or_renew()
    assert not b.try_acquire_or_renew()
    assert a.release()
    assert not a.held
    record = a.current()
    assert record is not None and record.holder == ""
    assert b.try_acquire_or_renew()
    assert not a.release()  # not a's any more: nothing written
    current = b.current()
    assert current is not None and current.holder == "engine-b"


def test_racing_engines_get_one_winner(client: Client, namespace: str) -> None:
    for round_ in range(3):
        leases = [Lease(client, namespace, f"race-{round_}", f"engine-{i}", duration=30) for i in range(4)]
        results: list[bool] = []
        barrier = threading.Barrier(len(leases))

        def contend(lease: Lease, barrier: threading.Barrier, results: list[bool]) -> None:
            barrier.wait()
            results.append(lease.try_acquire_or_renew())

        threads = [threading.Thread(target=contend, args=(lease, barrier, results)) for lease in leases]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(results) == [False, False, False, True]
        winners = [lease.identity for lease in leases if lease.held]
        live = client.get("coordination.k8s.io/v1", "Lease", f"race-{round_}", namespace)
        assert live is not None and Record.of(live).holder == winners[0]


def test_replicas_count_live_engines_and_leave(client: Client, namespace: str) -> None:
    one = Replicas(client, namespace, "engine-1", duration=30)
    two = Replicas(client, namespace, "engine-2", duration=30)
    one.heartbeat()
    assert one.count() == 1
    two.heartbeat()
    assert one.count() == 2 and two.count() == 2
    two.leave()
    assert one.count() == 1
    assert client.get("coordination.k8s.io/v1", "Lease", two.lease.name, namespace) is None
