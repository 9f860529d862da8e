"""The sync rules end to end: a small Argo CD + Flux repository, checked by the installed CLI."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import check_json, run_cli, write_files

REPO = {
    "apps/api/kustomization.yaml": "resources: [deploy.yaml, config.yaml, migrate.yaml]\nnamespace: api\n",
    "apps/api/deploy.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  annotations:
    argocd.argoproj.io/sync-wave: "1.0"
    argocd.argoproj.io/sync-options: Prune=False
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: api:1
          envFrom: [{configMapRef: {name: api-env}}]
""",
    "apps/api/config.yaml": """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: api-env
  annotations: {argocd.argoproj.io/sync-wave: "2"}
data: {LOG_LEVEL: info}
""",
    "apps/api/migrate.yaml": """\
apiVersion: batch/v1
kind: Job
metadata:
  generateName: migrate-
  annotations:
    argocd.argoproj.io/hook: Presync
    argocd.argoproj.io/hook-delete-policy: HookSucceeded
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: m, image: api:1}]
""",
    "clusters/prod/apps.yaml": """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: apps, namespace: flux-system}
spec:
  interval: 10m
  path: ./apps
  prune: true
  sourceRef: {kind: GitRepository, name: flux-system}
  dependsOn:
    - name: infra
    - name: monitoring
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: infra, namespace: flux-system}
spec:
  interval: 10m
  path: ./infra
  prune: true
  sourceRef: {kind: GitRepository, name: flux-system}
  dependsOn: [{name: apps}]
""",
}


def test_sync_rules_end_to_end(tmp_path: Path) -> None:
    write_files(tmp_path, REPO)
    code, report = check_json("--select", "sync", cwd=tmp_path)
    assert code == 1
    got = [(f["rule"], f["severity"], f["path"], f["line"]) for f in report["findings"]]
    assert got == [
        ("sync/invalid-wave", "error", "apps/api/deploy.yaml", 6),
        ("sync/invalid-option", "error", "apps/api/deploy.yaml", 7),
        ("sync/wave-order", "warning", "apps/api/deploy.yaml", 16),
        ("sync/invalid-hook", "error", "apps/api/migrate.yaml", 6),
        ("sync/depends-on-cycle", "error", "clusters/prod/apps.yaml", 10),
        ("sync/depends-on-missing", "warning", "clusters/prod/apps.yaml", 11),
    ]
    by_rule = {f["rule"]: f for f in report["findings"]}
    # the invalid wave means wave 0; the ConfigMap comes in wave 2
    assert (
        "(wave 0) uses ConfigMap api-env, which Argo CD applies later (wave 2"
        in by_rule["sync/wave-order"]["message"]
    )
    obj = by_rule["sync/wave-order"]["object"]
    assert (obj["kind"], obj["name"]) == ("Deployment", "api")
    assert (
        "flux-system/apps -> flux-system/infra -> flux-system/apps"
        in by_rule["sync/depends-on-cycle"]["message"]
    )
    assert "did you mean 'PreSync'?" in by_rule["sync/invalid-hook"]["message"]


def test_sync_rules_can_be_ignored_and_listed(tmp_path: Path) -> None:
    write_files(tmp_path, REPO)
    code, report = check_json(
        "--select", "sync", "--ignore", "sync/wave-order", "--fail-on", "never", cwd=tmp_path
    )
    assert code == 0
    assert "sync/wave-order" not in {f["rule"] for f in report["findings"]}
    listed = run_cli("rules", cwd=tmp_path)
    assert listed.returncode == 0
    for rule in (
        "invalid-wave",
        "invalid-hook",
        "invalid-option",
        "wave-order",
        "depends-on-cycle",
        "depends-on-missing",
    ):
        assert f"sync/{rule}" in listed.stdout


def test_pre_commit_style_run_resolves_the_rest_of_the_repository(tmp_path: Path) -> None:
    write_files(tmp_path, REPO)
    code, report = check_json("--select", "sync/depends-on-missing", "apps/api/deploy.yaml", cwd=tmp_path)
    assert (code, report["findings"]) == (0, [])
