"""The CLI end to end: exit codes, options, config, suppression, baselines."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.helpers import check_json, run_cli

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"

BAD = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  name: d\ndata: {a: b}\nspec: {}\n"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    shutil.copytree(EXAMPLES / "gitops-repo", tmp_path / "repo")
    return tmp_path / "repo"


def test_bundled_example_is_clean(repo: Path) -> None:
    code, report = check_json(cwd=repo)
    assert code == 0, report["findings"]
    assert report["summary"]["files"] == 8
    assert report["summary"]["errors"] == 0
    assert report["findings"] == []  # nothing "not checked" either: every deployer resolves


def test_broken_example_reports_each_mistake(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLES / "broken", tmp_path / "broken")
    code, report = check_json(cwd=tmp_path / "broken")
    assert code == 1
    got = {(f["rule"], f["path"], f["line"]) for f in report["findings"]}
    assert ("yaml/syntax", "bad-syntax.yaml", 5) in got
    assert ("yaml/duplicate-key", "deployment.yaml", 16) in got
    assert ("schema/violation", "deployment.yaml", 8) in got  # spec.replica
    assert ("schema/violation", "deployment.yaml", 22) in got  # containerPort "8080"
    assert ("schema/deprecated-api", "deployment.yaml", 24) in got
    assert ("schema/missing", "widget.yaml", 9) in got
    assert ("schema/violation", "widget.yaml", 6) in got  # the CRD's CEL rule: size must be at most 10
    assert len(got) == 7


def test_json_report_matches_contract(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.yaml").write_text(BAD)
    code, report = check_json(cwd=tmp_path)
    assert code == 1
    assert report["version"] == 1
    assert report["tool"]["name"] == "gitops-guard"
    f = report["findings"][0]
    assert set(f) >= {"rule", "severity", "path", "line", "column", "message", "object", "fingerprint"}
    assert f["path"] == "sub/c.yaml"
    assert f["fingerprint"].startswith("sha256:")
    assert report["summary"]["files"] == 1 and report["summary"]["documents"] == 1


def test_exit_codes(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(BAD)
    assert run_cli("check", cwd=tmp_path).returncode == 1
    assert run_cli("check", "--fail-on", "never", cwd=tmp_path).returncode == 0
    assert run_cli("check", "--select", "schema/missing", cwd=tmp_path).returncode == 0
    proc = run_cli("check", "does-not-exist.yaml", cwd=tmp_path)
    assert proc.returncode == 2 and "does-not-exist.yaml" in proc.stderr
    proc = run_cli("check", "--select", "nonsense", cwd=tmp_path)
    assert proc.returncode == 2 and "nonsense" in proc.stderr
    proc = run_cli("check", "--kubernetes-version", "1.10", cwd=tmp_path)
    assert proc.returncode == 2 and "1.10" in proc.stderr
    assert run_cli("check", "--format", "bogus", cwd=tmp_path).returncode == 2


def test_fail_on_warning(tmp_path: Path) -> None:
    (tmp_path / "w.yaml").write_text("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n")
    assert run_cli("check", cwd=tmp_path).returncode == 0
    assert run_cli("check", "--fail-on", "warning", cwd=tmp_path).returncode == 1


def test_select_and_ignore_by_family(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(BAD)
    _, only_yaml = check_json("--select", "yaml", cwd=tmp_path)
    assert {f["rule"] for f in only_yaml["findings"]} == {"yaml/duplicate-key"}
    _, no_yaml = check_json("--ignore", "yaml", cwd=tmp_path)
    assert {f["rule"] for f in no_yaml["findings"]} == {"schema/violation"}


def test_config_file_found_upward(tmp_path: Path) -> None:
    (tmp_path / ".gitops-guard.yaml").write_text(
        "rules:\n  schema/violation: disable\n  yaml/duplicate-key:\n    severity: warning\n"
    )
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.yaml").write_text(BAD)
    code, report = check_json(cwd=tmp_path / "sub")
    assert code == 0
    assert [(f["rule"], f["severity"]) for f in report["findings"]] == [("yaml/duplicate-key", "warning")]


def test_config_rule_ignore_paths_and_global_ignore(tmp_path: Path) -> None:
    (tmp_path / ".gitops-guard.yaml").write_text(
        "ignore: ['vendor/']\nrules:\n  yaml:\n    ignore: ['legacy/**']\n"
    )
    for d in ("vendor", "legacy", "apps"):
        (tmp_path / d).mkdir()
        (tmp_path / d / "c.yaml").write_text(BAD)
    _, report = check_json("--select", "yaml", cwd=tmp_path)
    assert {f["path"] for f in report["findings"]} == {"apps/c.yaml"}
    assert report["summary"]["files"] == 3  # apps/c.yaml, legacy/c.yaml, .gitops-guard.yaml


def test_strict_preset_via_extends(tmp_path: Path) -> None:
    (tmp_path / ".gitops-guard.yaml").write_text("extends: strict\n")
    (tmp_path / "w.yaml").write_text("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n")
    code, report = check_json(cwd=tmp_path)
    assert code == 1 and report["findings"][0]["severity"] == "error"


@pytest.mark.parametrize(
    ("config", "line", "needle"),
    [
        ("rulez: {}\n", 1, "unknown key 'rulez'"),
        ("fail-on: sometimes\n", 1, "fail-on"),
        ("rules:\n  schema/violaton: error\n", 2, "unknown rule"),
        ("rules:\n  schema/violation: fatal\n", 2, "severity"),
        ("extends: nope\n", 1, "preset"),
        ("rules: [\n", 2, ""),
    ],
)
def test_bad_config_is_a_usage_error_with_line(tmp_path: Path, config: str, line: int, needle: str) -> None:
    (tmp_path / ".gitops-guard.yaml").write_text(config)
    proc = run_cli("check", cwd=tmp_path)
    assert proc.returncode == 2
    assert f".gitops-guard.yaml:{line}:" in proc.stderr
    assert needle in proc.stderr
    assert "Traceback" not in proc.stderr


def test_inline_suppression(tmp_path: Path) -> None:
    text = BAD.replace("  name: d\n", "  name: d  # gitops-guard: disable-line yaml/duplicate-key\n")
    (tmp_path / "c.yaml").write_text(text)
    _, report = check_json(cwd=tmp_path)
    assert {f["rule"] for f in report["findings"]} == {"schema/violation"}
    (tmp_path / "c.yaml").write_text("# gitops-guard: disable-file\n" + BAD)
    code, report = check_json(cwd=tmp_path)
    assert code == 0 and report["findings"] == []


def test_baseline_hides_known_findings_only(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(BAD)
    proc = run_cli("baseline", "-o", "base.json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads((tmp_path / "base.json").read_text())["version"] == 1
    # Move the finding down a few lines: still known (fingerprints ignore line numbers).
    (tmp_path / "c.yaml").write_text("# comment\n# comment\n" + BAD)
    code, report = check_json("--baseline", "base.json", cwd=tmp_path)
    assert code == 0 and report["findings"] == []
    (tmp_path / "d.yaml").write_text(BAD)
    code, report = check_json("--baseline", "base.json", cwd=tmp_path)
    assert code == 1 and {f["path"] for f in report["findings"]} == {"d.yaml"}


def test_gitignore_is_honoured(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("generated/\n*.tmp.yaml\n")
    (tmp_path / "generated").mkdir()
    (tmp_path / "generated" / "c.yaml").write_text(BAD)
    (tmp_path / "x.tmp.yaml").write_text(BAD)
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "c.yaml").write_text(BAD)
    code, report = check_json(cwd=tmp_path)
    # Only the .gitignore itself is read (as text, for the secret scan).
    assert code == 0 and report["summary"]["files"] == 1 and report["summary"]["documents"] == 0


def test_explicit_files_are_checked_even_if_ignored(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("*.yaml\n")
    (tmp_path / "c.yaml").write_text(BAD)
    code, _ = check_json("c.yaml", cwd=tmp_path)
    assert code == 1


def test_github_format_is_default_under_actions(tmp_path: Path) -> None:
    import os

    (tmp_path / "c.yaml").write_text(BAD)
    env = {**os.environ, "GITHUB_ACTIONS": "true"}
    proc = run_cli("check", cwd=tmp_path, env=env)
    assert proc.stdout.startswith("::error file=c.yaml,line=5")


def test_rules_command_lists_every_rule_with_examples() -> None:
    proc = run_cli("rules", cwd=REPO)
    assert proc.returncode == 0
    for rule in (
        "yaml/syntax",
        "yaml/duplicate-key",
        "schema/violation",
        "schema/missing",
        "schema/deprecated-api",
    ):
        assert rule in proc.stdout
    assert "FAIL:" in proc.stdout and "PASS:" in proc.stdout


def test_output_file(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(BAD)
    proc = run_cli("check", "--format", "sarif", "--output", "out.sarif", cwd=tmp_path)
    assert proc.returncode == 1 and proc.stdout == ""
    sarif = json.loads((tmp_path / "out.sarif").read_text())
    assert sarif["version"] == "2.1.0"


def test_version() -> None:
    proc = run_cli("--version", cwd=REPO)
    assert proc.returncode == 0 and "0.1.0" in proc.stdout


def test_readme_catalogue_is_generated_from_the_rules() -> None:
    proc = run_cli("rules", "--format", "markdown", cwd=REPO)
    assert proc.returncode == 0
    assert proc.stdout in (REPO / "README.md").read_text()
