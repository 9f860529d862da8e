"""Strings worth a look, with where they sit and what they are called.

Kubernetes knowledge lives here: a ``Secret``'s ``data`` is base64 and is
decoded before scanning, ``stringData`` and container ``env`` values are places
meant for secrets (so entropy alone counts there), and what holds only
ciphertext or references is never looked at: SOPS-encrypted documents,
``SealedSecret.spec.encryptedData``, External Secrets Operator objects.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from functools import cache
from typing import Any, NamedTuple

from gitops_guard.secrets.refs import is_sops_document

PathT = tuple[str | int, ...]

# Objects that hold references to secrets by design (External Secrets Operator,
# Secrets Store CSI driver): what looks like a key there names one.
REFERENCE_KINDS = frozenset(
    {
        ("external-secrets.io", "ExternalSecret"),
        ("external-secrets.io", "ClusterExternalSecret"),
        ("external-secrets.io", "SecretStore"),
        ("external-secrets.io", "ClusterSecretStore"),
        ("external-secrets.io", "PushSecret"),
        ("generators.external-secrets.io", "Password"),
        ("secrets-store.csi.x-k8s.io", "SecretProviderClass"),
    }
)


class Candidate(NamedTuple):
    path: PathT  # where the value is in its document; () for a line of a text file
    key: str  # the name the value goes by: mapping key, env var name, data key, line key
    value: str  # the text to scan (base64-decoded for Secret data)
    decoded: bool = False
    sensitive: bool = False  # a field meant for secrets: high entropy alone is a finding
    line: int | None = None  # 1-based, for text lines; documents locate by path
    raw: str = ""  # the value as committed (what the fingerprint hashes); defaults to value
    inner: bool = False  # a `key: value` line inside a multi-line string at ``path``

    @property
    def committed(self) -> str:
        return self.raw or self.value


def display_path(path: PathT) -> str:
    out = ""
    for step in path:
        if isinstance(step, int):
            out += f"[{step}]"
        else:
            out += ("." if out else "") + str(step)
    return out


def api_group(data: dict[str, Any]) -> str:
    api = data.get("apiVersion")
    return api.rpartition("/")[0] if isinstance(api, str) and "/" in api else ""


def is_secret(data: Any) -> bool:
    return isinstance(data, dict) and data.get("kind") == "Secret" and data.get("apiVersion") == "v1"


def from_document(data: Any) -> Iterator[Candidate]:
    """Every string of a parsed document, with Kubernetes-aware handling."""
    if is_sops_document(data):
        return
    # Iterative walk: (node, path, key the value goes by, sensitive).
    stack: list[tuple[Any, PathT, str, bool]] = [(data, (), "", False)]
    while stack:
        node, path, key, sensitive = stack.pop()
        if isinstance(node, str):
            yield Candidate(path, key, node, sensitive=sensitive)
            yield from _embedded_lines(node, path)
        elif isinstance(node, dict):
            kind = node.get("kind")
            if isinstance(kind, str) and isinstance(node.get("apiVersion"), str):
                if (api_group(node), kind) in REFERENCE_KINDS:
                    continue
                if is_secret(node):
                    yield from _secret(node, path)
                    continue
                if kind == "SealedSecret":
                    spec = node.get("spec")
                    if isinstance(spec, dict):
                        rest = {k: v for k, v in spec.items() if k != "encryptedData"}
                        stack.append((rest, (*path, "spec"), "spec", False))
                    stack.extend((v, (*path, k), str(k), False) for k, v in node.items() if k != "spec")
                    continue
                if kind == "Kustomization" and isinstance(node.get("secretGenerator"), list):
                    yield from _secret_generator(node["secretGenerator"], path)
            elif "secretGenerator" in node and isinstance(node.get("secretGenerator"), list):
                yield from _secret_generator(node["secretGenerator"], path)
            for k, v in node.items():
                if k == "secretGenerator" and isinstance(v, list):
                    continue
                stack.append((v, (*path, k), str(k), False))
        elif isinstance(node, list):
            env_list = key in ("env", "envs", "extraEnv", "extraEnvVars", "environment")
            for i, item in enumerate(node):
                if (
                    env_list
                    and isinstance(item, dict)
                    and isinstance(item.get("name"), str)
                    and isinstance(item.get("value"), str)
                ):
                    yield Candidate((*path, i, "value"), item["name"], item["value"], sensitive=True)
                    continue
                stack.append((item, (*path, i), key, sensitive))


def _secret(node: dict[str, Any], path: PathT) -> Iterator[Candidate]:
    data = node.get("data")
    if isinstance(data, dict):
        for k, v in data.items():
            if not isinstance(v, str):
                continue
            where = (*path, "data", k)
            text = decode_data(v)
            if text is None:  # not base64 (Kubernetes refuses it) or binary: scan as written
                yield Candidate(where, str(k), v, sensitive=True)
            else:
                yield Candidate(where, str(k), text, decoded=True, sensitive=True, raw=v)
                yield from _embedded_lines(text, where, decoded=True)
    string_data = node.get("stringData")
    if isinstance(string_data, dict):
        for k, v in string_data.items():
            if isinstance(v, str):
                where = (*path, "stringData", k)
                yield Candidate(where, str(k), v, sensitive=True)
                yield from _embedded_lines(v, where)


def decode_data(value: str) -> str | None:
    """A Secret ``data`` value as text, or None when it is not base64 or not text."""
    compact = "".join(value.split())
    try:
        raw = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _secret_generator(entries: list[Any], path: PathT) -> Iterator[Candidate]:
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("literals"), list):
            continue
        for j, literal in enumerate(entry["literals"]):
            if isinstance(literal, str) and "=" in literal:
                k, _, v = literal.partition("=")
                yield Candidate((*path, "secretGenerator", i, "literals", j), k.strip(), v, sensitive=True)


# `key: value`, `key = value`, `"key": "value"` on one line of text or embedded config.
# Compiled on first use (most runs have no multi-line string worth splitting).
LINE_ASSIGNMENT = (
    r"""^[\s\-]*(?:export\s+)?["']?(?P<key>[A-Za-z_][\w.\-]{0,80})["']?\s*(?::|=|:=)\s*
        ["']?(?P<value>[^\s"'#,][^"'\n]*?)["']?\s*,?\s*(?:\s\#.*)?$""",
    re.VERBOSE,
)


@cache
def _line_assignment() -> re.Pattern[str]:
    return re.compile(*LINE_ASSIGNMENT)


def _embedded_lines(text: str, path: PathT, *, decoded: bool = False) -> Iterator[Candidate]:
    """Assignments inside a multi-line string (an embedded config file, Helm values as text,
    a .dockerconfigjson): each line with a key is a candidate of its own."""
    if "\n" not in text.strip():
        return
    for line in text.splitlines():
        m = _line_assignment().match(line)
        if m:
            yield Candidate(path, m["key"], m["value"], decoded=decoded, inner=True)


def from_text(text: str) -> Iterator[Candidate]:
    """Lines of a file that is not parsed as YAML (Helm templates, unparseable files)."""
    for number, line in enumerate(text.splitlines(), start=1):
        m = _line_assignment().match(line)
        if m:
            yield Candidate((), m["key"], m["value"], line=number)
        else:
            yield Candidate((), "", line, line=number)
