"""The check pipeline: source → resources → checks → findings → suppression → report.

A library function: it returns a Report and raises GuardError subclasses; it
never prints and never exits.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from gitops_guard import baseline as baseline_mod
from gitops_guard import resources as resources_mod
from gitops_guard.cachefiles import cache_dir
from gitops_guard.checks import CHECKS, all_rules
from gitops_guard.checks.base import CheckContext, Settings
from gitops_guard.config import Config, merge
from gitops_guard.datafiles import data_dir
from gitops_guard.errors import ConfigError
from gitops_guard.findings import Finding, Severity
from gitops_guard.report.model import Report
from gitops_guard.rules import Rule, is_template, matches
from gitops_guard.schema.builtin import available_versions, parse_version
from gitops_guard.source.limits import Limits
from gitops_guard.source.load import SourceFile, load
from gitops_guard.source.walk import discover
from gitops_guard.suppress import apply_inline

if TYPE_CHECKING:
    from gitops_guard.progress import Progress


class CheckOptions(NamedTuple):
    paths: Sequence[str] = (".",)
    config: Config = Config()
    select: Sequence[str] = ()
    ignore: Sequence[str] = ()
    kubernetes_version: str | None = None
    schema_engine: str | None = None
    schema_locations: Sequence[str] = ()
    baseline: Path | None = None
    limits: Limits = Limits()
    # Build kustomize roots and local Helm charts (None: the config decides; default on).
    render: bool | None = None
    base: str | None = None
    # `check --kubeconfig`: the CRDs the cluster serves (schema.registry.ClusterCrds), read by
    # the command; used above the shipped catalog.
    cluster: Any = None


def active_rules(opts: CheckOptions) -> list[Rule]:
    known = all_rules()
    for sel in (*opts.select, *opts.ignore):
        if not any(matches(r.id, sel) for r in known):
            raise ConfigError(f"unknown rule or family {sel!r} (see `gitops-guard rules`)")
    out = []
    for rule in known:
        if is_template(rule.id):
            # Stands for rules named at run time: on unless its whole family is left out;
            # each rule it yields is then filtered on its own (reported()).
            if opts.select and not any(matches(rule.id, s) for s in opts.select):
                continue
            if any(rule.id.startswith(s.rstrip("/") + "/") for s in opts.ignore):
                continue
        elif not _wanted(rule.id, opts):
            continue
        out.append(rule)
    return out


def _wanted(rule_id: str, opts: CheckOptions) -> bool:
    if opts.select and not any(matches(rule_id, s) for s in opts.select):
        return False
    if any(matches(rule_id, s) for s in opts.ignore):
        return False
    return opts.config.for_rule(rule_id).enabled or any(rule_id == s for s in opts.select)


def _reporter(rules: list[Rule], opts: CheckOptions) -> Callable[[str], bool]:
    """Whether a finding's rule is reported: an active rule, or one named at run time
    (``policy/<name>``) under an active template that select/ignore/config allow."""
    active = frozenset(r.id for r in rules)
    known = frozenset(r.id for r in all_rules())
    templates = [r.id for r in rules if is_template(r.id)]
    memo: dict[str, bool] = {}

    def reported(rule_id: str) -> bool:
        if rule_id in active:
            return True
        if rule_id in known or not templates:
            return False
        if rule_id not in memo:
            memo[rule_id] = any(matches(t, rule_id) for t in templates) and _wanted(rule_id, opts)
        return memo[rule_id]

    return reported


@functools.cache
def _default_preset() -> Config:
    from gitops_guard.config import load_config

    return load_config(data_dir("policies") / "presets" / "default.yaml")


def with_default_preset(config: Config) -> Config:
    """The default preset under every configuration, written or not (rules it turns off,
    such as the shipped admission policies, stay off unless enabled). Merging it again
    under a config that already extends it changes nothing."""
    return merge(_default_preset(), config)


def settings_for(opts: CheckOptions, cwd: Path) -> Settings:
    cfg = opts.config
    version_text = opts.kubernetes_version or cfg.kubernetes_version
    version = parse_version(version_text) if version_text else available_versions()[-1]
    engine = opts.schema_engine or cfg.schema_engine or "builtin"
    if engine not in ("builtin", "kubeconform"):
        raise ConfigError(f"unknown schema engine {engine!r}: use builtin or kubeconform")
    return Settings(
        kubernetes_version=version,
        schema_engine=engine,
        schema_locations=tuple(opts.schema_locations) + cfg.schema_locations,
        cache_dir=cache_dir(),
        cwd=cwd,
        base=opts.base,
        catalog_unknown_fields=cfg.catalog_unknown_fields or "warning",
        schema_extensions=cfg.schema_extensions,
        cluster=opts.cluster,
    )


def run_check(opts: CheckOptions, cwd: Path | None = None, *, progress: Progress | None = None) -> Report:
    """Check ``opts.paths``; ``progress`` (the command's terminal line) hears of each stage."""
    cwd = cwd or Path.cwd()
    opts = opts._replace(config=with_default_preset(opts.config))
    rules = active_rules(opts)
    reported = _reporter(rules, opts)
    settings = settings_for(opts, cwd)
    exclude = None
    if opts.config.ignore:
        import pathspec

        exclude = pathspec.GitIgnoreSpec.from_lines(opts.config.ignore)
    candidates, missing = discover(opts.paths, cwd, exclude=exclude)
    if missing:
        raise ConfigError(f"no such file or directory: {', '.join(missing)}")
    if progress is not None:
        progress.parsing(len(candidates))
    files = load(candidates, opts.limits)
    if progress is not None:
        progress.parsed(len(files))
    resources = list(resources_mod.from_files(files))
    active_ids = frozenset(r.id for r in rules)
    render_findings: list[Finding] = []
    rendered_paths: set[str] = set()
    if _renders(opts, active_ids) and (_may_render(files, cwd) or _flux_applies(resources)):
        from gitops_guard.desired.stage import render

        partial = any((cwd / p).is_file() for p in opts.paths)  # files named, as a hook names them
        rendered = render(files, resources, settings, exclude=exclude, progress=progress, partial=partial)
        resources, render_findings = rendered.resources, rendered.findings
        rendered_paths = rendered.rendered_paths
    ctx = CheckContext(files, resources, settings, active_ids, render_findings)
    findings: list[Finding] = []
    for check in CHECKS.values():
        if not any(r.id in active_ids for r in check.rules):
            continue
        if progress is not None:
            progress.checking(check.name)
        findings.extend(f for f in check.run(ctx) if reported(f.rule))
    if rendered_paths:
        findings = _merge_overlays(findings, rendered_paths)
    findings = _configure(findings, opts.config)
    findings = apply_inline(findings, {f.path: f.text for f in files})
    if opts.baseline is not None:
        known = baseline_mod.read(opts.baseline)
        findings = [f for f in findings if f.fingerprint not in known]
    documents = sum(len(f.documents) for f in files)
    return Report.build(findings, files=len(files), documents=documents, rules=rules)


def _renders(opts: CheckOptions, active_ids: frozenset[str]) -> bool:
    """Rendering feeds the object checks; YAML checks alone read files as written."""
    enabled = opts.render if opts.render is not None else opts.config.render is not False
    return enabled and any(not rule_id.startswith("yaml/") for rule_id in active_ids)


def _may_render(files: Sequence[SourceFile], cwd: Path) -> bool:
    from gitops_guard.render.reach import may_render

    return may_render(files, cwd)


def _flux_applies(resources: Sequence[resources_mod.Resource]) -> bool:
    """A Flux Kustomization can change the objects under its path with no kustomization there."""
    from gitops_guard.render.reach import flux_applies

    return flux_applies(resources)


def _merge_overlays(findings: list[Finding], rendered_paths: set[str]) -> list[Finding]:
    """One base file rendered by several overlays reports each problem once, not once per overlay."""
    seen: set[tuple[str, str, int | None, int | None, str]] = set()
    out = []
    for f in findings:
        if f.path in rendered_paths:
            key = (f.rule, f.path, f.line, f.column, f.message)
            if key in seen:
                continue
            seen.add(key)
        out.append(f)
    return out


def _configure(findings: list[Finding], config: Config) -> list[Finding]:
    if not config.rules or not findings:
        return findings
    out = []
    specs: dict[str, object] = {}
    for f in findings:
        rc = config.for_rule(f.rule)
        if rc.ignore:
            key = "\n".join(rc.ignore)
            spec = specs.get(key)
            if spec is None:
                import pathspec  # only for per-rule ignore paths

                spec = specs[key] = pathspec.GitIgnoreSpec.from_lines(rc.ignore)
            if spec.match_file(f.path):  # type: ignore[attr-defined]
                continue
        if rc.severity is not None:
            f = f._replace(severity=rc.severity)
        out.append(f)
    return out


def fails(report: Report, fail_on: str) -> bool:
    if fail_on == "never":
        return False
    threshold = Severity(fail_on).rank
    return any(f.severity.rank >= threshold for f in report.findings)
