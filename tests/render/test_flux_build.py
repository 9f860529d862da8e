"""Objects as a Flux Kustomization applies them (real kustomize): each transform with its
neighbouring negative, and findings mapped to the source lines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gitops_guard.desired.stage import render
from gitops_guard.findings import Finding, Outcome, Severity
from gitops_guard.pipeline import CheckOptions, settings_for
from gitops_guard.resources import Resource, from_files
from gitops_guard.source.limits import Limits
from gitops_guard.source.load import load
from gitops_guard.source.walk import discover
from tests.conftest import ToolFinder
from tests.helpers import deployment, write_files
from tests.render.conftest import Renderer

DEPLOY = deployment(image="ghcr.io/acme/api:1.0")
ROLE = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: reader\nrules: []\n"
CHILD = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: child
  namespace: flux-system
spec:
  path: ./elsewhere
  sourceRef:
    kind: GitRepository
    name: flux-system
"""
APPS = {"apps/kustomization.yaml": "resources:\n  - deploy.yaml\n", "apps/deploy.yaml": DEPLOY}


def parent(spec: str, *, path: str = "./apps", source: str = "GitRepository") -> str:
    """A Flux Kustomization applying ``path`` from this repository, with extra spec lines."""
    return (
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n"
        f"  namespace: flux-system\nspec:\n  interval: 10m\n  prune: true\n  path: {path}\n"
        f"  sourceRef:\n    kind: {source}\n    name: flux-system\n{spec}"
    )


DEFAULTS = """\
  patches:
    - patch: |-
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: _
        spec:
          interval: 30m
          prune: true
      target:
        group: kustomize.toolkit.fluxcd.io
        kind: {kind}
"""


@pytest.fixture
def rendered(tmp_path: Path, tool: ToolFinder) -> Any:
    """``rendered(files)`` → the run's objects after the render stage (real kustomize)."""
    tool("kustomize")

    def run(files: dict[str, str]) -> dict[tuple[str, str | None], Resource]:
        write_files(tmp_path, files)
        candidates, _ = discover(["."], tmp_path)
        loaded = load(candidates, Limits())
        out = render(loaded, list(from_files(loaded)), settings_for(CheckOptions(), tmp_path))
        return {(r.kind, r.ref.name): r for r in out.resources}

    return run


def _schema(findings: list[Finding]) -> list[tuple[str, int | None, str]]:
    return [(f.path, f.line, f.message) for f in findings if f.rule == "schema/violation"]


# --- patches ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "violations"), [("Kustomization", 0), ("HelmRelease", 2)])
def test_parent_patch_sets_child_fields(render_check: Renderer, kind: str, violations: int) -> None:
    files = {
        "clusters/ks.yaml": parent(DEFAULTS.replace("{kind}", kind)),
        "apps/kustomization.yaml": "resources:\n  - child.yaml\n",
        "apps/child.yaml": CHILD,
    }
    found = _schema(render_check(files, select=["schema"]))
    assert len(found) == violations
    if violations:  # the patch does not select the child: its missing fields are real
        assert {m for _, _, m in found} == {
            "spec: missing required field 'interval'",
            "spec: missing required field 'prune'",
        }
        assert {(p, line) for p, line, _ in found} == {("apps/child.yaml", 7)}


def test_parent_without_kustomization_file_still_patches(render_check: Renderer) -> None:
    # No kustomization.yaml under the path: Flux generates one listing the YAML files.
    files = {
        "clusters/ks.yaml": parent(DEFAULTS.replace("{kind}", "Kustomization")),
        "apps/child.yaml": CHILD,
    }
    assert _schema(render_check(files, select=["schema"])) == []


@pytest.mark.parametrize(("name", "hit"), [("ap.*", True), ("other", False)])
def test_patch_target_name_is_a_regex(rendered: Any, name: str, hit: bool) -> None:
    spec = (
        "  patches:\n    - patch: |-\n        apiVersion: apps/v1\n        kind: Deployment\n"
        "        metadata:\n          name: _\n        spec:\n          replicas: 4\n"
        f"      target:\n        kind: Deployment\n        name: {name}\n"
    )
    objs = rendered({"clusters/ks.yaml": parent(spec), **APPS})
    assert objs[("Deployment", "api")].body["spec"]["replicas"] == (4 if hit else 1)


def test_strategic_patch_without_target_selects_by_name(rendered: Any) -> None:
    spec = (
        "  patches:\n    - patch: |-\n        apiVersion: apps/v1\n        kind: Deployment\n"
        "        metadata:\n          name: api\n        spec:\n          replicas: 5\n"
    )
    objs = rendered({"clusters/ks.yaml": parent(spec), **APPS})
    assert objs[("Deployment", "api")].body["spec"]["replicas"] == 5


@pytest.mark.parametrize(("kind", "violations"), [("Deployment", 1), ("StatefulSet", 0)])
def test_json6902_patch_is_reported_inside_the_inline_patch(
    render_check: Renderer, kind: str, violations: int
) -> None:
    spec = (
        "  patches:\n    - patch: |-\n        - op: add\n          path: /spec/template/spec/hostNetwork\n"
        f"          value: nope\n      target:\n        kind: {kind}\n"
    )
    found = _schema(render_check({"clusters/ks.yaml": parent(spec), **APPS}, select=["schema"]))
    assert len(found) == violations
    if violations:
        # line 17 of clusters/ks.yaml is `value: nope` inside the block scalar
        assert found[0][:2] == ("clusters/ks.yaml", 17)
        assert found[0][2].startswith("spec.template.spec.hostNetwork")


def test_strategic_patch_error_points_at_the_patch_line(render_check: Renderer) -> None:
    spec = (
        "  patches:\n    - patch: |-\n        apiVersion: apps/v1\n        kind: Deployment\n"
        "        metadata:\n          name: api\n        spec:\n          replicas: three\n"
    )
    [f] = render_check({"clusters/ks.yaml": parent(spec), **APPS}, select=["schema"])
    assert (f.rule, f.path, f.line, f.column) == ("schema/violation", "clusters/ks.yaml", 20, 21)


def test_a_violation_in_the_source_stays_at_the_source_line(render_check: Renderer) -> None:
    broken = DEPLOY.replace("  replicas: 1\n", "  replicas: 1\n  paused: maybe\n")
    files = {"clusters/ks.yaml": parent("  targetNamespace: prod\n"), **APPS, "apps/deploy.yaml": broken}
    [f] = render_check(files, select=["schema"])
    assert (f.path, f.line) == ("apps/deploy.yaml", 7)
    assert f.object is not None and f.object.namespace == "prod"


# --- namespace, names, metadata, images -------------------------------------------------------


def test_target_namespace_only_on_namespaced_kinds(rendered: Any) -> None:
    files = {
        "clusters/ks.yaml": parent("  targetNamespace: prod\n"),
        "apps/kustomization.yaml": "resources:\n  - deploy.yaml\n  - role.yaml\n",
        "apps/deploy.yaml": DEPLOY,
        "apps/role.yaml": ROLE,
    }
    objs = rendered(files)
    assert objs[("Deployment", "api")].ref.namespace == "prod"
    assert objs[("ClusterRole", "reader")].ref.namespace is None


def test_target_namespace_on_a_generated_kustomization(rendered: Any) -> None:
    files = {"clusters/ks.yaml": parent("  targetNamespace: prod\n"), "apps/deploy.yaml": DEPLOY}
    assert rendered(files)[("Deployment", "api")].ref.namespace == "prod"


def test_without_transforms_objects_stay_as_built(rendered: Any) -> None:
    objs = rendered({"clusters/ks.yaml": parent(""), **APPS})
    assert objs[("Deployment", "api")].ref.namespace is None


def test_name_prefix_and_suffix(rendered: Any) -> None:
    objs = rendered({"clusters/ks.yaml": parent("  namePrefix: a-\n  nameSuffix: -z\n"), **APPS})
    assert ("Deployment", "a-api-z") in objs and ("Deployment", "api") not in objs
    # still mapped to its source file
    assert objs[("Deployment", "a-api-z")].path == "apps/deploy.yaml"


def test_common_metadata_goes_on_metadata_not_selectors(rendered: Any) -> None:
    spec = "  commonMetadata:\n    labels: {team: web}\n    annotations: {owner: ops}\n"
    body = rendered({"clusters/ks.yaml": parent(spec), **APPS})[("Deployment", "api")].body
    assert body["metadata"]["labels"] == {"team": "web"}
    assert body["metadata"]["annotations"] == {"owner": "ops"}
    assert body["spec"]["selector"] == {"matchLabels": {"app": "api"}}


@pytest.mark.parametrize(
    ("name", "image"), [("ghcr.io/acme/api", "ghcr.io/acme/api:2.0"), ("other", "ghcr.io/acme/api:1.0")]
)
def test_images(rendered: Any, name: str, image: str) -> None:
    spec = f"  images:\n    - name: {name}\n      newTag: '2.0'\n"
    body = rendered({"clusters/ks.yaml": parent(spec), **APPS})[("Deployment", "api")].body
    assert body["spec"]["template"]["spec"]["containers"][0]["image"] == image


# --- postBuild substitution -------------------------------------------------------------------

VARS_DEPLOY = DEPLOY.replace("replicas: 1", "replicas: ${REPLICAS}")


@pytest.mark.parametrize(("value", "violations"), [("'3'", 0), ("two", 1)])
def test_substituted_value_is_parsed_as_yaml(render_check: Renderer, value: str, violations: int) -> None:
    spec = f"  postBuild:\n    substitute:\n      REPLICAS: {value}\n"
    files = {"clusters/ks.yaml": parent(spec), **APPS, "apps/deploy.yaml": VARS_DEPLOY}
    found = _schema(render_check(files, select=["schema", "render"]))
    assert len(found) == violations
    if violations:
        assert found[0][:2] == ("apps/deploy.yaml", 6)  # the line that holds ${REPLICAS}


def test_substitute_default(rendered: Any) -> None:
    files = {
        "clusters/ks.yaml": parent("  postBuild:\n    substitute:\n      APP: api\n"),
        **APPS,
        "apps/deploy.yaml": DEPLOY.replace("replicas: 1", "replicas: ${REPLICAS:=2}"),
    }
    assert rendered(files)[("Deployment", "api")].body["spec"]["replicas"] == 2


CONFIG = (
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: flux-system\n"
    "data:\n  REPLICAS: '3'\n"
)
SECRET = (
    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\n  namespace: flux-system\n"
    "stringData:\n  TOKEN: s3cr3t-value\n"
)
FROM = (
    "  postBuild:\n    substituteFrom:\n      - kind: ConfigMap\n        name: settings\n"
    "      - kind: Secret\n        name: creds\n"
)


def test_substitute_from_repository_configmap_and_secret(render_check: Renderer, rendered: Any) -> None:
    deploy = VARS_DEPLOY.replace(
        "image: ghcr.io/acme/api:1.0", "image: ghcr.io/acme/api:1.0\n          args: ['${TOKEN}']"
    )
    files = {
        "clusters/ks.yaml": parent(FROM),
        "clusters/settings.yaml": CONFIG,
        "clusters/creds.yaml": SECRET,
        **APPS,
        "apps/deploy.yaml": deploy,
    }
    body = rendered(files)[("Deployment", "api")].body
    assert body["spec"]["replicas"] == 3  # from the ConfigMap
    # A Secret's value never enters an object; its name counts as known (no note).
    assert body["spec"]["template"]["spec"]["containers"][0]["args"] == ["${TOKEN}"]
    found = render_check(files, select=["schema", "render"])
    assert [f for f in found if f.rule in ("schema/violation", "render/unresolved-variable")] == []


@pytest.mark.parametrize("missing", ["settings", "creds"])
def test_unresolved_variable_is_a_not_checked_note(render_check: Renderer, missing: str) -> None:
    files = {
        "clusters/ks.yaml": parent(FROM),
        "clusters/settings.yaml": CONFIG,
        "clusters/creds.yaml": SECRET,
        **APPS,
        "apps/deploy.yaml": VARS_DEPLOY.replace(
            "replicas: ${REPLICAS}", "replicas: ${REPLICAS}\n  paused: ${TOKEN}"
        ),
    }
    del files["clusters/settings.yaml" if missing == "settings" else "clusters/creds.yaml"]
    found = render_check(files, select=["schema", "render"])
    [note] = [f for f in found if f.rule == "render/unresolved-variable"]
    assert (note.path, note.severity, note.outcome) == (
        "apps/deploy.yaml",
        Severity.WARNING,
        Outcome.NOT_CHECKED,
    )
    assert ("REPLICAS" if missing == "settings" else "TOKEN") in note.message
    assert _schema(found) == []  # the unresolved field is not validated, never a schema error


def test_disabled_substitution(rendered: Any) -> None:
    deploy = VARS_DEPLOY.replace(
        "  name: api\n",
        "  name: api\n  annotations:\n    kustomize.toolkit.fluxcd.io/substitute: disabled\n",
        1,
    )
    files = {
        "clusters/ks.yaml": parent("  postBuild:\n    substitute:\n      REPLICAS: '3'\n"),
        **APPS,
        "apps/deploy.yaml": deploy,
    }
    assert rendered(files)[("Deployment", "api")].body["spec"]["replicas"] == "${REPLICAS}"


# --- sources that are artifacts, and children nothing applies ---------------------------------


@pytest.mark.parametrize(("path", "violations"), [("./apps", 0), ("./nowhere", 2)])
def test_oci_artifact_is_taken_to_hold_the_directory_above(
    render_check: Renderer, path: str, violations: int
) -> None:
    # `flux push artifact --path=kubernetes`: the cluster's Kustomization names paths inside it.
    files = {
        "kubernetes/clusters/c1/ks.yaml": parent(
            DEFAULTS.replace("{kind}", "Kustomization"), path=path, source="OCIRepository"
        ),
        "kubernetes/apps/kustomization.yaml": "resources:\n  - child.yaml\n",
        "kubernetes/apps/child.yaml": CHILD,
    }
    assert len(_schema(render_check(files, select=["schema"]))) == violations


@pytest.mark.parametrize(
    ("where", "violations"), [("kubernetes/apps/off/child.yaml", 0), ("archive/child.yaml", 2)]
)
def test_child_nothing_applies_gets_the_parents_defaults(
    render_check: Renderer, where: str, violations: int
) -> None:
    # A child commented out of the list is still patched when switched back on; one outside
    # the parent's source root (not in the artifact) is checked as written.
    files = {
        "kubernetes/clusters/c1/ks.yaml": parent(
            DEFAULTS.replace("{kind}", "Kustomization"), source="OCIRepository"
        ),
        "kubernetes/apps/kustomization.yaml": "resources:\n  - child.yaml\n",
        "kubernetes/apps/child.yaml": CHILD,
        where: CHILD.replace("name: child", "name: switched-off"),
    }
    assert len(_schema(render_check(files, select=["schema"]))) == violations


def test_hook_run_on_a_plain_file_builds_nothing_for_flux(render_check: Renderer) -> None:
    files = {"clusters/ks.yaml": parent("  targetNamespace: prod\n"), **APPS, "other/cm.yaml": CONFIG}
    assert render_check(files, paths=["other/cm.yaml"], select=["schema", "render"]) == []


@pytest.mark.parametrize(("kind", "violations"), [("Kustomization", 0), ("HelmRelease", 2)])
def test_hook_run_on_a_child_finds_the_parent_in_another_file(
    render_check: Renderer, kind: str, violations: int
) -> None:
    # pre-commit names only the child: the parent that patches it is read from the repository.
    files = {
        "clusters/ks.yaml": parent(DEFAULTS.replace("{kind}", kind)),
        "apps/kustomization.yaml": "resources:\n  - child.yaml\n",
        "apps/child.yaml": CHILD,
    }
    found = render_check(files, paths=["apps/child.yaml"], select=["schema", "render"])
    assert len(_schema(found)) == violations
    assert {f.path for f in found} <= {"apps/child.yaml"}  # nothing reported on the parent's file


@pytest.mark.parametrize(
    "patch",
    [
        "  patches:\n    - patch: '{not: yaml'\n      target: {kind: Deployment}\n",
        '  patches:\n    - patch: \'[{"op": "remove", "path": "/spec/nothing"}]\'\n'
        "      target: {kind: Deployment}\n",
    ],
)
def test_a_patch_kustomize_refuses_is_not_checked_and_files_stay_as_written(
    render_check: Renderer, patch: str
) -> None:
    [f] = render_check({"clusters/ks.yaml": parent(patch), **APPS}, select=["schema", "render"])
    assert (f.rule, f.path, f.severity, f.outcome) == (
        "render/failed",
        "clusters/ks.yaml",
        Severity.WARNING,
        Outcome.NOT_CHECKED,
    )
    assert f.line == 9  # spec.path
    assert "Traceback" not in f.message


COMPONENT = {
    "components/backup/kustomization.yaml": (
        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n  - pvc.yaml\n"
    ),
    "components/backup/pvc.yaml": (
        "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: ${APP}\nspec:\n"
        "  accessModes: ['${MODE:=ReadWriteOnce}']\n"
        "  resources:\n    requests:\n      storage: ${SIZE:=1Gi}\n"
    ),
}


@pytest.mark.parametrize("with_component", [True, False])
def test_components_are_relative_to_the_path(rendered: Any, with_component: bool) -> None:
    spec = "  postBuild:\n    substitute:\n      APP: api\n"
    if with_component:
        spec = "  components:\n    - ../components/backup\n" + spec
    objs = rendered({"clusters/ks.yaml": parent(spec), **APPS, **COMPONENT})
    if with_component:  # the component's object, as the Kustomization applies it
        pvc = objs[("PersistentVolumeClaim", "api")]
        assert pvc.body["spec"]["accessModes"] == ["ReadWriteOnce"]
        assert pvc.path == "components/backup/pvc.yaml"
    else:  # a component no one uses stays as written
        assert ("PersistentVolumeClaim", "api") not in objs
        assert ("PersistentVolumeClaim", "${APP}") in objs
