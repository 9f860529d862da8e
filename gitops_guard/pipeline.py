"""The check pipeline: source → resources → checks → findings → suppression → report.

A library function: it returns a Report and raises GuardError subclasses; it
never prints and never exits.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from gitops_guard import baseline as baseline_mod
from gitops_guard import resources as resources_mod
from gitops_guard.checks import CHECKS, all_rules
from gitops_guard.checks.base import CheckContext, Settings
from gitops_guard.config import Config
from gitops_guard.errors import ConfigError
from gitops_guard.findings import Finding, Severity
from gitops_guard.report.model import Report
from gitops_guard.rules import Rule, matches
from gitops_guard.schema.builtin import available_versions, parse_version
from gitops_guard.source.limits import Limits
from gitops_guard.source.load import load
from gitops_guard.source.walk import discover
from gitops_guard.suppress import apply_inline


@dataclass(frozen=True)
class CheckOptions:
    paths: Sequence[str] = (".",)
    config: Config = field(default_factory=Config)
    select: Sequence[str] = ()
    ignore: Sequence[str] = ()
    kubernetes_version: str | None = None
    schema_engine: str | None = None
    schema_locations: Sequence[str] = ()
    baseline: Path | None = None
    limits: Limits = field(default_factory=Limits)


def cache_dir() -> Path:
    base = os.environ.get("GITOPS_GUARD_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "gitops-guard"
    )
    return Path(base)


def active_rules(opts: CheckOptions) -> list[Rule]:
    known = all_rules()
    for sel in (*opts.select, *opts.ignore):
        if not any(matches(r.id, sel) for r in known):
            raise ConfigError(f"unknown rule or family {sel!r} (see `gitops-guard rules`)")
    out = []
    for rule in known:
        if opts.select and not any(matches(rule.id, s) for s in opts.select):
            continue
        if any(matches(rule.id, s) for s in opts.ignore):
            continue
        if not opts.config.for_rule(rule.id).enabled and not any(rule.id == s for s in opts.select):
            continue
        out.append(rule)
    return out


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
    )


def run_check(opts: CheckOptions, cwd: Path | None = None) -> Report:
    cwd = cwd or Path.cwd()
    rules = active_rules(opts)
    settings = settings_for(opts, cwd)
    exclude = None
    if opts.config.ignore:
        import pathspec

        exclude = pathspec.GitIgnoreSpec.from_lines(opts.config.ignore)
    candidates, missing = discover(opts.paths, cwd, exclude=exclude)
    if missing:
        raise ConfigError(f"no such file or directory: {', '.join(missing)}")
    files = load(candidates, opts.limits)
    resources = list(resources_mod.from_files(files))
    active_ids = frozenset(r.id for r in rules)
    ctx = CheckContext(files, resources, settings, active_ids)
    findings: list[Finding] = []
    for check in CHECKS.values():
        if not any(r.id in active_ids for r in check.rules):
            continue
        findings.extend(f for f in check.run(ctx) if f.rule in active_ids)
    findings = _configure(findings, opts.config)
    findings = apply_inline(findings, {f.path: f.text for f in files})
    if opts.baseline is not None:
        known = baseline_mod.read(opts.baseline)
        findings = [f for f in findings if f.fingerprint not in known]
    documents = sum(len(f.documents) for f in files)
    return Report.build(findings, files=len(files), documents=documents, rules=rules)


def _configure(findings: list[Finding], config: Config) -> list[Finding]:
    if not config.rules:
        return findings
    import pathspec

    out = []
    specs: dict[str, object] = {}
    for f in findings:
        rc = config.for_rule(f.rule)
        if rc.ignore:
            key = "\n".join(rc.ignore)
            spec = specs.get(key)
            if spec is None:
                spec = specs[key] = pathspec.GitIgnoreSpec.from_lines(rc.ignore)
            if spec.match_file(f.path):  # type: ignore[attr-defined]
                continue
        if rc.severity is not None:
            f = replace(f, severity=rc.severity)
        out.append(f)
    return out


def fails(report: Report, fail_on: str) -> bool:
    if fail_on == "never":
        return False
    threshold = Severity(fail_on).rank
    return any(f.severity.rank >= threshold for f in report.findings)
