"""Kubernetes and CRD schema validation: one check, three rules.

Either engine (built-in jsonschema-rs or the kubeconform binary) validates the
same objects against the same schemas; CEL rules and deprecated apiVersions
are ours in both cases.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from gitops_guard.checks.base import CheckContext, at_document, at_file
from gitops_guard.errors import ConfigError, ToolError
from gitops_guard.findings import Finding, Outcome, Severity
from gitops_guard.resources import Resource
from gitops_guard.rules import NOT_RUN, Also, Rule
from gitops_guard.schema.registry import ClusterCrds, RepoCrd, SchemaHit, SchemaRegistry
from gitops_guard.schema.violations import Violation

VIOLATION = Rule(
    "schema/violation",
    Severity.ERROR,
    "An object that breaks its schema (built-in kinds, shipped CRDs, CRDs in the repo, CEL rules).",
    """
    Strict: unknown fields are errors, with a "did you mean" hint. CRDs defined in
    the repository are used for their custom resources, and their
    `x-kubernetes-validations` CEL rules are evaluated. SOPS metadata is removed
    first, as Flux decrypts before applying.

    Custom resources of other projects (cert-manager, prometheus-operator, Gateway
    API, ...) are checked against the shipped CRD catalog, one pinned upstream
    version per project (`gitops-guard schemas list`), or the earlier release also
    shipped that the repository deploys. The operator a repository deploys may be
    older or newer, so an unknown field or a value the schema does not list (an enum
    value a newer release, or Gateway API's experimental channel, adds) is a warning
    naming the catalog's project and version (`catalog-unknown-fields: error` in the
    config makes it an error); wrong types, missing required fields and CEL rules
    stay errors. CRDs in the repository and, with `--kubeconfig`, those the
    cluster serves come first.

    FAIL:
        apiVersion: apps/v1
        kind: Deployment
        spec:
          replica: 3          # spec.replica: unknown field (did you mean replicas?)

    PASS:
        apiVersion: apps/v1
        kind: Deployment
        spec:
          replicas: 3
    """,
    when="the object breaks its schema",
    also=(
        Also(
            Severity.WARNING,
            "a field is unknown to a catalog CRD schema (the operator deployed may be newer "
            "than the catalog's pinned version)",
        ),
    ),
)
MISSING = Rule(
    "schema/missing",
    Severity.WARNING,
    "No schema found for an object's apiVersion/kind (could not check; not a pass).",
    """
    Add the CRD to the repository, or point `--schema-location` (or
    `schema-locations:` in the config) at a directory or kubeconform-style template.

    FAIL:
        apiVersion: example.com/v1
        kind: Widget          # no CRD in the repo, none shipped

    PASS:
        # crds/widget.yaml in the repository defines widgets.example.com, or
        # schemas/example.com/widget_v1.json exists and:
        gitops-guard check --schema-location schemas
    """,
)
DEPRECATED = Rule(
    "schema/deprecated-api",
    Severity.ERROR,
    "An apiVersion deprecated or removed in the target Kubernetes version, with its replacement.",
    """
    Also covers GitOps CRD versions the current controllers no longer serve
    (Flux v1beta*, External Secrets v1beta1). The target version is
    `--kubernetes-version` (default: the newest shipped).

    FAIL (error, Kubernetes 1.22+):
        apiVersion: extensions/v1beta1
        kind: Ingress

    FAIL (warning, Kubernetes 1.33+):
        apiVersion: v1
        kind: Endpoints       # use discovery.k8s.io/v1 EndpointSlice

    PASS:
        apiVersion: networking.k8s.io/v1
        kind: Ingress
    """,
    when="removed: the target version (or, for a CRD, the current controller) no longer serves it, "
    "so the API server rejects the object",
    also=(Also(Severity.WARNING, "deprecated but still served: it applies until a version removes it"),),
)
_CRD_API = "apiextensions.k8s.io/v1"


class SchemaCheck:
    name: str = "schema"
    rules: tuple[Rule, ...] = (VIOLATION, MISSING, DEPRECATED, NOT_RUN)

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        settings = ctx.settings
        repo_crds, crd_findings = _repo_crds(ctx.resources)
        yield from crd_findings
        cluster: ClusterCrds = settings.cluster or ClusterCrds()
        if cluster.problem is not None:
            yield at_file(
                NOT_RUN,
                ".",
                f"the cluster's CRDs could not be read ({cluster.problem}); the shipped schemas are used",
                outcome=Outcome.NOT_CHECKED,
            )
        versions = _CatalogVersions(ctx.resources, strict=settings.catalog_unknown_fields == "error")
        registry = SchemaRegistry(
            settings.kubernetes_version,
            locations=settings.schema_locations,
            repo_crds=repo_crds,
            cluster_crds=cluster.crds,
            cache_dir=settings.cache_dir,
            extensions=settings.schema_extensions,
            prefer=versions.prefer,
        )
        queue: list[tuple[Resource, dict[str, Any], SchemaHit]] = []
        for res in ctx.resources:
            body = _without_sops(res.body)
            yield from _deprecation(res, settings.kubernetes_version)
            hit = registry.lookup(res.api_version, res.kind)
            if hit is None:
                if not _removed(res, settings.kubernetes_version):
                    yield at_document(
                        MISSING,
                        res.document,
                        f"no schema for {res.api_version} {res.kind}: not validated",
                        path=("kind",),
                        obj=res.ref,
                        outcome=Outcome.NOT_CHECKED,
                    )
                continue
            queue.append((res, _without_null_fields(body) if hit.from_crd else body, hit))
        try:
            results = _run_engine(settings.schema_engine, queue, settings.cache_dir)
        except ToolError as exc:
            yield at_file(NOT_RUN, ".", f"schema check could not run: {exc}", outcome=Outcome.NOT_CHECKED)
            return
        cel_cache: dict[str, bool] = {}
        for (res, body, hit), found in zip(queue, results, strict=True):
            used = versions.used(res, hit)
            for violation in found:
                if _templated(body, violation.path):
                    continue
                said = (
                    versions.release_skew(res, violation.message, hit)
                    if (violation.at_key or violation.unlisted) and hit.shipped
                    else None
                )
                if said is not None:
                    message, severity = said
                    yield _violation(res, violation._replace(message=message), severity=severity)
                else:
                    yield _violation(res, violation._replace(message=violation.message + used))
            yield from _cel(res, body, hit, cel_cache, used)


def _minor(version: str) -> str:
    """``v1.20.2`` -> ``1.20``: CRDs change with minor releases, rarely with patches."""
    return ".".join(version.removeprefix("v").split(".")[:2])


class _CatalogVersions:
    """Which release's schema checks a catalog kind (the one the repository deploys, when
    shipped), and how an unknown field or an unlisted value in a catalog schema is reported."""

    def __init__(self, resources: Sequence[Resource], *, strict: bool) -> None:
        self.resources = resources
        self.strict = strict
        self._deployed: dict[tuple[str, ...], list[Any]] = {}

    def prefer(self, group: str, kind: str, version: str) -> Any:
        """An earlier release's schema when the repository deploys that minor version of the
        operator, and only it; None to use the pinned one."""
        from gitops_guard.schema import catalog

        choices = catalog.earlier(group, kind, version)
        origin = catalog.origin(group, kind, version) if choices else None
        if origin is None or origin.tier != catalog.CATALOG:
            return None
        minors = {_minor(d.version) for d in self._deployed_by_repo(origin.charts)}
        if len(minors) != 1 or _minor(origin.version) in minors:
            return None
        return next((c for c in choices if _minor(c.origin.version) in minors), None)

    def used(self, res: Resource, hit: SchemaHit) -> str:
        """What a violation found by an earlier release's schema adds to its message."""
        if not hit.release:
            return ""
        from gitops_guard.schema import catalog

        origin = catalog.origin(res.group, res.kind, res.version)
        if origin is None:
            return ""
        deployed = [
            d for d in self._deployed_by_repo(origin.charts) if _minor(d.version) == _minor(hit.release)
        ]
        label = f"{origin.project} {hit.release}"
        if not deployed:
            return f" (schema of {label})"
        if deployed[0].version == hit.release.removeprefix("v"):
            return f" (schema of {label}, which {deployed[0].path} deploys)"
        return f" (schema of {label}, for the {deployed[0].version} that {deployed[0].path} deploys)"

    def release_skew(self, res: Resource, message: str, hit: SchemaHit) -> tuple[str, Severity | None] | None:
        """An unknown field's or an unlisted value's message and severity, naming the release;
        None for a schema that is not a catalog one (a GitOps CRD: an error as usual)."""
        from gitops_guard.schema import catalog

        origin = catalog.origin(res.group, res.kind, res.version)
        if origin is None or origin.tier != catalog.CATALOG:
            return None
        if hit.release:
            origin = origin._replace(version=hit.release)
        label = origin.label()
        deployed = self._deployed_by_repo(origin.charts)
        versions = sorted({d.version for d in deployed})
        if versions == [origin.version.removeprefix("v")]:
            # The repository deploys the very version the schema is from: no skew to allow for.
            return f"{message}; not in the schema of {label}, which {deployed[0].path} deploys", None
        if hit.release:
            text = (
                f"{message}; not in the schema of {label}, the shipped release nearest the "
                f"{', '.join(versions)} that {deployed[0].path} deploys"
            )
            return text, None if self.strict else Severity.WARNING
        if versions:
            text = (
                f"{message}; not in the catalog schema of {label}, but the repository deploys "
                f"{', '.join(versions)} ({deployed[0].path}), whose schema is not shipped"
            )
        else:
            text = (
                f"{message}; not in the catalog schema of {label}, the operator version deployed may differ"
            )
        return text, None if self.strict else Severity.WARNING

    def _deployed_by_repo(self, charts: tuple[str, ...]) -> list[Any]:
        if not charts:
            return []
        if charts not in self._deployed:
            from gitops_guard.schema import deployed

            self._deployed[charts] = deployed.find(self.resources, charts)
        return self._deployed[charts]


def _run_engine(
    engine: str, queue: Sequence[tuple[Resource, dict[str, Any], SchemaHit]], cache_dir: Path | None
) -> list[list[Violation]]:
    if engine == "kubeconform":
        from gitops_guard.schema.engine_kubeconform import KubeconformEngine, find_binary

        binary = find_binary(cache_dir / "bin" if cache_dir else None)
        if binary is None:
            raise ToolError("kubeconform binary not found on PATH (install it with scripts/install-tools)")
        return KubeconformEngine(binary).validate_batch([(body, hit) for _, body, hit in queue])
    if engine != "builtin":
        raise ConfigError(f"unknown schema engine {engine!r}: use builtin or kubeconform")
    from gitops_guard.schema.engine_builtin import BuiltinEngine

    builtin = BuiltinEngine()
    return [builtin.validate(body, hit) for _, body, hit in queue]


def _violation(res: Resource, violation: Violation, severity: Severity | None = None) -> Finding:
    return at_document(
        VIOLATION,
        res.document,
        violation.message,
        path=violation.path,
        key=violation.at_key,
        obj=res.ref,
        severity=severity,
    )


def _cel(
    res: Resource, body: dict[str, Any], hit: SchemaHit, cache: dict[str, bool], used: str = ""
) -> Iterator[Finding]:
    from gitops_guard.schema.walk import has_validations

    has = cache.get(hit.key)
    if has is None:
        has = cache[hit.key] = hit.may_have_rules and has_validations(hit.schema)
    if not has:
        return
    from gitops_guard.schema import cel

    for result in cel.evaluate(hit.schema, body):
        if isinstance(result, cel.CelViolation):
            yield _violation(res, Violation(result.path, f"{_dotted(result.path)}: {result.message}{used}"))
        else:
            yield at_document(
                MISSING,
                res.document,
                f"{_dotted(result.path)}: validation rule could not be evaluated "
                f"({result.reason}): {result.rule}",
                path=result.path,
                obj=res.ref,
                outcome=Outcome.NOT_CHECKED,
            )


def _dotted(path: Sequence[str | int]) -> str:
    from gitops_guard.schema.violations import dotted

    return dotted(path)


def _deprecation(res: Resource, version: tuple[int, int]) -> Iterator[Finding]:
    from gitops_guard.schema import deprecations

    dep = deprecations.lookup(res.api_version, res.kind, version)
    if dep is None:
        return
    # Removed (or, for CRDs, no longer served) cannot be applied at all: an error.
    yield at_document(
        DEPRECATED,
        res.document,
        deprecations.message(dep, version),
        path=("apiVersion",),
        obj=res.ref,
        severity=Severity.ERROR if _removed(res, version) else Severity.WARNING,
    )


def _removed(res: Resource, version: tuple[int, int]) -> bool:
    from gitops_guard.schema import deprecations

    dep = deprecations.lookup(res.api_version, res.kind, version)
    if dep is None:
        return False
    if dep.removed_in is None:
        return dep.deprecated_in is None  # a CRD version no longer served
    return version >= dep.removed_in


def _repo_crds(resources: Sequence[Resource]) -> tuple[list[RepoCrd], list[Finding]]:
    crds: list[RepoCrd] = []
    findings: list[Finding] = []
    candidates = [r for r in resources if r.kind == "CustomResourceDefinition" and r.api_version == _CRD_API]
    if not candidates:
        return crds, findings
    from gitops_guard.schema.crd import CrdError, crd_to_schemas

    for res in candidates:
        try:
            converted = crd_to_schemas(res.body)
        except CrdError as exc:
            findings.append(
                at_document(VIOLATION, res.document, f"CRD cannot be used as a schema: {exc}", obj=res.ref)
            )
            continue
        for s in converted:
            if s.served:
                crds.append(RepoCrd(s.group, s.kind, s.version, s.schema, res.path))
    return crds, findings


def _without_null_fields(node: Any) -> Any:
    """``node`` without the fields set to null (``ref:`` with nothing after it), as the API
    server prunes them from a custom resource before validating (a null list item stays);
    ``node`` itself when it has none. A field declared nullable loses its null too (the API
    server keeps it): the same verdict unless the field is also required, which CRDs rarely
    combine."""
    if isinstance(node, dict):
        out: dict[Any, Any] | None = None  # made only at the first change: most bodies have none
        for i, (key, value) in enumerate(node.items()):
            new = _PRUNED if value is None else _without_null_fields(value)
            if new is not value and out is None:
                out = dict(itertools.islice(node.items(), i))
            if out is not None and new is not _PRUNED:
                out[key] = new
        return node if out is None else out
    if isinstance(node, list):
        for i, item in enumerate(node):
            new = _without_null_fields(item)
            if new is not item:
                return [*node[:i], new, *(_without_null_fields(rest) for rest in node[i + 1 :])]
    return node


_PRUNED = object()


def _without_sops(body: dict[str, Any]) -> dict[str, Any]:
    if "sops" in body and isinstance(body["sops"], dict):
        return {k: v for k, v in body.items() if k != "sops"}
    return body


def _templated(body: Any, path: Sequence[str | int]) -> bool:
    """Flux post-build substitution (``${VAR}``) and templated values are not validated."""
    node = body
    for step in path:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            return False
        if isinstance(node, str):
            break
    return isinstance(node, str) and ("${" in node or "{{" in node)
