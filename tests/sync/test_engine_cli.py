"""`gitops-guard sync`, `history` and `rollback` as a user runs them, against the dev cluster."""

from __future__ import annotations

import json
import os
from pathlib import Path

from gitops_guard.cluster import Client
from tests.conftest import DevCluster
from tests.helpers import run_cli
from tests.sync.engine_helpers import AppRepo, config_map

AUTOMATED = """\
  syncPolicy:
    automated: {prune: true, selfHeal: true}
"""


def _cli(dev_cluster: DevCluster, tmp: Path, history_ns: str, *args: str) -> tuple[int, str, str]:
    env = dict(os.environ, GITOPS_GUARD_CACHE=str(tmp / "cache"))
    proc = run_cli(
        *args[:2],
        "--kubeconfig",
        str(dev_cluster.kubeconfig),
        "--history-namespace",
        history_ns,
        *args[2:],
        cwd=tmp,
        env=env,
        timeout=180,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, proc.stdout, proc.stderr


def test_sync_history_and_rollback_through_the_command_line(
    client: Client, dev_cluster: DevCluster, namespace: str, history_ns: str, tmp_path: Path
) -> None:
    repo = AppRepo(tmp_path, namespace)
    first = repo.commit({"a.yaml": config_map("settings", data={"mode": "one"})})
    app = str(repo.file)

    code, out, _ = _cli(dev_cluster, tmp_path, history_ns, "sync", app, "--dry-run")
    assert code == 0, out
    assert "DryRun" in out and "Sync wave 0: create 1, update 0, unchanged 0" in out
    assert client.get("v1", "ConfigMap", "settings", namespace) is None

    code, out, err = _cli(dev_cluster, tmp_path, history_ns, "sync", app)
    assert code == 0, out + err
    assert f"web: Synced at {first[:12]}" in out
    second = repo.commit({"a.yaml": config_map("settings", data={"mode": "two"})})
    code, out, _ = _cli(dev_cluster, tmp_path, history_ns, "sync", app, "--timeout", "1m")
    assert code == 0 and "updated 1" in out, out
    live = client.get("v1", "ConfigMap", "settings", namespace)
    assert live is not None and live["data"] == {"mode": "two"}

    code, out, _ = _cli(dev_cluster, tmp_path, history_ns, "history", "web")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:5] == ["ID", "REVISION", "STARTED", "FINISHED", "RESULT"]
    assert [line.split()[1] for line in lines[1:]] == [first[:12], second[:12]]
    code, out, _ = _cli(dev_cluster, tmp_path, history_ns, "history", app, "--format", "json")
    report = json.loads(out)
    assert [e["result"] for e in report["history"]] == ["Succeeded", "Succeeded"]

    # Default: the previous synced revision.
    code, out, _ = _cli(dev_cluster, tmp_path, history_ns, "rollback", app)
    assert code == 0, out
    live = client.get("v1", "ConfigMap", "settings", namespace)
    assert live is not None and live["data"] == {"mode": "one"}
    code, out, _ = _cli(dev_cluster, tmp_path, history_ns, "rollback", app, "2")
    assert code == 0, out
    live = client.get("v1", "ConfigMap", "settings", namespace)
    assert live is not None and live["data"] == {"mode": "two"}

    code, _, err = _cli(dev_cluster, tmp_path, history_ns, "rollback", app, "99")
    assert code == 2 and "no history entry 99" in err


def test_rollback_is_refused_while_automated_sync_is_on(
    dev_cluster: DevCluster, namespace: str, history_ns: str, tmp_path: Path
) -> None:
    repo = AppRepo(tmp_path, namespace, policy=AUTOMATED)
    repo.commit({"a.yaml": config_map("one")})
    assert _cli(dev_cluster, tmp_path, history_ns, "sync", str(repo.file))[0] == 0
    repo.commit({"a.yaml": config_map("one"), "b.yaml": config_map("two")})
    assert _cli(dev_cluster, tmp_path, history_ns, "sync", str(repo.file))[0] == 0
    code, _, err = _cli(dev_cluster, tmp_path, history_ns, "rollback", str(repo.file))
    assert code == 2 and "automated sync on" in err
    code, out, _ = _cli(dev_cluster, tmp_path, history_ns, "rollback", str(repo.file), "--force")
    assert code == 0, out


def test_a_refused_sync_exits_1_and_never_prints_a_value(
    client: Client, dev_cluster: DevCluster, namespace: str, history_ns: str, tmp_path: Path
) -> None:
    repo = AppRepo(tmp_path, namespace)
    value = "AKIAIOSFODNN7EXAMPLE-wJalrXUtnFEMI/K7MDENG/bPxRfiCYzz9q2vL"
    secret = f"""\
apiVersion: v1
kind: Secret
metadata: {{name: creds}}
stringData:
  aws_secret_access_key: {value}
"""
    repo.commit({"s.yaml": secret, "a.yaml": config_map("settings")})
    code, out, err = _cli(dev_cluster, tmp_path, history_ns, "sync", str(repo.file))
    assert code == 1, out + err
    assert "Refused" in out and "secrets/" in out
    assert "wJalrXUtnFEMI" not in out + err
    code, out, _ = _cli(dev_cluster, tmp_path, history_ns, "history", "web", "--format", "json")
    assert "wJalrXUtnFEMI" not in out
    assert json.loads(out)["history"][-1]["result"] == "Refused"
    assert client.get("v1", "Secret", "creds", namespace) is None


def test_bad_app_files_are_clear_errors(dev_cluster: DevCluster, history_ns: str, tmp_path: Path) -> None:
    cases = {
        "syntax.yaml": ("kind: Application\nspec: [unclosed\n", "syntax.yaml:"),
        "none.yaml": ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", "no Argo CD Application"),
        "source.yaml": (
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: a}\nspec:\n  project: x\n",
            "source.yaml:5: Application has no spec.source",
        ),
        "flux.yaml": (
            "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: k}\n"
            "spec:\n  interval: 5m\n  path: ./x\n  sourceRef: {kind: GitRepository, name: nowhere}\n",
            "flux.yaml:7: GitRepository nowhere is not defined",
        ),
        "timeout.yaml": (
            "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: k}\n"
            "spec:\n  interval: soon\n  sourceRef: {kind: GitRepository, name: here}\n---\n"
            "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata: {name: here}\n"
            "spec: {url: file:///nowhere}\n",
            "timeout.yaml:5: spec.interval: 'soon' is not a duration",
        ),
    }
    for name, (text, expected) in cases.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        code, _, err = _cli(dev_cluster, tmp_path, history_ns, "sync", name)
        assert (code, expected in err) == (2, True), f"{name}: {code} {err}"
