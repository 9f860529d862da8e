"""An app to sync, read from the spec users already have: an Argo CD ``Application`` or a
Flux ``Kustomization`` (with the ``GitRepository`` it names, found in the same files, the same
directory, or a file given by path).

Everything the engine needs is read here once, with a clear :class:`ConfigError` naming the
file and line of what is wrong: the source (``git_source.Source``), the sync options that
change the plan, retry, and Flux's wait/health/timeout/suspend/force settings. The parsed
documents are kept (``resources``) so that the desired-state layer can read the spec exactly
as ``check`` does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from gitops_guard.errors import ConfigError
from gitops_guard.resources import Resource
from gitops_guard.sync.git_source import GitRef, Source

ARGO_GROUP: Final = "argoproj.io"
FLUX_KUSTOMIZE_GROUP: Final = "kustomize.toolkit.fluxcd.io"
FLUX_SOURCE_GROUP: Final = "source.toolkit.fluxcd.io"
ARGO = "Argo CD"
FLUX = "Flux"
# Argo CD's retry backoff defaults (Application spec.syncPolicy.retry.backoff).
RETRY_DURATION: Final = 5.0
RETRY_FACTOR: Final = 2.0
RETRY_MAX_DURATION: Final = 180.0
FLUX_DEFAULT_TIMEOUT: Final = 300.0  # Flux: spec.timeout defaults to spec.interval; 5m here
ARGO_DEFAULT_INTERVAL: Final = 180.0  # Argo CD's reconciliation period


@dataclass(frozen=True, kw_only=True)
class Retry:
    """Argo CD ``syncPolicy.retry``: ``limit`` further attempts after a failed sync (-1: no limit)."""

    limit: int = 0
    duration: float = RETRY_DURATION
    factor: float = RETRY_FACTOR
    max_duration: float = RETRY_MAX_DURATION

    def delay(self, attempt: int) -> float:
        """The wait before retry number ``attempt`` (1-based)."""
        return float(min(self.duration * self.factor ** (attempt - 1), self.max_duration))


@dataclass(frozen=True, kw_only=True)
class AppSpec:
    """One app: its identity, source and the options that change what a sync does."""

    name: str  # the app's name in tracking ids and history (``<namespace>_<name>`` outside the default)
    tool: str  # ARGO or FLUX
    kind: str  # "Application" | "Kustomization"
    object_name: str
    object_namespace: str | None
    file: Path
    line: int | None
    source: Source
    base: Path  # where a relative local source path is found (the spec file's directory)
    resources: tuple[Resource, ...] = field(repr=False, compare=False)
    destination_namespace: str | None = None
    automated: bool = False
    prune: bool = False
    self_heal: bool = False
    allow_empty: bool = False
    sync_options: tuple[str, ...] = ()
    retry: Retry = Retry()
    managed_namespace_metadata: Mapping[str, Any] = field(default_factory=dict, compare=False)
    # Flux
    interval: float = ARGO_DEFAULT_INTERVAL
    wait: bool = True  # Argo CD always waits for health between waves; Flux only with spec.wait
    health_checks: tuple[tuple[str, str, str, str], ...] = ()  # (apiVersion, kind, namespace, name)
    timeout: float | None = None
    suspend: bool = False
    force: bool = False
    depends_on: tuple[tuple[str, str], ...] = ()  # Flux: (namespace, name)

    def has_option(self, option: str) -> bool:
        return option in self.sync_options

    @property
    def label(self) -> str:
        ns = f"{self.object_namespace}/" if self.object_namespace else ""
        return f"{self.tool} {self.kind} {ns}{self.object_name}"

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else str(self.file)


def load_app(path: Path, extra_files: Sequence[Path] = ()) -> AppSpec:
    """The one app ``path`` defines; see :func:`load_apps`."""
    found = load_apps(path, extra_files)
    if len(found) > 1:
        names = ", ".join(a.label for a in found)
        raise ConfigError(f"{path}: defines {len(found)} apps ({names}); name one file per app")
    return found[0]


def load_apps(path: Path, extra_files: Sequence[Path] = ()) -> list[AppSpec]:
    """Every Application and Flux Kustomization in ``path``, Flux ones in ``dependsOn`` order.

    A Kustomization's GitRepository is looked for in ``path``, then in ``extra_files``, then in
    the other YAML files of ``path``'s directory.
    """
    resources = _read(path)
    apps = [r for r in resources if _is_app(r)]
    if not apps:
        raise ConfigError(f"{path}: no Argo CD Application or Flux Kustomization in this file")
    pool = list(resources)
    for extra in extra_files:
        pool += _read(extra)
    if any(r.group == FLUX_KUSTOMIZE_GROUP for r in apps):
        for sibling in sorted(path.parent.glob("*.y*ml")):
            if sibling.resolve() != path.resolve() and sibling not in extra_files:
                pool += _read(sibling, quiet=True)
    specs = [_argo(r, path) if r.group == ARGO_GROUP else _flux(r, path, pool) for r in apps]
    return order_by_dependencies(specs)


def order_by_dependencies(specs: list[AppSpec]) -> list[AppSpec]:
    """Flux ``dependsOn`` order among ``specs`` (a dependency first); a cycle is a ConfigError."""
    by_key = {(s.object_namespace or "", s.object_name): s for s in specs if s.tool == FLUX}
    out: list[AppSpec] = []
    state: dict[int, str] = {}

    def visit(spec: AppSpec, chain: tuple[str, ...]) -> None:
        mark = state.get(id(spec))
        if mark == "done":
            return
        if mark == "active":
            raise ConfigError(f"{spec.where}: dependsOn forms a cycle: {' -> '.join((*chain, spec.label))}")
        state[id(spec)] = "active"
        for dep in spec.depends_on:
            if dep in by_key:
                visit(by_key[dep], (*chain, spec.label))
        state[id(spec)] = "done"
        out.append(spec)

    for spec in specs:
        visit(spec, ())
    return out


# -- reading ---------------------------------------------------------------------------------


def _read(path: Path, *, quiet: bool = False) -> list[Resource]:
    from gitops_guard import resources as resources_mod
    from gitops_guard.source.classify import FileKind
    from gitops_guard.source.limits import Limits
    from gitops_guard.source.load import read
    from gitops_guard.source.walk import Candidate

    if not path.is_file():
        raise ConfigError(f"{path}: no such file")
    sf = read(Candidate(path, str(path), explicit=True), FileKind.MANIFEST, Limits())
    problem = next((p for p in sf.problems if p.kind != "duplicate-key"), None)
    if problem is not None:
        if quiet:
            return []
        raise ConfigError(f"{path}:{problem.line or '?'}: {problem.message}")
    return list(resources_mod.from_files([sf]))


def _is_app(res: Resource) -> bool:
    return (res.group, res.kind) in ((ARGO_GROUP, "Application"), (FLUX_KUSTOMIZE_GROUP, "Kustomization"))


class _Reader:
    """Typed reads of one document, every error naming the file and line of the bad node."""

    def __init__(self, res: Resource, file: Path) -> None:
        self.res = res
        self.file = file

    def error(self, at: tuple[Any, ...], message: str) -> ConfigError:
        line, _ = self.res.document.locate(at)
        where = f"{self.file}:{line}" if line else str(self.file)
        return ConfigError(f"{where}: {message}")

    def get(self, *at: Any) -> Any:
        node: Any = self.res.body
        for key in at:
            if not isinstance(node, Mapping):
                return None
            node = node.get(key)
        return node

    def _typed(self, at: tuple[Any, ...], kind: type, what: str) -> Any:
        """The value at ``at`` (None when absent); an error naming the path when it is not a ``kind``."""
        value = self.get(*at)
        if value is not None and not isinstance(value, kind):
            raise self.error(at, f"{'.'.join(map(str, at))} must be {what}")
        return value

    def mapping(self, *at: Any) -> Mapping[str, Any]:
        value: Mapping[str, Any] | None = self._typed(at, Mapping, "a mapping")
        return {} if value is None else value

    def string(self, *at: Any) -> str | None:
        value: str | None = self._typed(at, str, "a string")
        return value

    def boolean(self, *at: Any, default: bool = False) -> bool:
        value: bool | None = self._typed(at, bool, "true or false")
        return default if value is None else value

    def duration(self, *at: Any) -> float | None:
        value = self.get(*at)
        if value is None:
            return None
        try:
            return parse_duration(value)
        except ValueError as exc:
            raise self.error(at, f"{'.'.join(map(str, at))}: {exc}") from None

    def line(self) -> int | None:
        return self.res.document.locate(())[0]


def parse_duration(value: Any) -> float:
    """A Go duration (``1m30s``, ``500ms``) or a number of seconds, in seconds."""
    from gitops_guard import go_duration

    return go_duration.seconds(value)


def _identity(r: _Reader, default_namespace: str) -> tuple[str, str, str | None]:
    name = r.string("metadata", "name")
    if not name:
        raise r.error(("metadata",), f"{r.res.kind} has no metadata.name")
    if ":" in name or "/" in name:
        raise r.error(("metadata", "name"), f"name {name!r} cannot hold ':' or '/'")
    namespace = r.string("metadata", "namespace")
    app = name if namespace in (None, "", default_namespace) else f"{namespace}_{name}"
    return app, name, namespace


def _argo(res: Resource, file: Path) -> AppSpec:
    r = _Reader(res, file)
    app, name, namespace = _identity(r, "argocd")
    r.mapping("spec")
    try:
        source = Source.from_application(res.body)
    except ConfigError as exc:
        raise r.error(("spec",), str(exc)) from None
    policy = r.mapping("spec", "syncPolicy")
    automated_node = policy.get("automated")
    automated = isinstance(automated_node, Mapping) and automated_node.get("enabled") is not False
    options = policy.get("syncOptions") or []
    if not isinstance(options, list) or not all(isinstance(o, str) for o in options):
        raise r.error(("spec", "syncPolicy", "syncOptions"), "syncOptions must be a list of strings")
    retry_node = r.mapping("spec", "syncPolicy", "retry")
    retry = Retry()
    if retry_node:
        limit = retry_node.get("limit", 0)
        if isinstance(limit, bool) or not isinstance(limit, int):
            raise r.error(("spec", "syncPolicy", "retry", "limit"), "retry.limit must be an integer")
        backoff = ("spec", "syncPolicy", "retry", "backoff")
        factor = r.get(*backoff, "factor")
        if factor is not None and (isinstance(factor, bool) or not isinstance(factor, int | float)):
            raise r.error((*backoff, "factor"), "retry.backoff.factor must be a number")
        retry = Retry(
            limit=limit,
            duration=r.duration(*backoff, "duration") or RETRY_DURATION,
            factor=float(factor) if factor is not None else RETRY_FACTOR,
            max_duration=r.duration(*backoff, "maxDuration") or RETRY_MAX_DURATION,
        )
    automated_map = automated_node if isinstance(automated_node, Mapping) else {}
    destination = r.mapping("spec", "destination")
    dest_ns = destination.get("namespace")
    return AppSpec(
        name=app,
        tool=ARGO,
        kind="Application",
        object_name=name,
        object_namespace=namespace,
        file=file,
        line=r.line(),
        source=source,
        base=file.parent,
        resources=(res,),
        destination_namespace=dest_ns if isinstance(dest_ns, str) and dest_ns else None,
        automated=automated,
        prune=automated and automated_map.get("prune") is True,
        self_heal=automated and automated_map.get("selfHeal") is True,
        allow_empty=automated and automated_map.get("allowEmpty") is True,
        sync_options=tuple(o.strip() for o in options),
        retry=retry,
        managed_namespace_metadata=dict(r.mapping("spec", "syncPolicy", "managedNamespaceMetadata")),
        interval=ARGO_DEFAULT_INTERVAL,
        wait=True,
        timeout=None,
        suspend=False,
        force=False,
    )


def _flux(res: Resource, file: Path, pool: list[Resource]) -> AppSpec:
    r = _Reader(res, file)
    app, name, namespace = _identity(r, "flux-system")
    ref = r.mapping("spec", "sourceRef")
    kind = ref.get("kind") or "GitRepository"
    if kind != "GitRepository":
        raise r.error(("spec", "sourceRef"), f"sourceRef kind {kind} is not supported: only GitRepository")
    src_name = ref.get("name")
    if not isinstance(src_name, str) or not src_name:
        raise r.error(("spec", "sourceRef"), "spec.sourceRef.name must be a non-empty string")
    src_ns = ref.get("namespace") if isinstance(ref.get("namespace"), str) else namespace
    git = next(
        (
            g
            for g in pool
            if (g.group, g.kind) == (FLUX_SOURCE_GROUP, "GitRepository")
            and g.ref.name == src_name
            and (g.ref.namespace or namespace) == src_ns
        ),
        None,
    )
    if git is None:
        raise r.error(
            ("spec", "sourceRef"),
            f"GitRepository {src_ns + '/' if src_ns else ''}{src_name} is not defined in this file, "
            "its directory or the files given",
        )
    g = _Reader(git, Path(git.document.path))
    try:
        source = Source.from_git_repository(git.body)
    except ConfigError as exc:
        raise g.error(("spec",), str(exc)) from None
    path = r.string("spec", "path") or ""
    try:
        source = Source(source.url, source.ref, _clean(path))
    except ValueError as exc:
        raise r.error(("spec", "path"), str(exc)) from None
    health: list[tuple[str, str, str, str]] = []
    checks = r.get("spec", "healthChecks") or []
    if not isinstance(checks, list):
        raise r.error(("spec", "healthChecks"), "spec.healthChecks must be a list")
    for i, check in enumerate(checks):
        if not isinstance(check, Mapping) or not all(isinstance(check.get(k), str) for k in ("kind", "name")):
            raise r.error(("spec", "healthChecks", i), "a health check needs kind and name")
        api = check.get("apiVersion") or "v1"
        health.append(
            (str(api), check["kind"], str(check.get("namespace") or namespace or ""), check["name"])
        )
    depends: list[tuple[str, str]] = []
    deps = r.get("spec", "dependsOn") or []
    for dep in deps if isinstance(deps, list) else []:
        if isinstance(dep, Mapping) and isinstance(dep.get("name"), str):
            dns = dep.get("namespace")
            depends.append((dns if isinstance(dns, str) else namespace or "", dep["name"]))
    target = r.string("spec", "targetNamespace")
    interval = r.duration("spec", "interval") or 600.0
    prune_flag = r.boolean("spec", "prune")
    return AppSpec(
        name=app,
        tool=FLUX,
        kind="Kustomization",
        object_name=name,
        object_namespace=namespace,
        file=file,
        line=r.line(),
        source=source,
        base=Path(git.document.path).parent,
        resources=(res, git),
        destination_namespace=target or None,
        automated=True,
        prune=prune_flag,
        self_heal=True,  # Flux always corrects drift
        # Flux would prune everything on an empty build; this engine never does (no allowEmpty).
        allow_empty=False,
        interval=interval,
        wait=r.boolean("spec", "wait"),
        health_checks=tuple(health),
        timeout=r.duration("spec", "timeout") or min(interval, FLUX_DEFAULT_TIMEOUT),
        suspend=r.boolean("spec", "suspend"),
        force=r.boolean("spec", "force"),
        depends_on=tuple(depends),
    )


def _clean(path: str) -> str:
    from pathlib import PurePosixPath

    pure = PurePosixPath(path.strip() or ".")
    if pure.is_absolute() and str(pure) != "/":
        pure = PurePosixPath(*pure.parts[1:])
    if ".." in pure.parts:
        raise ValueError(f"path {path!r} must stay inside the repository")
    text = str(pure)
    return "" if text in (".", "/") else text


def with_revision(source: Source, revision: str) -> Source:
    """``source`` pinned to ``revision`` (a branch, tag, commit id or semver constraint)."""
    return Source(source.url, GitRef.from_argo(revision), source.path)
