"""Repository and pull request from options or the Actions environment."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gitops_guard.errors import ConfigError
from gitops_guard.github.event import Target, resolve_target


def _event(tmp_path: Path, payload: object) -> dict[str, str]:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(payload) if not isinstance(payload, str) else payload)
    return {"GITHUB_REPOSITORY": "acme/fleet", "GITHUB_EVENT_PATH": str(path)}


def test_pull_request_event(tmp_path: Path) -> None:
    env = _event(tmp_path, {"pull_request": {"number": 12}})
    assert resolve_target(None, None, env) == Target("acme/fleet", 12)
    assert resolve_target("other/repo", 3, env) == Target("other/repo", 3)  # options win


def test_issue_comment_on_a_pull_request(tmp_path: Path) -> None:
    env = _event(tmp_path, {"issue": {"number": 5, "pull_request": {"url": "x"}}})
    assert resolve_target(None, None, env).pr == 5
    with pytest.raises(ConfigError, match="no pull request number"):
        resolve_target(None, None, _event(tmp_path, {"issue": {"number": 5}}))  # a plain issue


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({}, "no repository"),
        (
            {"GITHUB_REPOSITORY": "acme/fleet", "GITHUB_EVENT_NAME": "push"},
            "the push event has no pull request",
        ),
        ({"GITHUB_REPOSITORY": "acme/fleet", "GITHUB_EVENT_PATH": "/nonexistent/event.json"}, "cannot read"),
    ],
)
def test_missing_information_is_a_usage_error(env: dict[str, str], needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        resolve_target(None, None, env)


def test_event_file_that_is_not_json(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not JSON"):
        resolve_target(None, None, _event(tmp_path, "{oops"))
