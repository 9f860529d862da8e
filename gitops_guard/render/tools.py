"""Finding and running the render binaries (kustomize, helm) safely.

Every run is bounded by a timeout, gets no standard input, and is given a proxy
that points at a closed loopback port: a build that tries to fetch a remote base
or chart fails at once instead of hanging on the network.  Error text is reduced
to one sanitised line, because both tools can echo file contents (and so secret
values) in their messages.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

# A loopback port nothing listens on: connections are refused immediately.
_DEAD_PROXY = "http://127.0.0.1:9"
DEFAULT_TIMEOUT = 60.0
_MAX_MESSAGE = 300


@dataclass(frozen=True)
class RunResult:
    ok: bool
    stdout: str
    error: str  # the tool's raw stderr when not ok: pass it through error_line() before showing it
    timed_out: bool = False


def find_kustomize(cache_bin: Path | None) -> list[str] | None:
    """The pinned kustomize, else one on PATH, else ``kubectl kustomize`` (the same engine)."""
    found = _find("kustomize", cache_bin)
    if found:
        return [found]
    kubectl = _find("kubectl", cache_bin)
    return [kubectl, "kustomize"] if kubectl else None


def find_helm(cache_bin: Path | None) -> list[str] | None:
    found = _find("helm", cache_bin)
    return [found] if found else None


def _find(name: str, cache_bin: Path | None) -> str | None:
    if cache_bin is not None:
        pinned = cache_bin / name
        if pinned.is_file() and os.access(pinned, os.X_OK):
            return str(pinned)
    return shutil.which(name)


def offline_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    for key in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        env[key] = _DEAD_PROXY
    for key in ("NO_PROXY", "no_proxy"):
        env.pop(key, None)
    env["GIT_TERMINAL_PROMPT"] = "0"
    env["GIT_ASKPASS"] = "true"
    env["SSH_ASKPASS"] = "true"
    env["GIT_SSH_COMMAND"] = "false"
    if extra:
        env.update(extra)
    return env


def run(cmd: Sequence[str], *, cwd: Path, timeout: float, env: dict[str, str] | None = None) -> RunResult:
    try:
        proc = subprocess.run(
            list(cmd),
            cwd=cwd,
            capture_output=True,
            text=True,
            errors="replace",
            stdin=subprocess.DEVNULL,
            timeout=timeout,
            env=env if env is not None else offline_env(),
            check=False,
        )
    except subprocess.TimeoutExpired:
        return RunResult(False, "", f"did not finish within {timeout:g}s", timed_out=True)
    except OSError as exc:
        return RunResult(False, "", f"could not start {Path(cmd[0]).name}: {exc.strerror}")
    if proc.returncode != 0:
        return RunResult(False, "", proc.stderr.strip() or f"exit status {proc.returncode}")
    return RunResult(True, proc.stdout, "")


_BRACED = re.compile(r"\{[^{}]*\}|\[[^\[\]]*\]")
_QUOTED_LONG = re.compile(r"(['\"`])[^'\"`\n]{80,}\1")
_WS = re.compile(r"\s+")


def error_line(stderr: str) -> str:
    """The tool's error sentence, without anything that could be file content.

    kustomize and helm print ``Error: ...``; some messages embed a whole object as
    ``map[...]`` or ``{...}`` (which may hold Secret data): those groups are cut,
    innermost first, and long quoted strings too.
    """
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    picked = next((ln for ln in lines if ln.startswith("Error:")), lines[-1] if lines else "")
    text = picked.removeprefix("Error:").strip()
    for _ in range(20):
        cut = _BRACED.sub("…", text)
        if cut == text:
            break
        text = cut
    text = text.replace("map…", "…")
    text = _QUOTED_LONG.sub("…", text)
    text = _WS.sub(" ", text)
    if len(text) > _MAX_MESSAGE:
        text = text[: _MAX_MESSAGE - 1] + "…"
    return text
