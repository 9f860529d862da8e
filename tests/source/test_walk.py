"""Which files a run reads, and the paths it shows for them."""

from __future__ import annotations

from pathlib import Path

from gitops_guard.source.walk import discover


def test_a_directory_reached_through_a_symlink_gets_plain_relative_paths(tmp_path: Path) -> None:
    real = tmp_path / "real"
    (real / "apps").mkdir(parents=True)
    (real / "apps" / "a.yaml").write_text("a: 1\n")
    link = tmp_path / "link"
    link.symlink_to(real)
    found, missing = discover(["."], link)
    assert not missing and [c.display for c in found] == ["apps/a.yaml"]
