"""The policy family end to end through the command line."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import check_json, run_cli, write_files

POLICY = """\
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: require-team-label}
spec:
  matchConstraints:
    resourceRules:
      - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments]}
  validations:
    - expression: "has(object.metadata.labels) && 'team' in object.metadata.labels"
      message: every Deployment needs a team label
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: require-team-label}
spec: {policyName: require-team-label, validationActions: [Warn]}
"""
DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: prod
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api
"""


def _repo(tmp_path: Path, config: str | None = None) -> Path:
    files = {"policy.yaml": POLICY, "deploy.yaml": DEPLOYMENT}
    write_files(tmp_path, files if config is None else {**files, ".gitops-guard.yaml": config})
    return tmp_path


def _policy_rules(report: dict[str, object]) -> list[tuple[str, str, str]]:
    findings = report["findings"]
    assert isinstance(findings, list)
    return [(f["rule"], f["severity"], f["path"]) for f in findings if f["rule"].startswith("policy/")]


def test_repository_policy_by_default_and_shipped_ones_with_strict(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    code, report = check_json(cwd=repo)
    assert _policy_rules(report) == [("policy/require-team-label", "warning", "deploy.yaml")]
    [finding] = [f for f in report["findings"] if f["rule"].startswith("policy/")]
    assert finding["message"] == "every Deployment needs a team label"
    assert finding["object"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "namespace": "prod",
        "name": "api",
    }
    assert (finding["line"], finding["outcome"]) == (4, "violation")

    (repo / ".gitops-guard.yaml").write_text("extends: strict\n")
    code, report = check_json("--select", "policy", cwd=repo)
    assert code == 1
    assert sorted(r for r, _, _ in _policy_rules(report)) == [
        "policy/disallow-latest-tag",
        "policy/require-resource-limits",
        "policy/require-run-as-non-root",
        "policy/require-team-label",
    ]


def test_select_and_ignore_on_the_command_line(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    code, report = check_json("--select", "policy/disallow-latest-tag", cwd=repo)
    assert code == 1
    assert _policy_rules(report) == [("policy/disallow-latest-tag", "error", "deploy.yaml")]
    code, report = check_json("--select", "policy/require-team-label", "--fail-on", "warning", cwd=repo)
    assert code == 1
    assert _policy_rules(report) == [("policy/require-team-label", "warning", "deploy.yaml")]
    code, report = check_json("--select", "policy", "--ignore", "policy/require-team-label", cwd=repo)
    assert (code, _policy_rules(report)) == (0, [])
    proc = run_cli("check", "--select", "polcy/x", cwd=repo)
    assert proc.returncode == 2 and "unknown rule or family 'polcy/x'" in proc.stderr


def test_config_file_names_repository_policies(tmp_path: Path) -> None:
    repo = _repo(tmp_path, "rules:\n  policy/require-team-label: error\n")
    code, report = check_json("--select", "policy", cwd=repo)
    assert (code, _policy_rules(report)) == (1, [("policy/require-team-label", "error", "deploy.yaml")])
    (repo / ".gitops-guard.yaml").write_text("rules:\n  policy/require-team-label: disable\n")
    code, report = check_json("--select", "policy", cwd=repo)
    assert (code, _policy_rules(report)) == (0, [])


def test_sarif_describes_repository_policies(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    proc = run_cli("check", "--format", "sarif", "--select", "policy", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    run = json.loads(proc.stdout)["runs"][0]
    ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert "policy/require-team-label" in ids
    assert [r["ruleId"] for r in run["results"]] == ["policy/require-team-label"]


def test_rules_command_lists_the_shipped_policies() -> None:
    proc = run_cli("rules", cwd=Path.cwd())
    assert proc.returncode == 0, proc.stderr
    for name in ("disallow-latest-tag", "require-resource-limits", "disallow-privileged"):
        assert f"policy/{name}  [error|warning|info]" in proc.stdout  # Deny by default
    assert "policy/<name>  [error|warning|info]" in proc.stdout
    markdown = run_cli("rules", "--format", "markdown", cwd=Path.cwd()).stdout
    assert "### `policy/require-run-as-non-root` (error, warning or info)" in markdown
    assert "**FAIL:**" in markdown.split("### `policy/require-run-as-non-root`")[1].split("### ")[0]
