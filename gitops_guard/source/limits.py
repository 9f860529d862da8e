"""Bounds that keep hostile or broken input from hanging the run or eating memory."""

from __future__ import annotations

from typing import NamedTuple


class Limits(NamedTuple):
    max_file_bytes: int = 10 * 1024 * 1024
    max_nodes: int = 1_000_000
    max_depth: int = 200
