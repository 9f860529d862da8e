"""Fixtures for the cluster tests: a client on the session's dev cluster, a namespace per test."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from gitops_guard.cluster import Client
from tests.conftest import DevCluster


@pytest.fixture(scope="session")
def client(dev_cluster: DevCluster) -> Iterator[Client]:
    with Client.from_kubeconfig(dev_cluster.kubeconfig) as cluster_client:
        yield cluster_client


@pytest.fixture
def namespace(client: Client, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh namespace named after the test, deleted afterwards."""
    name = re.sub(r"[^a-z0-9-]", "-", request.node.name.lower())[:50].strip("-")
    client.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    yield name
    client.delete("v1", "Namespace", name)
