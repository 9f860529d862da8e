"""Talking to a Kubernetes API server: kubeconfig, discovery, get/list, server-side apply, delete.

Only the commands that need a live cluster (diff, sync) import this package; ``check`` never
does, so its start-up time does not pay for TLS or HTTP set-up.
"""

from __future__ import annotations

from gitops_guard.cluster.client import Client
from gitops_guard.cluster.discovery import ResourceInfo
from gitops_guard.cluster.errors import (
    ApiError,
    ClusterError,
    ClusterUnreachable,
    KubeconfigError,
    UnknownKind,
)
from gitops_guard.cluster.kubeconfig import ClusterConfig, load_kubeconfig

__all__ = [
    "ApiError",
    "Client",
    "ClusterConfig",
    "ClusterError",
    "ClusterUnreachable",
    "KubeconfigError",
    "ResourceInfo",
    "UnknownKind",
    "load_kubeconfig",
]
