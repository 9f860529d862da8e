"""The cache directory and how files in it are written; every cache in it is an optimisation only."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    base = os.environ.get("GITOPS_GUARD_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "gitops-guard"
    )
    return Path(base)


def write_atomically(path: Path, text: str) -> None:
    """Write or leave alone: concurrent runs (pre-commit starts several) each write whole files."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass
