"""A fleet repository kept inside another checkout (an example, a vendored copy) resolves its
deployers' paths from the checked tree when they do not resolve from the enclosing root."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.helpers import FLUX_SOURCE, check_json, flux_kustomization, write_files

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: apps\ndata: {k: v}\n"


def _outer(tmp_path: Path, path: str) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    write_files(
        tmp_path,
        {
            "examples/fleet/clusters/prod/apps.yaml": flux_kustomization(path),
            "examples/fleet/clusters/prod/flux-system/gotk-sync.yaml": FLUX_SOURCE,
            "examples/fleet/apps/cm.yaml": CM,
        },
    )


def test_paths_resolve_from_the_checked_tree(tmp_path: Path) -> None:
    _outer(tmp_path, "./apps")
    code, report = check_json("examples/fleet", "--select", "prune", cwd=tmp_path)
    assert code == 0 and report["findings"] == []


def test_a_path_missing_everywhere_is_still_not_resolved(tmp_path: Path) -> None:
    _outer(tmp_path, "./nowhere")
    _code, report = check_json("examples/fleet", "--select", "prune", cwd=tmp_path)
    assert [(f["rule"], f["path"]) for f in report["findings"]] == [
        ("prune/not-resolved", "examples/fleet/clusters/prod/apps.yaml")
    ]
