"""ApplicationSet expansion: the generators knowable offline, and honesty about the rest."""

from __future__ import annotations

from pathlib import Path

from gitops_guard.findings import Outcome
from tests.prune.conftest import URL, Prune, cm
from tests.prune.test_apps_model import model_of


def appset(
    generators: str, *, path: str = "'{{path}}'", name: str = "'{{path.basename}}'", go: bool = False
) -> str:
    return f"""\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: set
  namespace: argocd
spec:
{"  goTemplate: true" if go else ""}
  generators:
{generators}
  template:
    metadata:
      name: {name}
    spec:
      project: default
      source:
        repoURL: {URL}
        path: {path}
      destination:
        server: https://kubernetes.default.svc
        namespace: apps
      syncPolicy:
        automated: {{prune: true}}
"""


TREE = {
    "apps/web/cm.yaml": cm("web"),
    "apps/api/cm.yaml": cm("api"),
    "apps/legacy/cm.yaml": cm("legacy"),
    "apps/api/nested/cm.yaml": cm("nested"),
}
GIT_DIRS = f"""\
    - git:
        repoURL: {URL}
        revision: HEAD
        directories:
          - path: apps/*
          - path: apps/legacy
            exclude: true
"""


def generated(tmp_path: Path, files: dict[str, str]) -> list[tuple[str | None, str | None]]:
    m = model_of(tmp_path, files)
    return sorted((d.name, d.sources[0].directory) for d in m.deployers if d.generated_by)


def test_git_directories_with_exclude(tmp_path: Path) -> None:
    assert generated(tmp_path, {**TREE, "argocd/set.yaml": appset(GIT_DIRS)}) == [
        ("api", "apps/api"),
        ("web", "apps/web"),
    ]


def test_git_directories_double_star(tmp_path: Path) -> None:
    gens = GIT_DIRS.replace("apps/*\n", "apps/**\n")
    assert [n for n, _ in generated(tmp_path, {**TREE, "argocd/set.yaml": appset(gens)})] == [
        "api",
        "nested",
        "web",
    ]


def test_go_template_forms(tmp_path: Path) -> None:
    files = {
        **TREE,
        "argocd/set.yaml": appset(
            GIT_DIRS,
            go=True,
            path="'{{ .path.path }}'",
            name="'{{.path.basename}}-{{ index .path.segments 0 }}'",
        ),
    }
    assert generated(tmp_path, files) == [("api-apps", "apps/api"), ("web-apps", "apps/web")]


def test_go_template_functions_are_not_guessed(tmp_path: Path) -> None:
    files = {**TREE, "argocd/set.yaml": appset(GIT_DIRS, go=True, path="'{{ .path.path | lower }}'")}
    m = model_of(tmp_path, files)
    sources = [d.sources[0] for d in m.deployers]
    assert sources and all(s.directory is None and "templated" in s.reason for s in sources)


def test_list_generator(tmp_path: Path) -> None:
    gens = (
        "    - list:\n        elements:\n"
        "          - {app: web, env: {name: dev}}\n          - {app: api, env: {name: dev}}\n"
    )
    files = {**TREE, "argocd/set.yaml": appset(gens, path="'apps/{{app}}'", name="'{{app}}-{{env.name}}'")}
    assert generated(tmp_path, files) == [("api-dev", "apps/api"), ("web-dev", "apps/web")]


def test_matrix_of_git_and_list(tmp_path: Path) -> None:
    gens = (
        "    - matrix:\n        generators:\n"
        + "\n".join("      " + line for line in GIT_DIRS.splitlines())
        + "\n          - list:\n              elements: [{env: dev}, {env: prod}]\n"
    )
    files = {**TREE, "argocd/set.yaml": appset(gens, name="'{{path.basename}}-{{env}}'")}
    assert [n for n, _ in generated(tmp_path, files)] == ["api-dev", "api-prod", "web-dev", "web-prod"]


def test_merge_generator(tmp_path: Path) -> None:
    gens = (
        "    - merge:\n        mergeKeys: [app]\n        generators:\n"
        "          - list:\n              elements: [{app: web, ns: a}, {app: api, ns: a}]\n"
        "          - list:\n              elements: [{app: api, ns: b}]\n"
    )
    files = {**TREE, "argocd/set.yaml": appset(gens, path="'apps/{{app}}'", name="'{{app}}-{{ns}}'")}
    assert [n for n, _ in generated(tmp_path, files)] == ["api-b", "web-a"]


def test_git_files_generator(tmp_path: Path) -> None:
    gens = (
        f"    - git:\n        repoURL: {URL}\n        files:\n          - path: 'clusters/**/config.json'\n"
    )
    files = {
        **TREE,
        "clusters/dev/config.json": '{"cluster": {"name": "dev", "app": "web"}}',
        "clusters/prod/config.json": '{"cluster": {"name": "prod", "app": "api"}}',
        "argocd/set.yaml": appset(
            gens, path="'apps/{{cluster.app}}'", name="'{{cluster.name}}-{{path.basename}}'"
        ),
    }
    assert generated(tmp_path, files) == [("dev-dev", "apps/web"), ("prod-prod", "apps/api")]


def test_git_generator_of_another_repository_is_unresolved(tmp_path: Path) -> None:
    gens = GIT_DIRS.replace(URL, "https://github.com/someone/else")
    files = {**TREE, "argocd/set.yaml": appset(gens), "argocd/a.yaml": ""}
    m = model_of(tmp_path, files)
    # No remote, no other evidence, but the globs match here: taken as this repository.
    assert len([d for d in m.deployers if d.generated_by]) == 2
    gens_nomatch = gens.replace("apps/*", "deploy/*")
    m = model_of(tmp_path, {"argocd/set.yaml": appset(gens_nomatch)})
    assert m.unresolved and "not known to be this repository" in m.unresolved[0].reason


def test_cluster_generator_is_reported_not_guessed(prune: Prune) -> None:
    files = {**TREE, "argocd/set.yaml": appset("    - clusters: {}\n", path="apps/web")}
    found = prune(files)
    assert [(f.rule, f.line, f.outcome) for f in found] == [("prune/not-resolved", 9, Outcome.NOT_CHECKED)]
    assert "clusters generator" in found[0].message


def test_matrix_with_a_cluster_generator(prune: Prune) -> None:
    gens = (
        "    - matrix:\n        generators:\n"
        + "\n".join("      " + line for line in GIT_DIRS.splitlines())
        + "\n          - clusters: {selector: {matchLabels: {env: prod}}}\n"
    )
    found = prune({**TREE, "argocd/set.yaml": appset(gens)})
    assert [f.rule for f in found] == ["prune/not-resolved"]
    assert found[0].line == 18  # the clusters: entry inside the matrix


def test_generated_applications_overlap_with_a_plain_one(prune: Prune) -> None:
    from tests.prune.conftest import app

    files = {
        **TREE,
        "argocd/set.yaml": appset(GIT_DIRS),
        "argocd/web.yaml": app("web-too", "apps/web", namespace="apps"),
    }
    found = prune(files, select=("prune/overlapping-sources",))
    assert len(found) == 1
    assert "ApplicationSet argocd/set" in found[0].message
