"""The sync tests reuse the cluster tests' fixtures (a fresh namespace per test) and add a
namespace for the sync history, deleted after the test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gitops_guard.cluster import Client
from tests.cluster.conftest import namespace

__all__ = ["history_ns", "namespace"]


@pytest.fixture
def history_ns(client: Client, namespace: str) -> Iterator[str]:
    name = f"{namespace[:60]}-h"
    yield name
    client.delete("v1", "Namespace", name)
