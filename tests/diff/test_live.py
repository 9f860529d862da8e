"""`gitops-guard diff --kubeconfig` against the real dev cluster (etcd + kube-apiserver)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gitops_guard.cluster import Client
from tests.conftest import DevCluster
from tests.helpers import FLUX_SOURCE, run_cli
from tests.helpers import write_files as _write

CM = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {name}
  namespace: {ns}
data:
  level: {level}
"""
SECRET = """\
apiVersion: v1
kind: Secret
metadata:
  name: creds
  namespace: {ns}
stringData:
  token: {value}
"""
APP = """\
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
  destination:
    server: https://kubernetes.default.svc
    namespace: {ns}
  syncPolicy:
    automated: {{prune: true}}
  ignoreDifferences:
    - kind: ConfigMap
      name: ignored
      jsonPointers: [/data/level]
"""


@pytest.fixture
def ns(client: Client, request: pytest.FixtureRequest) -> Iterator[str]:
    name = "live-" + request.node.name.replace("_", "-")[5:40].strip("-").lower()
    client.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    yield name
    client.delete("v1", "Namespace", name)


def _apply(client: Client, obj: dict[str, Any]) -> None:
    """Live state written by another field manager, as a controller or a person would."""
    client.apply(obj, field_manager="someone-else")


def _cm(name: str, ns: str, level: str, **meta: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": ns, **meta},
        "data": {"level": level},
    }


def _diff(cluster: DevCluster, cwd: Path, *args: str) -> tuple[int, dict[str, Any]]:
    proc = run_cli("diff", *args, "--kubeconfig", str(cluster.kubeconfig), "--format", "json", cwd=cwd)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def test_drift_create_and_no_write(dev_cluster: DevCluster, client: Client, ns: str, tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "a.yaml": CM.format(name="a", ns=ns, level="debug"),
            "b.yaml": CM.format(name="b", ns=ns, level="x"),
            "README.md": "Not a manifest: [unclosed\n",  # other files in the folder are not objects
        },
    )
    _apply(client, _cm("a", ns, "info"))  # drifted live state
    code, report = _diff(dev_cluster, tmp_path, ".")
    assert code == 1
    assert [g["errors"] for g in report["groups"]] == [[]]
    changes = {(c["action"], c["object"]["name"]) for g in report["groups"] for c in g["changes"]}
    assert changes == {("update", "a"), ("create", "b")}
    update = next(c for g in report["groups"] for c in g["changes"] if c["action"] == "update")
    assert "-  level: info\n+  level: debug\n" in update["diff"]
    # a dry run stores nothing
    assert client.get("v1", "ConfigMap", "b", ns) is None
    assert client.get("v1", "ConfigMap", "a", ns)["data"] == {"level": "info"}  # type: ignore[index]


def test_in_sync_means_exit_0(dev_cluster: DevCluster, client: Client, ns: str, tmp_path: Path) -> None:
    _write(tmp_path, {"a.yaml": CM.format(name="a", ns=ns, level="info")})
    _apply(client, _cm("a", ns, "info"))
    code, report = _diff(dev_cluster, tmp_path, "a.yaml")
    assert code == 0 and report["groups"] == []
    text = run_cli("diff", "a.yaml", "--kubeconfig", str(dev_cluster.kubeconfig), cwd=tmp_path).stdout
    assert "the cluster matches the desired state" in text


def test_secret_values_are_masked(dev_cluster: DevCluster, client: Client, ns: str, tmp_path: Path) -> None:
    client.apply(
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds", "namespace": ns},
         "stringData": {"token": "live-value-1111"}}
    )  # fmt: skip
    _write(tmp_path, {"s.yaml": SECRET.format(ns=ns, value="desired-value-2222")})
    proc = run_cli("diff", "s.yaml", "--kubeconfig", str(dev_cluster.kubeconfig), cwd=tmp_path)
    assert proc.returncode == 1
    import base64

    for secret in ("live-value-1111", "desired-value-2222"):
        assert secret not in proc.stdout + proc.stderr
        assert base64.b64encode(secret.encode()).decode() not in proc.stdout + proc.stderr
    assert "-  token: ++++++++" in proc.stdout and "+  token: ++++++++" in proc.stdout


def test_application_prune_preview_by_ownership(
    dev_cluster: DevCluster, client: Client, ns: str, tmp_path: Path
) -> None:
    _write(
        tmp_path,
        {
            "apps/web/kept.yaml": CM.format(name="kept", ns=ns, level="info"),
            "apps/web/ignored.yaml": CM.format(name="ignored", ns=ns, level="desired"),
            "app.yaml": APP.format(ns=ns),
        },
    )
    tracking = {"annotations": {"argocd.argoproj.io/tracking-id": f"web:/ConfigMap:{ns}/gone"}}
    _apply(client, _cm("kept", ns, "info"))
    _apply(client, _cm("ignored", ns, "live"))  # differs only in an ignored field
    _apply(client, _cm("gone", ns, "info", **tracking))  # owned, no longer desired → pruned
    _apply(client, _cm("stranger", ns, "info"))  # same namespace, not owned → never listed
    _apply(client, _cm("web", ns, "info"))  # named like the app, not owned → never listed
    # labelled like the app's instance, but tracked by another app's annotation → never listed
    other_app = {"app.kubernetes.io/instance": "web"}
    _apply(
        client,
        _cm(
            "lookalike",
            ns,
            "info",
            labels=other_app,
            annotations={"argocd.argoproj.io/tracking-id": f"other:/ConfigMap:{ns}/lookalike"},
        ),
    )
    other = {"annotations": {"argocd.argoproj.io/tracking-id": f"other:/ConfigMap:{ns}/theirs"}}
    _apply(client, _cm("theirs", ns, "info", **other))
    code, report = _diff(dev_cluster, tmp_path, "app.yaml")
    assert code == 1
    (group,) = report["groups"]
    assert group["label"] == "Argo CD Application argocd/web"
    assert [(c["action"], c["object"]["name"], c["pruned"]) for c in group["changes"]] == [
        ("delete", "gone", True)
    ]
    assert client.get("v1", "ConfigMap", "gone", ns) is not None  # nothing was deleted


FLUX_KS = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: api
  namespace: flux-system
spec:
  interval: 10m
  path: ./apps/api
  prune: true
  sourceRef: {{kind: GitRepository, name: flux-system}}
  targetNamespace: {ns}
  ignore:
    - paths: [/data/level]
      target: {{kind: ConfigMap, labelSelector: drift=allowed}}
"""


def test_flux_kustomization_ignore_and_label_ownership(
    dev_cluster: DevCluster, client: Client, ns: str, tmp_path: Path
) -> None:
    tolerant = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: tolerant, labels: {drift: allowed}}\n"
    _write(
        tmp_path,
        {
            "clusters/prod/api.yaml": FLUX_KS.format(ns=ns),
            "clusters/prod/flux-system/gotk-sync.yaml": FLUX_SOURCE,
            "apps/api/strict.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: strict}\n"
            "data: {level: a}\n",
            "apps/api/tolerant.yaml": tolerant + "data: {level: a}\n",
        },
    )
    flux = {
        "labels": {
            "kustomize.toolkit.fluxcd.io/name": "api",
            "kustomize.toolkit.fluxcd.io/namespace": "flux-system",
        }
    }
    _apply(client, _cm("strict", ns, "b", **flux))  # drifted: reported
    tolerant_live = _cm("tolerant", ns, "b", labels={"drift": "allowed", **flux["labels"]})
    _apply(client, tolerant_live)  # drifted in an ignored field: not reported
    _apply(client, _cm("old", ns, "x", **flux))  # owned by the Kustomization, no longer in Git
    _apply(client, _cm("unowned", ns, "x"))  # never listed
    code, report = _diff(dev_cluster, tmp_path, "clusters/prod/api.yaml")
    assert code == 1
    (group,) = report["groups"]
    assert group["label"] == "Flux Kustomization flux-system/api"
    assert [(c["action"], c["object"]["name"], c["pruned"]) for c in group["changes"]] == [
        ("delete", "old", True),
        ("update", "strict", False),
    ]


def test_unreachable_cluster_is_exit_3(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:9'}}]\n"
        "users: [{name: u, user: {token: abc}}]\n"
        "contexts: [{name: c, context: {cluster: c, user: u}}]\n"
    )
    _write(tmp_path, {"a.yaml": CM.format(name="a", ns="default", level="x")})
    proc = run_cli("diff", "a.yaml", "--kubeconfig", str(kubeconfig), cwd=tmp_path)
    assert proc.returncode == 3 and "Traceback" not in proc.stderr
    assert "127.0.0.1:9" in proc.stderr


def test_chart_noise_is_hidden_unless_the_config_shows_it(
    dev_cluster: DevCluster, client: Client, ns: str, tmp_path: Path
) -> None:
    """A changed ``checksum/*`` annotation alone is noise in the live diff, as in ``--base``."""
    desired = _cm("a", ns, "info", annotations={"checksum/config": "new"})
    (tmp_path / "a.yaml").write_text(json.dumps(desired), encoding="utf-8")
    _apply(client, _cm("a", ns, "info", annotations={"checksum/config": "old"}))
    code, report = _diff(dev_cluster, tmp_path, "a.yaml")
    assert (code, report["groups"]) == (0, [])

    (tmp_path / ".gitops-guard.yaml").write_text("diff:\n  hide: []\n", encoding="utf-8")
    code, report = _diff(dev_cluster, tmp_path, "a.yaml")
    assert code == 1
    (change,) = [c for g in report["groups"] for c in g["changes"]]
    assert change["action"] == "update"
    assert "-    checksum/config: old\n+    checksum/config: new\n" in change["diff"]
