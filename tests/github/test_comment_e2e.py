"""`gitops-guard comment` end to end: real Git repositories in temp dirs, the installed CLI,
and the local GitHub server."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from gitops_guard.github.comment import parse_marker
from tests.conftest import require_tool
from tests.github.fake_github import FakeGitHub
from tests.helpers import FLUX_SOURCE, committed_repo, flux_kustomization, git, run_cli
from tests.helpers import write_files as write

FLUX = flux_kustomization("./apps/api", "  targetNamespace: api\n", name="api") + "---\n" + FLUX_SOURCE
CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  level: {level}\n"
SECRET = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: {value}\n"
# Planted credentials: neither may reach GitHub, stdout or stderr.
OLD_PASSWORD = "old-Pa55w0rd-k9q2x7"
NEW_PASSWORD = "new-Pa55w0rd-m3v8z1"
TOKEN = "ghp_" + "Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2"


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    require_tool("git")
    require_tool("kustomize")
    root = committed_repo(
        tmp_path / "fleet",
        {
            "clusters/prod/api.yaml": FLUX,
            "apps/api/kustomization.yaml": "resources: [settings.yaml, extra.yaml, secret.yaml]\n",
            "apps/api/settings.yaml": CM.format(name="settings", level="info"),
            "apps/api/extra.yaml": CM.format(name="extra", level="x"),
            "apps/api/secret.yaml": SECRET.format(value=OLD_PASSWORD),
        },
    )
    # The pull request: an update, a pruned deletion, a changed Secret, a token in a ConfigMap.
    write(
        root,
        {
            "apps/api/kustomization.yaml": "resources: [settings.yaml, secret.yaml, app.yaml]\n",
            "apps/api/settings.yaml": CM.format(name="settings", level="debug"),
            "apps/api/secret.yaml": SECRET.format(value=NEW_PASSWORD),
            "apps/api/app.yaml": (
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n"
                f"  app.ini: |\n    [auth]\n    token = {TOKEN}\n    mode = fast\n"
            ),
        },
    )
    (root / "apps/api/extra.yaml").unlink()
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "change")
    return root


@pytest.fixture
def gh() -> FakeGitHub:
    with FakeGitHub(repo="acme/fleet", issues=(7,)) as server:
        yield server


def _env(gh: FakeGitHub, tmp: Path, **extra: str) -> dict[str, str]:
    event = tmp / "event.json"
    event.write_text(json.dumps({"action": "synchronize", "number": 7, "pull_request": {"number": 7}}))
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    env.update(
        GITHUB_TOKEN=gh.token,
        GITHUB_API_URL=gh.url,
        GITHUB_SERVER_URL="https://github.example",
        GITHUB_REPOSITORY="acme/fleet",
        GITHUB_EVENT_PATH=str(event),
        GITHUB_EVENT_NAME="pull_request",
        GITHUB_RUN_ID="4242",
    )
    env.update(extra)
    return env


def _comment(root: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    proc = run_cli("comment", "--base", "HEAD~1", *args, cwd=root, env=env, timeout=180)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def _ours(gh: FakeGitHub) -> list[str]:
    return [b for b in gh.bodies(7) if parse_marker(b)]


def test_first_run_creates_second_run_updates(fleet: Path, gh: FakeGitHub, tmp_path: Path) -> None:
    for i in range(230):  # a busy pull request: our comment ends up on page 3
        gh.add_comment(7, f"review comment {i}")
    env = _env(gh, tmp_path)
    first = _comment(fleet, env)
    assert first.returncode == 0, first.stderr
    assert "acme/fleet#7: 1 created, 0 updated" in first.stderr
    (body,) = _ours(gh)
    head = git(fleet, "rev-parse", "HEAD")
    assert "### :warning: This change deletes 1 object" in body
    assert "`ConfigMap/api/extra`" in body
    assert f"(https://github.example/acme/fleet/blob/{head}/clusters/prod/api.yaml#L9)" in body
    assert "-  level: info\n+  level: debug\n" in body
    assert "[full report in the job summary](https://github.example/acme/fleet/actions/runs/4242)" in body

    # Nothing changed: found again through the pages, left as it is.
    again = _comment(fleet, env)
    assert again.returncode == 0 and "0 created, 0 updated, 1 unchanged" in again.stderr
    # A new push: the same comment is updated, never a second one.
    write(fleet, {"apps/api/settings.yaml": CM.format(name="settings", level="warn")})
    git(fleet, "commit", "-qam", "warn")
    third = run_cli("comment", "--base", "HEAD~2", cwd=fleet, env=env, timeout=180)
    assert third.returncode == 0 and "0 created, 1 updated" in third.stderr, third.stderr
    (body,) = _ours(gh)
    assert "+  level: warn\n" in body
    assert len(gh.bodies(7)) == 231
    gets = [r.path for r in gh.requests if r.method == "GET"]
    assert any("page=3" in p for p in gets)
    assert [r.method for r in gh.requests if r.method != "GET"] == ["POST", "PATCH"]


def test_secrets_are_never_sent_or_printed(fleet: Path, gh: FakeGitHub, tmp_path: Path) -> None:
    proc = _comment(fleet, _env(gh, tmp_path))
    assert proc.returncode == 0, proc.stderr
    sent = "".join(r.body for r in gh.requests)
    assert "password" in sent  # the Secret's change is in the comment, masked
    for value in (OLD_PASSWORD, NEW_PASSWORD, TOKEN, TOKEN[4:]):
        assert value not in sent and value not in proc.stdout and value not in proc.stderr
    dry = _comment(fleet, _env(gh, tmp_path), "--dry-run")
    assert dry.returncode == 0 and "-  password: ++++++++" in dry.stdout
    assert all(v not in dry.stdout for v in (OLD_PASSWORD, NEW_PASSWORD, TOKEN[4:]))
    assert "token = ++++" in dry.stdout


def test_huge_report_is_split_and_shrinks_back(fleet: Path, gh: FakeGitHub, tmp_path: Path) -> None:
    big = "".join(f"    key{i:05d} = {'v' * 70}\n" for i in range(3000))  # ~250 KB of new lines
    write(
        fleet,
        {"apps/api/big.yaml": CM.format(name="big", level="x") + f"  big.ini: |\n{big}"},
    )
    write(
        fleet,
        {"apps/api/kustomization.yaml": "resources: [settings.yaml, secret.yaml, app.yaml, big.yaml]\n"},
    )
    git(fleet, "add", "-A")
    git(fleet, "commit", "-qm", "big")
    env = _env(gh, tmp_path)
    proc = run_cli("comment", "--base", "HEAD~2", cwd=fleet, env=env, timeout=180)
    assert proc.returncode == 0, proc.stderr
    ours = _ours(gh)
    assert len(ours) >= 4 and all(len(b) <= 65536 for b in ours)
    assert [parse_marker(b) for b in ours] == [("default", i) for i in range(1, len(ours) + 1)]
    assert all(b.count("```") % 2 == 0 for b in ours)
    assert sum(b.count("key0") for b in ours) == 3000
    # The big file goes away: the extra parts are deleted, the first is updated.
    write(fleet, {"apps/api/kustomization.yaml": "resources: [settings.yaml, secret.yaml, app.yaml]\n"})
    (fleet / "apps/api/big.yaml").unlink()
    git(fleet, "commit", "-qam", "small")
    proc = run_cli("comment", "--base", "HEAD~3", cwd=fleet, env=env, timeout=180)
    assert proc.returncode == 0 and f"{len(ours) - 1} deleted" in proc.stderr, proc.stderr
    assert len(_ours(gh)) == 1


def test_api_errors_are_clear_and_map_to_exit_codes(fleet: Path, gh: FakeGitHub, tmp_path: Path) -> None:
    bad = _comment(fleet, _env(gh, tmp_path, GITHUB_TOKEN="not-the-token"))
    assert bad.returncode == 2 and "Bad credentials" in bad.stderr and "not-the-token" not in bad.stderr
    missing = _comment(fleet, _env(gh, tmp_path, GITHUB_TOKEN=""))
    assert missing.returncode == 2 and "set GITHUB_TOKEN" in missing.stderr
    gh.read_only_tokens.add("read-only")
    ro = _comment(fleet, _env(gh, tmp_path, GITHUB_TOKEN="read-only"))
    assert ro.returncode == 2 and "pull-requests: write" in ro.stderr
    wrong = _comment(fleet, _env(gh, tmp_path), "--pr", "99")
    assert wrong.returncode == 2 and "404 Not Found" in wrong.stderr
    gh.rate_remaining = 0
    gh.rate_reset_in = 3000
    limited = _comment(fleet, _env(gh, tmp_path))
    assert (
        limited.returncode == 3 and "rate limit exceeded" in limited.stderr and "resets at" in limited.stderr
    )
    no_pr = _comment(fleet, _env(gh, tmp_path, GITHUB_EVENT_PATH="", GITHUB_EVENT_NAME="push"))
    assert no_pr.returncode == 2 and "no pull request number" in no_pr.stderr
    assert _ours(gh) == []


def test_head_revision_and_reused_findings(fleet: Path, gh: FakeGitHub, tmp_path: Path) -> None:
    base = git(fleet, "rev-parse", "HEAD~1")
    head = git(fleet, "rev-parse", "HEAD")
    write(fleet, {"apps/api/settings.yaml": CM.format(name="settings", level="uncommitted")})
    report = tmp_path / "report.json"
    check = run_cli("check", "--base", base, "--format", "json", "--output", str(report), cwd=fleet)
    assert check.returncode in (0, 1), check.stderr
    summary = tmp_path / "summary.md"
    summary.write_text("# earlier step\n")
    proc = run_cli(
        "comment", "--base", base, "--head", head, "--dry-run", "--findings", str(report),
        "--summary", str(summary), cwd=fleet, env=_env(gh, tmp_path), timeout=180,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "+  level: debug\n" in proc.stdout and "uncommitted" not in proc.stdout  # the head commit
    assert "This change deletes 1 object" in proc.stdout  # from the JSON report's findings
    assert gh.requests == []  # a dry run sends nothing
    written = summary.read_text()
    assert written.startswith("# earlier step\n") and "## gitops-guard report" in written
    assert git(fleet, "worktree", "list").count("\n") == 0  # the temporary worktree is gone
    assert (fleet / "apps/api/settings.yaml").read_text() == CM.format(name="settings", level="uncommitted")


def test_bad_options_are_usage_errors(fleet: Path, gh: FakeGitHub, tmp_path: Path) -> None:
    env = _env(gh, tmp_path)
    cases = [
        (("--findings", str(tmp_path / "missing.json")), "--findings"),
        (("--id", "has space"), "--id must be"),
        (("--repo", "not-a-repo"), "--repo must be OWNER/NAME"),
    ]
    (tmp_path / "not-json.json").write_text("{")
    cases.append((("--findings", str(tmp_path / "not-json.json")), "not a JSON report"))
    for args, needle in cases:
        proc = _comment(fleet, env, *args)
        assert proc.returncode == 2 and needle in proc.stderr, (args, proc.stderr)
    unknown = run_cli("comment", "--base", "no-such-rev", cwd=fleet, env=env)
    assert unknown.returncode == 2 and "unknown revision 'no-such-rev'" in unknown.stderr
    report = run_cli("check", "--report", "yaml=x", cwd=fleet)
    assert report.returncode == 2 and "FORMAT=FILE" in report.stderr
    assert gh.requests == []
