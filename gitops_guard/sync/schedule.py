"""When the loop looks at an app again, and what it may do by itself: read from the app's spec.

Argo CD ``Application``:
- the source is polled every 3 minutes (Argo CD's ``timeout.reconciliation`` default);
- only ``syncPolicy.automated`` makes it sync on its own; without it the loop reports (drift,
  out-of-sync) and writes nothing, as Argo CD does;
- a new revision is synced once; a failed one is retried only as ``syncPolicy.retry`` says
  (``limit``; ``backoff`` duration 5 s, factor 2, maxDuration 3 m by default; a negative limit
  retries forever);
- drift is corrected only with ``automated.selfHeal``, with the application controller's
  self-heal backoff: 2 s, then 3 times longer each attempt, capped at 300 s.

Flux ``Kustomization``:
- ``spec.interval`` is both the poll period and the drift-correction period (the
  kustomize-controller re-applies at every interval: it always self-heals);
- a failure is retried after ``spec.retryInterval`` (default: the interval);
- ``spec.suspend: true`` stops the loop from doing anything with the app.

``--interval`` replaces the poll period of every app (and Flux's drift period with it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from gitops_guard import go_duration
from gitops_guard.errors import ConfigError

ARGO_POLL = 180.0
ARGO_RETRY_DURATION = 5.0
ARGO_RETRY_FACTOR = 2.0
ARGO_RETRY_MAX = 180.0
SELF_HEAL_INITIAL = 2.0
SELF_HEAL_FACTOR = 3.0
SELF_HEAL_CAP = 300.0
# How often an Argo CD selfHeal app's live state is compared when polling is slower: Argo CD
# watches the cluster; this loop compares, so drift is seen within this bound.
DRIFT_CHECK_MAX = 30.0


def parse_duration(text: Any, *, what: str) -> float:
    """A Go duration (``1m30s``, ``5s``, ``0.5h``) or a bare number of seconds, in seconds."""
    try:
        return go_duration.seconds(text)
    except ValueError as exc:
        raise ConfigError(f"{what}: {exc}") from None


class Backoff:
    """Exponential delays: ``initial``, then ``factor`` times longer each time, never above ``cap``."""

    def __init__(self, initial: float, factor: float, cap: float) -> None:
        self.initial = initial
        self.factor = factor
        self.cap = cap
        self.attempts = 0

    def next(self) -> float:
        delay = min(self.initial * self.factor**self.attempts, self.cap)
        self.attempts += 1
        return delay

    def reset(self) -> None:
        self.attempts = 0


class Retry(NamedTuple):
    limit: int  # retries after the first attempt; negative: no limit
    duration: float
    factor: float
    max_duration: float

    def backoff(self) -> Backoff:
        return Backoff(self.duration, self.factor, self.max_duration)


class Schedule(NamedTuple):
    kind: str  # "Application" or "Kustomization"
    interval: float  # poll period
    drift_interval: float  # compare period (0: never compare on its own)
    automated: bool  # may sync new revisions without being asked
    self_heal: bool  # may correct drift
    retry: Retry
    suspended: bool = False

    def with_interval(self, interval: float | None) -> Schedule:
        """This schedule with ``--interval`` as its poll period (and Flux's drift period)."""
        if interval is None:
            return self
        drift = interval if self.kind == "Kustomization" else min(interval, DRIFT_CHECK_MAX)
        retry = self.retry
        if self.kind == "Kustomization":
            every = min(retry.duration, interval)
            retry = retry._replace(duration=every, max_duration=every)
        return self._replace(interval=interval, drift_interval=drift, retry=retry)

    @classmethod
    def of(cls, doc: Mapping[str, Any]) -> Schedule:
        """The schedule of the Application or Kustomization ``doc``, as its spec says."""
        kind = doc.get("kind")
        spec = doc.get("spec")
        spec = spec if isinstance(spec, Mapping) else {}
        name = (doc.get("metadata") or {}).get("name", "?")
        if kind == "Application":
            return _argo(spec, name)
        if kind == "Kustomization" and str(doc.get("apiVersion", "")).startswith(
            "kustomize.toolkit.fluxcd.io/"
        ):
            return _flux(spec, name)
        raise ConfigError(f"{kind} {name}: not an Argo CD Application or a Flux Kustomization")


def _argo(spec: Mapping[str, Any], name: str) -> Schedule:
    policy = spec.get("syncPolicy")
    policy = policy if isinstance(policy, Mapping) else {}
    automated = policy.get("automated")
    # `automated: {}` turns automated sync on; `enabled: false` (Argo CD 3.x) turns it off.
    is_automated = isinstance(automated, Mapping) and automated.get("enabled", True) is not False
    self_heal = is_automated and bool((automated or {}).get("selfHeal", False))
    retry = policy.get("retry")
    retry = retry if isinstance(retry, Mapping) else {}
    backoff = retry.get("backoff")
    backoff = backoff if isinstance(backoff, Mapping) else {}
    where = f"Application {name}: syncPolicy.retry"
    try:
        limit = int(retry.get("limit", 0) or 0)
        factor = float(backoff.get("factor", ARGO_RETRY_FACTOR))
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: limit and backoff.factor must be numbers") from None
    policy_retry = Retry(
        limit=limit,
        duration=parse_duration(
            backoff.get("duration", ARGO_RETRY_DURATION), what=f"{where}.backoff.duration"
        ),
        factor=max(factor, 1.0),
        max_duration=parse_duration(
            backoff.get("maxDuration", ARGO_RETRY_MAX), what=f"{where}.backoff.maxDuration"
        ),
    )
    return Schedule(
        kind="Application",
        interval=ARGO_POLL,
        drift_interval=min(ARGO_POLL, DRIFT_CHECK_MAX),
        automated=is_automated,
        self_heal=self_heal,
        retry=policy_retry,
    )


def _flux(spec: Mapping[str, Any], name: str) -> Schedule:
    where = f"Kustomization {name}"
    if spec.get("interval") is None:
        raise ConfigError(f"{where}: spec.interval is required")
    period = parse_duration(spec["interval"], what=f"{where}: spec.interval")
    if period <= 0:
        raise ConfigError(f"{where}: spec.interval must be positive")
    retry_every = spec.get("retryInterval")
    retry_period = parse_duration(retry_every, what=f"{where}: spec.retryInterval") if retry_every else period
    return Schedule(
        kind="Kustomization",
        interval=period,
        drift_interval=period,
        automated=True,
        self_heal=True,
        retry=Retry(limit=-1, duration=retry_period, factor=1.0, max_duration=retry_period),
        suspended=spec.get("suspend") is True,
    )
