"""Truth table for schema/incomplete-object: object-shaped documents without apiVersion or kind."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops_guard.checks.shape_check import shape_of
from gitops_guard.findings import Severity
from tests.checks.conftest import Checker
from tests.helpers import check_files

RULE = "schema/incomplete-object"
SELECT = {"select": [RULE]}

DEPLOYMENT_TAIL = "kind: Deployment\nmetadata:\n  name: api\nspec:\n  replicas: 1\n"


def found(check: Checker, text: str, name: str = "app.yaml") -> list[tuple[int | None, str]]:
    return [(f.line, f.message) for f in check({name: text}, **SELECT)]


@pytest.mark.parametrize(
    ("text", "line", "hint"),
    [
        # a miscased or misspelt apiVersion, pointed at where it is written
        (
            "apiversion: apps/v1\n" + DEPLOYMENT_TAIL,
            1,
            "the key is written 'apiversion' (did you mean apiVersion?)",
        ),
        ("api_version: apps/v1\n" + DEPLOYMENT_TAIL, 1, "did you mean apiVersion?"),
        ("ApiVersion: apps/v1\n" + DEPLOYMENT_TAIL, 1, "did you mean apiVersion?"),
        ("apiVerison: apps/v1\n" + DEPLOYMENT_TAIL, 1, "did you mean apiVersion?"),
        (DEPLOYMENT_TAIL + "apiversion: apps/v1\n", 6, "did you mean apiVersion?"),
        # a misspelt kind
        (
            "apiVersion: v1\nKind: ConfigMap\nmetadata:\n  name: c\n",
            2,
            "missing kind: the key is written 'Kind' (did you mean kind?)",
        ),
        ("apiVersion: v1\nknd: ConfigMap\nmetadata:\n  name: c\n", 2, "did you mean kind?"),
        # no key at all: a kind or group the tool knows
        (DEPLOYMENT_TAIL, 1, "missing apiVersion (kind Deployment)"),
        ("kind: HelmRelease\nmetadata:\n  name: h\n", 1, "missing apiVersion (kind HelmRelease)"),
        ("apiVersion: v1\nmetadata:\n  name: c\ndata: {}\n", 1, "missing kind (apiVersion v1)"),
        ("apiVersion: networking.k8s.io/v1\nmetadata:\n  name: i\n", 1, "missing kind"),
        ("apiVersion: rbac.authorization.k8s.io/v1\nmetadata:\n  name: r\n", 1, "missing kind"),
        ("apiVersion: source.toolkit.fluxcd.io/v1\nmetadata:\n  name: g\n", 1, "missing kind"),
        # the key with no value
        ("apiVersion:\n" + DEPLOYMENT_TAIL, 1, "apiVersion is empty"),
        ("apiVersion: ''\nkind: Widget\nmetadata:\n  name: w\n", 1, "apiVersion is empty"),
        ("apiVersion: 1\nkind: Widget\nmetadata:\n  name: w\n", 1, "apiVersion is not a string"),
        ("apiVersion: v1\nkind: [ConfigMap]\nmetadata:\n  name: w\n", 2, "kind is not a string"),
        # both misspelt
        ("ApiVersion: v1\nKind: ConfigMap\nmetadata:\n  name: c\n", 1, "did you mean apiVersion?"),
    ],
)
def test_reported(check: Checker, text: str, line: int, hint: str) -> None:
    [(at, message)] = found(check, text)
    assert at == line and hint in message, message


@pytest.mark.parametrize(
    "text",
    [
        # the neighbours: complete objects
        "apiVersion: apps/v1\n" + DEPLOYMENT_TAIL,
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n",
        # no name: not object-shaped (config of some other tool)
        "kind: Deployment\nmetadata: {}\n",
        "kind: Deployment\nmetadata: {labels: {a: b}}\n",
        "kind: Deployment\nspec: {}\n",
        "apiVersion: v1\nentries: {}\n",  # a Helm repository index
        # other tools' files of the same shape, with no sign of Kubernetes
        "kind: ZarfPackageConfig\nmetadata:\n  name: pkg\ncomponents: []\n",
        "kind: UDSBundle\nmetadata:\n  name: b\n  version: 1.0.0\n",
        "apiVersion: score.dev/v1b1\nmetadata:\n  name: web\ncontainers: {}\n",
        "apiVersion: networking.example.com/v1\nmetadata:\n  name: x\n",
        # neither field nor any misspelling of one
        "metadata:\n  name: x\nversion: v1alpha1\n",
        "ApiVersion: v1\nmetadata:\n  name: x\n",  # only one misspelt, nothing else object-like
        "name: web\nversion: 1\n",
        "- a\n- b\n",
        "plain string\n",
    ],
)
def test_not_reported(check: Checker, text: str) -> None:
    assert found(check, text) == []


def test_severity_and_no_object(check: Checker) -> None:
    [f] = check({"a.yaml": "apiversion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"}, **SELECT)
    assert (f.rule, f.severity, f.object, f.column) == (RULE, Severity.ERROR, None, 1)


def test_items_of_a_list(check: Checker) -> None:
    text = (
        "apiVersion: v1\nkind: List\nitems:\n"
        "  - apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: a}\n"
        "  - kind: ConfigMap\n    metadata: {name: b}\n"
    )
    assert [line for line, _ in found(check, text)] == [7]


def test_later_document_of_a_file(check: Checker) -> None:
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\nkind: Secret\nmetadata: {name: b}\n"
    [(line, message)] = found(check, text)
    assert line == 5 and "missing apiVersion (kind Secret)" in message


def test_a_crd_in_the_repository_makes_its_kind_known(check: Checker) -> None:
    crd = (
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
        "metadata: {name: widgets.example.com}\nspec:\n  group: example.com\n"
        "  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}\n"
        "  scope: Namespaced\n  versions:\n    - name: v1\n      served: true\n      storage: true\n"
        "      schema: {openAPIV3Schema: {type: object}}\n"
    )
    widget = "kind: Widget\nmetadata:\n  name: w\n"
    assert check({"w.yaml": widget}, **SELECT) == []
    assert [f.path for f in check({"crd.yaml": crd, "w.yaml": widget}, **SELECT)] == ["w.yaml"]


NOT_MANIFESTS = {
    # file kinds that are never objects, each with a document that would be reported as a manifest
    "values.yaml": DEPLOYMENT_TAIL,
    "charts/web/values-prod.yaml": DEPLOYMENT_TAIL,
    "charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 1.0.0\nmetadata:\n  name: web\n",
    "charts/web/templates/deploy.yaml": "kind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n",
    "kustomization.yaml": "kind: Kustomization\nmetadata:\n  name: k\nresources: [deploy.yaml]\n",
    "components/extra/kustomization.yaml": "kind: Component\nmetadata:\n  name: extra\n",
    ".github/workflows/ci.yaml": "kind: Deployment\nmetadata:\n  name: ci\n",
    ".gitlab-ci.yml": "kind: Deployment\nmetadata:\n  name: ci\n",
    ".pre-commit-config.yaml": "kind: Deployment\nmetadata:\n  name: hooks\n",
    "templated.yaml": "apiVersion: {{ .Values.api }}\nkind: Deployment\nmetadata:\n  name: x\n",
}


def test_never_in_files_that_are_not_manifests(check: Checker) -> None:
    assert check(NOT_MANIFESTS, **SELECT) == []


PATCH = "kind: Deployment\nmetadata:\n  name: api\nspec:\n  replicas: 3\n"


@pytest.mark.parametrize(
    "kustomization",
    [
        "resources: [../base]\npatches:\n  - path: replicas.yaml\n    target: {kind: Deployment}\n",
        "resources: [../base]\npatchesStrategicMerge:\n  - replicas.yaml\n",
        "resources: [../base]\npatchesJson6902:\n  - path: replicas.yaml\n    target: {kind: Deployment}\n",
    ],
)
def test_kustomize_patches_are_never_reported(tmp_path: Path, kustomization: str) -> None:
    files = {"overlay/kustomization.yaml": kustomization, "overlay/replicas.yaml": PATCH}
    # the whole tree, and the patch alone (a pre-commit run that has not seen the kustomization)
    assert check_files(tmp_path, files, select=[RULE]) == []
    assert check_files(tmp_path, {}, select=[RULE], paths=["overlay/replicas.yaml"]) == []


def test_a_patch_listed_higher_up_is_found_from_a_one_file_run(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    files = {
        "kustomization.yaml": "resources: [apps]\npatches:\n  - path: apps/patches/replicas.yaml\n",
        "apps/patches/replicas.yaml": PATCH,
    }
    assert check_files(tmp_path, files, select=[RULE], paths=["apps/patches/replicas.yaml"]) == []


def test_the_same_file_is_reported_when_no_kustomization_patches_with_it(tmp_path: Path) -> None:
    files = {"overlay/kustomization.yaml": "resources: [replicas.yaml]\n", "overlay/replicas.yaml": PATCH}
    assert [f.path for f in check_files(tmp_path, files, select=[RULE], render=False)] == [
        "overlay/replicas.yaml"
    ]
    one = check_files(tmp_path, {}, select=[RULE], paths=["overlay/replicas.yaml"], render=False)
    assert [f.path for f in one] == ["overlay/replicas.yaml"]


@pytest.mark.parametrize("name", ["config/crd/patches/webhook_in_apps.yaml", "deploy/replicas-patch.yaml"])
def test_a_file_named_as_a_patch_is_a_fragment_unless_a_kustomization_lists_it(
    tmp_path: Path, name: str
) -> None:
    # kubebuilder scaffolds keep such patches for commented-out kustomization entries.
    directory = name.rpartition("/")[0]
    files = {name: PATCH, f"{directory}/kustomization.yaml": "resources: []\n# patches: [...]\n"}
    assert check_files(tmp_path, files, select=[RULE, "schema"], render=False) == []
    listed = {**files, f"{directory}/kustomization.yaml": f"resources: [{name.rpartition('/')[2]}]\n"}
    reported = {
        (f.path, f.rule) for f in check_files(tmp_path, listed, select=[RULE, "schema"], render=False)
    }
    assert reported == {(name, RULE)}


@pytest.mark.parametrize(
    ("data", "missing"),
    [
        ({"kind": "X", "metadata": {"name": "a"}}, "apiVersion"),
        ({"apiVersion": "v1", "metadata": {"generateName": "a-"}}, "kind"),
        ({"apiVersion": "v1", "kind": "X", "metadata": {"name": "a"}}, None),
        ({"apiVersion": 1, "kind": "X", "metadata": {"name": "a"}}, "apiVersion"),
        ({"kind": "X", "metadata": {"name": ""}}, None),
        ({"kind": "X", "metadata": "a"}, None),
    ],
)
def test_shape_of(data: dict[str, object], missing: str | None) -> None:
    shape = shape_of(data)
    assert (shape.missing if shape else None) == missing
