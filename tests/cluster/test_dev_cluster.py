"""scripts/dev-cluster's contract: up (idempotent, last line the kubeconfig), status, down."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gitops_guard.cluster import Client
from tests.conftest import DevCluster, dev_cluster_env, find_tool, run_dev_cluster


def pids(state_dir: Path) -> dict[str, int]:
    state = json.loads((state_dir / "state.json").read_text())
    return {p["name"]: p["pid"] for p in state["processes"]}


def is_running(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2] != "Z"


def test_status_of_the_running_cluster(dev_cluster: DevCluster) -> None:
    status = dev_cluster.script("status")
    assert status.returncode == 0, status.stdout + status.stderr
    assert status.stdout.startswith("running at https://127.0.0.1:")
    assert status.stdout.strip().splitlines()[-1] == str(dev_cluster.kubeconfig)
    assert set(pids(dev_cluster.state_dir)) == {
        "etcd",
        "kube-apiserver",
        "kube-controller-manager",
        "kube-scheduler",
        "kwok",
    }


def test_up_again_is_idempotent(dev_cluster: DevCluster) -> None:
    before = pids(dev_cluster.state_dir)
    up = dev_cluster.script("up", "--no-install")
    assert up.returncode == 0, up.stderr
    assert up.stdout.strip().splitlines()[-1] == str(dev_cluster.kubeconfig)
    assert "already running" in up.stderr
    assert pids(dev_cluster.state_dir) == before


def test_kubeconfig_is_private_and_works(dev_cluster: DevCluster) -> None:
    assert dev_cluster.kubeconfig.stat().st_mode & 0o077 == 0
    with Client.from_kubeconfig(dev_cluster.kubeconfig) as client:
        assert client.version()["gitVersion"].startswith("v1.")


def test_down_stops_exactly_its_own_processes(dev_cluster: DevCluster, tmp_path: Path) -> None:
    """A second cluster in another state dir goes up and down; nothing else is touched."""
    env = dev_cluster_env(tmp_path / "second")
    decoy = subprocess.Popen(["sleep", "300"])
    try:
        up = run_dev_cluster("up", "--no-install", "--no-controller-manager", env=env)
        assert up.returncode == 0, up.stderr
        second = pids(tmp_path / "second")
        assert set(second) == {"etcd", "kube-apiserver"}
        assert run_dev_cluster("status", env=env).returncode == 0
        session = pids(dev_cluster.state_dir)
        assert not set(second.values()) & set(session.values())

        down = run_dev_cluster("down", env=env)
        assert down.returncode == 0, down.stderr
        assert all(not is_running(pid) for pid in second.values())
        assert all(is_running(pid) for pid in session.values())
        assert decoy.poll() is None
        assert dev_cluster.script("status").returncode == 0

        status = run_dev_cluster("status", env=env)
        assert status.returncode == 1
        assert status.stdout.startswith("not running")
        assert not (tmp_path / "second" / "etcd-data").exists()
        # Down again: nothing to do, still success.
        again = run_dev_cluster("down", env=env)
        assert (again.returncode, "not running" in again.stderr) == (0, True)
    finally:
        decoy.kill()
        decoy.wait()


def test_down_never_signals_a_recycled_pid(tmp_path: Path) -> None:
    """A recorded pid now used by another process (other start time) is left alone."""
    state_dir = tmp_path / "stale"
    state_dir.mkdir()
    decoy = subprocess.Popen(["sleep", "300"])
    try:
        record = {"name": "etcd", "pid": decoy.pid, "start": "1", "argv0": "etcd"}
        (state_dir / "state.json").write_text(
            json.dumps({"server": "https://127.0.0.1:1", "processes": [record]})
        )
        env = dev_cluster_env(state_dir)
        assert run_dev_cluster("status", env=env).returncode == 1
        down = run_dev_cluster("down", env=env)
        assert down.returncode == 0
        assert decoy.poll() is None
        assert not (state_dir / "state.json").exists()
    finally:
        decoy.kill()
        decoy.wait()


def test_a_process_that_dies_fails_up_with_its_log(tmp_path: Path) -> None:
    """etcd refusing its flags: `up` exits 1 with etcd's own error, and leaves nothing running."""
    real = {name: find_tool(name) for name in ("etcd", "kube-apiserver")}
    if any(path is None for path in real.values()):
        from tests.conftest import require_tool

        for name in real:
            require_tool(name)
    cache = tmp_path / "cache"
    (cache / "bin").mkdir(parents=True)
    os.symlink(str(real["kube-apiserver"]), cache / "bin" / "kube-apiserver")
    wrapper = cache / "bin" / "etcd"
    wrapper.write_text(f'#!/bin/sh\nexec "{real["etcd"]}" --no-such-flag "$@"\n')
    wrapper.chmod(0o755)
    env = dict(dev_cluster_env(tmp_path / "state"), GITOPS_GUARD_CACHE=str(cache))
    up = run_dev_cluster("up", "--no-install", "--no-controller-manager", env=env)
    assert up.returncode == 1
    assert "etcd exited with status" in up.stderr
    assert "no-such-flag" in up.stderr  # etcd's own message, from the end of its log
    assert "Traceback" not in up.stderr
    assert run_dev_cluster("status", env=env).returncode == 1


def test_missing_binary_is_named(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    (cache / "bin").mkdir(parents=True)
    env = dict(dev_cluster_env(tmp_path / "state"), GITOPS_GUARD_CACHE=str(cache), PATH="/usr/bin:/bin")
    if shutil.which("etcd", path=env["PATH"]):
        pytest.skip("an etcd on the system PATH")
    up = run_dev_cluster("up", "--no-install", env=env)
    assert up.returncode == 1
    assert "etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok, " in up.stderr
    assert "kwok/stages.yaml not found in" in up.stderr
    assert "run scripts/install-tools" in up.stderr


def test_usage() -> None:
    proc = subprocess.run(
        [sys.executable, "scripts/dev-cluster"],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        check=False,
    )
    assert proc.returncode == 2
    assert "up" in proc.stderr and "down" in proc.stderr


@pytest.mark.parametrize(
    "tool",
    [("ruff", "check"), ("ruff", "format", "--check"), ("mypy", "--strict", "--no-error-summary")],
    ids=["ruff", "ruff-format", "mypy"],
)
def test_script_is_lint_and_type_clean(tool: tuple[str, ...]) -> None:
    """The project's lint and type checks skip files without a .py suffix; run them here."""
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        [sys.executable, "-m", *tool, "scripts/dev-cluster"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
