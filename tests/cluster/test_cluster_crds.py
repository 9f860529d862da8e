"""`check --kubeconfig`: the CRDs the live dev cluster serves, above the shipped catalog."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gitops_guard.cluster import Client
from gitops_guard.findings import Finding, Outcome, Severity
from gitops_guard.schema.cluster_crds import read_cluster, served_crds
from tests.cluster.conftest import SIZE_SCHEMA
from tests.cluster.test_client import eventually
from tests.conftest import DevCluster
from tests.helpers import check_files, run_cli

GROUP = "catalog.test.gitops-guard.dev"

GADGET_CRD: dict[str, Any] = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": f"gadgets.{GROUP}"},
    "spec": {
        "group": GROUP,
        "scope": "Namespaced",
        "names": {"plural": "gadgets", "singular": "gadget", "kind": "Gadget", "listKind": "GadgetList"},
        "versions": [
            {
                "name": name,
                "served": served,
                "storage": name == "v1",
                "schema": SIZE_SCHEMA,
            }
            for name, served in (("v1", True), ("v1beta1", True), ("v1alpha1", False))
        ],
    },
}

# A catalog kind (MetalLB's L2Advertisement) whose cluster CRD keeps unknown fields: the
# cluster's schema, not the catalog's, must decide.
L2_CRD: dict[str, Any] = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "l2advertisements.metallb.io"},
    "spec": {
        "group": "metallb.io",
        "scope": "Namespaced",
        "names": {"plural": "l2advertisements", "singular": "l2advertisement", "kind": "L2Advertisement"},
        "versions": [
            {
                "name": "v1beta1",
                "served": True,
                "storage": True,
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "properties": {
                            "spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
                        },
                    }
                },
            }
        ],
    },
}

GADGET = f"apiVersion: {GROUP}/v1\nkind: Gadget\nmetadata: {{name: g, namespace: x}}\nspec: {{size: 0}}\n"
OLD_GADGET = GADGET.replace("/v1\n", "/v1beta1\n").replace("size: 0", "colour: red")
UNSERVED = GADGET.replace("/v1\n", "/v1alpha1\n")
L2 = (
    "apiVersion: metallb.io/v1beta1\nkind: L2Advertisement\nmetadata: {name: l2}\n"
    "spec: {fromTheFuture: true}\n"
)


def _crd(client: Client, name: str) -> dict[str, Any] | None:
    return client.get("apiextensions.k8s.io/v1", "CustomResourceDefinition", name)


@pytest.fixture
def crds(client: Client) -> Iterator[None]:
    names = [crd["metadata"]["name"] for crd in (GADGET_CRD, L2_CRD)]
    # A CRD deleted by an earlier test may still be terminating: wait until it is gone.
    eventually(lambda: all(_crd(client, n) is None for n in names) or None, what="old CRDs to go")
    for crd in (GADGET_CRD, L2_CRD):
        client.apply(crd)
    # The API server then writes the CRDs' status (names accepted, established), which
    # changes their resourceVersions: the tests start once that is done.
    eventually(
        lambda: all(_established(_crd(client, n)) for n in names) or None, what="the CRDs to be established"
    )
    yield
    for name in names:
        client.delete("apiextensions.k8s.io/v1", "CustomResourceDefinition", name)
    eventually(lambda: all(_crd(client, n) is None for n in names) or None, what="the CRDs to go")


def _established(crd: dict[str, Any] | None) -> bool:
    conditions = ((crd or {}).get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Established" and c.get("status") == "True" for c in conditions)


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "cache"
    monkeypatch.setenv("GITOPS_GUARD_CACHE", str(root))
    return root


def _schema_findings(found: list[Finding]) -> list[tuple[str, str, Severity, str]]:
    return sorted((f.path, f.rule, f.severity, f.message) for f in found if f.rule.startswith("schema/"))


def test_check_uses_the_crds_the_cluster_serves(
    dev_cluster: DevCluster, crds: None, cache: Path, tmp_path: Path
) -> None:
    files = {"gadget.yaml": GADGET, "old.yaml": OLD_GADGET, "unserved.yaml": UNSERVED, "l2.yaml": L2}
    repo = tmp_path / "repo"
    offline = _schema_findings(check_files(repo, files))
    assert [(p, r) for p, r, _, _ in offline] == [
        ("gadget.yaml", "schema/missing"),
        ("l2.yaml", "schema/violation"),  # the catalog's strict schema: a skew warning
        ("old.yaml", "schema/missing"),
        ("unserved.yaml", "schema/missing"),
    ]
    live = _schema_findings(
        check_files(repo, files, cluster=read_cluster(dev_cluster.kubeconfig, None, cache))
    )
    assert live == [
        ("gadget.yaml", "schema/violation", Severity.ERROR, "spec.size: violates minimum 1"),
        ("old.yaml", "schema/violation", Severity.ERROR, "spec.colour: unknown field"),
        ("old.yaml", "schema/violation", Severity.ERROR, "spec: missing required field 'size'"),
        # v1alpha1 is not served: the API server would refuse it, and no schema says otherwise.
        (
            "unserved.yaml",
            "schema/missing",
            Severity.WARNING,
            f"no schema for {GROUP}/v1alpha1 Gadget: not validated",
        ),
    ]


def test_the_cluster_crds_are_cached_per_cluster_and_refreshed_on_change(
    dev_cluster: DevCluster, client: Client, crds: None, cache: Path
) -> None:
    first = served_crds(dev_cluster.kubeconfig, None, cache)
    assert {(c.group, c.kind, c.version) for c in first if c.group == GROUP} == {
        (GROUP, "Gadget", "v1"),
        (GROUP, "Gadget", "v1beta1"),
    }
    [cached] = list((cache / "cluster-crds").glob("*.json"))
    entry = json.loads(cached.read_text())
    # Unchanged CRDs: the converted schemas come from the cache (a marker survives).
    entry["crds"].append({"group": "marker.example", "kind": "Marker", "version": "v1", "schema": {}})
    cached.write_text(json.dumps(entry))
    again = served_crds(dev_cluster.kubeconfig, None, cache)
    assert ("marker.example", "Marker") in {(c.group, c.kind) for c in again}
    # A CRD that changes (a new resourceVersion) invalidates the cache.
    changed = copy.deepcopy(GADGET_CRD)
    changed["spec"]["versions"][2]["served"] = True
    client.apply(changed)
    fresh = served_crds(dev_cluster.kubeconfig, None, cache)
    assert "marker.example" not in {c.group for c in fresh}
    assert (GROUP, "Gadget", "v1alpha1") in {(c.group, c.kind, c.version) for c in fresh}


def test_an_unreachable_cluster_is_reported_and_the_catalog_still_used(tmp_path: Path, cache: Path) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: gone\n"
        "clusters: [{name: gone, cluster: {server: 'https://127.0.0.1:9'}}]\n"
        "users: [{name: u, user: {token: t}}]\n"
        "contexts: [{name: gone, context: {cluster: gone, user: u}}]\n"
    )
    found = check_files(tmp_path / "repo", {"l2.yaml": L2}, cluster=read_cluster(kubeconfig, None, cache))
    [not_run] = [f for f in found if f.rule == "check/not-run"]
    assert (
        not_run.outcome is Outcome.NOT_CHECKED and "the cluster's CRDs could not be read" in not_run.message
    )
    assert [f.severity for f in found if f.rule == "schema/violation"] == [Severity.WARNING]


def test_the_cli_takes_kubeconfig_and_context(
    dev_cluster: DevCluster, crds: None, cache: Path, tmp_path: Path
) -> None:
    (tmp_path / "gadget.yaml").write_text(GADGET)
    proc = run_cli(
        "check", "--format", "json", "--kubeconfig", str(dev_cluster.kubeconfig), "gadget.yaml", cwd=tmp_path
    )
    assert proc.returncode == 1, proc.stderr
    [finding] = json.loads(proc.stdout)["findings"]
    assert (finding["rule"], finding["message"]) == ("schema/violation", "spec.size: violates minimum 1")
    missing = run_cli(
        "check", "--kubeconfig", str(dev_cluster.kubeconfig), "--context", "nope", "gadget.yaml", cwd=tmp_path
    )
    assert missing.returncode == 2 and "nope" in missing.stderr and "Traceback" not in missing.stderr
    lone = run_cli("check", "--context", "x", "gadget.yaml", cwd=tmp_path)
    assert lone.returncode == 2 and "--context needs --kubeconfig" in lone.stderr
