"""``.gitops-guard.yaml``: read, validate (errors name the file and line), merge presets.

extends: strict                 # a preset in policies/presets/, or a path
kubernetes-version: "1.31"
schema-engine: builtin          # or kubeconform
schema-locations: [schemas/]    # directories or kubeconform-style templates
fail-on: error                  # error | warning | never
ignore: ["vendor/**"]           # paths never checked (gitignore syntax)
render: false                   # do not build kustomizations / Helm charts (default: true)
catalog-unknown-fields: error   # an unknown field or enum value in a catalog CRD (default: warning)
schema-extensions: [...]        # enum values/fields operators add to kinds: schema/extensions.py
diff:                           # what `diff` and `comment` leave out of object diffs
  hide: [helm-chart-labels, checksum-annotations, ca-bundles]   # the default; [] shows all
rules:
  schema/missing: error         # a severity, or "disable"
  secrets: disable              # a family prefix works too
  yaml/duplicate-key:
    severity: warning
    ignore: ["legacy/**"]       # paths this rule does not apply to
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

from gitops_guard.datafiles import data_dir
from gitops_guard.errors import ConfigError
from gitops_guard.findings import Severity
from gitops_guard.rules import matches
from gitops_guard.schema import extensions
from gitops_guard.schema.extensions import Extension
from gitops_guard.source.limits import Limits
from gitops_guard.source.yamldoc import Document, decode, parse

CONFIG_NAMES = (".gitops-guard.yaml", ".gitops-guard.yml")
FAIL_ON = ("error", "warning", "never")
_KEYS = frozenset(
    {
        "extends",
        "kubernetes-version",
        "schema-engine",
        "schema-locations",
        "fail-on",
        "ignore",
        "rules",
        "render",
        "catalog-unknown-fields",
        "schema-extensions",
        "diff",
    }
)
DIFF_HIDE = ("helm-chart-labels", "checksum-annotations", "ca-bundles")


class RuleConfig(NamedTuple):
    enabled: bool = True
    severity: Severity | None = None
    ignore: tuple[str, ...] = ()


class Config(NamedTuple):
    kubernetes_version: str | None = None
    schema_engine: str | None = None
    schema_locations: tuple[str, ...] = ()
    fail_on: str | None = None
    ignore: tuple[str, ...] = ()
    rules: Mapping[str, RuleConfig] = MappingProxyType({})
    source: Path | None = None
    render: bool | None = None  # None: not said (rendering is on)
    catalog_unknown_fields: str | None = None  # "warning" (default) or "error"
    schema_extensions: tuple[Extension, ...] = ()
    diff_hide: tuple[str, ...] | None = None  # None: not said (DIFF_HIDE)

    def for_rule(self, rule_id: str) -> RuleConfig:
        """The most specific entry wins: ``schema/missing`` over ``schema``."""
        best: tuple[int, RuleConfig] | None = None
        for selector, rc in self.rules.items():
            if matches(rule_id, selector):
                specificity = len(selector)
                if best is None or specificity > best[0]:
                    best = (specificity, rc)
        return best[1] if best else RuleConfig()


def find_config(start: Path) -> Path | None:
    for directory in (start, *start.parents):
        for name in CONFIG_NAMES:
            candidate = directory / name
            if candidate.is_file():
                return candidate
    return None


def load_config(path: Path | None, *, _seen: frozenset[Path] = frozenset()) -> Config:
    if path is None:
        return Config()
    path = path.resolve()
    if path in _seen:
        raise ConfigError(f"{path}: 'extends' forms a cycle")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from exc
    text, problem = decode(raw)
    if problem is not None or text is None:
        raise ConfigError(f"{path}: {problem.message if problem else 'unreadable'}")
    parsed = parse(text, str(path), Limits())
    if parsed.problems:
        p = parsed.problems[0]
        raise ConfigError(f"{path}:{p.line or 1}:{p.column or 1}: {p.message}")
    docs = [d for d in parsed.documents if d.data is not None]
    if not docs:
        return Config(source=path)
    doc = docs[0]
    data = doc.data
    if not isinstance(data, dict):
        raise ConfigError(f"{path}:{doc.line}: the config must be a mapping")
    err = _Errors(path, doc)
    for key in data:
        if key not in _KEYS:
            err.fail((key,), f"unknown key {key!r} (known: {', '.join(sorted(_KEYS))})", key=True)
    base = Config()
    if "extends" in data:
        base = load_config(_resolve_extends(data["extends"], path, err), _seen=_seen | {path})
    cfg = Config(
        kubernetes_version=_opt_str(data, "kubernetes-version", err),
        schema_engine=_choice(data, "schema-engine", ("builtin", "kubeconform"), err),
        schema_locations=_str_list(data, "schema-locations", err, relative_to=path.parent),
        fail_on=_choice(data, "fail-on", FAIL_ON, err),
        ignore=_str_list(data, "ignore", err),
        rules=_rules(data.get("rules"), err),
        source=path,
        render=_opt_bool(data, "render", err),
        catalog_unknown_fields=_choice(data, "catalog-unknown-fields", ("warning", "error"), err),
        schema_extensions=extensions.parse(data.get("schema-extensions"), err.fail),
        diff_hide=_diff_hide(data.get("diff"), err),
    )
    return merge(base, cfg)


def merge(base: Config, override: Config) -> Config:
    return base._replace(
        kubernetes_version=override.kubernetes_version or base.kubernetes_version,
        schema_engine=override.schema_engine or base.schema_engine,
        schema_locations=override.schema_locations or base.schema_locations,
        fail_on=override.fail_on or base.fail_on,
        ignore=base.ignore + override.ignore,
        rules={**base.rules, **override.rules},
        source=override.source or base.source,
        render=override.render if override.render is not None else base.render,
        catalog_unknown_fields=override.catalog_unknown_fields or base.catalog_unknown_fields,
        schema_extensions=base.schema_extensions + override.schema_extensions,
        diff_hide=override.diff_hide if override.diff_hide is not None else base.diff_hide,
    )


class _Errors:
    def __init__(self, path: Path, doc: Document) -> None:
        self.path = path
        self.doc = doc

    def fail(self, where: tuple[str | int, ...], message: str, *, key: bool = False) -> None:
        line, column = self.doc.locate(where, key=key)
        raise ConfigError(f"{self.path}:{line or 1}:{column or 1}: {message}")


def _resolve_extends(value: Any, path: Path, err: _Errors) -> Path:
    if not isinstance(value, str) or not value:
        err.fail(("extends",), "'extends' must be a preset name or a file path")
        raise AssertionError  # unreachable: fail() raises
    preset = data_dir("policies") / "presets" / f"{value}.yaml"
    if "/" not in value and preset.is_file():
        return preset
    candidate = (path.parent / value).resolve()
    if candidate.is_file():
        return candidate
    presets = sorted(p.stem for p in (data_dir("policies") / "presets").glob("*.yaml"))
    err.fail(("extends",), f"'extends: {value}' is neither a preset ({', '.join(presets)}) nor a file")
    raise AssertionError


def _opt_str(data: Mapping[str, Any], key: str, err: _Errors) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        err.fail((key,), f"{key!r} must be a string")
    return str(value)


def _opt_bool(data: Mapping[str, Any], key: str, err: _Errors) -> bool | None:
    value = data.get(key)
    if value is not None and not isinstance(value, bool):
        err.fail((key,), f"{key!r} must be true or false")
    return value


def _choice(data: Mapping[str, Any], key: str, options: tuple[str, ...], err: _Errors) -> str | None:
    value = _opt_str(data, key, err)
    if value is not None and value not in options:
        err.fail((key,), f"{key!r} must be one of {', '.join(options)}, not {value!r}")
    return value


def _str_list(
    data: Mapping[str, Any], key: str, err: _Errors, *, relative_to: Path | None = None
) -> tuple[str, ...]:
    value = data.get(key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        err.fail((key,), f"{key!r} must be a list of strings")
    out = []
    for v in value:
        if relative_to is not None and "://" not in v and not v.startswith("/"):
            v = str(relative_to / v)
        out.append(v)
    return tuple(out)


def _diff_hide(value: Any, err: _Errors) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        err.fail(("diff",), "'diff' must be a mapping (known key: hide)")
    for key in value:
        if key != "hide":
            err.fail(("diff", key), f"unknown key {key!r} under 'diff' (known: hide)", key=True)
    hide = value.get("hide")
    if hide is None:
        return None
    if not isinstance(hide, list) or not all(isinstance(h, str) for h in hide):
        err.fail(("diff", "hide"), f"'diff.hide' must be a list of: {', '.join(DIFF_HIDE)}")
    for i, item in enumerate(hide):
        if item not in DIFF_HIDE:
            err.fail(("diff", "hide", i), f"unknown diff.hide entry {item!r} (known: {', '.join(DIFF_HIDE)})")
    return tuple(hide)


def _rules(value: Any, err: _Errors) -> dict[str, RuleConfig]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        err.fail(("rules",), "'rules' must be a mapping of rule ID to settings")
    from gitops_guard.checks import all_rules

    known = [r.id for r in all_rules()]
    out: dict[str, RuleConfig] = {}
    for selector, setting in value.items():
        sel = str(selector)
        if not any(matches(r, sel) for r in known):
            err.fail(("rules", sel), f"unknown rule or family {sel!r}", key=True)
        out[sel] = _rule_setting(sel, setting, err)
    return out


def _rule_setting(sel: str, setting: Any, err: _Errors) -> RuleConfig:
    if isinstance(setting, str) or setting is False:
        if setting in ("disable", "off", False):
            return RuleConfig(enabled=False)
        if setting in ("enable", "on"):
            return RuleConfig()
        return RuleConfig(severity=_severity(setting, ("rules", sel), err))
    if isinstance(setting, dict):
        unknown = set(setting) - {"severity", "ignore", "enabled"}
        if unknown:
            err.fail(
                ("rules", sel, sorted(unknown)[0]), f"unknown rule setting {sorted(unknown)[0]!r}", key=True
            )
        ignore = setting.get("ignore", [])
        if not isinstance(ignore, list) or not all(isinstance(i, str) for i in ignore):
            err.fail(("rules", sel, "ignore"), "'ignore' must be a list of path patterns")
        enabled = setting.get("enabled", True)
        if not isinstance(enabled, bool):
            err.fail(("rules", sel, "enabled"), "'enabled' must be true or false")
        sev = setting.get("severity")
        return RuleConfig(
            enabled=enabled,
            severity=_severity(sev, ("rules", sel, "severity"), err) if sev is not None else None,
            ignore=tuple(ignore),
        )
    err.fail(("rules", sel), "a rule setting is a severity, 'disable', or a mapping")
    raise AssertionError


def _severity(value: Any, where: tuple[str | int, ...], err: _Errors) -> Severity:
    try:
        return Severity(value)
    except ValueError:
        err.fail(where, f"severity must be error, warning or info, not {value!r}")
        raise
