"""Where the data shipped with the package (schemas, policies) lives.

A wheel installs ``schemas/`` and ``policies/`` as ``gitops_guard/_data/``; a
source checkout (editable install, tests) reads them from the repository root.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    installed = _PACKAGE / "_data" / name
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / name
