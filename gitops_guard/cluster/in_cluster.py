"""Configuration inside a Pod: the service account's token and CA, and the API server's address.

Kubernetes mounts ``token``, ``ca.crt`` and ``namespace`` under
``/var/run/secrets/kubernetes.io/serviceaccount`` and sets ``KUBERNETES_SERVICE_HOST`` and
``KUBERNETES_SERVICE_PORT``; that is all client-go's in-cluster configuration reads, and all
this reads. The token is read again from its file now and then (``transport.py``): kubelet
rotates projected tokens.

:func:`load_config` picks, as kubectl does: ``--kubeconfig`` if given; else ``KUBECONFIG`` or
``~/.kube/config`` if one exists; else the in-cluster configuration when the environment has
it; else the usual "no kubeconfig found" error. ``GITOPS_GUARD_SERVICE_ACCOUNT_DIR`` moves the
mount point (tests, or a token projected elsewhere).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from gitops_guard.cluster.errors import KubeconfigError
from gitops_guard.cluster.kubeconfig import ClusterConfig, default_paths, load_kubeconfig

SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")
DIR_VARIABLE = "GITOPS_GUARD_SERVICE_ACCOUNT_DIR"
CONTEXT = "in-cluster"


def in_cluster(env: Mapping[str, str] | None = None, directory: Path | None = None) -> bool:
    """Whether the environment says this process runs in a Pod with a service account."""
    env = os.environ if env is None else env
    root = directory or Path(env.get(DIR_VARIABLE) or SERVICE_ACCOUNT_DIR)
    return bool(env.get("KUBERNETES_SERVICE_HOST")) and (root / "token").is_file()


def in_cluster_config(env: Mapping[str, str] | None = None, directory: Path | None = None) -> ClusterConfig:
    env = os.environ if env is None else env
    root = directory or Path(env.get(DIR_VARIABLE) or SERVICE_ACCOUNT_DIR)
    host = env.get("KUBERNETES_SERVICE_HOST", "").strip()
    port = env.get("KUBERNETES_SERVICE_PORT", "").strip() or "443"
    if not host:
        raise KubeconfigError("in-cluster configuration: KUBERNETES_SERVICE_HOST is not set")
    if not port.isdigit():
        raise KubeconfigError(f"in-cluster configuration: KUBERNETES_SERVICE_PORT {port!r} is not a port")
    token_path = root / "token"
    try:
        token = token_path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise KubeconfigError(f"in-cluster configuration: {token_path}: {exc.strerror or exc}") from None
    if not token:
        raise KubeconfigError(f"in-cluster configuration: {token_path} is empty")
    ca_path = root / "ca.crt"
    try:
        ca = ca_path.read_bytes()
    except OSError as exc:
        raise KubeconfigError(f"in-cluster configuration: {ca_path}: {exc.strerror or exc}") from None
    try:
        namespace = (root / "namespace").read_text(encoding="utf-8").strip() or "default"
    except OSError:
        namespace = "default"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 address
    return ClusterConfig(
        server=f"https://{host}:{port}",
        context=CONTEXT,
        namespace=namespace,
        ca_pem=ca,
        token=token,
        token_file=str(token_path),
        source=f"in-cluster ({root})",
    )


def load_config(
    kubeconfig: str | os.PathLike[str] | None = None,
    *,
    context: str | None = None,
    env: Mapping[str, str] | None = None,
) -> ClusterConfig:
    """The kubeconfig kubectl would use, else the in-cluster configuration (see the module doc)."""
    environ = os.environ if env is None else env
    if kubeconfig is not None or any(p.is_file() for p in default_paths(environ)):
        return load_kubeconfig(kubeconfig, context=context, env=environ)
    if in_cluster(environ):
        if context:
            raise KubeconfigError(f"--context {context}: there is no kubeconfig (running in-cluster)")
        return in_cluster_config(environ)
    return load_kubeconfig(None, context=context, env=environ)
