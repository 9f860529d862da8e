"""The real pipeline on files written to a temporary repository (see tests/checks/conftest.py)."""

from __future__ import annotations

from tests.checks.conftest import check

__all__ = ["check"]
