"""Kubeconfig loading: which server, which credentials, which namespace.

Follows kubectl's rules so a kubeconfig that works there works here: ``--kubeconfig FILE``
alone if given; else the files listed in ``KUBECONFIG`` (``:``-separated, missing ones skipped)
merged so that the first file defining a cluster, user or context name wins, and the first
non-empty ``current-context`` wins; else ``~/.kube/config``. Relative certificate and token
paths are relative to the file that names them.

Supported credentials: client certificate and key (file or ``-data``), bearer ``token`` or
``tokenFile``, and ``exec`` credential plugins (run by ``credentials.py`` when a connection is
made, not here). The legacy ``auth-provider`` is refused with a clear error rather than
silently connecting anonymously.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitops_guard.cluster.errors import KubeconfigError


@dataclass(frozen=True)
class ExecPlugin:
    """A user's ``exec`` credential plugin (client.authentication.k8s.io), as the kubeconfig says."""

    command: str
    args: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    api_version: str = "client.authentication.k8s.io/v1"
    install_hint: str = ""
    provide_cluster_info: bool = False
    user: str = ""


@dataclass(frozen=True)
class ClusterConfig:
    """Everything needed to open a connection to one cluster as one user.

    Credentials are excluded from ``repr`` so that a logged or printed config never shows them.
    """

    server: str
    context: str
    namespace: str = "default"
    ca_pem: bytes | None = field(default=None, repr=False)
    insecure: bool = False
    tls_server_name: str | None = None
    client_cert_pem: bytes | None = field(default=None, repr=False)
    client_key_pem: bytes | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    # Where the token came from; re-read now and then (a service-account token is rotated).
    token_file: str | None = None
    exec_plugin: ExecPlugin | None = None
    source: str = ""


def default_paths(env: Mapping[str, str] | None = None) -> list[Path]:
    """The files kubectl would read when no ``--kubeconfig`` is given."""
    env = os.environ if env is None else env
    listed = env.get("KUBECONFIG", "")
    if listed:
        return [Path(p).expanduser() for p in listed.split(os.pathsep) if p]
    return [Path(env.get("HOME", str(Path.home()))) / ".kube" / "config"]


def load_kubeconfig(
    path: str | os.PathLike[str] | None = None,
    *,
    context: str | None = None,
    env: Mapping[str, str] | None = None,
) -> ClusterConfig:
    """Resolve the kubeconfig and ``context`` (default: its current context) to a ClusterConfig."""
    if path is not None:
        explicit = Path(path).expanduser()
        if not explicit.is_file():
            raise KubeconfigError(f"kubeconfig {explicit}: no such file")
        files = [explicit]
    else:
        files = [p for p in default_paths(env) if p.is_file()]
        if not files:
            where = ", ".join(str(p) for p in default_paths(env))
            raise KubeconfigError(f"no kubeconfig found (looked at {where}); pass --kubeconfig FILE")
    merged = _merge([(_read(p), p) for p in files])
    return _resolve(merged, context, source=os.pathsep.join(str(p) for p in files))


# name -> (entry, file that defined it)
_Named = dict[str, tuple[dict[str, Any], Path]]


@dataclass
class _Merged:
    clusters: _Named
    users: _Named
    contexts: _Named
    current: str | None


def _read(path: Path) -> dict[str, Any]:
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise KubeconfigError(f"kubeconfig {path}: {exc.strerror or exc}") from None
    try:
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise KubeconfigError(f"kubeconfig {path}{where}: {problem}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise KubeconfigError(f"kubeconfig {path}: not a mapping")
    return data


def _merge(configs: list[tuple[dict[str, Any], Path]]) -> _Merged:
    merged = _Merged({}, {}, {}, None)
    for data, path in configs:
        for key, target in (
            ("clusters", merged.clusters),
            ("users", merged.users),
            ("contexts", merged.contexts),
        ):
            entries = data.get(key) or []
            if not isinstance(entries, list):
                raise KubeconfigError(f"kubeconfig {path}: {key} is not a list")
            inner = key[:-1]  # clusters -> cluster
            for entry in entries:
                if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                    raise KubeconfigError(f"kubeconfig {path}: a {inner} entry without a name")
                body = entry.get(inner) or {}
                if not isinstance(body, dict):
                    raise KubeconfigError(f"kubeconfig {path}: {inner} {entry['name']!r} is not a mapping")
                target.setdefault(entry["name"], (body, path))
        current = data.get("current-context")
        if merged.current is None and isinstance(current, str) and current:
            merged.current = current
    return merged


def _resolve(merged: _Merged, context: str | None, *, source: str) -> ClusterConfig:
    name = context or merged.current
    if not name:
        raise KubeconfigError(f"kubeconfig {source}: no current-context; pass --context")
    if name not in merged.contexts:
        known = ", ".join(sorted(merged.contexts)) or "none"
        raise KubeconfigError(f"kubeconfig {source}: no context {name!r} (defined: {known})")
    ctx, _ = merged.contexts[name]
    cluster_name = ctx.get("cluster")
    user_name = ctx.get("user")
    if not isinstance(cluster_name, str) or cluster_name not in merged.clusters:
        raise KubeconfigError(f"kubeconfig {source}: context {name!r} names no defined cluster")
    cluster, cluster_file = merged.clusters[cluster_name]
    user: dict[str, Any] = {}
    user_file = cluster_file
    if isinstance(user_name, str) and user_name:
        if user_name not in merged.users:
            raise KubeconfigError(f"kubeconfig {source}: context {name!r} names undefined user {user_name!r}")
        user, user_file = merged.users[user_name]

    server = cluster.get("server")
    if not isinstance(server, str) or not server.startswith(("https://", "http://")):
        raise KubeconfigError(
            f"kubeconfig {cluster_file}: cluster {cluster_name!r} has no http(s) server URL"
        )
    if user.get("auth-provider"):
        raise KubeconfigError(
            f"kubeconfig {user_file}: user {user_name!r} uses an auth-provider credential, which "
            "gitops-guard does not support; use an exec plugin, a client certificate or a token"
        )
    exec_plugin = (
        _exec_plugin(user.get("exec"), str(user_name or ""), user_file) if user.get("exec") else None
    )

    token = user.get("token")
    token_file = None
    if not token and user.get("tokenFile"):
        token = _file(user, "tokenFile", user_file, "token file").decode("utf-8").strip()
        token_file = str((user_file.parent / Path(str(user["tokenFile"])).expanduser()).resolve())
    namespace = ctx.get("namespace")
    server_name = cluster.get("tls-server-name")
    return ClusterConfig(
        server=server.rstrip("/"),
        context=name,
        namespace=namespace if isinstance(namespace, str) and namespace else "default",
        ca_pem=_material(cluster, "certificate-authority", cluster_file),
        insecure=bool(cluster.get("insecure-skip-tls-verify", False)),
        tls_server_name=server_name if isinstance(server_name, str) and server_name else None,
        client_cert_pem=_material(user, "client-certificate", user_file),
        client_key_pem=_material(user, "client-key", user_file),
        token=token if isinstance(token, str) and token else None,
        token_file=token_file,
        exec_plugin=exec_plugin,
        source=source,
    )


def _exec_plugin(entry: Any, user: str, origin: Path) -> ExecPlugin:
    where = f"kubeconfig {origin}: user {user!r}: exec"
    if not isinstance(entry, dict) or not isinstance(entry.get("command"), str) or not entry["command"]:
        raise KubeconfigError(f"{where} has no command")
    command = os.path.expanduser(entry["command"])
    # As kubectl does: a command with a path separator is relative to the kubeconfig's
    # directory; a bare name is looked up on PATH when it runs.
    if os.sep in command and not os.path.isabs(command):
        command = str(origin.parent / command)
    args = entry.get("args") or []
    env_list = entry.get("env") or []
    if not isinstance(args, list) or not isinstance(env_list, list):
        raise KubeconfigError(f"{where}: args and env must be lists")
    env: list[tuple[str, str]] = []
    for item in env_list:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise KubeconfigError(f"{where}: an env entry without a name")
        env.append((item["name"], str(item.get("value", ""))))
    api_version = entry.get("apiVersion")
    if api_version not in ("client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"):
        raise KubeconfigError(
            f"{where}: apiVersion must be client.authentication.k8s.io/v1 or v1beta1, not {api_version!r}"
        )
    return ExecPlugin(
        command=command,
        args=tuple(str(a) for a in args),
        env=tuple(env),
        api_version=api_version,
        install_hint=str(entry.get("installHint") or ""),
        provide_cluster_info=bool(entry.get("provideClusterInfo", False)),
        user=user,
    )


def _material(entry: dict[str, Any], key: str, origin: Path) -> bytes | None:
    """``key-data`` (base64) if present, else the file ``key`` names, else None."""
    data = entry.get(f"{key}-data")
    if data:
        try:
            return base64.b64decode(str(data), validate=True)
        except (binascii.Error, ValueError):
            raise KubeconfigError(f"kubeconfig {origin}: {key}-data is not valid base64") from None
    if entry.get(key):
        return _file(entry, key, origin, key)
    return None


def _file(entry: dict[str, Any], key: str, origin: Path, what: str) -> bytes:
    path = Path(str(entry[key])).expanduser()
    if not path.is_absolute():
        path = origin.parent / path
    try:
        return path.read_bytes()
    except OSError as exc:
        raise KubeconfigError(f"kubeconfig {origin}: {what} {path}: {exc.strerror or exc}") from None
