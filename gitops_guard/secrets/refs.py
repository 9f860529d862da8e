"""Values that are not secrets even where a secret would be: ciphertext and references.

A GitOps repository is expected to hold *pointers* to secrets (a secret
manager URI, a template filled in at deploy time, a variable substituted by
Flux) and *ciphertext* (SOPS, Sealed Secrets).  None of them is a leak, so
every detector asks here first.
"""

from __future__ import annotations

import re
from typing import Any

# Secret-manager and plugin URIs that name where a secret lives (1Password, Vault,
# vals ``ref+``, Azure Key Vault, GCP/AWS secret managers, Doppler, Infisical, ...).
_REFERENCE_PREFIXES = (
    "op://",
    "vault:",
    "vault://",
    "ref+",
    "akv://",
    "azkv://",
    "keyvault://",
    "gcpsm://",
    "gcp:secretmanager:",
    "sm://",
    "awssm://",
    "awssecrets://",
    "awsssm://",
    "ssm://",
    "secretsmanager://",
    "arn:aws:secretsmanager:",
    "arn:aws:ssm:",
    "bws://",
    "doppler://",
    "infisical://",
    "sops://",
    "k8s://",
    "secret://",
    "file://",
    "env://",
    "env:",
)
# Template and substitution syntaxes: Helm/Go and Jinja ``{{ }}``, Flux postBuild and
# shell ``${VAR}``, Kubernetes env ``$(VAR)`` and shell command substitution
# ``$(cat /run/secrets/db)`` (the value is read or generated when the script runs),
# Argo CD Vault Plugin ``<path:...>``, Terraform/Jinja ``%{ }`` / ``{% %}``, Python
# ``%(VAR)s``, and ``{VAR}`` as Frigate and many applications substitute from the environment.
_TEMPLATE = re.compile(
    r"\{\{.*?\}\}|\{%.*?%\}|%\{.*?\}|\$\{[^}\n]*\}|\$\((?:[^()\n]|\([^()\n]*\))*\)"
    r"|<path:[^>\n]*>|<[A-Za-z_][\w .:/-]*>|%\([A-Za-z_][\w.-]*\)[sdr]|\{[A-Za-z_][\w.-]*\}"
    r"|`[^`\n]+`",
    re.DOTALL,
)
# A YAML tag an application resolves itself (``!env_var NAME``, ``!ENV ${X}``, Home
# Assistant's ``!secret name``, ``!vault``), written in text the YAML parser never sees.
_APP_TAG = r"![A-Za-z_][\w/.-]*\s+\S.*"
# Code that reads the value: `$env.TOKEN`, `$config->password`, `$_ENV['DB_PASSWORD']`.
_CODE_READ = r"\$[A-Za-z_]\w*(?:\.|->|\[|\(|::)\S*"
_DOLLAR_VAR = re.compile(r"\$[A-Za-z_][A-Za-z0-9_]*")
# A whole value naming a key of another Secret, as Argo CD's and Argo Rollouts' notification
# settings do (``token: $slack-token``, ``password: $email.password``): words joined by `-`
# or `.`, which a shell variable cannot hold (``$DB-7Hq2x9`` is a variable and a literal).
_SECRET_KEY_REF = r"\$[A-Za-z_]\w*(?:[.-][A-Za-z_]\w*)+"
# GCP Secret Manager resource names.
_GCP_RESOURCE = re.compile(r"projects/[^/\s]+/secrets/[^/\s]+(/versions/[^/\s]+)?")


def is_sops_value(value: str) -> bool:
    """A value SOPS encrypted: ``ENC[AES256_GCM,data:...,type:str]``."""
    return value.startswith("ENC[") and value.endswith("]")


def is_sops_document(data: Any) -> bool:
    """A document SOPS encrypted carries its top-level ``sops:`` metadata mapping."""
    if not isinstance(data, dict):
        return False
    meta = data.get("sops")
    return isinstance(meta, dict) and any(k in meta for k in ("mac", "version", "lastmodified", "age", "pgp"))


def strip_templates(value: str) -> str:
    """The literal text of a value, template expressions removed (often nothing)."""
    if "{" not in value and "$" not in value and "<" not in value and "%" not in value and "`" not in value:
        return value
    return _DOLLAR_VAR.sub("", _TEMPLATE.sub("", value))


def is_reference(value: str) -> bool:
    """True when the value points at a secret (or is ciphertext) rather than being one."""
    text = value.strip()
    if not text:
        return True
    if is_sops_value(text):
        return True
    lowered = text.lower()
    if lowered.startswith(_REFERENCE_PREFIXES):
        return True
    if _GCP_RESOURCE.fullmatch(text) or re.fullmatch(_APP_TAG, text) or re.fullmatch(_CODE_READ, text):
        return True
    if text[0] == "$" and re.fullmatch(_SECRET_KEY_REF, text):
        return True
    return not strip_templates(text).strip()


def literal(value: str) -> str | None:
    """The part of ``value`` that is committed as is, or None when nothing literal remains."""
    if is_reference(value):
        return None
    remainder = strip_templates(value)
    return remainder if remainder.strip() else None
