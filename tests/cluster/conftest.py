"""Fixtures for the cluster tests: a namespace per test and ServiceAccount tokens (the client
on the session's dev cluster is in tests/conftest.py)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from gitops_guard.cluster import Client

# A CRD version's schema for the test kinds: ``spec.size``, a required integer of at least 1.
SIZE_SCHEMA: dict[str, Any] = {
    "openAPIV3Schema": {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {"size": {"type": "integer", "minimum": 1}},
                "required": ["size"],
            }
        },
    }
}


@pytest.fixture
def namespace(client: Client, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh namespace named after the test, deleted afterwards."""
    name = re.sub(r"[^a-z0-9-]", "-", request.node.name.lower())[:50].strip("-")
    client.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    yield name
    client.delete("v1", "Namespace", name)


def service_account_token(client: Client, name: str, namespace: str = "default") -> str:
    """A real token of ServiceAccount ``name`` in ``namespace``, from the TokenRequest API."""
    response = client.transport.request(
        "POST",
        f"/api/v1/namespaces/{namespace}/serviceaccounts/{name}/token",
        body=b'{"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{}}',
        content_type="application/json",
        what="token request",
    )
    return str(json.loads(response.body)["status"]["token"])
