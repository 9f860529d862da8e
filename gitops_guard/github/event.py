"""Where the comment goes: repository and pull request, from options or the Actions run.

GitHub Actions sets ``GITHUB_REPOSITORY`` (``owner/name``) and ``GITHUB_EVENT_PATH`` (the
webhook payload as JSON).  The pull request number is ``pull_request.number`` for
``pull_request``/``pull_request_target`` events, and ``issue.number`` for an
``issue_comment`` on a pull request (the payload's ``issue.pull_request`` is set).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from gitops_guard.errors import ConfigError

_REPO = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")


class Target(NamedTuple):
    repo: str  # owner/name
    pr: int


def resolve_target(repo: str | None, pr: int | None, env: Mapping[str, str]) -> Target:
    repo = repo or env.get("GITHUB_REPOSITORY") or None
    if repo is None:
        raise ConfigError("no repository: pass --repo OWNER/NAME or set GITHUB_REPOSITORY")
    if not _REPO.fullmatch(repo):
        raise ConfigError(f"--repo must be OWNER/NAME, not {repo!r}")
    event = _event(env.get("GITHUB_EVENT_PATH"))
    if pr is None:
        pr = _pr_number(event)
        if pr is None:
            where = env.get("GITHUB_EVENT_NAME") or "this run"
            raise ConfigError(
                f"no pull request number: pass --pr N (the {where} event has no pull request; "
                "run the comment on `pull_request` events)"
            )
    if pr < 1:
        raise ConfigError(f"--pr must be a positive number, not {pr}")
    return Target(repo, pr)


def _event(path: str | None) -> dict[str, Any]:
    if not path:
        return {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"GITHUB_EVENT_PATH {path}: cannot read it ({exc.strerror})") from exc
    except ValueError as exc:
        raise ConfigError(f"GITHUB_EVENT_PATH {path}: not JSON ({exc})") from exc
    return data if isinstance(data, dict) else {}


def _pr_number(event: dict[str, Any]) -> int | None:
    pr = event.get("pull_request")
    if isinstance(pr, dict) and isinstance(pr.get("number"), int):
        return int(pr["number"])
    issue = event.get("issue")
    if isinstance(issue, dict) and issue.get("pull_request") and isinstance(issue.get("number"), int):
        return int(issue["number"])
    return None
