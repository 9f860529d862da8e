"""What a value's shape says about it, before any detector looks at it.

A credential-named key holding ``changeme``, ``<password>`` or
``YOUR-API-TOKEN`` holds a placeholder the reader is asked to replace; an
``ssh-ed25519`` line, a PEM certificate or a DER ``SubjectPublicKeyInfo`` is
public material.  None of them is a secret.  The opposite also holds: a password field set to
``password`` or ``123456`` is a committed (weak) password, not a placeholder.
"""

from __future__ import annotations

import base64
import binascii
import re
from functools import cache

# Words a placeholder is made of ("your token here", "REPLACE_ME", "UPDATE_AWS_ACCESS_KEY_ID").
_PLACEHOLDER_FIRST = frozenset(
    {"your", "my", "replace", "replaceme", "update", "insert", "enter", "put", "fill", "add", "set", "change"}
)
_PLACEHOLDER_WORDS = frozenset(
    {
        "changeme",
        "changeit",
        "replaceme",
        "placeholder",
        "dummy",
        "todo",
        "fixme",
        "tbd",
        "redacted",
        "xxx",
        "notset",
        "unset",
        "here",
    }
)
# Whole values that say "nothing is set here" in so many words.
_NOTHING = frozenset({"not set", "not-set", "not_set", "none set", "n/a", "na", "to be set", "to be defined"})
# Passwords so common that no one means them as a placeholder: still committed credentials.
WEAK_PASSWORDS = frozenset(
    {
        "password",
        "passw0rd",
        "p@ssw0rd",
        "p@ssword",
        "admin",
        "administrator",
        "root",
        "toor",
        "letmein",
        "qwerty",
        "welcome",
        "secret",
        "test",
        "guest",
        "default",
        "pass",
        "1234",
        "12345",
        "123456",
        "1234567",
        "12345678",
        "123456789",
        "1234567890",
        "123123",
        "111111",
        "000000",
        "654321",
        "abc123",
    }
)
_FILLER = r"x{3,}|\*{3,}|\.{3,}|#{3,}|-{3,}|_{3,}|\?{3,}"
_CAMEL = r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+"
_PUBLIC_PEM = (
    "BEGIN CERTIFICATE",
    "BEGIN PUBLIC KEY",
    "BEGIN RSA PUBLIC KEY",
    "BEGIN OPENSSH PUBLIC KEY",
    "BEGIN SSH2 PUBLIC KEY",
    "BEGIN PGP PUBLIC KEY BLOCK",
    "BEGIN X509 CRL",
    "BEGIN CERTIFICATE REQUEST",
    "BEGIN NEW CERTIFICATE REQUEST",
    "BEGIN TRUSTED CERTIFICATE",
)
_SSH_PREFIXES = ("ssh-", "ecdsa-", "sk-")
_SSH_PUBLIC = (
    r"(?:ssh-(?:rsa|dss|ed25519)|ecdsa-sha2-nistp\d+|sk-(?:ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com)"
    r"\s+AAAA[A-Za-z0-9+/]+={0,3}(?:\s.*)?"
)
# An age recipient (the public half; the identity is AGE-SECRET-KEY-1...).
_AGE_RECIPIENT = r"age1[02-9ac-hj-np-z]{58}"
# DER OIDs of public key algorithms (rsaEncryption, id-ecPublicKey, Ed25519, Ed448, X25519, DSA).
_KEY_OIDS = (
    bytes.fromhex("2a864886f70d010101"),
    bytes.fromhex("2a8648ce3d0201"),
    bytes.fromhex("2b6570"),
    bytes.fromhex("2b6571"),
    bytes.fromhex("2b656e"),
    bytes.fromhex("2a8648ce380401"),
)


def is_placeholder(value: str) -> bool:
    """``changeme``, ``<password>``, ``xxx``, ``__REPLACE_ME__``, ``YOUR-API-TOKEN``, ``not set``."""
    text = value.strip().strip("\"'`").strip()
    if not text:
        return True
    lowered = text.lower()
    if lowered in _NOTHING:
        return True
    if re.fullmatch(_FILLER, lowered):
        return True
    if (text[0], text[-1]) in (("<", ">"), ("[", "]")):
        return True
    if text.startswith("__") and text.endswith("__") and len(text) > 4:
        return True
    words = _words(text)
    if not words:
        return False
    compact = "".join(words)
    if compact in _PLACEHOLDER_WORDS or compact in {"changeme", "changethis", "replaceme", "replacethis"}:
        return True
    if any(c.isdigit() for c in text) and not _shouting(text):
        return False  # "change-me-7Xq2": someone typed a real value
    if words[0] in _PLACEHOLDER_FIRST and len(words) >= 2:
        return True
    return bool(_PLACEHOLDER_WORDS.intersection(words)) and len(text) <= 40


def _words(text: str) -> list[str]:
    # The pattern never matches a separator (`_ . - /`, space), so it splits on them too.
    return [w.lower() for w in re.findall(_CAMEL, text)]


def _shouting(text: str) -> bool:
    return text.upper() == text and any(c.isalpha() for c in text)


def is_weak_password(value: str) -> bool:
    return value.strip().lower() in WEAK_PASSWORDS


def is_public_material(value: str) -> bool:
    """A certificate, a public key (PEM, OpenSSH, DER in base64): published on purpose."""
    text = value.strip()
    if "PRIVATE KEY" in text:
        return False
    if "-----BEGIN " in text:
        return any(marker in text for marker in _PUBLIC_PEM)
    # The prefixes first: most values are neither, and the patterns are compiled on first use.
    if text.startswith(_SSH_PREFIXES) and re.fullmatch(_SSH_PUBLIC, text):
        return True
    if text.startswith("age1") and re.fullmatch(_AGE_RECIPIENT, text):
        return True
    return text.startswith("MI") and _der_public(text)


@cache
def _der_public(text: str) -> bool:
    """A base64 DER ``SubjectPublicKeyInfo`` or certificate (never a private key, which starts
    with a version INTEGER where these start with a SEQUENCE)."""
    compact = "".join(text.split())
    try:
        raw = base64.b64decode(compact[: (len(compact) // 4) * 4], validate=True)
    except (binascii.Error, ValueError):
        return False
    inner = _after_header(raw, 0)
    if inner is None or raw[0] != 0x30 or inner >= len(raw) or raw[inner] != 0x30:
        return False
    first = _after_header(raw, inner)
    if first is None or first >= len(raw):
        return False
    if raw[first] == 0xA0:  # tbsCertificate's explicit [0] version: a certificate
        return True
    head = raw[first : first + 16]
    return raw[first] == 0x06 and any(oid in head for oid in _KEY_OIDS)


def _after_header(raw: bytes, at: int) -> int | None:
    """Index of the first content byte of the DER element starting at ``at``."""
    if at + 2 > len(raw):
        return None
    length = raw[at + 1]
    if length < 0x80:
        return at + 2
    n = length & 0x7F
    return at + 2 + n if 0 < n <= 4 else None


def is_prose(value: str) -> bool:
    """A sentence, as CRD descriptions and comments hold after `password:`: four words or more
    with punctuation between them.  A passphrase has no commas or full stops."""
    text = value.strip()
    return len(text.split()) >= 4 and re.search(r"[a-z][.,;:!?](?:\s|$)", text) is not None


def pem_has_body(text: str) -> bool:
    """Whether a ``-----BEGIN ... PRIVATE KEY-----`` header is followed by key material, rather
    than by ``<private-key>``, ``...`` or nothing (documentation showing the format)."""
    at = 0
    while True:
        begin = text.find("PRIVATE KEY", at)
        if begin < 0:
            return False
        start = text.find("-----", begin)
        start = begin + len("PRIVATE KEY") if start < 0 else start + 5
        end = text.find("-----END", start)
        body = text[start : end if end >= 0 else start + 400]
        material = sum(len(t) for t in re.findall(r"[A-Za-z0-9+/=]{16,}", body.replace("\\n", "\n")))
        if material >= 32:
            return True
        at = start
