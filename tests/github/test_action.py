"""The composite action, run step by step as the GitHub runner runs it (see
``composite_runner``), on a copy of the bundled example repository with a pull request.

How gitops-guard gets installed here: the action's install step installs into
``$RUNNER_TEMP/gitops-guard-venv`` unless that virtualenv already has ``gitops-guard``.
The test points that path at the virtualenv the tests run in (the project installed from
this checkout), so the step's own commands run, take the "already installed" branch and
put it on ``GITHUB_PATH``; ``actions/setup-python`` and ``actions/cache`` (``uses:`` steps)
are not run, and setup-python's ``python-path`` output is this interpreter.
``tests/test_fresh_install.py`` covers installing the package with pip from scratch.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from gitops_guard.github.comment import parse_marker
from tests.conftest import require_tool
from tests.github.composite_runner import ActionRun, run_action
from tests.github.fake_github import FakeGitHub
from tests.helpers import git
from tests.helpers import write_files as write

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "gitops-repo"
DUPLICATE = (
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm{i}\n  namespace: podinfo\ndata:\n  a: x\n  a: y\n"
)


class PullRequest:
    def __init__(self, tmp: Path) -> None:
        self.workspace = tmp / "workspace"
        shutil.copytree(EXAMPLE, self.workspace)
        git(self.workspace, "init", "-q", "-b", "main")
        git(self.workspace, "add", ".")
        git(self.workspace, "commit", "-q", "-m", "base")
        self.base = git(self.workspace, "rev-parse", "HEAD")
        # The change: one object dropped (both the Flux Kustomization and the Argo CD
        # Application prune it), one updated, and twelve broken files (more than the ten
        # error annotations GitHub shows).
        kustomization = self.workspace / "apps/podinfo/kustomization.yaml"
        kustomization.write_text(kustomization.read_text().replace("  - service.yaml\n", ""))
        deployment = self.workspace / "apps/podinfo/deployment.yaml"
        deployment.write_text(deployment.read_text().replace("replicas: 2", "replicas: 3"))
        write(self.workspace, {f"infrastructure/extra/cm{i}.yaml": DUPLICATE.format(i=i) for i in range(12)})
        git(self.workspace, "add", "-A")
        git(self.workspace, "commit", "-q", "-m", "change")
        self.head = git(self.workspace, "rev-parse", "HEAD")


@pytest.fixture
def pr(tmp_path: Path) -> PullRequest:
    require_tool("git")
    require_tool("kustomize")
    return PullRequest(tmp_path)


@pytest.fixture
def gh() -> FakeGitHub:
    with FakeGitHub(repo="acme/fleet", issues=(12,)) as server:
        yield server


def _run(
    pr: PullRequest,
    gh: FakeGitHub,
    tmp: Path,
    *,
    fork: bool = False,
    installed: bool = True,
    stop_after: str | None = None,
    **inputs: str,
) -> ActionRun:
    runner_temp = tmp / f"runner-temp-{len(list(tmp.glob('runner-temp-*')))}"
    runner_temp.mkdir()
    if installed:
        # The install step finds gitops-guard already installed here (see the module docstring).
        (runner_temp / "gitops-guard-venv").symlink_to(sys.prefix, target_is_directory=True)
    head_repo = "someone/fleet" if fork else "acme/fleet"
    event: dict[str, Any] = {
        "action": "synchronize",
        "number": 12,
        "pull_request": {
            "number": 12,
            "base": {"sha": pr.base, "ref": "main"},
            "head": {"sha": pr.head, "ref": "change", "repo": {"full_name": head_repo}},
        },
    }
    event_path = tmp / "event.json"
    event_path.write_text(json.dumps(event))
    env = {
        "HOME": os.environ.get("HOME", str(tmp)),
        "PATH": os.environ["PATH"],
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": str(pr.workspace),
        "GITHUB_EVENT_PATH": str(event_path),
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_REPOSITORY": "acme/fleet",
        "GITHUB_API_URL": gh.url,
        "GITHUB_SERVER_URL": "https://github.example",
        "GITHUB_RUN_ID": "777",
        "GITHUB_SHA": pr.head,
        "RUNNER_OS": "Linux",
        "RUNNER_TEMP": str(runner_temp),
        "GITOPS_GUARD_CACHE": os.environ.get("GITOPS_GUARD_CACHE", ""),
    }
    github = {
        "token": gh.token,
        "event": event,
        "event_name": "pull_request",
        "repository": "acme/fleet",
        "workspace": str(pr.workspace),
    }
    return run_action(
        ROOT,
        inputs=inputs,
        github=github,
        env={k: v for k, v in env.items() if v},
        runner_temp=runner_temp,
        uses_outputs={"actions/setup-python": {"python-path": _base_python()}},
        stop_after=stop_after,
    )


def _base_python() -> str:
    """The interpreter setup-python would hand over: a plain Python, not this virtualenv's."""
    candidate = Path(sys.base_prefix) / "bin" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
    return str(candidate) if candidate.is_file() else sys.executable


def test_action_metadata_has_the_contract_inputs() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    assert {"paths", "fail-on", "sarif-file", "comment", "kubernetes-version"} <= set(action["inputs"])
    install = next(s for s in action["runs"]["steps"] if s.get("name") == "Install gitops-guard")
    assert '"${GITHUB_ACTION_PATH}[render]"' in install["run"]
    assert "install-tools" not in (ROOT / "action.yml").read_text()  # never the Go tool build
    for step in action["runs"]["steps"]:  # inputs reach scripts through env, never spliced in
        assert "${{" not in step.get("run", "")


def test_pull_request_run_annotates_summarises_writes_sarif_and_comments(
    pr: PullRequest, gh: FakeGitHub, tmp_path: Path
) -> None:
    run = _run(pr, gh, tmp_path, **{"sarif-file": "results.sarif"})
    assert [s.name for s in run.steps][-1] == "Result"
    check = run.step("Check")
    assert check.returncode == 0, check.stderr
    assert check.outputs["exit-code"] == "1" and run.returncode == 1  # errors fail the job, at the end

    annotations = re.findall(r"^::(error|warning|notice) file=([^,]+),line=(\d+)", check.stdout, re.M)
    errors = [a for a in annotations if a[0] == "error"]
    assert len(errors) == 12 and {a[1] for a in errors} == {
        f"infrastructure/extra/cm{i}.yaml" for i in range(12)
    }
    assert ("warning", "clusters/production/apps.yaml", "9") in annotations  # prune/removed-resources

    summary = run.summary
    assert summary.count("`yaml/duplicate-key`") >= 12  # every finding, beyond the 10 annotations shown
    assert "at most 10 errors and 10 warnings" in summary
    assert "## gitops-guard report" in summary and "This change deletes" in summary
    assert "```diff" in summary and "-  replicas: 2\n+  replicas: 3\n" in summary
    assert all(len(s.summary.encode()) <= 1024 * 1024 for s in run.steps)

    sarif = json.loads((pr.workspace / "results.sarif").read_text())
    assert sarif["version"] == "2.1.0"
    results = sarif["runs"][0]["results"]
    assert sum(1 for r in results if r["ruleId"] == "yaml/duplicate-key") == 12

    (body,) = [b for b in gh.bodies(12) if parse_marker(b)]
    assert f"https://github.example/acme/fleet/blob/{pr.head}/infrastructure/extra/cm0.yaml#L8" in body
    assert "Service/podinfo/podinfo" in body and "This change deletes" in body
    posts = [r for r in gh.requests if r.method == "POST"]
    assert len(posts) == 1 and posts[0].headers["authorization"] == f"Bearer {gh.token}"

    again = _run(pr, gh, tmp_path, **{"sarif-file": "results.sarif"})
    assert again.step("Report the change").returncode == 0
    assert len([b for b in gh.bodies(12) if parse_marker(b)]) == 1  # updated or left, never added
    assert [r.method for r in gh.requests if r.method != "GET"] == ["POST"]  # nothing changed


def test_fork_pull_request_gets_the_summary_but_no_comment(
    pr: PullRequest, gh: FakeGitHub, tmp_path: Path
) -> None:
    run = _run(pr, gh, tmp_path, fork=True, **{"fail-on": "never"})
    assert run.returncode == 0, [s.stderr for s in run.steps]
    assert "::notice title=gitops-guard::no PR comment" in run.step("Report the change").stdout
    assert "## gitops-guard report" in run.summary
    assert gh.requests == []
    assert (pr.workspace / "gitops-guard.sarif").is_file()


def test_comment_off_and_a_bad_input_fail_clearly(pr: PullRequest, gh: FakeGitHub, tmp_path: Path) -> None:
    run = _run(pr, gh, tmp_path, comment="false", **{"fail-on": "warning", "kubernetes-version": "1.31"})
    assert run.returncode == 1 and gh.requests == []
    bad = _run(pr, gh, tmp_path, **{"fail-on": "sometimes"})
    check = bad.step("Check")
    assert check.returncode == 2 and "::error title=gitops-guard::the check could not run" in check.stdout
    assert "'sometimes' is not one of" in check.stderr


def test_install_step_installs_from_the_action_checkout_with_pip(
    pr: PullRequest, gh: FakeGitHub, tmp_path: Path
) -> None:
    """The install branch for real: a new virtualenv, ``pip install "$GITHUB_ACTION_PATH[render]"``
    (from PyPI or pip's cache), then the installed command on ``GITHUB_PATH``."""
    run = _run(pr, gh, tmp_path, installed=False, stop_after="Install gitops-guard")
    install = run.step("Install gitops-guard")
    assert install.returncode == 0, install.stderr[-3000:]
    assert "gitops-guard, version" in install.stdout
    venv = tmp_path / "runner-temp-0" / "gitops-guard-venv"
    assert (venv / "bin" / "gitops-guard").is_file() and not (venv / "bin").is_symlink()
    assert run.step("Cache key for pip").outputs["key"].startswith("gitops-guard-pip-Linux-py3.")
    kubectl = list(venv.glob("lib/python*/site-packages/kubectl*"))
    helm = list(venv.glob("lib/python*/site-packages/helm_python*"))
    assert kubectl and helm, "the render extra is installed"
