"""The catalogue (``gitops-guard rules``, the README, SARIF) and the reports agree on severities.

A rule either has one severity, or lists the others with when each applies (``Rule.also``).
Checks choose a severity only through ``at_document``/``at_file``, which refuse one the rule
does not document; the source scan below keeps it that way, and the fixtures produce every
documented severity of every rule that has several, with each one's neighbour.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

import pytest

from gitops_guard.checks import all_rules
from gitops_guard.checks.base import at_file
from gitops_guard.findings import Finding, Severity
from gitops_guard.rules import Also, Rule
from gitops_guard.rules_doc import catalogue
from tests.conftest import REPO_ROOT, ToolFinder
from tests.helpers import check_files

PACKAGE = REPO_ROOT / "gitops_guard"
RULES = {r.id: r for r in all_rules()}

ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO


def test_a_rule_refuses_a_severity_it_does_not_document() -> None:
    rule = Rule("x/y", ERROR, "s", when="always", also=(Also(WARNING, "sometimes"),))
    assert at_file(rule, "a.yaml", "m").severity is ERROR
    assert at_file(rule, "a.yaml", "m", severity=WARNING).severity is WARNING
    with pytest.raises(ValueError, match="x/y does not document severity info"):
        at_file(rule, "a.yaml", "m", severity=INFO)
    with pytest.raises(ValueError):
        at_file(Rule("x/z", ERROR, "s"), "a.yaml", "m", severity=WARNING)


def test_catalogue_names_every_severity_and_when() -> None:
    rule = RULES["schema/deprecated-api"]
    markdown = catalogue([rule], markdown=True)
    assert markdown.startswith("### `schema/deprecated-api` (error or warning)\n")
    assert "- **error** when removed" in markdown and "- **warning** when deprecated" in markdown
    text = catalogue([rule])
    assert text.startswith("schema/deprecated-api  [error|warning]\n")
    single = catalogue([RULES["yaml/syntax"]], markdown=True)
    assert single.startswith("### `yaml/syntax` (error)\n") and "- **error** when" not in single


def test_every_rule_with_several_severities_says_when() -> None:
    for rule in RULES.values():
        assert len(set(rule.severities)) == len(rule.severities), rule.id
        if rule.also:
            assert rule.when and all(a.when for a in rule.also), rule.id
        else:
            assert not rule.when, f"{rule.id}: `when` without `also` is never shown"


def _calls(tree: ast.AST) -> list[ast.Call]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call)]


def _name(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def test_severities_are_chosen_only_through_the_rule() -> None:
    """A Finding is built in finding_at.py only; only the configuration (pipeline.py, the
    user's own `rules:` severities) rewrites a finding's severity afterwards."""
    built, rewritten = [], []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(REPO_ROOT).as_posix()
        for call in _calls(ast.parse(path.read_text(encoding="utf-8"))):
            if _name(call) == "Finding":
                built.append(rel)
            if _name(call) in {"replace", "_replace"} and any(k.arg == "severity" for k in call.keywords):
                rewritten.append(rel)
    assert set(built) == {"gitops_guard/finding_at.py"}
    assert set(rewritten) == {"gitops_guard/pipeline.py"}


# --- every documented severity of every rule that has several, from a real run ------------------

Case = tuple[dict[str, str], dict[str, object]]  # files, CheckOptions fields


def _deprecated(severity: Severity) -> Case:
    if severity is ERROR:  # removed in 1.22
        body = "apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: i}\nspec: {}\n"
    else:  # deprecated in 1.33, still served
        body = "apiVersion: v1\nkind: Endpoints\nmetadata: {name: e}\n"
    return {"obj.yaml": body}, {"select": ["schema/deprecated-api"], "kubernetes_version": "1.33"}


def _violation(severity: Severity) -> Case:
    """An unknown field: an error in a built-in kind, a warning in a catalog CRD (version skew)."""
    if severity is ERROR:
        body = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\nextra: 1\n"
    else:
        body = (
            "apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata: {name: i}\n"
            "spec: {selfSigned: {}, extra: 1}\n"
        )
    return {"obj.yaml": body}, {"select": ["schema/violation"]}


def _render(severity: Severity) -> Case:
    resource = "https://github.com/example/base//deploy?ref=v1" if severity is WARNING else "missing.yaml"
    files = {"app/kustomization.yaml": f"resources:\n  - {resource}\n"}
    return files, {"select": ["render/failed"]}


def _not_run(severity: Severity) -> Case:
    """Run with an empty PATH and tool cache (see NO_TOOLS)."""
    if severity is ERROR:  # the engine asked for is missing
        good = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"
        return {"cm.yaml": good}, {"schema_engine": "kubeconform"}
    # no renderer at all: the kustomization is checked as written
    files = {"app/kustomization.yaml": "resources:\n  - cm.yaml\n", "app/cm.yaml": "kind: x\n"}
    return files, {}


# Rules whose cases need a machine without any external tool.
NO_TOOLS = {"check/not-run"}

_ACTIONS = {ERROR: "Deny", WARNING: "Warn", INFO: "Audit"}


def _policy(name: str) -> Callable[[Severity], Case]:
    def case(severity: Severity) -> Case:
        policy = (
            "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\n"
            f"metadata: {{name: {name}}}\nspec:\n  matchConstraints:\n    resourceRules:\n"
            "      - {apiGroups: [''], apiVersions: [v1], operations: [CREATE], resources: [configmaps]}\n"
            "  validations:\n    - expression: 'false'\n      message: no ConfigMaps here\n---\n"
            "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicyBinding\n"
            f"metadata: {{name: {name}}}\n"
            f"spec: {{policyName: {name}, validationActions: [{_ACTIONS[severity]}]}}\n"
        )
        cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: default}\n"
        return {"policy.yaml": policy, "cm.yaml": cm}, {"select": [f"policy/{name}"]}

    return case


# A repository policy named like a shipped one replaces it, so shipped rules can report all three.
CASES: dict[str, Callable[[Severity], Case]] = {
    "schema/deprecated-api": _deprecated,
    "schema/violation": _violation,
    "render/failed": _render,
    "check/not-run": _not_run,
    **{r.id: _policy(r.id.split("/", 1)[1]) for r in RULES.values() if r.id.startswith("policy/") and r.also},
    "policy/<name>": _policy("no-configmaps"),
}
# The template's findings carry the repository policy's own name.
REPORTED_AS = {"policy/<name>": "policy/no-configmaps"}


def test_every_rule_with_several_severities_has_cases() -> None:
    assert set(CASES) == {r.id for r in RULES.values() if r.also}


@pytest.mark.parametrize(
    ("rule_id", "severity"),
    [(rule_id, sev) for rule_id in sorted(CASES) for sev in RULES[rule_id].severities],
)
def test_each_documented_severity_is_reported(
    tmp_path: Path, tool: ToolFinder, monkeypatch: pytest.MonkeyPatch, rule_id: str, severity: Severity
) -> None:
    if rule_id == "render/failed":
        tool("kustomize")
    if rule_id in NO_TOOLS:
        (tmp_path / "empty").mkdir()
        monkeypatch.setenv("PATH", str(tmp_path / "empty"))
        monkeypatch.setenv("GITOPS_GUARD_CACHE", str(tmp_path / "empty"))
    files, options = CASES[rule_id](severity)
    found: list[Finding] = check_files(tmp_path, files, **options)
    rule = RULES[rule_id]
    mine = [f for f in found if f.rule == REPORTED_AS.get(rule_id, rule_id)]
    assert [f.severity for f in mine] == [severity], found
    assert all(f.severity in RULES.get(f.rule, rule).severities for f in found), found
