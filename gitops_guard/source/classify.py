"""What a file is, decided from its path (cheap) before anything parses it.

Only ``MANIFEST`` files are Kubernetes objects to validate against schemas;
the other kinds are still YAML (syntax and, later, secret checks apply) but
are never reported as missing schemas.  Helm templates are not YAML at all
until rendered, so they are never parsed.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from pathlib import PurePosixPath


class FileKind(enum.StrEnum):
    MANIFEST = "manifest"
    HELM_TEMPLATE = "helm-template"
    HELM_VALUES = "helm-values"
    HELM_CHART = "helm-chart"
    KUSTOMIZATION = "kustomization"
    KUSTOMIZE_PATCH = "kustomize-patch"  # a fragment a kustomization.yaml patches with
    CI_CONFIG = "ci-config"
    TOOL_CONFIG = "tool-config"
    # Any other text file (.env, .tf, scripts, docs): never parsed, only scanned for secrets.
    TEXT = "text"


YAML_SUFFIXES = frozenset({".yaml", ".yml"})
SCANNED_SUFFIXES = YAML_SUFFIXES | {".json"}
# Never read at all: archives, images, fonts, compiled code (no text to scan).
BINARY_SUFFIXES = frozenset(
    {
        ".png", ".jpg", ".jpeg", ".gif", ".ico", ".webp", ".bmp", ".svgz", ".pdf", ".zip", ".gz",
        ".tgz", ".bz2", ".xz", ".zst", ".tar", ".jar", ".war", ".class", ".so", ".dylib", ".dll",
        ".exe", ".o", ".a", ".pyc", ".woff", ".woff2", ".ttf", ".otf", ".eot", ".mp3", ".mp4",
        ".mov", ".wasm", ".db", ".sqlite", ".age", ".gpg", ".asc", ".enc",
    }
)  # fmt: skip

_KUSTOMIZATION_NAMES = frozenset({"kustomization.yaml", "kustomization.yml", "Kustomization"})
_CHART_NAMES = frozenset({"Chart.yaml", "Chart.yml", "Chart.lock", "requirements.yaml", "requirements.lock"})
_CI_NAMES = frozenset(
    {
        ".gitlab-ci.yml",
        ".travis.yml",
        "azure-pipelines.yml",
        "bitbucket-pipelines.yml",
        "cloudbuild.yaml",
        ".drone.yml",
        "Jenkinsfile.yaml",
    }
)
_TOOL_NAMES = frozenset(
    {
        ".pre-commit-config.yaml",
        ".pre-commit-hooks.yaml",
        ".sops.yaml",
        ".fluxschema.yml",
        ".fluxschema.yaml",
        ".yamllint",
        ".yamllint.yaml",
        ".yamllint.yml",
        ".gitops-guard.yaml",
        ".gitops-guard.yml",
        "mkdocs.yml",
        "mkdocs.yaml",
        "docker-compose.yml",
        "docker-compose.yaml",
        "compose.yaml",
        "compose.yml",
        "renovate.json",
        ".renovaterc.json",
        "package.json",
        "package-lock.json",
        "tsconfig.json",
        "helmfile.yaml",
        "Taskfile.yaml",
        "Taskfile.yml",
        ".goreleaser.yaml",
        ".goreleaser.yml",
        "codecov.yml",
        ".golangci.yml",
        ".golangci.yaml",
        ".markdownlint.yaml",
        ".prettierrc.yaml",
        "dependabot.yml",
        ".kube-linter.yaml",
        ".ct.yaml",
        "ct.yaml",
        "chart-testing.yaml",
    }
)


def classify(path: str, *, is_chart_root: Callable[[int], bool] = lambda _: False) -> FileKind:
    """``path`` is `/`-separated; ``is_chart_root(n)`` tells whether the directory ``n`` levels
    above the file (1 = its own directory) holds a ``Chart.yaml``."""
    p = PurePosixPath(path)
    name = p.name
    parts = p.parts
    if name in _KUSTOMIZATION_NAMES:
        return FileKind.KUSTOMIZATION
    if name in _CHART_NAMES:
        return FileKind.HELM_CHART
    if p.suffix == ".tpl" or name == "NOTES.txt":
        return FileKind.HELM_TEMPLATE
    if p.suffix not in SCANNED_SUFFIXES:
        return FileKind.TEXT
    if ".github" in parts or name in _CI_NAMES or ".circleci" in parts or ".gitlab" in parts:
        return FileKind.CI_CONFIG
    if name in _TOOL_NAMES or name.startswith(".yamllint"):
        return FileKind.TOOL_CONFIG
    if _in_chart_templates(p, is_chart_root):
        return FileKind.HELM_TEMPLATE
    if _is_values_file(p):
        return FileKind.HELM_VALUES
    return FileKind.MANIFEST


def _in_chart_templates(p: PurePosixPath, is_chart_root: Callable[[int], bool]) -> bool:
    # A chart's crds/ is plain YAML (Helm does not template it); templates/ is not YAML.
    return any(parent.name == "templates" and is_chart_root(i + 2) for i, parent in enumerate(p.parents))


def _is_values_file(p: PurePosixPath) -> bool:
    name = p.stem
    return name == "values" or name.startswith(("values-", "values.", "values_"))
