"""Reading a value at a path (keys and list indexes) in a manifest's plain data."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def value_at(data: Any, path: Sequence[str | int], default: Any = None) -> Any:
    """The value at ``path`` in ``data``, or ``default`` where the path does not exist.

    A caller that must tell an absent field from an explicit null passes its own sentinel.
    """
    node = data
    for step in path:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            return default
    return node
