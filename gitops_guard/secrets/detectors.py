"""Confirming candidates: detect-secrets' format detectors, plus structure-aware
keyword and entropy detection.

Token formats (AWS, GitHub, GitLab, Slack, Stripe, private keys, JWTs, ...) are
detect-secrets' regex detectors, used as they are.  Importing them costs ~80 ms
(the package imports ``requests`` for its verifiers, which we never call), so it
happens only when ``prefilter`` lets a string through: a run over clean files
never pays it.  detect-secrets' per-line machinery (filters, allowlist regexes,
verification) is not used; its heuristics that apply to a value are (sequences,
UUIDs, templates).

Keyword detection is ours because we know the key and the value apart: a
line regex cannot tell ``secretName: db-creds`` (a reference) from
``password: hunter2``.  detect-secrets' ``IPPublicDetector`` is not used: a public
IP address is not a credential, and manifests are full of them.
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Iterator
from functools import cache
from typing import Any, NamedTuple

from gitops_guard.secrets.candidates import Candidate, Context
from gitops_guard.secrets.prefilter import (
    CREDENTIAL_WORDS,
    credential_key,
    has_token_hint,
    high_entropy,
    key_words,
)
from gitops_guard.secrets.refs import literal
from gitops_guard.secrets.shapes import (
    is_placeholder,
    is_prose,
    is_public_material,
    is_weak_password,
    pem_has_body,
)

# (module under detect_secrets.plugins, class, what our messages call it)
PLUGINS: tuple[tuple[str, str, str], ...] = (
    ("private_key", "PrivateKeyDetector", "private key"),
    ("aws", "AWSKeyDetector", "AWS access key"),
    ("github_token", "GitHubTokenDetector", "GitHub token"),
    ("gitlab_token", "GitLabTokenDetector", "GitLab token"),
    ("slack", "SlackDetector", "Slack token"),
    ("stripe", "StripeDetector", "Stripe key"),
    ("jwt", "JwtTokenDetector", "JSON web token"),
    ("npm", "NpmDetector", "npm token"),
    ("pypi_token", "PypiTokenDetector", "PyPI token"),
    ("openai", "OpenAIDetector", "OpenAI key"),
    ("sendgrid", "SendGridDetector", "SendGrid key"),
    ("square_oauth", "SquareOAuthDetector", "Square OAuth secret"),
    ("twilio", "TwilioKeyDetector", "Twilio key"),
    ("artifactory", "ArtifactoryDetector", "Artifactory credential"),
    ("discord", "DiscordBotTokenDetector", "Discord bot token"),
    ("telegram_token", "TelegramBotTokenDetector", "Telegram bot token"),
    ("mailchimp", "MailchimpDetector", "Mailchimp key"),
    ("azure_storage_key", "AzureStorageKeyDetector", "Azure storage key"),
    ("basic_auth", "BasicAuthDetector", "password in URL"),
    ("ibm_cloud_iam", "IbmCloudIamDetector", "IBM Cloud IAM key"),
    ("ibm_cos_hmac", "IbmCosHmacDetector", "IBM COS HMAC key"),
    ("softlayer", "SoftlayerDetector", "SoftLayer key"),
    ("cloudant", "CloudantDetector", "Cloudant credential"),
)
# Detectors that match on a key name and a value's length alone: an identifier such as
# ``enable_aws_secrets_store_csi_driver_provider`` (44 characters) is no IBM key.
_ASSIGNMENT_LABELS = frozenset(
    {"IBM Cloud IAM key", "IBM COS HMAC key", "SoftLayer key", "Cloudant credential", "AWS access key"}
)
# Key words those detectors look for; such a key lets a long value through the prefilter.
_ASSIGNMENT_WORDS = frozenset({"key", "pwd", "password", "pass", "token", "secret", "access", "api"})
# Cloudant API key 24, AWS secret access key 40, IBM Cloud IAM key 44, IBM COS HMAC 48,
# SoftLayer and Cloudant password 64.
_ASSIGNMENT_LENGTHS = frozenset({24, 40, 44, 48, 64})
_AWS_KEY_ID = r"(?:A3T[A-Z0-9]|ABIA|ACCA|AKIA|ASIA)[A-Z0-9]{16}"
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9_\-+/=]+")
_IDENTIFIER = r"[a-z]+(?:[_.\-][a-z]+)*|[A-Z]+(?:[_.\-][A-Z]+)*"
# A Kubernetes object name (DNS-1123): what `githubConfigSecret: runner-secret` holds.
_OBJECT_NAME = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
_OBJECT_REF = rf"(?:{_OBJECT_NAME}/)?{_OBJECT_NAME}"
_ENV_VAR_NAME = r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+"
_NOT_A_VALUE = frozenset(
    [
        "true",
        "false",
        "yes",
        "no",
        "on",
        "off",
        "null",
        "none",
        "nil",
        "~",
        "undefined",
        "empty",
        "redacted",
        "required",
        "optional",
        "string",
        "secret",
        "password",
        "token",
        "base64",
        "auto",
        "random",
        "generated",
    ]
)


class Detection(NamedTuple):
    label: str  # why it is a secret, for the message: "private key", "password field", ...
    secret: str  # what the detector matched (may be only part of the value); never shown
    kind: str = ""  # what baselines' fingerprints have always named it, when not the label

    @property
    def identity(self) -> str:
        return self.kind or self.label


def detect(candidate: Candidate) -> list[Detection]:
    """At most one detection per candidate: the most specific reason it is a secret."""
    # What is found depends on the key, the value, whether the field is meant for secrets
    # only and the kind of file; the same label or image value recurs across a repository.
    return list(_detect(candidate.key, candidate.value, candidate.sensitive, candidate.context))


@functools.lru_cache(maxsize=16384)
def _detect(key: str, value: str, sensitive: bool, context: Context) -> tuple[Detection, ...]:
    found = _detect_uncached(key, value, sensitive, context)
    return (found,) if found is not None else ()


def _detect_uncached(key: str, value: str, sensitive: bool, context: Context) -> Detection | None:
    text = literal(value)
    if text is None or is_placeholder(text) or is_public_material(text):
        return None
    if _worth_format_check(key, text):
        # The first (most specific) format only: never two labels for one value.
        first = next(_formats(key, text), None)
        if first is not None and (first.label != "private key" or pem_has_body(text)):
            return first
    cred = credential_key(key) if key else None
    if cred is not None:
        keyword = _keyword(key, text, cred, context)
        if keyword is not None:
            return keyword
    if not sensitive and (context is Context.YAML or not key):
        return None
    kind = high_entropy(text)
    if kind is None:
        return None
    if sensitive:
        # A field meant for secrets (a Secret's data, an env value), unless its name says
        # identifier or digest and no credential (redis-ha's SENTINEL_ID_0, a BUILD_SHA; not
        # Vault's SECRET_ID).
        words = key_words(key)
        found = (
            cred is not None
            or not _DIGEST_WORDS.intersection(words)
            or bool(CREDENTIAL_WORDS.intersection(words))
        )
    else:
        found = _assigned_secret(key, hex_value=kind == "hex")
    return Detection("high-entropy string", text) if found else None


# Qualifiers that make `secret key` a provider's secret key (AWS, MinIO, Django...), not the
# name of an entry in a Kubernetes Secret (External Secrets `secretKey: password`).
_SECRET_KEY_OWNERS = frozenset(
    {"aws", "s3", "minio", "gcs", "spaces", "django", "flask", "rails", "app", "application", "jwt", "api"}
)
# Key words that say the value is a digest, an identifier or a version, not a secret.
_DIGEST_WORDS = frozenset(
    {"sha", "sha1", "sha256", "sha512", "md5", "hash", "digest", "checksum", "integrity", "sum", "commit",
     "rev", "revision", "ref", "etag", "uid", "uuid", "id", "version", "image", "tag", "fingerprint",
     "h1", "zh", "nonce", "fp", "thumbprint", "pgp", "gpg", "recipient", "recipients"}
)  # fmt: skip


# Extensions of the files a Secret or ConfigMap key names (`secret.sql`, `credentials.json`).
_FILE_SUFFIXES = frozenset(
    {"sql", "sh", "conf", "cfg", "ini", "yaml", "yml", "json", "toml", "xml", "properties", "txt", "env"}
)


def _keyword(key: str, text: str, cred: str, context: Context) -> Detection | None:
    if "." in key and key.rpartition(".")[2].lower() in _FILE_SUFFIXES and "\n" in text.strip():
        # A file's content under its name (cloudnative-pg's `secret.sql: | create table
        # secrets ...`): its lines are candidates of their own, the whole is no credential.
        return None
    label = f"{cred} field"
    # Fingerprints name the credential as they did before messages said "field".
    if cred == "secret key":
        owned = bool(_SECRET_KEY_OWNERS.intersection(key_words(key)))
        if context is Context.YAML and not owned:
            # Names a key in a Secret (External Secrets, cert-manager) unless it is random.
            return Detection(label, text, cred) if high_entropy(text) else None
    if cred == "private key" and "PRIVATE KEY" not in text and not _key_material(text):
        # Key material is PEM or one token of 16 characters or more (a WireGuard key has 44):
        # tekton's phony "Hello, world!", Istio's `privateKey: sds` (its SDS) are none.
        return None
    if context is Context.YAML and cred.endswith(" key") and _names_its_entry(cred, text):
        # authKey: auth (Helm values beside existingSecret): the entry that holds the key.
        return None
    if cred in ("password", "passphrase", "credential") and is_weak_password(text):
        return Detection(f"{label} (well-known weak value)", text, cred)
    if not _keyword_value(text, cred) or is_prose(text):
        return None
    if "PRIVATE KEY" in text and not pem_has_body(text):  # the format shown, not a key
        return None
    if context is Context.DOCS and not high_entropy(text):
        # Prose shows `password: hunter2` as an example; a random-looking value is a real one.
        return None
    return Detection(label, text, cred)


def _key_material(text: str) -> bool:
    value = text.strip()
    return len(value) >= 16 and not any(c.isspace() for c in value)


def _names_its_entry(cred: str, text: str) -> bool:
    """``auth`` or ``redis-auth`` for an auth key: a name that ends with what the key holds."""
    qualifier = cred.removesuffix(" key").lower()
    words = key_words(text)
    return (
        bool(words)
        and words[-1] == qualifier
        and re.fullmatch(_OBJECT_NAME, text) is not None
        and not high_entropy(text)
    )


def _assigned_secret(key: str, *, hex_value: bool) -> bool:
    """In a text file, an assignment whose value is random-looking counts, unless the key says
    digest (`BUILD_SHA`, `integrity`); a hex value also needs a key that says key or secret."""
    words = key_words(key)
    if _DIGEST_WORDS.intersection(words):
        return False
    if hex_value:
        return "key" in words or credential_key(key) is not None
    return True


def _worth_format_check(key: str, text: str) -> bool:
    if has_token_hint(text):
        return True
    # The assignment detectors want a key word and a token of one of these lengths.
    if len(text) not in _ASSIGNMENT_LENGTHS or not _TOKEN_CHARS.fullmatch(text):
        return False
    return bool(_ASSIGNMENT_WORDS.intersection(key_words(key)))


_CALL = r"[A-Za-z_][\w.]*\(.*\)|[A-Za-z_][\w.]*\[.*\]"


def _keyword_value(text: str, cred: str) -> bool:
    """A literal a credential-named key holds, rather than a reference or a placeholder."""
    value = text.strip()
    if len(value) < 3 or value.lower() in _NOT_A_VALUE:
        return False
    if not any(c.isalpha() for c in value):  # ****, 12345 (detect-secrets needs a letter too)
        return False
    if value.startswith(("/", "./", "~/", "$")) or value.endswith((".yaml", ".yml", ".json", ".txt", ".pem")):
        return False
    if re.fullmatch(_ENV_VAR_NAME, value):  # the name of the variable that holds it
        return False
    if re.fullmatch(_CALL, value):  # code that reads it: os.getenv("X"), config["db"]
        return False
    if cred in ("secret", "credential", "token") and re.fullmatch(_OBJECT_REF, value):
        # secret: db-credentials, credentials: aws-creds: the name of a Secret object, or its
        # namespace/name (cert-manager's inject-ca-from-secret, Contour's default-tls-secret).
        return bool(high_entropy(value))
    return not (value[0] in "<{[" and value[-1] in ">}]")


def is_identifier(text: str) -> bool:
    """Letters in words joined by ``_ . -``, one case: ``password``, ``db-user``, ``API_KEY``."""
    return re.fullmatch(_IDENTIFIER, text) is not None


def _formats(key: str, text: str) -> Iterator[Detection]:
    line = f'{key}: "{text}"' if key else text
    for label, plugin in _plugins():
        try:
            matches = list(plugin.analyze_string(line))
        except Exception:  # a detector failing on odd input must not end the run
            continue
        for match in matches:
            if not isinstance(match, str) or not match:
                continue
            if label in _ASSIGNMENT_LABELS and is_identifier(match) and not re.fullmatch(_AWS_KEY_ID, match):
                # An access key ID, even AKIA + upper-case letters only (a test key), is reported.
                continue
            yield Detection(label, match)
            break


@cache
def _plugins() -> list[tuple[str, Any]]:
    out = []
    for module, cls, label in PLUGINS:
        mod = importlib.import_module(f"detect_secrets.plugins.{module}")
        out.append((label, getattr(mod, cls)()))
    return out
