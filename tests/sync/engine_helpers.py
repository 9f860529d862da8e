"""Building blocks of the engine tests: a real Git repository with an app, and the app file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from gitops_guard.sync.app_spec import AppSpec, load_app
from gitops_guard.sync.git_source import GitCache
from tests.helpers import argo_app, git, write_files

# An Application syncPolicy that prunes (appended to the app file).
PRUNE = """\
  syncPolicy:
    automated: {prune: true}
"""


def flux_source(repo: Path) -> str:
    """A Flux GitRepository ``apps`` (in ``flux-system``) of the local repository ``repo``."""
    return f"""\
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {{name: apps, namespace: flux-system}}
spec:
  interval: 1m
  url: file://{repo}
  ref: {{branch: main}}
"""


class AppRepo:
    """A Git repository holding manifests under ``app/``, and an Argo CD Application for them."""

    def __init__(self, tmp: Path, namespace: str, *, name: str = "web", policy: str = "") -> None:
        self.tmp = tmp
        self.repo = tmp / "repo"
        self.repo.mkdir()
        git(self.repo, "init", "-q", "-b", "main")
        self.namespace = namespace
        self.name = name
        self.cache = GitCache(tmp / "cache")
        self.file = tmp / f"{name}-app.yaml"
        self.file.write_text(
            argo_app("app", name=name, namespace=namespace, repo=str(self.repo)) + policy, encoding="utf-8"
        )

    def commit(self, files: dict[str, str], message: str = "change", *, replace: bool = True) -> str:
        if replace:
            git(self.repo, "rm", "-r", "-q", "--ignore-unmatch", "app")
        write_files(self.repo, {f"app/{k}" if not k.startswith(".") else k: v for k, v in files.items()})
        git(self.repo, "add", "-A")
        git(self.repo, "commit", "-q", "--allow-empty", "-m", message)
        return git(self.repo, "rev-parse", "HEAD")

    def spec(self) -> AppSpec:
        return load_app(self.file)


def config_map(
    name: str, *, wave: int | None = None, data: dict[str, str] | None = None, **annotations: str
) -> str:
    meta: dict[str, Any] = {"name": name}
    notes = dict(annotations)
    if wave is not None:
        notes["argocd.argoproj.io/sync-wave"] = str(wave)
    if notes:
        meta["annotations"] = notes
    return yaml.safe_dump(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data or {"k": "v"}}
    )


def job(
    name: str, *, hook: str | None = None, policy: str | None = None, generate: bool = False, **spec: Any
) -> str:
    meta: dict[str, Any] = {"generateName": f"{name}-"} if generate else {"name": name}
    notes = {}
    if hook:
        notes["argocd.argoproj.io/hook"] = hook
    if policy:
        notes["argocd.argoproj.io/hook-delete-policy"] = policy
    if notes:
        meta["annotations"] = notes
    pod: dict[str, Any] = {
        "restartPolicy": "Never",
        "containers": [{"name": "main", "image": "example.com/job:1"}],
    }
    if spec.pop("unschedulable", False):
        pod["nodeSelector"] = {"gitops-guard.dev/no-such-node": "true"}
    body = {"backoffLimit": 0, "template": {"spec": pod}, **spec}
    return yaml.safe_dump({"apiVersion": "batch/v1", "kind": "Job", "metadata": meta, "spec": body})


def deployment(name: str, *, replicas: int = 2, wave: int | None = None) -> str:
    meta: dict[str, Any] = {"name": name}
    if wave is not None:
        meta["annotations"] = {"argocd.argoproj.io/sync-wave": str(wave)}
    return yaml.safe_dump(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": meta,
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": {"app": name}},
                "template": {
                    "metadata": {"labels": {"app": name}},
                    "spec": {
                        "containers": [
                            {
                                "name": "main",
                                "image": "example.com/app:1",
                                "resources": {"limits": {"cpu": "100m", "memory": "64Mi"}},
                                "securityContext": {"runAsNonRoot": True},
                            }
                        ]
                    },
                },
            },
        }
    )
