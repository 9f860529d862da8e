"""Baselines: findings recorded once so that adoption fails only on new ones.

A finding's fingerprint leaves out its line number, so edits above a
baselined finding do not resurrect it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from gitops_guard.errors import ConfigError
from gitops_guard.findings import Finding

VERSION = 1


def read(path: Path) -> frozenset[str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read baseline {path}: {exc.strerror}") from exc
    except ValueError as exc:
        raise ConfigError(f"{path}: baseline is not valid JSON ({exc})") from exc
    if not isinstance(data, dict) or data.get("version") != VERSION:
        raise ConfigError(f"{path}: not a gitops-guard baseline (version {VERSION} expected)")
    entries = data.get("findings", [])
    if not isinstance(entries, list):
        raise ConfigError(f"{path}: 'findings' must be a list")
    return frozenset(e["fingerprint"] for e in entries if isinstance(e, dict) and "fingerprint" in e)


def write(path: Path, findings: Iterable[Finding]) -> int:
    # Only what identifies a finding: rule, path and fingerprint (never a message
    # that could quote a value).
    entries = sorted(
        {(f.rule, f.path, f.fingerprint) for f in findings},
    )
    payload = {
        "version": VERSION,
        "findings": [{"rule": r, "path": p, "fingerprint": fp} for r, p, fp in entries],
    }
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return len(entries)
