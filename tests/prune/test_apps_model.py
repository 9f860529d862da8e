"""The deployer model: what each Application / Kustomization / ApplicationSet deploys from here."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops_guard.gitops.apps import IN_CLUSTER, Deployer, DeployerModel, Tool, build
from gitops_guard.gitops.repository import Repository, normalize_path, normalize_url
from gitops_guard.pipeline import CheckOptions
from gitops_guard.resources import from_files
from gitops_guard.source.load import load
from gitops_guard.source.walk import discover
from tests.conftest import CORPUS_DIR, require_corpus
from tests.helpers import write_files as write
from tests.prune.conftest import URL, app, cm, git_init, git_repository, ks, kustomization


def model_of(root: Path, files: dict[str, str] | None = None) -> DeployerModel:
    if files:
        write(root, files)
    candidates, _ = discover(["."], root)
    loaded = load(candidates, CheckOptions().limits)
    return build(
        list(from_files(loaded)), Repository.discover(root), abspaths={f.path: f.abspath for f in loaded}
    )


def by_name(model: DeployerModel) -> dict[str | None, Deployer]:
    return {d.name: d for d in model.deployers}


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://github.com/Org/Repo.git", "github.com/Org/Repo"),
        ("https://github.com/Org/Repo/", "github.com/Org/Repo"),
        ("git@github.com:Org/Repo.git", "github.com/Org/Repo"),
        ("ssh://git@github.com/Org/Repo", "github.com/Org/Repo"),
        ("ssh://git@GitHub.com:22/Org/Repo.git", "github.com/Org/Repo"),
        ("https://user@gitlab.example.com/group/sub/repo", "gitlab.example.com/group/sub/repo"),
    ],
)
def test_normalize_url(url: str, expected: str) -> None:
    assert normalize_url(url) == expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (".", "."),
        ("./", "."),
        ("", "."),
        ("./apps/a/", "apps/a"),
        ("/apps", "apps"),
        ("../x", None),
        ("a/../..", None),
    ],
)
def test_normalize_path(path: str, expected: str | None) -> None:
    assert normalize_path(path) == expected


def test_argo_sources_resolved_against_the_git_remote(tmp_path: Path) -> None:
    git_init(tmp_path, "git@github.com:example/gitops.git")  # another spelling of URL
    m = model_of(
        tmp_path,
        {
            "apps/a/cm.yaml": cm(),
            "argocd/local.yaml": app("local", "apps/a"),
            "argocd/missing.yaml": app("missing", "apps/nope"),
            "argocd/other.yaml": app("other", "apps/a", repo="https://github.com/someone/else"),
            "argocd/chart.yaml": app("chart", None, repo="https://charts.example.com", chart="redis"),
            "argocd/escape.yaml": app("escape", "../outside"),
        },
    )
    d = by_name(m)
    assert m.repo.root == tmp_path.resolve() and "github.com/example/gitops" in m.repo.urls
    assert d["local"].sources[0].directory == "apps/a"
    assert d["local"].destination.cluster == IN_CLUSTER and d["local"].prune
    missing = d["missing"].sources[0]
    assert missing.directory is None and not missing.remote and "does not exist" in missing.reason
    other = d["other"].sources[0]
    assert other.directory is None and other.remote and "another repository" in other.reason
    chart = d["chart"].sources[0]
    assert chart.directory is None and chart.remote and "redis" in chart.reason
    assert "leaves the repository" in d["escape"].sources[0].reason


def test_argo_without_remote_infers_from_existing_paths(tmp_path: Path) -> None:
    m = model_of(
        tmp_path,
        {
            "apps/a/cm.yaml": cm(),
            "argocd/a.yaml": app("a", "apps/a"),
            "argocd/typo.yaml": app("typo", "apps/b"),  # same repoURL: this repository, path missing
            "argocd/root.yaml": app("root", "."),
            "argocd/foreign.yaml": app("foreign", "deploy", repo="https://github.com/x/y"),
        },
    )
    d = by_name(m)
    assert d["a"].sources[0].directory == "apps/a"
    assert d["typo"].sources[0].directory is None and not d["typo"].sources[0].remote
    assert d["root"].sources[0].directory == "."
    assert d["foreign"].sources[0].remote


def test_multi_source_application(tmp_path: Path) -> None:
    text = f"""\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {{name: multi, namespace: argocd}}
spec:
  destination: {{name: prod, namespace: web}}
  sources:
    - repoURL: https://charts.example.com
      chart: web
      targetRevision: 1.2.3
      helm:
        valueFiles: [$values/values/web.yaml]
    - repoURL: {URL}
      ref: values
    - repoURL: {URL}
      path: apps/a
      directory: {{recurse: true, include: '*.yaml'}}
  syncPolicy:
    automated: {{prune: true, selfHeal: true}}
    syncOptions: [CreateNamespace=true]
"""
    m = model_of(tmp_path, {"apps/a/cm.yaml": cm(), "argocd/multi.yaml": text})
    d = by_name(m)["multi"]
    assert [s.at for s in d.sources] == [
        ("spec", "sources", 0),
        ("spec", "sources", 2),
    ]  # the ref source renders nothing
    assert d.sources[1].directory == "apps/a" and d.sources[1].recurse and d.sources[1].include == "*.yaml"
    assert d.destination.cluster == "cluster prod" and d.destination.namespace == "web"
    assert d.self_heal and d.sync_options == ("CreateNamespace=true",)


def test_flux_sources(tmp_path: Path) -> None:
    oci = (
        "apiVersion: source.toolkit.fluxcd.io/v1\nkind: OCIRepository\n"
        "metadata: {name: vendor, namespace: flux-system}\n"
        "spec: {url: 'oci://ghcr.io/vendor/manifests', interval: 1h}\n"
    )
    m = model_of(
        tmp_path,
        {
            "apps/a/cm.yaml": cm(),
            "clusters/prod/flux-system/gotk-sync.yaml": git_repository(),
            "clusters/prod/a.yaml": ks("a", "./apps/a", target_namespace="team"),
            "clusters/prod/root.yaml": ks("root", None),
            "clusters/prod/other.yaml": git_repository("other", "https://github.com/x/y")
            + "---\n"
            + ks("o", "./", source="other"),
            "clusters/prod/oci.yaml": oci
            + "---\n"
            + ks("v", "./", source="vendor", source_kind="OCIRepository"),
            "clusters/prod/undefined.yaml": ks("u", "./apps/a", source="nowhere"),
        },
    )
    d = by_name(m)
    assert d["a"].tool is Tool.FLUX and d["a"].sources[0].directory == "apps/a"
    assert d["a"].destination.namespace == "team" and d["a"].prune
    assert d["root"].sources[0].directory == "."
    assert d["o"].sources[0].remote and "another repository" in d["o"].sources[0].reason
    assert d["v"].sources[0].remote and "OCI artifact" in d["v"].sources[0].reason
    assert not d["u"].sources[0].remote and "not defined" in d["u"].sources[0].reason


def test_flux_system_without_a_committed_git_repository_is_this_repository(tmp_path: Path) -> None:
    m = model_of(tmp_path, {"apps/a/cm.yaml": cm(), "clusters/prod/a.yaml": ks("a", "./apps/a")})
    assert by_name(m)["a"].sources[0].directory == "apps/a"


def test_flux_external_artifact_through_an_artifact_generator(tmp_path: Path) -> None:
    generator = """\
apiVersion: source.extensions.fluxcd.io/v1beta1
kind: ArtifactGenerator
metadata: {name: gen, namespace: flux-system}
spec:
  sources:
    - {alias: repo, kind: GitRepository, name: flux-system}
  artifacts:
    - name: apps
      copy:
        - {from: "@repo/apps/base/**", to: "@artifact/base/"}
        - {from: "@repo/apps/prod/", to: "@artifact/prod/"}
"""
    m = model_of(
        tmp_path,
        {
            "apps/base/cm.yaml": cm(),
            "apps/prod/kustomization.yaml": kustomization("../base"),
            "clusters/prod/gen.yaml": generator,
            "clusters/prod/apps.yaml": ks("apps", "./prod", source="apps", source_kind="ExternalArtifact"),
            "clusters/prod/none.yaml": ks(
                "none", "./elsewhere", source="apps", source_kind="ExternalArtifact"
            ),
        },
    )
    d = by_name(m)
    assert d["apps"].sources[0].directory == "apps/prod"
    assert d["none"].sources[0].directory is None and "no copy operation" in d["none"].sources[0].reason


def test_footprints(tmp_path: Path) -> None:
    m = model_of(
        tmp_path,
        {
            "apps/top.yaml": cm("top"),
            "apps/notes.txt": "not a manifest",
            "apps/plain/cm.yaml": cm("plain"),
            "apps/kz/kustomization.yaml": kustomization("cm.yaml", "../../shared"),
            "apps/kz/cm.yaml": cm("kz"),
            "apps/kz/ignored.yaml": cm("ignored"),
            "shared/kustomization.yaml": kustomization("cm.yaml", "../apps/kz"),  # a cycle, followed once
            "shared/cm.yaml": cm("shared"),
            "clusters/prod/apps.yaml": ks("apps", "./apps"),
            "argocd/flat.yaml": app("flat", "apps"),
            "argocd/deep.yaml": app("deep", "apps", recurse=True),
        },
    )
    d = by_name(m)
    flux = m.footprint(d["apps"], d["apps"].sources[0])
    assert flux is not None and flux.renderer == "flux-generated"
    assert flux.files == {
        "apps/top.yaml",
        "apps/plain/cm.yaml",
        "apps/kz/kustomization.yaml",
        "apps/kz/cm.yaml",
        "shared/kustomization.yaml",
        "shared/cm.yaml",
    }
    assert flux.dirs == {"apps", "apps/plain", "apps/kz", "shared"}
    flat = m.footprint(d["flat"], d["flat"].sources[0])
    assert flat is not None and flat.files == {"apps/top.yaml"} and flat.dirs == {"apps"}
    deep = m.footprint(d["deep"], d["deep"].sources[0])
    assert deep is not None and "apps/kz/ignored.yaml" in deep.files and "apps/notes.txt" not in deep.files


def test_argo_include_exclude(tmp_path: Path) -> None:
    text = app("a", "apps").replace(
        "    path: 'apps'",
        "    path: 'apps'\n    directory:\n      include: '{one.yaml,two.yaml}'\n      exclude: 'two.yaml'",
    )
    m = model_of(
        tmp_path,
        {
            "apps/one.yaml": cm("1"),
            "apps/two.yaml": cm("2"),
            "apps/three.yaml": cm("3"),
            "argocd/a.yaml": text,
        },
    )
    d = by_name(m)["a"]
    fp = m.footprint(d, d.sources[0])
    assert fp is not None and fp.files == {"apps/one.yaml"}


def test_parents_and_trees(tmp_path: Path) -> None:
    m = model_of(
        tmp_path,
        {
            "apps/a/cm.yaml": cm(),
            "clusters/prod/flux-system/gotk-sync.yaml": git_repository()
            + "---\n"
            + ks("flux-system", "./clusters/prod"),
            "clusters/prod/a.yaml": ks("a", "./apps/a"),
            "argocd/root.yaml": app("root", "argocd/children"),
            "argocd/children/child.yaml": app("child", "apps/a"),
        },
    )
    d = by_name(m)
    assert m.manages_itself(d["flux-system"]) and m.parents(d["flux-system"]) == []
    assert [p.name for p in m.parents(d["a"])] == ["flux-system"]
    assert m.roots(d["a"]) == m.roots(d["flux-system"]) != m.roots(d["root"])
    assert [p.name for p in m.parents(d["child"])] == ["root"]
    assert m.roots(d["child"]) == m.roots(d["root"]) == frozenset({""})


def test_corpus_flux2_kustomize_helm_example() -> None:
    require_corpus()
    m = model_of(CORPUS_DIR / "repos" / "fluxcd__flux2-kustomize-helm-example")
    resolved = sorted((d.path, d.name, d.sources[0].directory) for d in m.deployers)
    # ExternalArtifacts built by each cluster's ArtifactGenerator from the flux-system GitRepository.
    assert resolved == [
        ("clusters/production/apps.yaml", "apps", "apps/production"),
        ("clusters/production/infrastructure.yaml", "infra-configs", "infrastructure/configs"),
        ("clusters/production/infrastructure.yaml", "infra-controllers", "infrastructure/controllers"),
        ("clusters/staging/apps.yaml", "apps", "apps/staging"),
        ("clusters/staging/infrastructure.yaml", "infra-configs", "infrastructure/configs"),
        ("clusters/staging/infrastructure.yaml", "infra-controllers", "infrastructure/controllers"),
    ]
    prod = next(d for d in m.deployers if d.path == "clusters/production/apps.yaml")
    fp = m.footprint(prod, prod.sources[0])
    assert fp is not None and fp.renderer == "kustomize"
    assert (
        "apps/base/podinfo/release.yaml" in fp.files and "apps/production/podinfo-values.yaml" not in fp.files
    )


def test_corpus_application_set_git_directories() -> None:
    require_corpus()
    m = model_of(CORPUS_DIR / "repos" / "christianh814__gitops-examples")
    generated = sorted(
        (d.name, d.sources[0].directory)
        for d in m.deployers
        if d.path == "applicationsets/git-dir-generator/appset-pricelist.yaml"
    )
    assert generated == [
        ("pricelist-config", "applicationsets/git-dir-generator/apps/pricelist-config"),
        ("pricelist-db", "applicationsets/git-dir-generator/apps/pricelist-db"),
        ("pricelist-frontend", "applicationsets/git-dir-generator/apps/pricelist-frontend"),
    ]
    child = next(d for d in m.deployers if d.path == "app-of-apps/apps/pricelist-config.yaml")
    assert [p.name for p in m.parents(child)] == ["pricelist-app"]  # the app of apps deploys its file


def test_corpus_home_ops_cluster_apps() -> None:
    require_corpus()
    m = model_of(CORPUS_DIR / "repos" / "onedr0p__home-ops")
    top = next(d for d in m.deployers if d.name == "cluster-apps")
    assert top.sources[0].directory == "kubernetes/apps"
    fp = m.footprint(top, top.sources[0])
    assert fp is not None and fp.renderer == "flux-generated"
    atuin = next(d for d in m.deployers if d.name == "atuin")
    assert atuin.sources[0].directory == "kubernetes/apps/default/atuin/app"
    assert [p.name for p in m.parents(atuin)] == ["cluster-apps"]
