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
import enum
import re
from collections.abc import Iterator
from functools import cache, lru_cache
from typing import Any, NamedTuple

from gitops_guard.secrets.prefilter import credential_key

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


class Context(enum.Enum):
    """What kind of file a candidate comes from, which decides what counts as evidence."""

    YAML = "yaml"  # parsed YAML/JSON: keys and values apart, Kubernetes semantics known
    TEXT = "text"  # configuration and code (.env, .ini, .tf, scripts): assignments by line
    DOCS = "docs"  # prose (Markdown, reStructuredText): a value must look random to count


class Candidate(NamedTuple):
    path: PathT  # where the value is in its document; () for a line of a text file
    key: str  # the name the value goes by: mapping key, env var name, data key, line key
    value: str  # the text to scan (base64-decoded for Secret data)
    decoded: bool = False
    sensitive: bool = False  # a field meant for secrets: high entropy alone is a finding
    line: int | None = None  # 1-based, for text lines; documents locate by path
    raw: str = ""  # the value as committed (what the fingerprint hashes); defaults to value
    inner: bool = False  # a `key: value` line inside a multi-line string at ``path``
    # Where ``value`` starts inside the string at ``path`` (an inner line), for the exact line
    # and column; None when it is the whole string or was decoded (base64 Secret data).
    offset: int | None = None
    column: int | None = None  # 1-based column of ``value`` on ``line`` (text files)
    context: Context = Context.YAML

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


def from_document(data: Any, *, sops: bool = False) -> Iterator[Candidate]:
    """Every string of a parsed document, with Kubernetes-aware handling.

    In a SOPS-encrypted document (``sops=True``) the ``sops:`` metadata is skipped and the
    rest is walked: what ``encrypted_regex``/``unencrypted_regex``/``unencrypted_suffix`` left
    unencrypted is committed as written, and ``ENC[...]`` values are ciphertext (refs)."""
    if sops and isinstance(data, dict):
        data = {k: v for k, v in data.items() if k != "sops"}
    # Iterative walk: (node, path, key the value goes by, sensitive).
    stack: list[tuple[Any, PathT, str, bool]] = [(data, (), "", False)]
    while stack:
        node, path, key, sensitive = stack.pop()
        if isinstance(node, str):
            # Inner lines first: the same secret found both ways is reported by its own key.
            yield from _embedded_lines(node, path)
            yield Candidate(path, key, node, sensitive=sensitive)
        elif isinstance(node, int) and not isinstance(node, bool):
            if key and credential_key(key) is not None:  # `password: 123456` is a number in YAML
                yield Candidate(path, key, str(node), sensitive=sensitive)
        elif isinstance(node, dict):
            if key and credential_key(key) is not None and "kind" not in node:
                # `password: {secure: ...}`: the nested values are what the credential key holds,
                # so a random-looking one is enough; `privateKey: {encoding: PKCS8}` describes it.
                stack.extend((v, (*path, k), str(k), True) for k, v in node.items())
                continue
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
                yield from _embedded_lines(text, where, decoded=True)
                yield Candidate(where, str(k), text, decoded=True, sensitive=True, raw=v)
    string_data = node.get("stringData")
    if isinstance(string_data, dict):
        for k, v in string_data.items():
            if isinstance(v, str):
                where = (*path, "stringData", k)
                yield from _embedded_lines(v, where)
                yield Candidate(where, str(k), v, sensitive=True)


@lru_cache(maxsize=4096)  # the scan, the plaintext rule and the reuse index all decode it
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


# `key: value`, `key = value`, `"key": "value"`, `$key = "value";` on one line of text or
# embedded config. Compiled on first use (most runs have no multi-line string worth splitting).
LINE_ASSIGNMENT = (
    r"""^[\s\-]*(?:export\s+|\$|(?:const|let|var|val|set)\s+)?["']?(?P<key>[A-Za-z_][\w.\-]{0,80})["']?
        \s*(?::|=|:=|=>)\s*
        ["']?(?P<value>[^\s"'#,][^"'\n]*?)["']?\s*[,;]?\s*(?:\s(?:\#|//).*)?$""",
    re.VERBOSE,
)
# `key =` / `key:` with nothing after it: the value may continue on the lines below (INI).
_OPEN_ASSIGNMENT = (r"^(?P<indent>\s*)(?P<key>[A-Za-z_][\w.\-]{0,80})\s*(?::|=)\s*$",)
# A line that starts with a key of its own (`secretName: {{ include "x" . }}` in a Helm
# template): an entry below an open key, never its value.
_KEY_FIRST = (r"""^\s*(?:-\s+)?["']?[A-Za-z_][\w.\-]{0,80}["']?\s*(?::|=)(?:\s|$)""",)


@cache
def _line_assignment() -> re.Pattern[str]:
    return re.compile(*LINE_ASSIGNMENT)


@cache
def _open_assignment() -> re.Pattern[str]:
    return re.compile(*_OPEN_ASSIGNMENT)


@cache
def _key_first() -> re.Pattern[str]:
    return re.compile(*_KEY_FIRST)


def _embedded_lines(text: str, path: PathT, *, decoded: bool = False) -> Iterator[Candidate]:
    """Assignments inside a multi-line string (an embedded config file, Helm values as text,
    a .dockerconfigjson): each line with a key is a candidate of its own, with its offset in
    the string so that a finding points at its own line."""
    if "\n" not in text:  # a block scalar of one line still ends in a line break
        return
    at = 0
    for line in text.split("\n"):
        m = _line_assignment().match(line)
        if m:
            yield Candidate(
                path,
                m["key"],
                m["value"],
                decoded=decoded,
                inner=True,
                offset=None if decoded else at + m.start("value"),
            )
        at += len(line) + 1


def from_text(text: str, context: Context = Context.TEXT) -> Iterator[Candidate]:
    """Lines of a file that is not parsed as YAML (.env, .ini, code, docs, Helm templates).

    A key with no value on its line (``secrets_token =`` in INI, ``password:`` in a YAML
    file that did not parse) takes the first more-indented line below it as its value,
    unless that line starts with a key of its own."""
    lines = text.splitlines()
    open_key: tuple[str, int] | None = None  # (key, indentation) waiting for its value
    for number, line in enumerate(lines, start=1):
        m = _line_assignment().match(line)
        if open_key is not None:
            key, indent = open_key
            body = line.strip()
            if not body:
                continue
            open_key = None
            if len(line) - len(line.lstrip()) > indent and not m and not _key_first().match(line):
                yield Candidate((), key, body, line=number, column=line.index(body[0]) + 1, context=context)
                continue
        if m:
            yield Candidate(
                (), m["key"], m["value"], line=number, column=m.start("value") + 1, context=context
            )
            continue
        if "=" in line or ":" in line:
            o = _open_assignment().match(line)
            if o:
                open_key = (o["key"], len(o["indent"]))
                continue
        yield Candidate((), "", line, line=number, column=1, context=context)
