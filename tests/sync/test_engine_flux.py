"""Flux Kustomizations synced by the engine: targetNamespace, prune, ssa and prune annotations,
dependsOn order in one run, wait and healthChecks — against the dev cluster."""

from __future__ import annotations

import time
from pathlib import Path

from gitops_guard.cluster import Client
from gitops_guard.sync import engine
from gitops_guard.sync.git_source import GitCache
from tests.helpers import git, write_files
from tests.sync.engine_helpers import config_map, deployment, flux_source


def _repo(tmp: Path, files: dict[str, str]) -> Path:
    repo = tmp / "repo"
    if not repo.exists():
        repo.mkdir()
        git(repo, "init", "-q", "-b", "main")
    git(repo, "rm", "-r", "-q", "--ignore-unmatch", ".")
    write_files(repo, files)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", "change")
    return repo


def _flux_file(tmp: Path, repo: Path, namespace: str, body: str) -> Path:
    path = tmp / "clusters" / "flux.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(flux_source(repo) + body.replace("NS", namespace), encoding="utf-8")
    return path


ONE = """\
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: web, namespace: flux-system}
spec:
  interval: 10m
  path: ./web
  prune: true
  targetNamespace: NS
  sourceRef: {kind: GitRepository, name: apps}
"""


def test_flux_target_namespace_prune_and_annotations(
    client: Client, namespace: str, history_ns: str, tmp_path: Path
) -> None:
    files = {
        "web/a.yaml": config_map("plain"),
        "web/b.yaml": config_map("create-only", **{"kustomize.toolkit.fluxcd.io/ssa": "IfNotPresent"}),
        "web/c.yaml": config_map("never", **{"kustomize.toolkit.fluxcd.io/ssa": "Ignore"}),
        "web/d.yaml": config_map("sticky", **{"kustomize.toolkit.fluxcd.io/prune": "disabled"}),
    }
    repo = _repo(tmp_path, files)
    app = engine.load_app(_flux_file(tmp_path, repo, namespace, ONE))
    assert (app.name, app.prune, app.wait) == ("web", True, False)
    cache = GitCache(tmp_path / "cache")
    result = engine.sync_app(app, client, history_namespace=history_ns, cache=cache, timeout=60)
    assert result.status == "Synced", result.render()
    assert client.get("v1", "ConfigMap", "never", namespace) is None
    assert client.get("v1", "ConfigMap", "plain", namespace) is not None

    changed = {k: v.replace("k: v", "k: changed") for k, v in files.items() if not k.endswith("d.yaml")}
    _repo(tmp_path, changed)
    result = engine.sync_app(app, client, history_namespace=history_ns, cache=cache, timeout=60)
    assert result.status == "Synced", result.render()
    assert client.get("v1", "ConfigMap", "plain", namespace)["data"] == {"k": "changed"}  # type: ignore[index]
    assert client.get("v1", "ConfigMap", "create-only", namespace)["data"] == {"k": "v"}  # type: ignore[index]
    assert client.get("v1", "ConfigMap", "sticky", namespace) is not None  # prune: disabled


DEPENDS = """\
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: apps, namespace: flux-system}
spec:
  interval: 10m
  path: ./apps
  targetNamespace: NS
  dependsOn: [{name: infra}]
  sourceRef: {kind: GitRepository, name: apps}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: infra, namespace: flux-system}
spec:
  interval: 10m
  path: ./infra
  targetNamespace: NS
  wait: true
  timeout: 45s
  sourceRef: {kind: GitRepository, name: apps}
  healthChecks:
    - {apiVersion: apps/v1, kind: Deployment, name: db, namespace: NS}
"""


def test_depends_on_orders_the_apps_of_one_run_and_waits_for_health(
    client: Client, namespace: str, history_ns: str, tmp_path: Path
) -> None:
    repo = _repo(tmp_path, {"infra/db.yaml": deployment("db"), "apps/app.yaml": config_map("app")})
    apps = engine.load_apps(_flux_file(tmp_path, repo, namespace, DEPENDS))
    assert [a.name for a in apps] == ["infra", "apps"]
    assert apps[0].timeout == 45
    cache = GitCache(tmp_path / "cache")
    started = time.monotonic()
    results = [
        engine.sync_app(a, client, history_namespace=history_ns, cache=cache, timeout=60) for a in apps
    ]
    assert [r.status for r in results] == ["Synced", "Synced"], [r.render() for r in results]
    assert results[0].health == "Healthy"
    db = client.get("apps/v1", "Deployment", "db", namespace)
    assert db is not None and db["status"]["availableReplicas"] == 2
    app_cm = client.get("v1", "ConfigMap", "app", namespace)
    assert app_cm is not None
    available = next(c for c in db["status"]["conditions"] if c["type"] == "Available")
    assert available["lastTransitionTime"] <= app_cm["metadata"]["creationTimestamp"]  # after db's rollout
    assert time.monotonic() - started < 60


def test_a_failed_dependency_stops_its_dependents(
    client: Client, namespace: str, history_ns: str, tmp_path: Path
) -> None:
    broken = deployment("db").replace("replicas: 2", "replicas: 2\n  progressDeadlineSeconds: 1")
    broken = broken.replace(
        "containers:", "nodeSelector: {gitops-guard.dev/no-such-node: 'true'}\n      containers:"
    )
    repo = _repo(tmp_path, {"infra/db.yaml": broken, "apps/app.yaml": config_map("app")})
    apps = engine.load_apps(_flux_file(tmp_path, repo, namespace, DEPENDS.replace("45s", "8s")))
    results = engine.sync_apps(apps, client, history_namespace=history_ns, cache=GitCache(tmp_path / "cache"))
    assert [r.status for r in results] == ["Failed", "Failed"], [r.render() for r in results]
    assert "dependency flux-system/infra is not ready" in results[1].message
    assert client.get("v1", "ConfigMap", "app", namespace) is None
