"""deploy/: the manifests pass gitops-guard's own check, and the engine runs with the
in-cluster configuration and exactly the RBAC they grant (a real service-account token)."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from gitops_guard.cluster import ApiError, Client, ClusterConfig, load_kubeconfig
from gitops_guard.cluster.errors import KubeconfigError
from gitops_guard.cluster.in_cluster import in_cluster, in_cluster_config, load_config
from tests.cluster.conftest import service_account_token
from tests.conftest import REPO_ROOT, DevCluster
from tests.helpers import check_json
from tests.sync.engine_helpers import AppRepo, config_map
from tests.sync.loop_helpers import server_address, wait_for

DEPLOY = REPO_ROOT / "deploy"


def _docs(name: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all((DEPLOY / name).read_text(encoding="utf-8")) if d]


def test_deploy_manifests_pass_check() -> None:
    code, report = check_json("deploy", cwd=REPO_ROOT)
    assert code == 0, report["findings"]
    assert report["findings"] == []
    assert report["summary"]["documents"] >= 12


def test_deployment_probes_healthz_and_outlives_the_shutdown_grace() -> None:
    (deployment,) = _docs("deployment.yaml")
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/healthz"
    args = container["args"]
    assert args[0] == "run" and "--metrics-addr=:8080" in args
    grace = next(a for a in args if a.startswith("--shutdown-grace="))
    assert int(grace.split("=")[1].rstrip("s")) < pod["terminationGracePeriodSeconds"]
    assert pod["serviceAccountName"] == "gitops-guard"
    (service,) = _docs("service.yaml")
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]


def _write_service_account(directory: Path, token: str, ca: bytes, namespace: str) -> Path:
    directory.mkdir(parents=True)
    (directory / "token").write_text(token, encoding="utf-8")
    (directory / "ca.crt").write_bytes(ca)
    (directory / "namespace").write_text(namespace, encoding="utf-8")
    return directory


def test_in_cluster_configuration_reads_the_mounted_service_account(tmp_path: Path) -> None:
    sa = _write_service_account(tmp_path / "sa", "s3cret-t0ken\n", b"-----BEGIN CERTIFICATE-----\n", "team")
    env = {"KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "6443", "HOME": str(tmp_path)}
    assert in_cluster(env, sa)
    config = in_cluster_config(env, sa)
    assert (config.server, config.namespace, config.token, config.context) == (
        "https://10.0.0.1:6443",
        "team",
        "s3cret-t0ken",
        "in-cluster",
    )
    assert "s3cret" not in repr(config)
    v6 = in_cluster_config({**env, "KUBERNETES_SERVICE_HOST": "fd00::1"}, sa)
    assert v6.server == "https://[fd00::1]:6443"
    # load_config: a kubeconfig wins when there is one; without either, the kubeconfig error.
    with_dir = {**env, "GITOPS_GUARD_SERVICE_ACCOUNT_DIR": str(sa)}
    assert load_config(env=with_dir).context == "in-cluster"
    with pytest.raises(KubeconfigError, match="no kubeconfig found"):
        load_config(env={"HOME": str(tmp_path)})
    with pytest.raises(KubeconfigError, match="KUBERNETES_SERVICE_PORT"):
        in_cluster_config({**env, "KUBERNETES_SERVICE_PORT": "http"}, sa)
    (sa / "token").unlink()
    assert not in_cluster(env, sa)
    with pytest.raises(KubeconfigError, match="token"):
        in_cluster_config(env, sa)


def test_engine_runs_in_cluster_with_only_the_deployed_rbac(
    client: Client, dev_cluster: DevCluster, namespace: str, tmp_path: Path
) -> None:
    # The deploy/ objects that grant access, as written, plus the documented way to widen it:
    # a RoleBinding of gitops-guard-apply in the app's namespace.
    for name in ("namespace.yaml", "serviceaccount.yaml", "rbac.yaml"):
        for doc in _docs(name):
            if doc["kind"] == "Namespace" and doc["metadata"]["name"] != "gitops-guard":
                continue
            if doc["kind"] == "RoleBinding" and doc["metadata"]["namespace"] != "gitops-guard":
                doc["metadata"]["namespace"] = namespace
            client.apply(doc)
    wait_for("the ServiceAccount", lambda: client.get("v1", "ServiceAccount", "gitops-guard", "gitops-guard"))
    token = service_account_token(client, "gitops-guard", "gitops-guard")
    admin = load_kubeconfig(dev_cluster.kubeconfig)
    assert admin.ca_pem is not None
    sa = _write_service_account(tmp_path / "sa", token, admin.ca_pem, "gitops-guard")
    host, port = server_address(dev_cluster.kubeconfig)
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
    env.update(
        HOME=str(home),
        KUBERNETES_SERVICE_HOST=host,
        KUBERNETES_SERVICE_PORT=str(port),
        GITOPS_GUARD_SERVICE_ACCOUNT_DIR=str(sa),
        GITOPS_GUARD_CACHE=str(tmp_path / "cache"),
    )

    # As the service account: its own state and the bound namespace, nothing else.
    with Client(in_cluster_config(env)) as as_engine:
        assert as_engine.namespace == "gitops-guard"
        probe = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "probe", "namespace": "default"},
        }
        with pytest.raises(ApiError) as denied:
            as_engine.apply(probe)
        assert denied.value.code == 403
        with pytest.raises(ApiError):
            as_engine.list("v1", "Secret", namespace)

    app = AppRepo(
        tmp_path,
        namespace,
        name="in-cluster-app",
        policy="  syncPolicy:\n    automated:\n      prune: true\n",
    )
    head = app.commit({"cm.yaml": config_map("from-pod", data={"k": "v"})})
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gitops_guard",
            "run",
            str(app.file),
            "--interval",
            "1s",
            "--lease-duration",
            "3s",
        ],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(
            "the in-cluster engine to sync",
            lambda: client.get("v1", "ConfigMap", "from-pod", namespace) or proc.poll() is not None,
            timeout=90,
        )
        assert proc.poll() is None
        lease = client.get("coordination.k8s.io/v1", "Lease", _lease_name("in-cluster-app"), "gitops-guard")
        assert lease is not None and lease["spec"]["holderIdentity"]
    finally:
        proc.terminate()
        _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    finished = [r for r in lines if r["event"] == "sync-finished"]
    assert finished and finished[0]["status"] == "Synced" and finished[0]["revision"] == head
    assert token not in err
    assert not any(r["level"] == "error" for r in lines)


def _lease_name(app: str) -> str:
    from gitops_guard.sync.lease import lease_name

    return lease_name("gitops-guard-app", app)


def test_token_file_is_read_again_after_rotation(
    client: Client, dev_cluster: DevCluster, tmp_path: Path
) -> None:

    client.apply(
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": "rotating", "namespace": "default"},
        }
    )
    admin = load_kubeconfig(dev_cluster.kubeconfig)
    sa = _write_service_account(tmp_path / "sa", "not-a-valid-token", admin.ca_pem or b"", "default")
    host, port = server_address(dev_cluster.kubeconfig)
    env = {"KUBERNETES_SERVICE_HOST": host, "KUBERNETES_SERVICE_PORT": str(port)}
    config: ClusterConfig = in_cluster_config(env, sa)
    with Client(dataclasses.replace(config, token_file=None)) as fixed, pytest.raises(ApiError) as refused:
        fixed.version()
    assert refused.value.code == 401
    with Client(config) as rotated:
        # kubelet writes a fresh token: the next 401 makes the transport read the file again.
        (sa / "token").write_text(service_account_token(client, "rotating"), encoding="utf-8")
        assert rotated.version()["major"]
