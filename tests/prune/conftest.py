"""Small repositories written into a temporary directory and checked through the real pipeline."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from gitops_guard.findings import Finding
from tests.helpers import check_files

URL = "https://github.com/example/gitops.git"
IN_CLUSTER = "https://kubernetes.default.svc"

Prune = Callable[..., list[Finding]]


def git_init(root: Path, remote: str = URL) -> None:
    """A real git checkout whose origin is ``remote``: how the tool learns its own URL."""
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "remote", "add", "origin", remote], check=True)


@pytest.fixture
def prune(tmp_path: Path) -> Prune:
    """``prune({"path": "yaml"}, rules=[...])`` → prune findings (all prune rules by default)."""

    def run(files: dict[str, str], *, select: tuple[str, ...] = ("prune",)) -> list[Finding]:
        return check_files(tmp_path, files, select=list(select))

    return run


def cm(name: str = "settings") -> str:
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  a: b\n"


def app(
    name: str,
    path: str | None,
    *,
    repo: str = URL,
    prune: bool | None = True,
    automated: bool = True,
    allow_empty: bool | None = None,
    namespace: str | None = "default",
    server: str | None = IN_CLUSTER,
    cluster_name: str | None = None,
    recurse: bool = False,
    release: str | None = None,
    chart: str | None = None,
) -> str:
    src = [f"    repoURL: {repo}"]
    if path is not None:
        src.append(f"    path: {path!r}")
    if chart is not None:
        src.append(f"    chart: {chart}\n    targetRevision: 1.0.0")
    if recurse:
        src.append("    directory:\n      recurse: true")
    if release is not None:
        src.append(f"    helm:\n      releaseName: {release}")
    dest = []
    if server is not None:
        dest.append(f"    server: {server}")
    if cluster_name is not None:
        dest.append(f"    name: {cluster_name}")
    if namespace is not None:
        dest.append(f"    namespace: {namespace}")
    policy = ""
    if automated:
        auto = []
        if prune is not None:
            auto.append(f"      prune: {str(prune).lower()}")
        if allow_empty is not None:
            auto.append(f"      allowEmpty: {str(allow_empty).lower()}")
        policy = "  syncPolicy:\n    automated:" + ("\n" + "\n".join(auto) if auto else " {}") + "\n"
    return (
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n"
        f"  name: {name}\n  namespace: argocd\nspec:\n  project: default\n  source:\n"
        + "\n".join(src)
        + "\n  destination:\n"
        + "\n".join(dest)
        + "\n"
        + policy
    )


def ks(
    name: str,
    path: str | None,
    *,
    prune: bool = True,
    source: str = "flux-system",
    source_kind: str = "GitRepository",
    target_namespace: str | None = None,
    namespace: str = "flux-system",
) -> str:
    lines = [
        "apiVersion: kustomize.toolkit.fluxcd.io/v1",
        "kind: Kustomization",
        "metadata:",
        f"  name: {name}",
        f"  namespace: {namespace}",
        "spec:",
        "  interval: 10m",
        f"  prune: {str(prune).lower()}",
        "  sourceRef:",
        f"    kind: {source_kind}",
        f"    name: {source}",
    ]
    if path is not None:
        lines.append(f"  path: {path!r}")
    if target_namespace is not None:
        lines.append(f"  targetNamespace: {target_namespace}")
    return "\n".join(lines) + "\n"


def git_repository(name: str = "flux-system", url: str = URL, namespace: str = "flux-system") -> str:
    return (
        "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n"
        f"  name: {name}\n  namespace: {namespace}\nspec:\n  interval: 1m\n  url: {url}\n"
        "  ref:\n    branch: main\n"
    )


def kustomization(*resources: str) -> str:
    return "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n" + "".join(
        f"  - {r}\n" for r in resources
    )


def rules(findings: list[Finding]) -> list[str]:
    return sorted(f.rule for f in findings)
