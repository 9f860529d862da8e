"""Kubeconfig loading follows kubectl's rules; errors are clear and never show a credential."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

from gitops_guard.cluster import ClusterConfig, KubeconfigError, load_kubeconfig
from gitops_guard.errors import ExitCode, exit_code_for

CA = b"-----BEGIN CERTIFICATE-----\nQ0E=\n-----END CERTIFICATE-----\n"
TOKEN = "tok-3f9a2c1d8e7b6a5f"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def config(name: str, server: str, *, user: str = "", namespace: str = "", current: str = "") -> str:
    return f"""apiVersion: v1
kind: Config
clusters:
- name: {name}
  cluster:
    server: {server}
    certificate-authority-data: {b64(CA)}
users:
- name: {name}-user
  user:
{user or "    token: " + TOKEN}
contexts:
- name: {name}
  context:
    cluster: {name}
    user: {name}-user
    {"namespace: " + namespace if namespace else ""}
current-context: "{current}"
"""


def test_explicit_file_and_current_context(tmp_path: Path) -> None:
    path = write(tmp_path / "kc", config("a", "https://10.0.0.1:6443/", namespace="team", current="a"))
    cfg = load_kubeconfig(path, env={})
    assert cfg.server == "https://10.0.0.1:6443"
    assert cfg.context == "a"
    assert cfg.namespace == "team"
    assert cfg.ca_pem == CA
    assert cfg.token == TOKEN


def test_namespace_defaults_to_default(tmp_path: Path) -> None:
    path = write(tmp_path / "kc", config("a", "https://h", current="a"))
    assert load_kubeconfig(path, env={}).namespace == "default"


def test_kubeconfig_env_merges_first_wins(tmp_path: Path) -> None:
    # Both files define a context "a"; the first file's wins, as with kubectl. The first file
    # has no current-context, so the second file's is used.
    first = write(tmp_path / "one", config("a", "https://first"))
    second = write(tmp_path / "two", config("a", "https://second", current="a"))
    env = {"KUBECONFIG": os.pathsep.join([str(tmp_path / "missing"), str(first), str(second)])}
    cfg = load_kubeconfig(env=env)
    assert cfg.server == "https://first"
    assert cfg.context == "a"


def test_context_option_selects_another_context(tmp_path: Path) -> None:
    first = write(tmp_path / "one", config("a", "https://first", current="a"))
    second = write(tmp_path / "two", config("b", "https://second"))
    env = {"KUBECONFIG": f"{first}{os.pathsep}{second}"}
    assert load_kubeconfig(env=env, context="b").server == "https://second"


def test_home_kube_config_is_the_default(tmp_path: Path) -> None:
    (tmp_path / ".kube").mkdir()
    write(tmp_path / ".kube" / "config", config("h", "https://home", current="h"))
    assert load_kubeconfig(env={"HOME": str(tmp_path)}).server == "https://home"


def test_relative_files_are_relative_to_the_kubeconfig(tmp_path: Path) -> None:
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "ca.crt").write_bytes(CA)
    (tmp_path / "certs" / "token").write_text(TOKEN + "\n")
    text = """clusters:
- name: c
  cluster: {server: "https://h", certificate-authority: certs/ca.crt}
users:
- name: u
  user: {tokenFile: certs/token}
contexts:
- name: x
  context: {cluster: c, user: u}
current-context: x
"""
    cfg = load_kubeconfig(write(tmp_path / "kc", text), env={})
    assert cfg.ca_pem == CA
    assert cfg.token == TOKEN


def test_credentials_are_not_in_repr(tmp_path: Path) -> None:
    cfg = load_kubeconfig(write(tmp_path / "kc", config("a", "https://h", current="a")), env={})
    assert TOKEN not in repr(cfg)
    assert isinstance(cfg, ClusterConfig)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, "no such file"),
        ("clusters: [", "kc:2:1: did not find expected node content"),
        ("- a list", "not a mapping"),
        (config("a", "https://h"), "no current-context; pass --context"),
        (config("a", "https://h", current="zzz"), "no context 'zzz' (defined: a)"),
        (config("a", "ftp://h", current="a"), "has no http(s) server URL"),
        (
            config("a", "https://h", current="a", user="    exec: {command: aws, apiVersion: v1}"),
            "apiVersion must be client.authentication.k8s.io/v1 or v1beta1, not 'v1'",
        ),
        (
            config(
                "a", "https://h", current="a", user="    exec: {apiVersion: client.authentication.k8s.io/v1}"
            ),
            "exec has no command",
        ),
        (
            config("a", "https://h", current="a", user="    auth-provider: {name: oidc}"),
            "uses an auth-provider credential",
        ),
        (
            config("a", "https://h", current="a", user="    client-key-data: '%%%'"),
            "client-key-data is not valid base64",
        ),
        (
            config("a", "https://h", current="a", user="    tokenFile: /nonexistent/token"),
            "token file /nonexistent/token",
        ),
    ],
)
def test_bad_kubeconfig_is_a_clear_usage_error(tmp_path: Path, text: str | None, expected: str) -> None:
    path = tmp_path / "kc"
    if text is not None:
        write(path, text)
    with pytest.raises(KubeconfigError) as info:
        load_kubeconfig(path, env={})
    assert expected in str(info.value)
    assert TOKEN not in str(info.value)
    assert exit_code_for(info.value) == ExitCode.USAGE


def test_no_kubeconfig_anywhere(tmp_path: Path) -> None:
    with pytest.raises(KubeconfigError, match="no kubeconfig found"):
        load_kubeconfig(env={"HOME": str(tmp_path)})


def test_exec_plugin_is_read(tmp_path: Path) -> None:
    user = """    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: ./bin/get-token
      args: [--cluster, prod]
      env: [{name: REGION, value: eu-west-1}]
      installHint: install get-token from your cloud's CLI
      provideClusterInfo: true
      interactiveMode: Never"""
    cfg = load_kubeconfig(write(tmp_path / "kc", config("a", "https://h", current="a", user=user)), env={})
    plugin = cfg.exec_plugin
    assert plugin is not None
    # A command with a path separator is relative to the kubeconfig's directory, as in kubectl.
    assert plugin.command == str(tmp_path / "bin" / "get-token")
    assert plugin.args == ("--cluster", "prod")
    assert plugin.env == (("REGION", "eu-west-1"),)
    assert plugin.provide_cluster_info
    assert plugin.install_hint.startswith("install get-token")
    assert cfg.token is None

    bare = user.replace("./bin/get-token", "get-token")
    cfg = load_kubeconfig(write(tmp_path / "kc2", config("a", "https://h", current="a", user=bare)), env={})
    assert cfg.exec_plugin is not None
    assert cfg.exec_plugin.command == "get-token"  # found on PATH when it runs
