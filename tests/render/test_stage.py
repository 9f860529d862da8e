"""The render stage's boundaries: what it builds, what it never starts, what it never shows."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from gitops_guard import resources as resources_mod
from gitops_guard.desired.stage import RenderOutcome, render
from gitops_guard.pipeline import CheckOptions, run_check, settings_for
from gitops_guard.render import tools
from gitops_guard.source.limits import Limits
from gitops_guard.source.load import load
from gitops_guard.source.walk import discover
from tests.conftest import ToolFinder
from tests.helpers import write_files as write

DEPLOY = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  a: b\n"
TREE = {
    "plain/cm.yaml": DEPLOY.format(name="plain"),
    "one/base/kustomization.yaml": "resources:\n  - cm.yaml\n",
    "one/base/cm.yaml": DEPLOY.format(name="one"),
    "one/prod/kustomization.yaml": "resources:\n  - ../base\n",
    "two/kustomization.yaml": "resources:\n  - cm.yaml\n",
    "two/cm.yaml": DEPLOY.format(name="two"),
}


def stage(root: Path, paths: list[str]) -> RenderOutcome:
    candidates, _ = discover(paths, root)
    files = load(candidates, Limits())
    resources = list(resources_mod.from_files(files))
    return render(files, resources, settings_for(CheckOptions(), root))


def test_plain_files_in_no_kustomization_start_no_process(tmp_path: Path) -> None:
    write(tmp_path, TREE)
    out = stage(tmp_path, ["plain/cm.yaml"])
    assert out.processes == 0
    assert [r.path for r in out.resources] == ["plain/cm.yaml"]


def test_only_roots_that_include_a_checked_file_are_built(tmp_path: Path, tool: ToolFinder) -> None:
    tool("kustomize")
    write(tmp_path, TREE)
    out = stage(tmp_path, ["one/base/cm.yaml"])
    assert out.processes == 1  # one/prod, not two/
    [res] = out.resources
    assert (res.path, res.rendered_by, res.ref.name) == (
        "one/base/cm.yaml",
        "one/prod/kustomization.yaml",
        "one",
    )
    everything = stage(tmp_path, ["."])
    assert everything.processes == 2
    assert sorted(r.ref.name or "" for r in everything.resources) == ["one", "plain", "two"]


def test_origin_annotation_is_removed_before_checks(tmp_path: Path, tool: ToolFinder) -> None:
    tool("kustomize")
    write(tmp_path, TREE)
    for res in stage(tmp_path, ["."]).resources:
        assert "annotations" not in res.body["metadata"], res.body


def test_yaml_only_runs_do_not_render(tmp_path: Path) -> None:
    write(tmp_path, {**TREE, "one/prod/kustomization.yaml": "resources:\n  - ../missing\n"})
    report = run_check(CheckOptions(paths=["."], select=["yaml"]), tmp_path)
    assert report.findings == ()


def test_error_line_never_shows_object_content() -> None:
    stderr = (
        "Error: accumulating resources: map[apiVersion:v1 data:map[password:aHVudGVyMg==] kind:Secret]: "
        "missing metadata.name in object {{v1 Secret} {{ } map[password:hunter2]}}\n"
    )
    line = tools.error_line(stderr)
    assert "aHVudGVyMg" not in line and "hunter2" not in line
    assert line.startswith("accumulating resources")
    assert "missing metadata.name" in line


def test_a_hanging_tool_is_stopped_by_the_timeout(tmp_path: Path) -> None:
    sleep = shutil.which("sleep")
    assert sleep is not None
    started = time.monotonic()
    result = tools.run([sleep, "30"], cwd=tmp_path, timeout=0.5)
    assert time.monotonic() - started < 5
    assert result.timed_out and not result.ok


def test_network_is_refused_not_waited_for(tmp_path: Path) -> None:
    env = tools.offline_env()
    assert env["HTTPS_PROXY"].startswith("http://127.0.0.1:")
    assert env["GIT_TERMINAL_PROMPT"] == "0"
