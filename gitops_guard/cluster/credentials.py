"""Credentials from ``exec`` plugins (aws eks get-token, gke-gcloud-auth-plugin, kubelogin, ...).

The protocol is Kubernetes' client.authentication.k8s.io: run the command with the
kubeconfig's args and env plus ``KUBERNETES_EXEC_INFO`` (an ``ExecCredential`` whose spec says
the session is not interactive, and the cluster when ``provideClusterInfo`` is set), read an
``ExecCredential`` from its stdout whose status holds a bearer token or a client certificate
and key, and an optional expiry. The transport runs the plugin again when the credential
expires or the server answers 401.

Nothing of the plugin's output reaches a message: on failure only the command, its exit
status and the last line of its stderr are reported.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from gitops_guard.cluster.errors import ClusterError, KubeconfigError
from gitops_guard.cluster.kubeconfig import ClusterConfig, ExecPlugin

PLUGIN_TIMEOUT = 120.0


@dataclass(frozen=True)
class Credential:
    token: str | None = field(default=None, repr=False)
    client_cert_pem: bytes | None = field(default=None, repr=False)
    client_key_pem: bytes | None = field(default=None, repr=False)
    expires: float | None = None  # seconds since the epoch


def run_exec_plugin(config: ClusterConfig, plugin: ExecPlugin) -> Credential:
    """Run ``plugin`` once and return the credential it prints."""
    name = os.path.basename(plugin.command)
    what = f"exec credential plugin {name!r} (user {plugin.user!r}, context {config.context})"
    info: dict[str, Any] = {
        "apiVersion": plugin.api_version,
        "kind": "ExecCredential",
        "spec": {"interactive": False},
    }
    if plugin.provide_cluster_info:
        cluster: dict[str, Any] = {"server": config.server, "insecure-skip-tls-verify": config.insecure}
        if config.ca_pem is not None:
            cluster["certificate-authority-data"] = base64.b64encode(config.ca_pem).decode("ascii")
        if config.tls_server_name:
            cluster["tls-server-name"] = config.tls_server_name
        info["spec"]["cluster"] = cluster
    env = dict(os.environ)
    env.update(plugin.env)
    env["KUBERNETES_EXEC_INFO"] = json.dumps(info)
    try:
        proc = subprocess.run(
            [plugin.command, *plugin.args],
            env=env,
            stdin=subprocess.DEVNULL,  # never interactive: a hook or CI job has no one to answer
            capture_output=True,
            timeout=PLUGIN_TIMEOUT,
            check=False,
        )
    except FileNotFoundError:
        hint = f" ({plugin.install_hint.strip()})" if plugin.install_hint.strip() else ""
        raise KubeconfigError(f"{what}: {plugin.command} not found{hint}") from None
    except PermissionError:
        raise KubeconfigError(f"{what}: {plugin.command} is not executable") from None
    except subprocess.TimeoutExpired:
        raise ClusterError(f"{what}: no answer after {PLUGIN_TIMEOUT:.0f}s") from None
    if proc.returncode != 0:
        lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        last = f": {lines[-1][:300]}" if lines else ""
        raise ClusterError(f"{what} exited with status {proc.returncode}{last}")
    return _parse(proc.stdout, plugin, what)


def _parse(stdout: bytes, plugin: ExecPlugin, what: str) -> Credential:
    try:
        document = json.loads(stdout)
    except ValueError:
        raise ClusterError(f"{what}: its output is not an ExecCredential (not JSON)") from None
    if not isinstance(document, dict) or document.get("kind") != "ExecCredential":
        raise ClusterError(f"{what}: its output is not an ExecCredential")
    if document.get("apiVersion") != plugin.api_version:
        raise ClusterError(
            f"{what}: it answered {document.get('apiVersion')!r}, "
            f"the kubeconfig asks for {plugin.api_version}"
        )
    status = document.get("status")
    if not isinstance(status, dict):
        raise ClusterError(f"{what}: its ExecCredential has no status")
    token = status.get("token")
    cert = status.get("clientCertificateData")
    key = status.get("clientKeyData")
    if not token and not (cert and key):
        raise ClusterError(f"{what}: its ExecCredential has neither a token nor a client certificate and key")
    return Credential(
        token=str(token) if token else None,
        client_cert_pem=str(cert).encode() if cert and key else None,
        client_key_pem=str(key).encode() if cert and key else None,
        expires=_timestamp(status.get("expirationTimestamp"), what),
    )


def _timestamp(value: Any, what: str) -> float | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise ClusterError(f"{what}: expirationTimestamp {value!r} is not an RFC 3339 time") from None
