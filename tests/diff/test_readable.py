"""Diffs people can read: literal blocks for multi-line strings, noise left out, credentials
masked outside Secrets, colour only where it belongs."""

from __future__ import annotations

import copy
import os
import pty
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from gitops_guard.config import DIFF_HIDE, load_config
from gitops_guard.diff import noise
from gitops_guard.diff.objects import mask_secrets, to_yaml, unified
from gitops_guard.diff.redact import mask_credentials
from gitops_guard.errors import ConfigError
from tests.conftest import require_tool
from tests.helpers import committed_repo, run_cli
from tests.helpers import write_files as write

PATCH = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  replicas: 2\n"


@pytest.mark.parametrize(
    "value",
    [
        PATCH,
        "trailing space \nnext",  # PyYAML alone falls back to an escaped one-liner here
        "  indented first line\nsecond",
        "ends with blank lines\n\n\n",
        "tab\tinside\nx",
        "no final newline\nlast",
    ],
)
def test_multi_line_strings_are_literal_blocks_and_round_trip(value: str) -> None:
    obj = {"spec": {"values": {"patch": value}}, "kind": "ConfigMap"}
    text = to_yaml(obj)
    assert yaml.safe_load(text) == obj
    assert "\\n" not in text
    assert "patch: |" in text


@pytest.mark.parametrize("value", ["carriage\r\nreturn", "bell\x07\nx", "sep\u2028x\ny"])
def test_strings_a_literal_block_cannot_hold_stay_quoted(value: str) -> None:
    text = to_yaml({"v": value})
    assert yaml.safe_load(text) == {"v": value}
    assert not text.startswith("v: |")


def test_long_values_are_never_folded() -> None:
    text = to_yaml({"v": "word " * 100 + "end", "w": "x" * 500})
    assert len(text.splitlines()) == 2


def test_one_changed_line_in_an_embedded_patch_is_one_diff_line() -> None:
    before = {"kind": "HelmRelease", "spec": {"postRenderers": [{"patch": PATCH}]}}
    after = copy.deepcopy(before)
    after["spec"]["postRenderers"][0]["patch"] = PATCH.replace("replicas: 2", "replicas: 3")
    text = unified(before, after, "HelmRelease x")
    changed = [line for line in text.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    assert changed == ["-        replicas: 2", "+        replicas: 3"]


def _chart_object(version: str, checksum: str, ca: str) -> dict[str, Any]:
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingWebhookConfiguration",
        "metadata": {
            "name": "hook",
            "labels": {"app": "x", "helm.sh/chart": f"x-{version}", "app.kubernetes.io/version": version},
            "annotations": {"checksum/config": checksum, "team": "a"},
        },
        "webhooks": [{"name": "v.example.com", "clientConfig": {"caBundle": ca, "url": "https://x"}}],
        "spec": {"template": {"metadata": {"annotations": {"checksum/secret": checksum}}}},
    }


def test_noise_is_stripped_everywhere_and_alone_is_no_difference() -> None:
    a, b = _chart_object("1.0.0", "aaa", "Q0EtMQ=="), _chart_object("1.1.0", "bbb", "Q0EtMg==")
    noise.strip(a)
    noise.strip(b)
    assert a == b
    assert a["metadata"] == {"name": "hook", "labels": {"app": "x"}, "annotations": {"team": "a"}}
    assert a["webhooks"][0]["clientConfig"] == {"url": "https://x"}
    assert "annotations" not in a["spec"]["template"]["metadata"]
    assert unified(a, b, "x") == ""


@pytest.mark.parametrize("category", noise.CATEGORIES)
def test_each_noise_category_can_be_shown(category: str) -> None:
    a, b = _chart_object("1.0.0", "aaa", "Q0EtMQ=="), _chart_object("1.1.0", "bbb", "Q0EtMg==")
    hide = [c for c in noise.CATEGORIES if c != category]
    noise.strip(a, hide)
    noise.strip(b, hide)
    assert a != b


def test_config_diff_hide(tmp_path: Path) -> None:
    assert DIFF_HIDE == noise.CATEGORIES
    cfg = tmp_path / ".gitops-guard.yaml"
    cfg.write_text("diff:\n  hide: [ca-bundles]\n")
    assert load_config(cfg).diff_hide == ("ca-bundles",)
    cfg.write_text("diff:\n  hide: []\n")
    assert load_config(cfg).diff_hide == ()
    cfg.write_text("fail-on: error\ndiff:\n  hide: [ca-bundles, helm-labels]\n")
    with pytest.raises(ConfigError, match=r":3:.*unknown diff.hide entry 'helm-labels'"):
        load_config(cfg)
    cfg.write_text("diff:\n  show: []\n")
    with pytest.raises(ConfigError, match=r":2:.*unknown key 'show'"):
        load_config(cfg)


TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"


def test_credentials_outside_secrets_are_masked_consistently() -> None:
    before = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "app"},
        "data": {"config.ini": f"[auth]\ntoken = {TOKEN}\nlevel = info\n", "copy": TOKEN},
    }
    after = copy.deepcopy(before)
    after["data"]["config.ini"] = after["data"]["config.ini"].replace("info", "debug")
    mask_credentials([before, after])
    text = unified(before, after, "ConfigMap app")
    assert TOKEN not in text and "ghp_" not in text
    assert before["data"]["copy"] == after["data"]["copy"] and set(before["data"]["copy"]) == {"+"}
    assert "-    level = info\n+    level = debug\n" in text


@pytest.fixture
def chart_repo(tmp_path: Path) -> Path:
    require_tool("git")
    root = committed_repo(
        tmp_path / "repo", {"hook.yaml": yaml.safe_dump(_chart_object("1.0.0", "aaa", "Q0EtMQ=="))}
    )
    write(root, {"hook.yaml": yaml.safe_dump(_chart_object("1.1.0", "bbb", "Q0EtMg=="))})
    return root


def test_diff_command_hides_noise_unless_configured(chart_repo: Path) -> None:
    proc = run_cli("diff", "--base", "HEAD", cwd=chart_repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    write(chart_repo, {".gitops-guard.yaml": "diff:\n  hide: [checksum-annotations]\n"})
    proc = run_cli("diff", "--base", "HEAD", cwd=chart_repo)
    assert proc.returncode == 1
    assert "+    helm.sh/chart: x-1.1.0" in proc.stdout and "caBundle" in proc.stdout
    assert "checksum/" not in proc.stdout


def test_colour_only_on_a_terminal_or_when_asked(chart_repo: Path) -> None:
    write(chart_repo, {".gitops-guard.yaml": "diff:\n  hide: []\n"})
    plain = run_cli("diff", "--base", "HEAD", cwd=chart_repo)
    assert plain.returncode == 1 and "\033[" not in plain.stdout
    forced = run_cli("diff", "--base", "HEAD", "--color", "always", cwd=chart_repo)
    assert "\033[32m+" in forced.stdout and "\033[31m-" in forced.stdout
    assert "\033[" not in run_cli("diff", "--base", "HEAD", "--color", "never", cwd=chart_repo).stdout
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    assert "\033[32m+" in _on_tty(chart_repo, env)
    assert "\033[" not in _on_tty(chart_repo, {**env, "NO_COLOR": "1"})


def _on_tty(cwd: Path, env: dict[str, str]) -> str:
    """``diff --base HEAD`` with stdout on a pseudo-terminal: what a user's terminal gets."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "gitops_guard", "diff", "--base", "HEAD"],
        cwd=cwd,
        stdout=follower,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    proc.wait(timeout=60)
    os.close(leader)
    return b"".join(chunks).decode()


def test_mask_secrets_masks_credentials_everywhere_with_one_masker() -> None:
    """The live diff and base→head both call mask_secrets: a token in a ConfigMap is masked,
    and the same value in a Secret gets the same mask."""
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "stringData": {"t": TOKEN}}
    config = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c"},
        "data": {"github-token": TOKEN},
    }
    other = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "d"}, "data": {"mode": "fast"}}
    mask_secrets([secret, config, other])
    assert secret["stringData"]["t"] == config["data"]["github-token"] and set(secret["stringData"]["t"]) == {
        "+"
    }
    assert other["data"] == {"mode": "fast"}
