"""`check` (the pre-commit hook path) must never load the cluster layer or the sync engine."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_check_does_not_import_the_cluster_layer_or_the_engine(tmp_path: Path) -> None:
    (tmp_path / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n")
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "gitops_guard", "check", "cm.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    imported = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if "|" in line}
    assert "gitops_guard.pipeline" in imported  # the list does hold the project's modules
    engine = ("gitops_guard.cluster", "gitops_guard.sync", "gitops_guard.ownership")
    assert not {m for m in imported if m.startswith(engine)}
