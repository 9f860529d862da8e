"""The sync engine: one app from its source to the cluster, applying only what passes ``check``.

One sync, in order:

1. resolve the app's source to a commit (``sync/git_source.py``) and export that tree;
2. render the app's desired objects through :func:`render_desired` (the one place the engine
   turns a spec and a tree into objects, with a *complete* flag);
3. run ``check`` on exactly those objects; findings at or above the configured ``fail-on``
   refuse the revision — recorded in the history (rule IDs and counts, never a finding's
   text) — and nothing is written;
4. list what is live, one list per kind and namespace (never one request per object), and
   plan (``sync/plan.py``: phases, waves, hooks, safe prune);
5. record the sync as started, with the inventory widened to what it may create, so that an
   engine killed half way still knows every object it may have written;
6. carry out the plan (``sync/apply.py``), retrying as the app's ``retry`` says;
7. record the outcome and the new inventory.

Library code: it returns :class:`SyncResult` values and raises ``GuardError`` subclasses;
``cli.py`` prints and maps them to exit codes. ``check``'s own path never imports this module.
"""

from __future__ import annotations

import collections
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final

from gitops_guard.cluster.errors import ClusterError
from gitops_guard.errors import ConfigError
from gitops_guard.identity import ObjectKey
from gitops_guard.ownership import TRACKING_ANNOTATION, TrackingId
from gitops_guard.sync import history as history_mod
from gitops_guard.sync import plan as plan_mod
from gitops_guard.sync.app_spec import FLUX, AppSpec, load_app, load_apps, with_revision
from gitops_guard.sync.apply import Applier, ApplyOptions, Outcome, SyncFailed
from gitops_guard.sync.git_source import GitCache, Revision
from gitops_guard.sync.health import Status, assess

__all__ = [
    "AppSpec",
    "Rendered",
    "SyncResult",
    "drift",
    "load_app",
    "load_apps",
    "render_desired",
    "rollback",
    "sync_app",
    "sync_apps",
]

SYNCED: Final = "Synced"
REFUSED: Final = "Refused"
FAILED: Final = "Failed"
DRY_RUN: Final = "DryRun"
FLUX_PRUNE: Final = "kustomize.toolkit.fluxcd.io/prune"
Log = Callable[[str], None]


@dataclass(frozen=True)
class SyncResult:
    app: str
    revision: str  # the commit
    status: str  # Synced | Refused | Failed | DryRun
    health: str  # Healthy | Progressing | Degraded | Unknown ...
    outcomes: tuple[Outcome, ...] = ()
    message: str = ""
    plan_text: str = ""  # what a dry run would do, per wave
    history_id: int | None = None
    refused_rules: tuple[tuple[str, int], ...] = ()

    @property
    def counts(self) -> dict[str, int]:
        return dict(sorted(collections.Counter(o.result for o in self.outcomes).items()))

    def render(self) -> str:
        """A short text for the command line: never an object's data."""
        head = f"{self.app}: {self.status} at {self.revision[:12] or '?'}"
        if self.status not in (REFUSED, DRY_RUN):
            head += f", health {self.health}"
        lines = [head]
        if self.plan_text:
            lines += ["  " + line for line in self.plan_text.splitlines()]
        if self.outcomes and self.status != DRY_RUN:
            lines.append("  " + ", ".join(f"{k} {v}" for k, v in self.counts.items()))
            lines += [f"  {o.result}: {o.key}: {o.message}" for o in self.outcomes if o.result == "failed"]
        if self.message:
            lines.append(f"  {self.message}")
        return "\n".join(lines) + "\n"


# -- the desired state -----------------------------------------------------------------------


@dataclass
class Rendered:
    """What the app would apply: objects (namespaces filled in) and whether that is all of it."""

    objects: list[dict[str, Any]]
    complete: bool
    problems: list[str] = field(default_factory=list)
    # Where each object was written in the repository ("path:line", or the path of a template).
    origins: dict[ObjectKey, str] = field(default_factory=dict)


def render_desired(app: AppSpec, root: Path, scratch: Path) -> Rendered:
    """The app's desired objects in the tree at ``root`` (its repository root at the revision).

    Through the desired-state layer (``gitops_guard.desired``): a render error, a source that
    is not in this tree, a remote base or chart, or a Flux variable left unsubstituted is a gap
    that makes the render incomplete, and the engine then prunes nothing.
    """
    from gitops_guard.cachefiles import cache_dir
    from gitops_guard.desired import render_deployer
    from gitops_guard.gitops import apps
    from gitops_guard.gitops.repository import Repository, normalize_url
    from gitops_guard.schema.builtin import available_versions

    repo = Repository(root, frozenset({normalize_url(app.source.url)}))
    model = apps.build(list(app.resources), repo)
    deployer = next(
        (
            d
            for d in model.deployers
            if d.kind == app.kind and d.name == app.object_name and d.namespace == app.object_namespace
        ),
        None,
    )
    if deployer is None:
        return Rendered([], False, [f"{app.label}: not found by the desired-state reader"])
    scratch.mkdir(parents=True, exist_ok=True)
    state = render_deployer(
        deployer,
        model,
        root,
        cache_bin=cache_dir() / "bin",
        kube_version=available_versions()[-1],
        scratch=scratch,
    )
    origins = {o.key: f"{o.path}:{o.line}" if o.line else o.path for o in state.objects if o.path}
    return Rendered(list(state.by_key().values()), state.complete, list(state.reasons), origins)


# -- check -----------------------------------------------------------------------------------


def check_objects(
    objects: Sequence[Mapping[str, Any]],
    root: Path,
    scratch: Path,
    origins: Mapping[ObjectKey, str] | None = None,
) -> tuple[str, dict[str, int], list[str]]:
    """``check`` on exactly ``objects``: the fail-on level, the failing rule counts, and one line
    per failing finding (where the object was written, rule, object, message; messages never
    hold a secret value).

    The configuration is the tree's own ``.gitops-guard.yaml`` (rules, severities, fail-on).
    """
    import json

    from gitops_guard.config import Config, load_config
    from gitops_guard.findings import Severity
    from gitops_guard.pipeline import CheckOptions, run_check

    config_file = root / ".gitops-guard.yaml"
    config = load_config(config_file) if config_file.is_file() else Config()
    fail_on = config.fail_on or "error"
    if fail_on == "never" or not objects:
        return fail_on, {}, []
    where = scratch / "check"
    where.mkdir(parents=True, exist_ok=True)
    # JSON documents in one YAML stream: what the YAML reader parses, written ~30x faster.
    text = "\n---\n".join(json.dumps(o, default=str) for o in objects)
    (where / "objects.yaml").write_text(text + "\n", encoding="utf-8")
    report = run_check(CheckOptions(paths=("objects.yaml",), config=config, render=False), where)
    threshold = Severity(fail_on).rank
    blocking = [f for f in report.findings if f.severity.rank >= threshold]
    failing = collections.Counter(f.rule for f in blocking)
    lines = []
    for f in blocking:
        origin = (origins or {}).get(f.object.key, "") if f.object is not None else ""
        what = f" {f.object}" if f.object is not None else ""
        lines.append(f"{origin or '(rendered)'}: {f.rule}{what}: {f.message}")
    return fail_on, dict(sorted(failing.items())), sorted(set(lines))


# -- live state ------------------------------------------------------------------------------


def _place(client: Any, objects: list[dict[str, Any]], default_namespace: str) -> list[dict[str, Any]]:
    """Namespaced objects carry their namespace, cluster-scoped ones none (as the server stores them)."""
    from gitops_guard.cluster.errors import UnknownKind

    crd_scopes = {}
    for obj in objects:
        if obj.get("kind") == "CustomResourceDefinition":
            spec = obj.get("spec") or {}
            names = spec.get("names") or {}
            crd_scopes[(spec.get("group"), names.get("kind"))] = spec.get("scope") == "Namespaced"
    out = []
    for obj in objects:
        api = str(obj.get("apiVersion") or "")
        key = ObjectKey.of(obj)
        try:
            namespaced = client.resolve(api, key.kind).namespaced
        except UnknownKind:
            namespaced = crd_scopes.get((key.group, key.kind), True)
        meta = dict(obj.get("metadata") or {})
        if namespaced and not meta.get("namespace"):
            meta["namespace"] = default_namespace
        elif not namespaced:
            meta.pop("namespace", None)
        out.append({**obj, "metadata": meta})
    return out


def _list_live(
    client: Any, objects: Iterable[Mapping[str, Any]], inventory: Iterable[history_mod.InventoryItem]
) -> dict[ObjectKey, dict[str, Any]]:
    """Live objects of every kind and namespace in ``objects`` and ``inventory``: one list each."""
    from gitops_guard.cluster.errors import UnknownKind

    wanted: dict[tuple[str, str], set[str]] = {}
    for obj in objects:
        key = ObjectKey.of(obj)
        wanted.setdefault((str(obj.get("apiVersion")), key.kind), set()).add(key.namespace)
    for item in inventory:
        tid = item.tracking_id
        wanted.setdefault((item.api_version, tid.kind), set()).add(tid.namespace)
    live: dict[ObjectKey, dict[str, Any]] = {}
    seen: set[tuple[str, str, str]] = set()
    for (api, kind), namespaces in sorted(wanted.items()):
        try:
            info = client.resolve(api, kind)
        except UnknownKind:
            continue  # not served yet (its CRD comes with this sync): nothing of it is live
        for namespace in sorted(namespaces) if info.namespaced else [""]:
            if (info.group, info.kind, namespace) in seen:
                continue
            seen.add((info.group, info.kind, namespace))
            for obj in client.iter(api, kind, namespace or None):
                live[ObjectKey.of(obj)] = obj
    return live


def _inventory(app: str, objects: Iterable[Mapping[str, Any]]) -> set[history_mod.InventoryItem]:
    out = set()
    for obj in objects:
        if (obj.get("metadata") or {}).get("name"):
            out.add(history_mod.InventoryItem(str(obj.get("apiVersion")), TrackingId.of(app, obj)))
    return out


# -- planning --------------------------------------------------------------------------------


def _options(app: AppSpec, complete: bool) -> plan_mod.SyncOptions:
    create_ns = app.destination_namespace if app.has_option("CreateNamespace=true") else None
    return plan_mod.SyncOptions(
        prune=app.prune and not app.has_option("Prune=false"),
        allow_empty=app.allow_empty,
        prune_last=app.has_option("PruneLast=true"),
        apply_out_of_sync_only=app.has_option("ApplyOutOfSyncOnly=true"),
        render_complete=complete,
        create_namespace=create_ns,
    )


def make_plan(
    app: AppSpec,
    desired: Sequence[Mapping[str, Any]],
    live: Mapping[ObjectKey, Mapping[str, Any]],
    complete: bool,
) -> plan_mod.Plan:
    """The plan, with ``ignoreDifferences``, Flux's ``prune: disabled`` and the managed
    namespace's metadata applied."""
    compared = _ignoring(app, desired, live)
    made = plan_mod.plan(app.name, desired, compared.values(), _options(app, complete))
    groups, kept = [], list(made.kept)
    for group in made.groups:
        steps = []
        for step in group.steps:
            if step.action is plan_mod.Action.PRUNE and _annotation(step.obj, FLUX_PRUNE) == "disabled":
                kept.append(plan_mod.Kept(step.key, f"{FLUX_PRUNE}: disabled"))
                continue
            if step.wave == plan_mod.NAMESPACE_WAVE and app.managed_namespace_metadata:
                step = replace(step, obj=_with_metadata(step.obj, app.managed_namespace_metadata))
            steps.append(step)
        if steps:
            groups.append(replace(group, steps=tuple(steps)))
    return replace(made, groups=tuple(groups), kept=tuple(kept))


def _ignoring(
    app: AppSpec, desired: Sequence[Mapping[str, Any]], live: Mapping[ObjectKey, Mapping[str, Any]]
) -> Mapping[ObjectKey, Mapping[str, Any]]:
    """Live objects as the plan compares them: one that differs from its desired object only in
    fields that Argo CD ``ignoreDifferences`` / Flux ``spec.ignore`` name reads as in sync, so it
    is neither written nor counted as drift (an HPA's replicas stay the HPA's)."""
    import copy

    from gitops_guard.diff import ignore
    from gitops_guard.diff.objects import normalize
    from gitops_guard.ownership import stamp

    spec = (app.resources[0].body.get("spec") if app.resources else None) or {}
    rules = ignore.rules_from_flux(spec) if app.tool == FLUX else ignore.rules_from(spec)
    if not rules:
        return live
    out = dict(live)
    for obj in desired:
        key = ObjectKey.of(obj)
        current = live.get(key)
        if (
            current is None
            or not (obj.get("metadata") or {}).get("name")
            or not any(r.matches(obj) for r in rules)
        ):
            continue
        wanted = stamp(obj, app.name)
        before, after = copy.deepcopy(dict(current)), copy.deepcopy(wanted)
        ignore.apply(rules, before, after, [])
        if plan_mod.is_subset(normalize(after), normalize(before)):
            out[key] = _overlay(current, wanted)
    return out


def _overlay(live: Any, desired: Any) -> Any:
    """``live`` with every value ``desired`` names taken from ``desired``."""
    if isinstance(live, Mapping) and isinstance(desired, Mapping):
        return {**live, **{k: _overlay(live.get(k), v) for k, v in desired.items()}}
    return desired


def _annotation(obj: Mapping[str, Any], key: str) -> Any:
    return ((obj.get("metadata") or {}).get("annotations") or {}).get(key)


def _with_metadata(obj: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    meta = dict(obj.get("metadata") or {})
    for field_name in ("labels", "annotations"):
        values = extra.get(field_name)
        if isinstance(values, Mapping):
            meta[field_name] = {**(meta.get(field_name) or {}), **{str(k): str(v) for k, v in values.items()}}
    return {**obj, "metadata": meta}


# -- one sync --------------------------------------------------------------------------------


def resolve(app: AppSpec, revision: str | None = None, *, cache: GitCache | None = None) -> Revision:
    source = with_revision(app.source, revision) if revision else app.source
    return (cache or GitCache()).resolve(source, base=app.base)


def sync_app(
    app: AppSpec,
    client: Any,
    *,
    revision: str | None = None,
    dry_run: bool = False,
    timeout: float = 300.0,
    force: bool = False,
    history_namespace: str = history_mod.DEFAULT_NAMESPACE,
    log: Log | None = None,
    cache: GitCache | None = None,
) -> SyncResult:
    """Sync ``app`` at ``revision`` (default: what its spec names now); see the module docstring.

    ``force`` recreates objects whose update the server refuses for an immutable field
    (Argo CD's ``--force``, Flux's ``spec.force``).
    """
    say = log or (lambda _text: None)
    deadline = time.monotonic() + timeout
    if app.suspend and not force:
        return SyncResult(
            app.name, "", REFUSED, "Unknown", message="suspended (spec.suspend: true); --force syncs it"
        )
    resolved = resolve(app, revision, cache=cache)
    commit = resolved.commit
    say(f"{app.name}: {resolved.source.display_url} {resolved.resolved} is {commit[:12]}")
    store = history_mod.HistoryStore(client, history_namespace)
    state = (
        store.read(app.name) if _namespace_exists(client, history_namespace) else history_mod.State(app.name)
    )
    with tempfile.TemporaryDirectory(prefix="gitops-guard-sync-") as tmp:
        work = Path(tmp)
        root = work / "tree"
        resolved.export(root)
        rendered = render_desired(app, root, work / "scratch")
        for problem in rendered.problems:
            say(f"{app.name}: render incomplete: {problem}")
        digest = _digest(rendered.objects, root)
        if any(e.digest == digest for e in state.history):
            say(f"{app.name}: these objects passed check before (digest {digest[:12]}): not checked again")
            fail_on, failing, why = "", dict[str, int](), list[str]()
        else:
            fail_on, failing, why = check_objects(rendered.objects, root, work / "scratch", rendered.origins)
    if failing:
        counts = ", ".join(f"{rule} x{n}" for rule, n in failing.items())
        message = f"revision {commit[:12]} fails check (fail-on {fail_on}): {counts}; nothing applied"
        message += "".join(f"\n    {line}" for line in why)
        entry_id = None
        if not dry_run:
            _ensure_namespace(client, history_namespace)
            refusal = history_mod.Refusal(tuple(failing.items()), fail_on)
            entry_id = store.refuse(app.name, commit, refusal).id
        return SyncResult(
            app.name,
            commit,
            REFUSED,
            "Unknown",
            message=message,
            history_id=entry_id,
            refused_rules=tuple(failing.items()),
        )
    desired = _place(client, rendered.objects, app.destination_namespace or client.namespace)
    live = _list_live(client, desired, state.inventory)
    plan = make_plan(app, desired, live, rendered.complete)
    if dry_run:
        return SyncResult(
            app.name, commit, DRY_RUN, "Unknown", plan_text=plan.render(), message=_blocked(plan)
        )
    _ensure_namespace(client, history_namespace)
    wanted = _inventory(app.name, _stamped(plan))
    entry = store.begin(app.name, commit, digest=digest, widen=wanted)
    options = ApplyOptions(
        deadline=deadline,
        wait=app.wait,
        replace=app.has_option("Replace=true"),
        force=force or app.force,
        prune_propagation="Background" if app.tool == FLUX else _propagation(app),
    )
    attempt = 0
    while True:
        try:
            outcomes = Applier(client, plan, live, options, say).run()
            if app.health_checks:
                _wait_for_checks(client, app, deadline)
            status, message = SYNCED, _blocked(plan)
            break
        except (SyncFailed, _ChecksFailed) as failed:
            outcomes = failed.outcomes if isinstance(failed, SyncFailed) else []
            status, message = FAILED, str(failed)
        except ClusterError as exc:  # e.g. the API server went away: a failed attempt, no prune
            outcomes, status, message = [], FAILED, str(exc)
        attempt += 1
        limit = app.retry.limit
        if status == SYNCED or (limit >= 0 and attempt > limit) or time.monotonic() >= deadline:
            break
        delay = app.retry.delay(attempt)
        say(f"{app.name}: sync failed ({message}); retry {attempt} in {delay:g}s")
        time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
        live = _list_live(client, desired, state.inventory)
        plan = make_plan(app, desired, live, rendered.complete)
    pruned = {o.key for o in outcomes if o.result == "pruned"}
    if status == SYNCED:
        final = wanted | {i for i in state.inventory if _kept(i, plan)}
    else:  # everything it may have written stays known, so a later sync can still prune it
        final = {i for i in set(state.inventory) | wanted if _key_text(i) not in pruned}
    tally = collections.Counter(o.result for o in outcomes)
    result = history_mod.Result.SUCCEEDED if status == SYNCED else history_mod.Result.FAILED
    store.finish(
        app.name,
        entry.id,
        result,
        outcomes=dict(tally),
        inventory=tuple(sorted(final)),
        reason="" if status == SYNCED else message,
    )
    health = _app_health(status, outcomes, options.wait)
    return SyncResult(app.name, commit, status, health, tuple(outcomes), message, history_id=entry.id)


def _digest(objects: Sequence[Mapping[str, Any]], root: Path) -> str:
    """What `check` judged: the objects, the tree's configuration and this tool's version."""
    import hashlib
    import json

    from gitops_guard import __version__

    config = root / ".gitops-guard.yaml"
    digest = hashlib.sha256(__version__.encode())
    digest.update(config.read_bytes() if config.is_file() else b"")
    digest.update(json.dumps(list(objects), sort_keys=True, default=str).encode())
    return digest.hexdigest()


def _stamped(plan: plan_mod.Plan) -> list[Mapping[str, Any]]:
    """The objects the plan writes under this app's tracking id (not prunes, not generated hooks)."""
    return [
        s.obj
        for s in plan.steps
        if s.action is not plan_mod.Action.PRUNE and _annotation(s.obj, TRACKING_ANNOTATION) is not None
    ]


def _key_text(item: history_mod.InventoryItem) -> str:
    tid = item.tracking_id
    return str(ObjectKey(tid.group, tid.kind, tid.namespace, tid.name))


def _kept(item: history_mod.InventoryItem, plan: plan_mod.Plan) -> bool:
    """An inventory object the plan keeps (Prune=false, prune off, prune blocked): still ours."""
    text = _key_text(item)
    if plan.prune_blocked is not None:
        return True
    return any(str(k.key) == text for k in plan.kept)


def _blocked(plan: plan_mod.Plan) -> str:
    return f"prune blocked: {plan.prune_blocked}" if plan.prune_blocked else ""


def _propagation(app: AppSpec) -> Any:
    for option in app.sync_options:
        if option.startswith("PrunePropagationPolicy="):
            return option.partition("=")[2].capitalize()
    return "Foreground"


def _app_health(status: str, outcomes: Sequence[Outcome], waited: bool) -> str:
    if any(o.result == "degraded" for o in outcomes):
        return Status.DEGRADED.value
    if status == SYNCED:
        return Status.HEALTHY.value if waited else Status.UNKNOWN.value
    return Status.UNKNOWN.value


class _ChecksFailed(Exception):
    pass


def _wait_for_checks(client: Any, app: AppSpec, deadline: float) -> None:
    """Flux ``spec.healthChecks``: every named object Healthy before the deadline."""
    pending = list(app.health_checks)
    while pending:
        still = []
        for api, kind, namespace, name in pending:
            found = assess(client.get(api, kind, name, namespace or None))
            if found.status is Status.DEGRADED:
                raise _ChecksFailed(f"health check {kind} {namespace}/{name}: Degraded: {found.message}")
            if found.status not in (Status.HEALTHY, Status.SUSPENDED):
                still.append((api, kind, namespace, name))
        pending = still
        if pending and time.monotonic() >= deadline:
            api, kind, namespace, name = pending[0]
            raise _ChecksFailed(f"health check {kind} {namespace}/{name}: not healthy by the timeout")
        if pending:
            time.sleep(0.25)


def _namespace_exists(client: Any, name: str) -> bool:
    return client.get("v1", "Namespace", name) is not None


def _ensure_namespace(client: Any, name: str) -> None:
    if not _namespace_exists(client, name):
        client.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})


# -- several apps, drift, rollback -----------------------------------------------------------


def sync_apps(
    apps: Sequence[AppSpec],
    client: Any,
    *,
    revision: str | None = None,
    dry_run: bool = False,
    force: bool = False,
    history_namespace: str = history_mod.DEFAULT_NAMESPACE,
    log: Log | None = None,
    timeout_for: Callable[[AppSpec], float] | None = None,
    cache: GitCache | None = None,
) -> list[SyncResult]:
    """Sync ``apps`` in order (``load_apps`` gives Flux ``dependsOn`` order); an app whose
    dependency in this run did not sync is not synced either."""
    done: dict[tuple[str, str], SyncResult] = {}
    out = []
    for app in apps:
        blocking = [d for d in app.depends_on if d in done and done[d].status not in (SYNCED, DRY_RUN)]
        if blocking:
            ns, name = blocking[0]
            message = f"not synced: dependency {ns}/{name} is not ready"
            result = SyncResult(app.name, "", FAILED, "Unknown", message=message)
        else:
            result = sync_app(
                app,
                client,
                revision=revision,
                dry_run=dry_run,
                timeout=timeout_for(app) if timeout_for else app.timeout or 300.0,
                force=force,
                history_namespace=history_namespace,
                log=log,
                cache=cache,
            )
        done[(app.object_namespace or "", app.object_name)] = result
        out.append(result)
    return out


def drift(
    app: AppSpec,
    client: Any,
    revision: str,
    *,
    history_namespace: str = history_mod.DEFAULT_NAMESPACE,
    cache: GitCache | None = None,
) -> int:
    """How many of the app's objects are out of sync with ``revision``: missing or different
    desired objects, and owned objects no longer desired. One list per kind, no per-object reads."""
    resolved = resolve(app, revision, cache=cache)
    with tempfile.TemporaryDirectory(prefix="gitops-guard-drift-") as tmp:
        root = Path(tmp) / "tree"
        resolved.export(root)
        rendered = render_desired(app, root, Path(tmp) / "scratch")
    desired = _place(client, rendered.objects, app.destination_namespace or client.namespace)
    store = history_mod.HistoryStore(client, history_namespace)
    inventory = store.read(app.name).inventory if _namespace_exists(client, store.namespace) else ()
    live = _list_live(client, desired, inventory)
    compared = _ignoring(app, desired, live)
    plan = plan_mod.plan(
        app.name, desired, compared.values(), replace(_options(app, True), prune=True, allow_empty=True)
    )
    out_of_sync = (plan_mod.Action.CREATE, plan_mod.Action.UPDATE, plan_mod.Action.PRUNE)
    return sum(1 for s in plan.steps if s.action in out_of_sync) + len(plan.kept)


def rollback(
    app: AppSpec,
    client: Any,
    entry_id: int | None = None,
    *,
    force: bool = False,
    history_namespace: str = history_mod.DEFAULT_NAMESPACE,
    timeout: float = 300.0,
    log: Log | None = None,
) -> SyncResult:
    """Sync the revision of history entry ``entry_id`` (default: the last successful sync of a
    revision other than the current one). Refused while automated sync is on, unless ``force``."""
    if app.automated and not force:
        raise ConfigError(
            f"{app.label} has automated sync on: it would sync its own revision again; "
            "use --force to roll back anyway"
        )
    state = history_mod.HistoryStore(client, history_namespace).read(app.name)
    succeeded = [e for e in state.history if e.result is history_mod.Result.SUCCEEDED]
    if entry_id is not None:
        entry = state.entry(entry_id)
        if entry is None:
            raise ConfigError(
                f"{app.name}: no history entry {entry_id} (see `gitops-guard history {app.name}`)"
            )
        if entry.result is not history_mod.Result.SUCCEEDED:
            raise ConfigError(
                f"{app.name}: entry {entry_id} did not succeed ({entry.result.value}); pick a synced one"
            )
    else:
        current = succeeded[-1].revision if succeeded else None
        earlier = [e for e in succeeded if e.revision != current]
        if not earlier:
            raise ConfigError(f"{app.name}: no earlier successful revision to roll back to")
        entry = earlier[-1]
    return sync_app(
        app, client, revision=entry.revision, timeout=timeout, history_namespace=history_namespace, log=log
    )


def history_table(state: history_mod.State) -> str:
    """The history as a table, newest last."""
    rows = [("ID", "REVISION", "STARTED", "FINISHED", "RESULT", "DETAIL")]
    for e in state.history:
        if e.refusal is not None:
            detail = "refused: " + ", ".join(f"{r} x{n}" for r, n in e.refusal.rules)
        else:
            detail = ", ".join(f"{k} {v}" for k, v in e.outcomes)
            if e.reason:
                detail = f"{detail}; {e.reason}" if detail else e.reason
        rows.append((str(e.id), e.revision[:12], e.started, e.finished or "-", e.result.value, detail))
    if len(rows) == 1:
        return f"{state.app}: no history\n"
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    return "".join(
        "  ".join(c.ljust(w) for c, w in zip(r[:5], widths, strict=True)) + f"  {r[5]}".rstrip() + "\n"
        for r in rows
    )


def history_json(state: history_mod.State) -> dict[str, Any]:
    return {
        "version": 1,
        "app": state.app,
        "inventory": len(state.inventory),
        "history": [e.to_json() for e in state.history],
    }
