"""What the loop reads from an app's spec: periods, automation, retries; and its log lines."""

from __future__ import annotations

import io
import json

import pytest

from gitops_guard.errors import ConfigError
from gitops_guard.sync.jsonlog import JsonLog
from gitops_guard.sync.metrics import parse_address
from gitops_guard.sync.schedule import Backoff, Schedule, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("5s", 5), ("3m", 180), ("1h30m", 5400), ("500ms", 0.5), ("1.5h", 5400), ("10", 10), (7, 7)],
)
def test_go_durations(text: object, seconds: float) -> None:
    assert parse_duration(text, what="x") == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "5", "abc", "5 m", "-1s", "1d", None, True])
def test_bad_durations_are_config_errors(text: object) -> None:
    if text == "5":
        assert parse_duration(text, what="x") == 5
        return
    with pytest.raises(ConfigError, match="x: "):
        parse_duration(text, what="x")


def test_backoff_grows_and_is_capped_like_argo_self_heal() -> None:
    backoff = Backoff(2, 3, 300)
    assert [backoff.next() for _ in range(7)] == [2, 6, 18, 54, 162, 300, 300]
    backoff.reset()
    assert backoff.next() == 2


def _argo(policy: object) -> dict[str, object]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": "a"},
        "spec": {"syncPolicy": policy},
    }


def test_argo_defaults() -> None:
    plain = Schedule.of(_argo(None))
    assert (plain.interval, plain.automated, plain.self_heal, plain.retry.limit) == (180, False, False, 0)
    auto = Schedule.of(_argo({"automated": {"selfHeal": True}, "retry": {"limit": 3}}))
    assert auto.automated and auto.self_heal and auto.drift_interval == 30
    assert auto.retry == (3, 5.0, 2.0, 180.0)
    custom = Schedule.of(
        _argo(
            {
                "automated": {},
                "retry": {"limit": -1, "backoff": {"duration": "10s", "factor": 3, "maxDuration": "30m"}},
            }
        )
    )
    assert custom.automated and not custom.self_heal and custom.retry == (-1, 10.0, 3.0, 1800.0)
    off = Schedule.of(_argo({"automated": {"enabled": False, "selfHeal": True}}))
    assert not off.automated and not off.self_heal


def test_flux_interval_retry_and_suspend() -> None:
    doc = {
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
        "kind": "Kustomization",
        "metadata": {"name": "k"},
        "spec": {"interval": "10m", "retryInterval": "1m", "suspend": True},
    }
    flux = Schedule.of(doc)
    assert (flux.interval, flux.drift_interval, flux.automated, flux.self_heal, flux.suspended) == (
        600,
        600,
        True,
        True,
        True,
    )
    assert flux.retry == (-1, 60.0, 1.0, 60.0)
    fast = flux.with_interval(2)
    assert (fast.interval, fast.drift_interval, fast.retry.duration) == (2, 2, 2)
    assert Schedule.of(_argo(None)).with_interval(600).drift_interval == 30
    with pytest.raises(ConfigError, match=r"spec\.interval is required"):
        Schedule.of({**doc, "spec": {}})
    with pytest.raises(ConfigError, match="not an Argo CD Application or a Flux Kustomization"):
        Schedule.of({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}})


def test_metrics_addresses() -> None:
    assert parse_address("127.0.0.1:9090") == ("127.0.0.1", 9090)
    assert parse_address(":8080") == ("0.0.0.0", 8080)
    assert parse_address("[::1]:80") == ("::1", 80)
    for bad in ("9090", "host:", "h:99999"):
        with pytest.raises(ValueError):
            parse_address(bad)


def test_log_lines_are_json_without_url_credentials() -> None:
    out = io.StringIO()
    log = JsonLog(out)
    log(
        "info",
        "sync-started",
        app="web",
        url="https://user:s3cr3t-token@git.example.com/r.git",
        n=3,
        skip=None,
    )
    log("debug", "hidden")
    (line,) = out.getvalue().splitlines()
    record = json.loads(line)
    assert record["event"] == "sync-started" and record["level"] == "info" and record["n"] == 3
    assert record["url"] == "https://git.example.com/r.git"
    assert "s3cr3t" not in line and "skip" not in record
    assert record["ts"].endswith("Z")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [(".5s", 0.5), ("1.s", 1), ("+5s", 5), ("1h0m0.5s", 3600.5), ("250us", 0.00025), ("1µs", 1e-6), ("0", 0)],
)
def test_the_rest_of_go_s_grammar(text: str, seconds: float) -> None:
    from gitops_guard import go_duration

    assert go_duration.seconds(text) == pytest.approx(seconds)


def test_one_grammar_for_specs_options_and_cel_rules() -> None:
    from decimal import Decimal

    from gitops_guard import go_duration
    from gitops_guard.sync.app_spec import parse_duration as spec_duration

    assert go_duration.nanoseconds("-1.5s") == Decimal(-1500000000)
    assert go_duration.nanoseconds("1h2m3.000000004s") == Decimal(3723000000004)
    for text in ("90s", "1m30s", "0.025h"):
        assert spec_duration(text) == parse_duration(text, what="x") == pytest.approx(90)
    for bad in ("1d", "5 m", "m", "", "1s5"):
        with pytest.raises(ValueError):
            go_duration.nanoseconds(bad)
    with pytest.raises(ValueError, match="cannot be negative"):
        spec_duration("-5s")
