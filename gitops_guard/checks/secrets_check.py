"""Secrets: plaintext Secret objects and credentials anywhere in the repository.

The work is in ``gitops_guard.secrets``; this module turns what it finds into
findings that name the detector and the key path, never the value, with a
fingerprint that hashes the secret (so a baseline survives edits around it).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from gitops_guard.checks.base import CheckContext, at_document, at_file
from gitops_guard.findings import Finding, ObjectRef, Severity
from gitops_guard.resources import is_object, object_ref
from gitops_guard.rules import Rule
from gitops_guard.secrets.allowlist import Allowlist
from gitops_guard.secrets.candidates import (
    Candidate,
    Context,
    PathT,
    display_path,
    from_document,
    from_text,
    is_secret,
)
from gitops_guard.secrets.detectors import Detection, detect, is_identifier
from gitops_guard.secrets.mask import digest
from gitops_guard.secrets.plaintext import generator_literals, plaintext_values
from gitops_guard.secrets.refs import is_sops_document
from gitops_guard.source.load import SourceFile
from gitops_guard.source.yamldoc import Document

if TYPE_CHECKING:
    from gitops_guard.secrets.sops import SopsRules

PLAINTEXT = Rule(
    "secrets/plaintext-secret",
    Severity.ERROR,
    "A Secret whose data/stringData is committed in plaintext (not SOPS-encrypted).",
    """
    Anyone who can read the repository can read the value: encrypt the file with
    SOPS, or commit a SealedSecret or an ExternalSecret instead. kustomize
    `secretGenerator` literals are reported the same way.

    Not flagged: values SOPS encrypted (`ENC[...]`; what a SOPS file's
    `encrypted_regex` leaves in plaintext is flagged), empty values,
    placeholders (`changeme`), certificates, and values that are only references filled in at
    deploy time (`${VAR}` for Flux postBuild substitution, `<path:...>` for the
    Argo CD Vault Plugin, `{{ }}` templates, secret-manager URIs such as
    `op://`, `vault:`, `ref+`). A Secret whose values are all empty or
    references is therefore not flagged: nothing secret is committed. In Argo
    CD repository and cluster Secrets (label `argocd.argoproj.io/secret-type`)
    only credential fields count: a public repository's `url` is not a secret.

    FAIL:
        apiVersion: v1
        kind: Secret
        metadata:
          name: db
        stringData:
          password: example-only

    PASS:
        apiVersion: v1
        kind: Secret
        metadata:
          name: db
        stringData:
          password: ${DB_PASSWORD}     # substituted by Flux postBuild
    """,
)
DETECTED = Rule(
    "secrets/detected",
    Severity.ERROR,
    "A credential found by detectors in any file: keys, tokens, passwords, private keys.",
    """
    Every text file is scanned: YAML and JSON by key, `.env`, INI, Terraform,
    scripts, code and Markdown line by line. Token formats (private keys, AWS
    key IDs (test keys included), GitHub, GitLab, Slack, Stripe, JWT, npm, PyPI
    and more) are detect-secrets' detectors; a key named like a credential
    (`password`, `apiKey`, `clientSecret`, `aws_secret_key`, `DB_PASSWORD` in
    `env`) holding a literal is reported too, a well-known weak value such as
    `password` or `123456` included. A random-looking string alone is enough in
    Secret `data`/`stringData`, container `env` values, values nested under a
    credential key (`password: {secure: ...}`), and assignments in text files
    (`SESSION=...` in `.env`); in documentation (`*.md`, `*.rst`) a keyword
    value must look random too. A value of a Secret committed again elsewhere is
    reported there as well. Secret `data` is base64-decoded before scanning.
    The finding points at the line and column of the value, inside block
    scalars too; the message says why it is a secret (`password field`, `AWS
    access key`, `private key`), never the value.

    Never reported: ciphertext (SOPS `ENC[...]` values; in a SOPS file only
    the keys its `encrypted_regex`/`unencrypted_regex`/suffix rules leave in
    plaintext are scanned), `SealedSecret` ciphertext, External Secrets
    objects, references (`{{ }}`, `${VAR}`, `$(VAR)`, `$(cat file)`, `{VAR}`,
    `%(VAR)s`, YAML tags such as `!env_var NAME` and `!secret name`,
    secret-manager URIs such as `op://`, `vault:`, `ref+`, `akv://`), names of
    Secrets (`secretName: db-creds`, `existingSecret: ...`), placeholders
    (`changeme`, `<password>`, `xxx`, `__REPLACE_ME__`, `YOUR-API-TOKEN`,
    `not set`), public keys and certificates, digests and enum-like values
    (`SHARED_STORE_PRIMARY`). A line can be allowed with detect-secrets'
    `# pragma: allowlist secret` (or `# pragma: allowlist nextline secret` on
    the line before), or with `# gitops-guard: disable-line secrets`.

    FAIL:
        env:
          - name: DB_PASSWORD
            value: example-only

    PASS:
        env:
          - name: DB_PASSWORD
            valueFrom:
              secretKeyRef: {name: db, key: password}
    """,
)


class SecretsCheck:
    name: str = "secrets"
    rules: tuple[Rule, ...] = (PLAINTEXT, DETECTED)

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        want_plain = PLAINTEXT.id in ctx.active
        want_detect = DETECTED.id in ctx.active
        known = SecretValues.collect(ctx.files) if want_detect else SecretValues()
        for sf in ctx.files:
            if sf.text is None:
                continue
            allow = Allowlist(sf.text)
            found = _scan_file(sf, known, want_plain=want_plain, want_detect=want_detect)
            for finding in found:
                if not allow.allows(finding.line):
                    yield finding


def _scan_file(
    sf: SourceFile, known: SecretValues, *, want_plain: bool, want_detect: bool
) -> Iterator[Finding]:
    if not sf.documents:  # .env, code, docs, Helm templates, files that did not parse: their lines
        if want_detect:
            yield from _detect_text(sf, known)
        return
    for doc in sf.documents:
        if doc.data is None:
            continue
        # In a SOPS document only what its rules left unencrypted is committed as written.
        sops = None
        if is_sops_document(doc.data):
            from gitops_guard.secrets.sops import SopsRules  # only a SOPS file needs its rules

            sops = SopsRules.of(doc.data, sf.abspath)
        if want_plain:
            yield from _plaintext(doc, sops)
        if want_detect:
            yield from _detect_document(sf, doc, known, sops)


def _objects(data: Any) -> Iterator[tuple[PathT, dict[str, Any]]]:
    """The object itself, or the items of a v1 List."""
    if isinstance(data, dict) and data.get("kind") == "List" and isinstance(data.get("items"), list):
        for i, item in enumerate(data["items"]):
            if is_object(item):
                yield ("items", i), item
    elif is_object(data):
        yield (), data


def _owner(data: Any, path: PathT) -> ObjectRef | None:
    if len(path) >= 2 and path[0] == "items" and isinstance(path[1], int) and isinstance(data, dict):
        items = data.get("items")
        if isinstance(items, list) and path[1] < len(items) and is_object(items[path[1]]):
            return object_ref(items[path[1]])
    return object_ref(data) if is_object(data) else None


def _plaintext(doc: Document, sops: SopsRules | None) -> Iterator[Finding]:
    for where, obj in _objects(doc.data):
        ref = object_ref(obj)
        if is_secret(obj):
            values = plaintext_values(obj)
            if sops is not None:
                values = {
                    k: v for k, v in values.items() if sops.plaintext((*where, v[0], k.partition(".")[2]))
                }
            if not values:
                continue
            names = sorted(values)
            shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
            section = values[names[0]][0]
            yield at_document(
                PLAINTEXT,
                doc,
                f"Secret {ref.name or '?'} commits {shown} in plaintext: encrypt it with SOPS, "
                "or use a SealedSecret or an ExternalSecret",
                path=(*where, section),
                key=True,
                obj=ref,
                fingerprint_key=digest("\0".join(f"{k}={digest(values[k][1])}" for k in names)),
            )
        elif obj.get("kind") == "Kustomization" and "secretGenerator" in obj:
            yield from _generators(doc, obj, where, ref)
    data = doc.data
    if isinstance(data, dict) and not is_object(data) and "secretGenerator" in data:
        yield from _generators(doc, data, (), None)


def _generators(
    doc: Document, kustomization: dict[str, Any], where: PathT, ref: ObjectRef | None
) -> Iterator[Finding]:
    for index, name in generator_literals(kustomization):
        literals = kustomization["secretGenerator"][index]["literals"]
        yield at_document(
            PLAINTEXT,
            doc,
            f"secretGenerator {name} commits literals in plaintext: use a SOPS-encrypted env file "
            "or an ExternalSecret",
            path=(*where, "secretGenerator", index, "literals"),
            key=True,
            obj=ref,
            fingerprint_key=digest("\0".join(digest(str(lit)) for lit in literals)),
        )


def _message(c: Candidate, label: str, *, sops: bool = False) -> str:
    where = display_path(c.path) if c.path else (c.key or "value")
    if c.inner:
        where = f"{where} ({c.key})"
    suffix = " (base64-decoded)" if c.decoded else ""
    if sops:
        suffix += " (left unencrypted by SOPS)"
    return f"{where}: {label}{suffix}"


def _detect_document(
    sf: SourceFile, doc: Document, known: SecretValues, sops: SopsRules | None
) -> Iterator[Finding]:
    assert sf.text is not None
    seen: set[tuple[int | None, int | None, str]] = set()
    for c in from_document(doc.data, sops=sops is not None):
        if sops is not None and not sops.plaintext(c.path):
            continue
        found = detect(c) or known.match(c, doc)
        if not found or (not c.inner and doc.tag_at(c.path) is not None):
            continue  # `!env_var NAME`, `!secret db`: the application resolves the tag
        d = found[0]
        if c.decoded:
            line, column = doc.locate(c.path)
        else:
            offset = (c.offset or 0) + max(c.value.find(d.secret), 0)
            line, column = doc.locate_in_value(c.path, offset, sf.text)
        # One finding per place and kind: a block's line found both as a line and in the
        # whole value, or a decoded Secret value whose lines have no place of their own.
        if (line, column, d.label) in seen:
            continue
        seen.add((line, column, d.label))
        message = _message(c, d.label, sops=sops is not None)
        yield at_file(
            DETECTED,
            doc.path,
            message,
            line=line,
            column=column,
            obj=_owner(doc.data, c.path),
            fingerprint_key=f"{display_path(c.path)}\0{c.key}\0{d.identity}\0{digest(c.committed)}",
        )


def _detect_text(sf: SourceFile, known: SecretValues) -> Iterator[Finding]:
    assert sf.text is not None
    context = Context.DOCS if sf.path.lower().endswith(DOCS_SUFFIXES) else Context.TEXT
    for c in from_text(sf.text, context):
        found = detect(c) or known.match(c, None)
        if not found:
            continue
        d = found[0]
        column = c.column + max(c.value.find(d.secret), 0) if c.column is not None else None
        yield at_file(
            DETECTED,
            sf.path,
            _message(c, d.label),
            line=c.line,
            column=column,
            fingerprint_key=f"{c.key}\0{d.identity}\0{digest(c.committed)}",
        )


# Prose: a keyword match counts only for a random-looking value (see detectors).
DOCS_SUFFIXES = (".md", ".markdown", ".mdx", ".rst", ".adoc", ".asciidoc")


class SecretValues:
    """Values detected in a repository's Secrets, so that the same value committed again in a
    ConfigMap, a values file or a script is reported there too, whatever its key is called."""

    MIN_LENGTH = 8

    def __init__(self) -> None:
        # value -> (file, document index, path of the Secret in its document, Secret's name)
        self._values: dict[str, tuple[str, int, PathT, str]] = {}

    @classmethod
    def collect(cls, files: Sequence[SourceFile]) -> SecretValues:
        out = cls()
        for sf in files:
            for doc in sf.documents:
                if not isinstance(doc.data, dict) or ("kind" not in doc.data and "items" not in doc.data):
                    continue
                for where, obj in _objects(doc.data):
                    if is_secret(obj):
                        out._add(sf.path, doc.index, where, obj)
        return out

    def _add(self, path: str, index: int, where: PathT, secret: dict[str, Any]) -> None:
        name = object_ref(secret).name or "?"
        for c in from_document(secret):
            value = c.value.strip()
            # A weak password that is a word (`password`) recurs as a name: a Secret's key
            # (`key: password` in a secret reference), a user, a field.
            if len(value) >= self.MIN_LENGTH and "\n" not in value and not is_identifier(value) and detect(c):
                self._values.setdefault(value, (path, index, where, name))

    def match(self, c: Candidate, doc: Document | None) -> list[Detection]:
        if not self._values:
            return []
        hit = self._values.get(c.value.strip())
        if hit is None:
            return []
        path, index, where, name = hit
        if doc is not None and (doc.path, doc.index) == (path, index) and c.path[: len(where)] == where:
            return []  # the Secret itself
        return [Detection(f"same value as in Secret {name}", c.value.strip())]
