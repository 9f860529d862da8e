"""Small helpers shared by tests: write a small repository, check it through the real
pipeline or the real CLI, and read the JSON report."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from gitops_guard.findings import Finding
from gitops_guard.pipeline import CheckOptions, run_check


def run_cli(
    *args: str, cwd: Path, timeout: float = 120, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The installed entry point, as a user runs it (``python -m gitops_guard``)."""
    return subprocess.run(
        [sys.executable, "-m", "gitops_guard", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )


def check_json(*args: str, cwd: Path, timeout: float = 120) -> tuple[int, dict[str, Any]]:
    proc = run_cli("check", "--format", "json", *args, cwd=cwd, timeout=timeout)
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def rules_at(report: dict[str, Any]) -> list[tuple[str, str, int | None, int | None]]:
    return [(f["rule"], f["path"], f["line"], f["column"]) for f in report["findings"]]


def write_files(root: Path, files: dict[str, str]) -> None:
    """Write ``{"relative/path": "text"}`` under ``root``, creating directories."""
    for name, text in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)


def check_files(root: Path, files: dict[str, str], **options: Any) -> list[Finding]:
    """Write ``files`` under ``root`` and run the real pipeline over it.

    ``options`` are :class:`CheckOptions` fields; ``paths`` defaults to the whole directory.
    """
    write_files(root, files)
    options.setdefault("paths", ["."])
    return list(run_check(CheckOptions(**options), root).findings)


def git(repo: Path, *args: str) -> str:
    """The real git in ``repo`` with a fixed identity and no user configuration."""
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "HOME": str(repo),
        "PATH": "/usr/bin:/bin:/usr/local/bin",
    }
    argv = ["git", "-C", str(repo), *args]
    return subprocess.run(argv, capture_output=True, text=True, env=env, check=True).stdout.strip()


FLEET_URL = "https://example.com/org/fleet.git"
# The Flux GitRepository ``flux-system`` of the fleet repository, as a manifest file's text.
FLUX_SOURCE = f"""\
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: flux-system
  namespace: flux-system
spec:
  interval: 1m
  url: {FLEET_URL}
  ref: {{branch: main}}
"""


def argo_app(
    path: str, *, name: str = "web", namespace: str = "web", extra: str = "", repo: str = FLEET_URL
) -> str:
    """An Argo CD Application ``name`` of ``path`` in ``repo`` into ``namespace``; ``extra``: lines
    placed after the source (more source fields, or spec fields)."""
    return f"""\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: {name}
  namespace: argocd
spec:
  project: default
  source:
    repoURL: {repo}
    path: {path}
    targetRevision: main
{extra}  destination:
    server: https://kubernetes.default.svc
    namespace: {namespace}
"""


def flux_kustomization(path: str, spec: str = "", *, name: str = "apps", prune: bool = True) -> str:
    """A Flux Kustomization ``name`` building ``path`` of ``flux-system``; ``spec``: more spec lines."""
    return f"""\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: {name}
  namespace: flux-system
spec:
  interval: 10m
  path: {path}
  prune: {"true" if prune else "false"}
  sourceRef:
    kind: GitRepository
    name: flux-system
{spec}"""


def committed_repo(root: Path, files: dict[str, str], message: str = "base") -> Path:
    """A new Git repository at ``root`` whose first commit holds ``files``."""
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    write_files(root, files)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)
    return root


def deployment(*, image: str = "api:1", replicas: int = 1, namespace: str | None = None) -> str:
    """A small valid Deployment named ``api``, as a manifest file's text."""
    ns = f"  namespace: {namespace}\n" if namespace else ""
    return (
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n{ns}spec:\n"
        f"  replicas: {replicas}\n  selector:\n    matchLabels: {{app: api}}\n  template:\n"
        "    metadata:\n      labels: {app: api}\n    spec:\n      containers:\n"
        f"        - name: api\n          image: {image}\n"
    )
