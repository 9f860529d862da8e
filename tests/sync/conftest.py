"""The sync tests reuse the cluster tests' fixtures: a fresh namespace per test."""

from __future__ import annotations

from tests.cluster.conftest import namespace

__all__ = ["namespace"]
