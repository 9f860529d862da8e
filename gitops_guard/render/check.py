"""The ``render/failed`` rule and the check that reports what the render stage could not render.

Rendering happens before the checks run (its objects are what they check), so
this check only reports the stage's failures; ``check/not-run`` is shared with
the schema check and means the same here: a binary is missing, nothing was
rendered, and that is never a pass.
"""

from __future__ import annotations

from collections.abc import Iterator

from gitops_guard.checks.base import CheckContext
from gitops_guard.checks.schema_check import NOT_RUN
from gitops_guard.findings import Finding, Severity
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


class RenderCheck:
    name: str = "render"
    rules: tuple[Rule, ...] = (FAILED, UNRESOLVED, NOT_RUN)

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        yield from ctx.render_findings
