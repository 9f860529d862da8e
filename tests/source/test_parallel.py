"""Forked parsing gives exactly the findings, positions included, of a one-process run."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops_guard.pipeline import CheckOptions, run_check
from gitops_guard.source import parallel

GOOD = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: cm-{i}
data:
  key: value
"""
# An unknown field deep in a Deployment, a duplicate key and a v1 List item.
BAD = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api-{i}
spec:
  replica: 2
  selector: {{matchLabels: {{app: api}}}}
  template:
    metadata: {{labels: {{app: api}}}}
    spec:
      containers: [{{name: api, image: nginx}}]
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: dup-{i}
  name: dup-{i}
---
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Service
    metadata: {{name: svc-{i}}}
    spec:
      portz: []
"""


def _repo(root: Path, count: int) -> None:
    for i in range(count):
        text = BAD if i % 37 == 5 else GOOD
        (root / f"f{i:04d}.yaml").write_text(text.format(i=i))


def _findings(root: Path, jobs: str, monkeypatch: pytest.MonkeyPatch) -> list[tuple[object, ...]]:
    monkeypatch.setenv("GITOPS_GUARD_JOBS", jobs)
    report = run_check(CheckOptions(paths=["."]), root)
    return [(f.rule, f.path, f.line, f.column, f.message, f.object) for f in report.findings]


def test_forked_parse_matches_one_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    count = parallel.MIN_FILES + 50
    _repo(tmp_path, count)
    one = _findings(tmp_path, "1", monkeypatch)
    two = _findings(tmp_path, "2", monkeypatch)
    three = _findings(tmp_path, "3", monkeypatch)
    assert one == two == three
    bad_files = {f"f{i:04d}.yaml" for i in range(count) if i % 37 == 5}
    assert {f[1] for f in one} == bad_files
    # Each bad file: unknown field (line 6), duplicate key (line 17), List item field (line 26).
    lines = sorted((f[0], f[2], f[3]) for f in one if f[1] == "f0005.yaml")
    assert lines == [("schema/violation", 6, 3), ("schema/violation", 26, 7), ("yaml/duplicate-key", 17, 3)]


def test_small_runs_do_not_fork(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _repo(tmp_path, 3)
    monkeypatch.setenv("GITOPS_GUARD_JOBS", "2")
    monkeypatch.setattr(parallel, "_spawn", lambda *a: pytest.fail("forked for a small run"))
    assert run_check(CheckOptions(paths=["."]), tmp_path).files == 3
