"""End to end through the CLI: small Argo CD, Flux and ApplicationSet repositories."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import check_json, rules_at
from tests.helpers import write_files as write
from tests.prune.conftest import URL, app, cm, git_init, git_repository, ks, kustomization

PROJECT = """\
apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata:
  name: team
  namespace: argocd
spec:
  sourceRepos: ['*']
  destinations:
    - server: https://kubernetes.default.svc
      namespace: web
"""


def test_argo_app_of_apps(tmp_path: Path) -> None:
    git_init(tmp_path)
    write(
        tmp_path,
        {
            "apps/web/cm.yaml": cm("web"),
            "apps/api/cm.yaml": cm("api"),
            "argocd/root.yaml": app("root", "argocd/apps", namespace="argocd"),
            "argocd/apps/web.yaml": app("web", "apps/web", namespace="web"),
            "argocd/apps/web-legacy.yaml": app("web-legacy", "./apps/web/", namespace="web"),
            "argocd/apps/api.yaml": app("api", "apps/api", namespace="api", allow_empty=True),
            "argocd/apps/project.yaml": PROJECT,
        },
    )
    code, report = check_json("--select", "prune", cwd=tmp_path)
    assert code == 1  # overlapping-sources is an error
    assert rules_at(report) == [
        ("prune/allow-empty", "argocd/apps/api.yaml", 17, 19),
        ("prune/wildcard-project", "argocd/apps/project.yaml", 7, 17),
        ("prune/overlapping-sources", "argocd/apps/web.yaml", 10, 11),
    ]
    overlap = report["findings"][2]
    assert overlap["object"]["name"] == "web"
    assert "web-legacy" in overlap["message"] and "apps/web/cm.yaml" in overlap["message"]

    # Remove the duplicate and the empty-sync permission: the repository passes.
    (tmp_path / "argocd/apps/web-legacy.yaml").unlink()
    write(tmp_path, {"argocd/apps/api.yaml": app("api", "apps/api", namespace="api")})
    code, report = check_json("--select", "prune", "--ignore", "prune/wildcard-project", cwd=tmp_path)
    assert (code, report["findings"]) == (0, [])


def test_flux_bootstrap_layout(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "apps/web/cm.yaml": cm("web"),
            "apps/api/cm.yaml": cm("api"),
            "clusters/prod/flux-system/gotk-sync.yaml": git_repository(URL)
            + "---\n"
            + ks("flux-system", "./clusters/prod"),
            "clusters/prod/flux-system/kustomization.yaml": kustomization("gotk-sync.yaml"),
            "clusters/prod/apps.yaml": ks("apps", "./apps"),
            "clusters/prod/web.yaml": ks("web", "./apps/web"),
        },
    )
    code, report = check_json("--select", "prune", cwd=tmp_path)
    assert code == 1
    assert rules_at(report) == [
        ("prune/broad-scope", "clusters/prod/apps.yaml", 12, 9),
        ("prune/overlapping-sources", "clusters/prod/web.yaml", 12, 9),
    ]
    # A kustomization.yaml in apps/ that lists only api: the web Kustomization owns apps/web alone.
    write(tmp_path, {"apps/kustomization.yaml": kustomization("api/cm.yaml")})
    code, report = check_json("--select", "prune", cwd=tmp_path)
    assert (code, report["findings"]) == (0, [])


def test_application_set_git_generator(tmp_path: Path) -> None:
    appset = f"""\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: apps
  namespace: argocd
spec:
  goTemplate: true
  generators:
    - git:
        repoURL: {URL}
        revision: HEAD
        directories:
          - path: apps/*
  template:
    metadata:
      name: '{{{{ .path.basename }}}}'
    spec:
      project: default
      source:
        repoURL: {URL}
        path: '{{{{ .path.path }}}}'
      destination:
        server: https://kubernetes.default.svc
        namespace: apps
      syncPolicy:
        automated:
          prune: true
          allowEmpty: true
"""
    write(
        tmp_path,
        {
            "apps/web/cm.yaml": cm("web"),
            "apps/api/cm.yaml": cm("api"),
            "argocd/appset.yaml": appset,
            "argocd/web.yaml": app("web-by-hand", "apps/web", namespace="apps"),
        },
    )
    code, report = check_json("--select", "prune", cwd=tmp_path)
    assert code == 1
    assert rules_at(report) == [
        ("prune/allow-empty", "argocd/appset.yaml", 28, 23),
        ("prune/overlapping-sources", "argocd/web.yaml", 10, 11),
    ]
    allow_empty, overlap = report["findings"]
    assert "1 more like it" in allow_empty["message"]  # two generated Applications, one template line
    assert "from ApplicationSet argocd/apps" in overlap["message"]
