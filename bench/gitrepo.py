"""Git for the throwaway repositories the benchmarks commit generated files into."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

IDENTITY = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
}


def git(repo: Path, *args: str, env: Mapping[str, str] | None = None) -> None:
    """``git -C repo ARGS`` as the bench identity, in ``env`` (default: this process's environment)."""
    environ = {**(os.environ if env is None else env), **IDENTITY}
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=environ)
