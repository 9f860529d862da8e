"""The render rules: ``render/failed`` and ``render/unresolved-variable``.

The render stage (``desired/stage.py``) reports them before any check runs; the render check
(``checks/render_check.py``) hands its findings to the run.  ``check/not-run``, shared with
the schema check, lives in :mod:`gitops_guard.rules`.
"""

from __future__ import annotations

from gitops_guard.findings import Severity
from gitops_guard.rules import Also, Rule

FAILED = Rule(
    "render/failed",
    Severity.ERROR,
    "A kustomization or local Helm chart that does not render (the objects under it are checked as written).",
    """
    `check` builds every kustomize root (a kustomization no other one includes)
    with the real kustomize and renders every local Helm chart with
    `helm template` and its default values; the rendered objects are what the
    other checks validate. A build error, a missing file, a template error or a
    timeout is reported here with the tool's own error line, at the entry that
    failed (the `resources`, `components`, `patches` or generator `files` entry,
    or the template's line and column), else at the kustomization.yaml or
    Chart.yaml; the files under it are then checked as they are.
    Remote bases, `helmCharts` and chart dependencies that are not vendored are
    never fetched: they are reported as not checked. Turn rendering off with
    `--no-render` or `render: false`.

    FAIL:
        # overlays/prod/kustomization.yaml
        resources:
          - ../../base
        patches:
          - path: replicas.yaml      # no such file

    PASS:
        # overlays/prod/kustomization.yaml
        resources:
          - ../../base
        patches:
          - path: replicas-patch.yaml
    """,
    when="the build fails on the repository's own files",
    also=(
        Also(
            Severity.WARNING,
            "it could not be checked: it needs what is never fetched (a remote base, `helmCharts`, a "
            "chart dependency missing from charts/), it timed out, or an Application's Helm "
            "options cannot be applied offline",
        ),
    ),
)


UNRESOLVED = Rule(
    "render/unresolved-variable",
    Severity.WARNING,
    "A Flux postBuild variable with no value in the repository (the fields that use it are not validated).",
    """
    A Flux Kustomization's `postBuild.substitute` and `substituteFrom` values are
    substituted into the objects under its path before they are checked, as
    kustomize-controller does (text first, then YAML: `replicas: ${REPLICAS}`
    becomes a number). A variable with no default whose ConfigMap or Secret is
    not in the repository (it exists only in the cluster) is left as written:
    the fields that use it are not validated, and the object is reported here
    once, as not checked. A Secret's values are never substituted (only its
    key names count as known).

    FAIL:
        # ks.yaml: postBuild.substituteFrom names ConfigMap cluster-settings,
        # which no file defines; app/deployment.yaml:
        spec:
          replicas: ${REPLICAS}

    PASS:
        # the same, with a default
        spec:
          replicas: ${REPLICAS:=2}
    """,
)
