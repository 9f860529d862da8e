"""exec credential plugins against the real API server: token, certificate, refresh, failures.

The plugins are small shell scripts that speak the client.authentication.k8s.io protocol and
hand out real credentials (a ServiceAccount token from the TokenRequest API, or the dev
cluster's admin certificate).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from gitops_guard.cluster import ApiError, Client, ClusterError, KubeconfigError
from tests.cluster.conftest import service_account_token
from tests.conftest import DevCluster

API = "client.authentication.k8s.io/v1"


@pytest.fixture(scope="module")
def reader_token(client: Client) -> Iterator[str]:
    """A token of a ServiceAccount that may read ConfigMaps in ``default`` (nothing more)."""
    client.apply({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "exec-reader"}})
    client.apply(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": "exec-reader", "namespace": "default"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
            "subjects": [{"kind": "ServiceAccount", "name": "exec-reader", "namespace": "default"}],
        }
    )
    yield service_account_token(client, "exec-reader")
    client.delete("rbac.authorization.k8s.io/v1", "RoleBinding", "exec-reader", "default")
    client.delete("v1", "ServiceAccount", "exec-reader", "default")


def plugin(directory: Path, status_file: Path, *, name: str = "plugin.sh", extra: str = "") -> Path:
    """A plugin printing an ExecCredential whose status is the JSON in ``status_file``.

    Each run appends its KUBERNETES_EXEC_INFO to ``calls.log``, then runs ``extra``.
    """
    script = directory / name
    script.write_text(
        "#!/bin/sh\n"
        f'printf "%s\\n" "$KUBERNETES_EXEC_INFO" >> "{directory}/calls.log"\n'
        f'status="$(cat "{status_file}")"\n'
        f'printf \'{{"apiVersion":"{API}","kind":"ExecCredential","status":%s}}\\n\' "$status"\n'
        f"{extra}\n"
    )
    script.chmod(0o755)
    return script


def calls(directory: Path) -> list[dict[str, Any]]:
    log = directory / "calls.log"
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def kubeconfig_with_exec(dev_cluster: DevCluster, path: Path, exec_entry: dict[str, Any]) -> Path:
    data = yaml.safe_load(dev_cluster.kubeconfig.read_text())
    data["users"][0]["user"] = {"exec": {"apiVersion": API, **exec_entry}}
    path.write_text(yaml.safe_dump(data))
    return path


def test_token_plugin(dev_cluster: DevCluster, reader_token: str, tmp_path: Path) -> None:
    status = tmp_path / "status.json"
    status.write_text(json.dumps({"token": reader_token}))
    kc = kubeconfig_with_exec(
        dev_cluster,
        tmp_path / "kc",
        {"command": "./plugin.sh", "provideClusterInfo": True, "env": [{"name": "X", "value": "1"}]},
    )
    plugin(tmp_path, status)
    with Client.from_kubeconfig(kc) as client:
        assert isinstance(client.list("v1", "ConfigMap", "default"), list)
        with pytest.raises(ApiError) as info:  # authenticated as the ServiceAccount: no Secrets
            client.list("v1", "Secret", "default")
        assert info.value.code == 403
        assert "system:serviceaccount:default:exec-reader" in str(info.value)
        assert reader_token not in str(info.value)
    (first,) = calls(tmp_path)  # one run serves every request
    assert first["kind"] == "ExecCredential"
    assert first["spec"]["interactive"] is False
    assert first["spec"]["cluster"]["server"] == client.config.server
    ca = yaml.safe_load(dev_cluster.kubeconfig.read_text())["clusters"][0]["cluster"][
        "certificate-authority-data"
    ]
    assert first["spec"]["cluster"]["certificate-authority-data"] == ca


def test_certificate_plugin(dev_cluster: DevCluster, tmp_path: Path) -> None:
    admin = yaml.safe_load(dev_cluster.kubeconfig.read_text())["users"][0]["user"]
    status = tmp_path / "status.json"
    status.write_text(
        json.dumps(
            {
                "clientCertificateData": base64.b64decode(admin["client-certificate-data"]).decode(),
                "clientKeyData": base64.b64decode(admin["client-key-data"]).decode(),
            }
        )
    )
    plugin(tmp_path, status)
    kc = kubeconfig_with_exec(dev_cluster, tmp_path / "kc", {"command": str(tmp_path / "plugin.sh")})
    with Client.from_kubeconfig(kc) as client:
        client.list("v1", "Secret", "default")  # the admin may


def test_401_runs_the_plugin_again(dev_cluster: DevCluster, reader_token: str, tmp_path: Path) -> None:
    """A rejected credential is renewed once: the first run hands out a bad token."""
    status = tmp_path / "status.json"
    status.write_text(json.dumps({"token": "not-a-valid-token"}))
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"token": reader_token}))
    plugin(tmp_path, status, extra=f'cp "{good}" "{status}"')
    kc = kubeconfig_with_exec(dev_cluster, tmp_path / "kc", {"command": "./plugin.sh"})
    with Client.from_kubeconfig(kc) as client:
        client.list("v1", "ConfigMap", "default")
        client.list("v1", "ConfigMap", "default")
    assert len(calls(tmp_path)) == 2


def test_a_token_that_stays_rejected_is_an_error(dev_cluster: DevCluster, tmp_path: Path) -> None:
    status = tmp_path / "status.json"
    status.write_text(json.dumps({"token": "never-valid"}))
    plugin(tmp_path, status)
    kc = kubeconfig_with_exec(dev_cluster, tmp_path / "kc", {"command": "./plugin.sh"})
    with Client.from_kubeconfig(kc) as client, pytest.raises(ApiError) as info:
        client.version()
    assert (info.value.code, info.value.reason) == (401, "Unauthorized")
    assert "never-valid" not in str(info.value)
    assert len(calls(tmp_path)) == 2  # the first run and one renewal, no loop


def test_expiring_credential_is_renewed(dev_cluster: DevCluster, reader_token: str, tmp_path: Path) -> None:
    # Expiring within the renewal margin: every request asks the plugin again.
    soon = (datetime.now(UTC) + timedelta(seconds=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    status = tmp_path / "status.json"
    status.write_text(json.dumps({"token": reader_token, "expirationTimestamp": soon}))
    plugin(tmp_path, status)
    kc = kubeconfig_with_exec(dev_cluster, tmp_path / "kc", {"command": "./plugin.sh"})
    with Client.from_kubeconfig(kc) as client:
        for _ in range(3):
            client.get("v1", "ConfigMap", "absent", "default")
    # Discovery (2 requests) and 3 GETs, each with a fresh credential.
    assert len(calls(tmp_path)) == 5


def test_failing_plugin(dev_cluster: DevCluster, tmp_path: Path) -> None:
    script = tmp_path / "login.sh"
    script.write_text(
        "#!/bin/sh\necho 'starting' >&2\necho 'error: login required (run sso login)' >&2\nexit 3\n"
    )
    script.chmod(0o755)
    kc = kubeconfig_with_exec(dev_cluster, tmp_path / "kc", {"command": "./login.sh"})
    with Client.from_kubeconfig(kc) as client, pytest.raises(ClusterError) as info:
        client.version()
    assert str(info.value) == (
        "exec credential plugin 'login.sh' (user 'gitops-guard-dev-admin', context gitops-guard-dev) "
        "exited with status 3: error: login required (run sso login)"
    )


BETA = "client.authentication.k8s.io/v1beta1"


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        ("not json", "not an ExecCredential (not JSON)"),
        (
            f'{{"kind":"ExecCredential","apiVersion":"{BETA}","status":{{"token":"t"}}}}',
            f"answered '{BETA}', the kubeconfig asks for {API}",
        ),
        (
            f'{{"kind":"ExecCredential","apiVersion":"{API}","status":{{}}}}',
            "neither a token nor a client certificate",
        ),
    ],
)
def test_bad_plugin_output(dev_cluster: DevCluster, tmp_path: Path, output: str, expected: str) -> None:
    script = tmp_path / "bad.sh"
    script.write_text(f"#!/bin/sh\ncat <<'EOF'\n{output}\nEOF\n")
    script.chmod(0o755)
    kc = kubeconfig_with_exec(dev_cluster, tmp_path / "kc", {"command": "./bad.sh"})
    with Client.from_kubeconfig(kc) as client, pytest.raises(ClusterError, match=r"bad\.sh") as info:
        client.version()
    assert expected in str(info.value)


def test_missing_plugin_names_the_install_hint(dev_cluster: DevCluster, tmp_path: Path) -> None:
    kc = kubeconfig_with_exec(
        dev_cluster,
        tmp_path / "kc",
        {"command": "gitops-guard-no-such-plugin", "installHint": "Install it with: brew install thing"},
    )
    with Client.from_kubeconfig(kc) as client, pytest.raises(KubeconfigError) as info:
        client.version()
    assert "gitops-guard-no-such-plugin not found (Install it with: brew install thing)" in str(info.value)
