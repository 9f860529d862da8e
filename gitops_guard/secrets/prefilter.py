"""The cheap test every string gets: could any detector match it?

One compiled regex of the fixed markers credential formats carry (token
prefixes, PEM headers, URL userinfo, provider key names), the credential words
a key can be named with, and Shannon entropy.  It must accept everything the
detectors would confirm (``tests/secrets/test_prefilter.py`` holds it to that
over the corpus), so that the detectors, costly to import, run only on the rare
strings that pass.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter

# Fixed parts of credential formats (AWS key IDs, GitHub/GitLab/Slack/Stripe/npm/PyPI/
# OpenAI/SendGrid/Square/Twilio/Artifactory/Discord/Telegram/Mailchimp tokens, JWTs,
# private keys, Azure connection strings, URL userinfo, IBM/SoftLayer/Cloudant names).
TOKEN_HINT = re.compile(
    r"""
      (?:A3T[A-Z0-9]|ABIA|ACCA|AKIA|ASIA)[0-9A-Z]{16}
    | gh[pousr]_ | github_pat_
    | gl(?:pat|dt|ft|soat|rt|cbt|imt|ptt|agent|oas)- | GR1348941
    | (?i:xox[abposr]-|hooks\.slack\.com)
    | [rs]k_live_
    | PRIVATE\ KEY | PuTTY-User-Key
    | eyJ[A-Za-z0-9_=-]+\.
    | npm_ | _authToken
    | pypi-
    | T3BlbkFJ
    | SG\.[\w-]{22}\.
    | sq0csp-
    | (?:AC|SK)[a-z0-9]{32}
    | (?:^|[\s=:"])(?:AKC|AP[\dA-F])[a-zA-Z0-9]{8,}
    | [MNO][\w-]{23,25}\.[\w-]{6}\.
    | \d{8,10}:[\w-]{35}
    | [0-9a-z]{32}-us\d
    | AccountKey=
    | ://[^\s/@]+:[^\s/@]+@
    | (?i:softlayer|cloudant|ibm)
    """,
    re.VERBOSE,
)

# Words of a key name (camelCase, snake_case, kebab-case, dotted) that name a credential.
CREDENTIAL_WORDS = frozenset(
    [
        "password",
        "passwd",
        "pwd",
        "pass",
        "passphrase",
        "secret",
        "token",
        "credential",
        "credentials",
        "contraseña",
        "contrasena",
        "apikey",
        "privatekey",
        "bearer",
    ]
)
# Two-word names: the second word is "key" (api key, access key, ...).
KEY_QUALIFIERS = frozenset(
    [
        "api",
        "auth",
        "access",
        "private",
        "priv",
        "client",
        "service",
        "account",
        "db",
        "database",
        "signing",
        "encryption",
        "master",
        "license",
        "webhook",
        "session",
        "secret",
    ]
)
# Last words that make the key name *about* a secret rather than hold one:
# secretName, passwordFile, tokenPath, existingSecret's key ref, tokenTTL ...
REFERENCE_WORDS = frozenset(
    [
        "name",
        "names",
        "ref",
        "refs",
        "reference",
        "file",
        "files",
        "path",
        "paths",
        "dir",
        "url",
        "uri",
        "endpoint",
        "id",
        "ids",
        "type",
        "kind",
        "namespace",
        "selector",
        "enabled",
        "enable",
        "disabled",
        "length",
        "len",
        "ttl",
        "expiry",
        "expiration",
        "expires",
        "lifetime",
        "duration",
        "policy",
        "mode",
        "store",
        "provider",
        "mount",
        "volume",
        "template",
        "format",
        "env",
        "field",
        "header",
        "prefix",
        "suffix",
        "annotation",
        "label",
        "labels",
        "version",
        "rotation",
        "size",
        "count",
        "hash",
        "algorithm",
        "audience",
        "issuer",
        "scope",
        "scopes",
        "method",
        "source",
        "sources",
        "create",
        "generate",
        "keys",
        "property",
        "item",
        "items",
        "config",
        "configs",
        "spec",
        "class",
        "role",
        "user",
        "username",
        "owner",
        "location",
        "required",
        "optional",
        "strength",
        "complexity",
        "regex",
        "pattern",
        "min",
        "max",
    ]
)
# First words that do the same: existingSecret, useSecret, createSecret, secretsFrom...
REFERENCE_FIRST_WORDS = frozenset(
    [
        "existing",
        "use",
        "create",
        "generate",
        "enable",
        "disable",
        "mount",
        "from",
        "external",
        "sealed",
        "no",
        "skip",
        "allow",
        "require",
        "show",
        "hide",
        "reset",
        "rotate",
        "auto",
        "with",
    ]
)

# What a message calls the credential a key word names. Pairs rather than a dict
# literal, whose lines are exactly what line-based secret scanners flag.
_CANONICAL = dict(
    [
        ("pwd", "password"),
        ("passwd", "password"),
        ("pass", "password"),
        ("contrasena", "password"),
        ("contraseña", "password"),
        ("apikey", "API key"),
        ("privatekey", "private key"),
        ("credentials", "credential"),
        ("bearer", "token"),
    ]
)
_NAMES_A_KEY = frozenset({"password", "passwd", "pwd", "pass", "token", "credential", "credentials", "user"})
_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+|[^\W\d_]+", re.UNICODE)


# Keys repeat across every object of a repository (name, image, app...): both answers are
# pure functions of the key, so each distinct key is split and judged once per run.
@functools.lru_cache(maxsize=8192)
def key_words(key: str) -> tuple[str, ...]:
    return tuple(w.lower() for w in _WORDS.findall(key))


@functools.lru_cache(maxsize=8192)
def credential_key(key: str) -> str | None:
    """The credential a key name says it holds (``password``, ``api key``...), or None.

    Structured data gives us the key and the value apart, so unlike a line
    regex this can tell ``secretName: db`` (a reference) from ``secret: ...``.
    """
    words = key_words(key)
    if not words:
        return None
    if words[-1] in REFERENCE_WORDS or words[0] in REFERENCE_FIRST_WORDS or {"ref", "existing"} & set(words):
        return None
    if words[-1] == "secret" and _NAMES_A_KEY.intersection(words[:-1]):
        # adminPasswordSecret, tokenSecret: the Secret object that holds the password.
        return None
    if len(words) >= 2 and words[-1] == "key" and words[-2] in _NAMES_A_KEY:
        # passwordKey, tokenKey: the name of the entry in a Secret that holds it.
        return None
    if words[-2:] == ("secret", "key") and _NAMES_A_KEY.intersection(words[:-2]):
        # passwordSecretKey, userPasswordSecretKey: the same, named through its Secret.
        return None
    for i, word in enumerate(words):
        if word in CREDENTIAL_WORDS:
            if word == "secret" and i + 1 < len(words) and words[i + 1] == "key":
                # secretKey names a key inside a Secret (ESO, cert-manager), or is an AWS
                # secret access key: the value's shape decides (see detectors).
                return "secret key"
            return _CANONICAL.get(word, word)
        if word == "key" and i > 0 and words[i - 1] in KEY_QUALIFIERS:
            return f"{words[i - 1]} key".replace("priv key", "private key").replace("api key", "API key")
    return None


def shannon_entropy(value: str) -> float:
    """Bits per character over the characters present (the measure detect-secrets uses)."""
    if not value:
        return 0.0
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())


_BASE64_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_")
_HEX_CHARS = frozenset("0123456789abcdefABCDEF")
# detect-secrets' default limits for its Base64HighEntropyString and HexHighEntropyString.
BASE64_LIMIT = 4.5
HEX_LIMIT = 3.0
# Compiled on first use through re's own cache: few runs ever need it.
# `SHARED_STORE_PRIMARY`, `shared-store-primary`: an enum value or a name, however long.
_WORDS_JOINED = r"[A-Z]+[0-9]*(?:[_.\-][A-Z]+[0-9]*)+|[a-z]+[0-9]*(?:[_.\-][a-z]+[0-9]*)+"
_UUID = r"(?i)[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}"


def high_entropy(value: str) -> str | None:
    """``hex`` or ``base64`` when the value is one random-looking token, else None.

    Same charsets and limits as detect-secrets' entropy plugins; a hex string made
    only of digits is discounted as they do, and UUIDs and sequences are not secrets.
    """
    text = value.strip()
    if len(text) < 16 or any(c.isspace() for c in text):
        return None
    chars = set(text)
    if chars <= _HEX_CHARS:
        entropy = shannon_entropy(text)
        if text.isdigit():
            entropy -= 1.2 / math.log2(len(text))
        return "hex" if entropy > HEX_LIMIT and not _sequential(text) else None
    if chars <= _BASE64_CHARS:
        if re.search(_UUID, text) or _sequential(text) or re.fullmatch(_WORDS_JOINED, text):
            return None
        return "base64" if shannon_entropy(text) > BASE64_LIMIT else None
    return None


_SEQUENCES = (
    "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/",
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMNOPQRSTUVWXYZ+/",
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "01234567890123456789",
    "0123456789ABCDEF0123456789ABCDEF",  # pragma: allowlist secret
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ=/",
)


def _sequential(text: str) -> bool:
    upper = text.upper()
    return any(upper in seq for seq in _SEQUENCES)


def has_token_hint(text: str) -> bool:
    return TOKEN_HINT.search(text) is not None
