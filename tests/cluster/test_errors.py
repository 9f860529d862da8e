"""Errors from the cluster layer: clear, mapped to exit codes, and free of credentials."""

from __future__ import annotations

import base64
import socket
from pathlib import Path

import pytest
import yaml

from gitops_guard.cluster import ApiError, Client, ClusterUnreachable, load_kubeconfig
from gitops_guard.cluster.errors import redact
from gitops_guard.errors import ExitCode, exit_code_for
from tests.cluster.conftest import service_account_token
from tests.conftest import DevCluster


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rewrite_kubeconfig(source: Path, dest: Path, **cluster: str) -> Path:
    data = yaml.safe_load(source.read_text())
    data["clusters"][0]["cluster"].update(cluster)
    dest.write_text(yaml.safe_dump(data))
    return dest


def test_unreachable_server(dev_cluster: DevCluster, tmp_path: Path) -> None:
    server = f"https://127.0.0.1:{closed_port()}"
    path = rewrite_kubeconfig(dev_cluster.kubeconfig, tmp_path / "kc", server=server)
    with Client.from_kubeconfig(path) as client, pytest.raises(ClusterUnreachable) as info:
        client.get("v1", "ConfigMap", "x")
    message = str(info.value)
    assert f"cannot reach the Kubernetes API at {server}" in message
    assert "connection refused" in message
    assert "context gitops-guard-dev" in message
    assert exit_code_for(info.value) == ExitCode.INTERNAL


def test_server_with_another_ca_is_refused(dev_cluster: DevCluster, tmp_path: Path) -> None:
    # The client's own certificate is not a CA of the server: verification must fail.
    data = yaml.safe_load(dev_cluster.kubeconfig.read_text())
    other_ca = data["users"][0]["user"]["client-certificate-data"]
    path = rewrite_kubeconfig(
        dev_cluster.kubeconfig, tmp_path / "kc", **{"certificate-authority-data": other_ca}
    )
    with Client.from_kubeconfig(path) as client, pytest.raises(ClusterUnreachable) as info:
        client.version()
    assert "TLS certificate verification failed" in str(info.value)


def test_bearer_token_and_forbidden(client: Client, dev_cluster: DevCluster, tmp_path: Path) -> None:
    # A real ServiceAccount token (TokenRequest API) authenticates; RBAC grants it nothing.
    client.apply({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "nobody"}})
    token = service_account_token(client, "nobody")
    data = yaml.safe_load(dev_cluster.kubeconfig.read_text())
    data["users"][0]["user"] = {"token": token}
    path = tmp_path / "kc"
    path.write_text(yaml.safe_dump(data))

    config = load_kubeconfig(path)
    assert token not in repr(config)
    with Client(config) as as_nobody, pytest.raises(ApiError) as info:
        as_nobody.list("v1", "Secret", "default")
    assert (info.value.code, info.value.reason) == (403, "Forbidden")
    assert "system:serviceaccount:default:nobody" in str(info.value)
    assert token not in str(info.value)
    client.delete("v1", "ServiceAccount", "nobody", "default")


def test_client_certificate_without_key(dev_cluster: DevCluster, tmp_path: Path) -> None:
    data = yaml.safe_load(dev_cluster.kubeconfig.read_text())
    del data["users"][0]["user"]["client-key-data"]
    path = tmp_path / "kc"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(Exception) as info:
        Client.from_kubeconfig(path)
    assert "client certificate without its key" in str(info.value)
    assert exit_code_for(info.value) == ExitCode.USAGE
    key = base64.b64decode(
        yaml.safe_load(dev_cluster.kubeconfig.read_text())["users"][0]["user"]["client-key-data"]
    )
    assert key.decode() not in str(info.value)


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            'metadata.labels: Invalid value: "s3cret!!": a valid label must be ...',
            "metadata.labels: Invalid value: (value hidden): a valid label must be ...",
        ),
        (
            'spec.type: Unsupported value: "x\\"y": supported values: "ClusterIP"',
            'spec.type: Unsupported value: (value hidden): supported values: "ClusterIP"',
        ),
        (
            "spec.replicas: Invalid value: -1: must be >= 0",
            "spec.replicas: Invalid value: (value hidden): must be >= 0",
        ),
        ("spec.ports[0].port: Duplicate value: 80", "spec.ports[0].port: Duplicate value: (value hidden)"),
        ('namespaces "x" not found', 'namespaces "x" not found'),
    ],
)
def test_redact(message: str, expected: str) -> None:
    assert redact(message) == expected


def test_non_status_error_body() -> None:
    error = ApiError.from_response(502, b"<html><body>Bad   gateway</body></html>", what="GET /version")
    assert str(error) == "GET /version: 502 Error: <html><body>Bad gateway</body></html>"


def test_server_that_never_answers_times_out(dev_cluster: DevCluster, tmp_path: Path) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        server = f"https://127.0.0.1:{listener.getsockname()[1]}"
        path = rewrite_kubeconfig(dev_cluster.kubeconfig, tmp_path / "kc", server=server)
        with Client.from_kubeconfig(path, timeout=0.5) as client, pytest.raises(ClusterUnreachable) as info:
            client.version()
    assert "timed out" in str(info.value)


def test_tls_server_name_is_what_the_certificate_must_name(dev_cluster: DevCluster, tmp_path: Path) -> None:
    # The serving certificate names kubernetes.default.svc (among others), not wrong.example.
    good = rewrite_kubeconfig(
        dev_cluster.kubeconfig, tmp_path / "good", **{"tls-server-name": "kubernetes.default.svc"}
    )
    with Client.from_kubeconfig(good) as client:
        assert client.version()["major"] == "1"
    bad = rewrite_kubeconfig(dev_cluster.kubeconfig, tmp_path / "bad", **{"tls-server-name": "wrong.example"})
    with Client.from_kubeconfig(bad) as client, pytest.raises(ClusterUnreachable) as info:
        client.version()
    assert "TLS certificate verification failed" in str(info.value)
    assert "wrong.example" in str(info.value)
