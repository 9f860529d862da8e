"""Which values of a ``Secret`` are committed in plaintext.

Not plaintext: empty values, placeholders (``changeme``, ``<password>``), public
certificates and keys, references and templates filled in later
(``${VAR}`` for Flux postBuild, ``<path:...>`` for Argo CD Vault Plugin,
``{{ }}``), SOPS ``ENC[...]`` values, and the fields of Argo CD repository and
cluster Secrets that hold no credential (a public repository's Secret is only a
``url``).
"""

from __future__ import annotations

import json
from typing import Any

from gitops_guard.secrets.candidates import decode_data
from gitops_guard.secrets.refs import literal
from gitops_guard.secrets.shapes import is_placeholder, is_public_material

ARGOCD_SECRET_TYPE = "argocd.argoproj.io/secret-type"  # pragma: allowlist secret
# Fields of Argo CD repository / repo-creds / cluster Secrets that are not credentials.
ARGOCD_PUBLIC_FIELDS = frozenset(
    [
        "url",
        "name",
        "type",
        "project",
        "enableOCI",
        "insecure",
        "insecureIgnoreHostKey",
        "proxy",
        "noProxy",
        "enableLfs",
        "forceHttpBasicAuth",
        "githubAppID",
        "githubAppInstallationID",
        "githubAppEnterpriseBaseUrl",
        "username",
        "tlsClientCertData",
        "useAzureWorkloadIdentity",
        "server",
        "namespaces",
        "clusterResources",
        "shard",
        "depth",
    ]
)
# Credentials inside an Argo CD cluster Secret's `config` JSON.
_CLUSTER_CONFIG_SECRETS = ("bearerToken", "password", "keyData")


def argocd_type(secret: dict[str, Any]) -> str | None:
    meta = secret.get("metadata")
    labels = meta.get("labels") if isinstance(meta, dict) else None
    value = labels.get(ARGOCD_SECRET_TYPE) if isinstance(labels, dict) else None
    return value if isinstance(value, str) else None


def plaintext_values(secret: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """``section.key`` → (section, committed value) for every value committed in plaintext."""
    argo = argocd_type(secret)
    out: dict[str, tuple[str, str]] = {}
    for section in ("data", "stringData"):
        values = secret.get(section)
        if not isinstance(values, dict):
            continue
        for key, value in values.items():
            if value is None:
                continue
            raw = value if isinstance(value, str) else json.dumps(value)
            text = (decode_data(raw) or raw) if section == "data" else raw
            if argo is not None and key in ARGOCD_PUBLIC_FIELDS:
                continue
            if argo == "cluster" and key == "config" and not _cluster_config_has_secret(text):
                continue
            if literal(text) is None or literal(raw) is None:
                continue
            if is_placeholder(text) or is_public_material(text):  # changeme, a CA certificate
                continue
            out[f"{section}.{key}"] = (section, raw)
    return out


def _cluster_config_has_secret(text: str) -> bool:
    try:
        config = json.loads(text)
    except ValueError:
        return literal(text) is not None
    stack: list[Any] = [config]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for k, v in node.items():
                if k in _CLUSTER_CONFIG_SECRETS and isinstance(v, str) and literal(v) is not None:
                    return True
                stack.append(v)
        elif isinstance(node, list):
            stack.extend(node)
    return False


def generator_literals(kustomization: dict[str, Any]) -> list[tuple[int, str]]:
    """(index, generator name) of kustomize secretGenerators that carry literal values."""
    out: list[tuple[int, str]] = []
    generators = kustomization.get("secretGenerator")
    if not isinstance(generators, list):
        return out
    for i, gen in enumerate(generators):
        if not isinstance(gen, dict) or not isinstance(gen.get("literals"), list):
            continue
        values = [lit.partition("=")[2] for lit in gen["literals"] if isinstance(lit, str)]
        if any(literal(v) is not None for v in values):
            out.append((i, str(gen.get("name") or "?")))
    return out
