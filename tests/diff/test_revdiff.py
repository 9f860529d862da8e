"""`gitops-guard diff --base` and `check --base` on real Git repositories built in temp dirs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import require_tool
from tests.helpers import FLUX_SOURCE, committed_repo, flux_kustomization, git, run_cli
from tests.helpers import write_files as write


def _api_kustomization(*, prune: bool) -> str:
    return flux_kustomization("./apps/api", "  targetNamespace: api\n", name="api", prune=prune)


ARGO_APP = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: web
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://example.com/org/fleet.git
    path: apps/web
    targetRevision: main
  destination:
    server: https://kubernetes.default.svc
    namespace: web
  syncPolicy:
    automated: {}
"""
CM = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {name}
data:
  level: "{level}"
"""
SECRET = """\
apiVersion: v1
kind: Secret
metadata:
  name: creds
stringData:
  token: {value}
"""


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    require_tool("git")
    require_tool("kustomize")
    root = committed_repo(
        tmp_path / "fleet",
        {
            "clusters/prod/flux-system/gotk-sync.yaml": FLUX_SOURCE,
            "clusters/prod/api.yaml": _api_kustomization(prune=True),
            "clusters/prod/web.yaml": ARGO_APP,
            "apps/api/kustomization.yaml": "resources: [settings.yaml, extra.yaml]\n",
            "apps/api/settings.yaml": CM.format(name="settings", level="info"),
            "apps/api/extra.yaml": CM.format(name="extra", level="x"),
            "apps/web/cm.yaml": CM.format(name="web", level="info"),
            "apps/web/secret.yaml": SECRET.format(value="first-value-aaaa"),
        },
    )
    return root


def _diff(root: Path, *args: str) -> tuple[int, dict[str, object]]:
    proc = run_cli("diff", "--base", "HEAD", "--format", "json", *args, cwd=root)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def _changes(report: dict[str, object]) -> dict[str, list[tuple[str, str, bool]]]:
    out: dict[str, list[tuple[str, str, bool]]] = {}
    for g in report["groups"]:  # type: ignore[attr-defined]
        out[g["label"]] = [
            (c["action"], f"{c['object']['kind']}/{c['object']['name']}", c["pruned"]) for c in g["changes"]
        ]
    return out


def test_no_change_means_exit_0(fleet: Path) -> None:
    code, report = _diff(fleet)
    assert code == 0 and report["groups"] == []


def test_removed_file_is_pruned_and_update_is_shown(fleet: Path) -> None:
    (fleet / "apps/api/extra.yaml").unlink()
    write(fleet, {"apps/api/kustomization.yaml": "resources: [settings.yaml]\n"})
    write(fleet, {"apps/api/settings.yaml": CM.format(name="settings", level="debug")})
    code, report = _diff(fleet)
    assert code == 1
    assert _changes(report) == {
        "Flux Kustomization flux-system/api": [
            ("delete", "ConfigMap/extra", True),
            ("update", "ConfigMap/settings", False),
        ]
    }
    group = report["groups"][0]  # type: ignore[index]
    assert group["path"] == "clusters/prod/api.yaml" and group["line"] == 9  # the prune: line
    update = next(c for c in group["changes"] if c["action"] == "update")
    assert "-  level: info\n+  level: debug\n" in update["diff"]
    assert update["diff"].startswith("--- a/ConfigMap api/settings\n")  # targetNamespace applied


def test_only_touched_deployers_are_rendered(fleet: Path) -> None:
    write(fleet, {"apps/web/cm.yaml": CM.format(name="web", level="warn")})
    code, report = _diff(fleet)
    assert code == 1 and list(_changes(report)) == ["Argo CD Application argocd/web"]
    # the destination namespace is applied to namespaced objects without one
    assert report["groups"][0]["changes"][0]["diff"].startswith("--- a/ConfigMap web/web\n")  # type: ignore[index]


def test_secret_values_are_masked_but_changes_still_show(fleet: Path) -> None:
    write(fleet, {"apps/web/secret.yaml": SECRET.format(value="second-value-bbbb")})
    proc = run_cli("diff", "--base", "HEAD", cwd=fleet)
    assert proc.returncode == 1
    assert "first-value" not in proc.stdout and "second-value" not in proc.stdout
    assert "-  token: ++++++++" in proc.stdout and "+  token: ++++++++" in proc.stdout


def test_prune_off_lists_removals_as_left_behind(fleet: Path) -> None:
    write(fleet, {"clusters/prod/api.yaml": _api_kustomization(prune=False)})
    git(fleet, "commit", "-qam", "prune off")
    write(fleet, {"apps/api/kustomization.yaml": "resources: [settings.yaml]\n"})
    _code, report = _diff(fleet)
    assert _changes(report) == {"Flux Kustomization flux-system/api": [("delete", "ConfigMap/extra", False)]}
    text = run_cli("diff", "--base", "HEAD", cwd=fleet).stdout
    assert "remove ConfigMap api/extra (left in the cluster: prune is off)" in text


def test_between_two_commits_without_touching_the_worktree(fleet: Path) -> None:
    write(fleet, {"apps/api/kustomization.yaml": "resources: [settings.yaml]\n"})
    git(fleet, "commit", "-qam", "drop extra")
    write(fleet, {"apps/api/kustomization.yaml": "resources: []\n"})  # uncommitted, ignored with --head
    code, report = _diff(fleet, "--head", "HEAD")
    assert code == 0
    code, report = _diff(fleet, "--head", "HEAD", "--base", "HEAD~1")
    assert _changes(report) == {"Flux Kustomization flux-system/api": [("delete", "ConfigMap/extra", True)]}
    assert (fleet / "apps/api/kustomization.yaml").read_text() == "resources: []\n"


def test_render_failure_never_reports_deletions(fleet: Path) -> None:
    write(fleet, {"apps/api/kustomization.yaml": "resources: [settings.yaml, missing.yaml]\n"})
    _code, report = _diff(fleet)
    group = report["groups"][0]  # type: ignore[index]
    assert group["errors"] and "missing.yaml" in group["errors"][0]
    assert not [c for c in group["changes"] if c["action"] == "delete"]


def test_removed_deployer_with_prune_takes_its_objects(fleet: Path) -> None:
    (fleet / "clusters/prod/api.yaml").unlink()
    _code, report = _diff(fleet)
    group = next(g for g in report["groups"] if g["label"] == "Flux Kustomization flux-system/api")  # type: ignore[attr-defined]
    assert group["status"] == "removed"
    assert {(c["action"], c["pruned"]) for c in group["changes"]} == {("delete", True)}


def test_check_base_reports_removed_resources(fleet: Path) -> None:
    write(fleet, {"apps/api/kustomization.yaml": "resources: [settings.yaml]\n"})
    args = ("check", "--base", "HEAD", "--select", "prune/removed-resources", "--format", "json")
    proc = run_cli(*args, cwd=fleet)
    assert proc.returncode == 0, proc.stderr  # a warning: does not fail the default --fail-on error
    findings = json.loads(proc.stdout)["findings"]
    assert [(f["rule"], f["path"], f["line"], f["object"]["name"]) for f in findings] == [
        ("prune/removed-resources", "clusters/prod/api.yaml", 9, "extra")
    ]
    assert "automated prune" in findings[0]["message"]


def test_diff_usage_errors(fleet: Path) -> None:
    assert run_cli("diff", cwd=fleet).returncode == 2
    assert run_cli("diff", "--base", "no-such-rev", cwd=fleet).returncode == 2
    assert run_cli("diff", "--head", "HEAD", cwd=fleet).returncode == 2
    missing = run_cli("diff", "--base", "HEAD", "no/such/dir", cwd=fleet)
    assert missing.returncode == 2 and "no such file or directory: no/such/dir" in missing.stderr


def test_a_patch_file_is_part_of_its_deployer_not_an_object(fleet: Path) -> None:
    patch = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  level: warn\n"
    write(
        fleet,
        {
            "apps/api/kustomization.yaml": (
                "resources: [settings.yaml, extra.yaml]\npatches:\n  - path: patch.yaml\n"
            ),
            "apps/api/patch.yaml": patch,
        },
    )
    code, report = _diff(fleet)
    assert code == 1
    expected = [("update", "ConfigMap/settings", False)]
    assert _changes(report) == {"Flux Kustomization flux-system/api": expected}


def test_a_path_the_change_deleted_is_a_valid_scope(fleet: Path) -> None:
    (fleet / "apps/web/cm.yaml").unlink()
    (fleet / "apps/web/secret.yaml").unlink()
    code, report = _diff(fleet, "apps/web")
    assert code == 1 and list(_changes(report)) == ["Argo CD Application argocd/web"]


APP_OF_APPS_TEMPLATE = """\
{{- range .Values.apps }}
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: {{ . }}
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://example.com/org/fleet.git
    path: apps/{{ . }}
  destination:
    server: https://kubernetes.default.svc
    namespace: {{ . }}
  syncPolicy:
    automated: {prune: true}
{{- end }}
"""


def test_applications_rendered_by_an_app_of_apps_chart_are_diffed(fleet: Path) -> None:
    require_tool("helm")
    write(
        fleet,
        {
            "root/Chart.yaml": "apiVersion: v2\nname: root\nversion: 0.1.0\n",
            "root/values.yaml": "apps: [shop]\n",
            "root/templates/apps.yaml": APP_OF_APPS_TEMPLATE,
            "apps/shop/cm.yaml": CM.format(name="shop", level="info"),
        },
    )
    git(fleet, "add", ".")
    git(fleet, "commit", "-q", "-m", "app of apps")
    write(fleet, {"apps/shop/cm.yaml": CM.format(name="shop", level="debug")})
    code, report = _diff(fleet)
    assert code == 1
    assert _changes(report) == {"Argo CD Application argocd/shop": [("update", "ConfigMap/shop", False)]}


HELM_APP = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: shop
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://example.com/org/fleet.git
    path: charts/shop
    helm:
      releaseName: shop-prod
      valueFiles: [values-prod.yaml]
      parameters:
        - {name: tier, value: gold}
  destination:
    server: https://kubernetes.default.svc
    namespace: shop
  syncPolicy:
    automated: {prune: true}
"""
SHOP_TEMPLATE = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-settings
  namespace: {{ .Release.Namespace }}
data:
  replicas: "{{ .Values.replicas }}"
  tier: "{{ .Values.tier }}"
"""


def test_helm_source_uses_the_applications_values(fleet: Path) -> None:
    require_tool("helm")
    write(
        fleet,
        {
            "clusters/prod/shop.yaml": HELM_APP,
            "charts/shop/Chart.yaml": "apiVersion: v2\nname: shop\nversion: 0.1.0\n",
            "charts/shop/values.yaml": "replicas: 1\ntier: bronze\n",
            "charts/shop/values-prod.yaml": "replicas: 3\n",
            "charts/shop/templates/cm.yaml": SHOP_TEMPLATE,
        },
    )
    git(fleet, "add", ".")
    git(fleet, "commit", "-q", "-m", "shop")
    write(fleet, {"charts/shop/values-prod.yaml": "replicas: 5\n"})
    code, report = _diff(fleet)
    assert code == 1
    (change,) = report["groups"][0]["changes"]  # type: ignore[index]
    # release name, namespace, the env's values file and the parameters all applied
    expected = {"group": "", "kind": "ConfigMap", "namespace": "shop", "name": "shop-prod-settings"}
    assert change["object"] == expected
    assert "-  replicas: '3'\n+  replicas: '5'\n" in change["diff"]
    assert "tier: gold" in change["diff"]
