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

from gitops_guard.secrets.candidates import Candidate
from gitops_guard.secrets.prefilter import credential_key, has_token_hint, high_entropy, key_words
from gitops_guard.secrets.refs import literal

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
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9_\-+/=]+")
_IDENTIFIER = r"[a-z]+(?:[_.\-][a-z]+)*|[A-Z]+(?:[_.\-][A-Z]+)*"
# A Kubernetes object name (DNS-1123): what `githubConfigSecret: runner-secret` holds.
_OBJECT_NAME = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
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
    label: str  # what was found, for the message: "private key", "password", ...
    secret: str  # what the detector matched (may be only part of the value); never shown


def detect(candidate: Candidate) -> list[Detection]:
    # What is found depends on the key, the value and whether the field is meant for
    # secrets only; the same label or image value recurs across a repository's objects.
    return list(_detect(candidate.key, candidate.value, candidate.sensitive))


@functools.lru_cache(maxsize=16384)
def _detect(key: str, value: str, sensitive: bool) -> tuple[Detection, ...]:
    return tuple(_detect_uncached(key, value, sensitive))


def _detect_uncached(key: str, value: str, sensitive: bool) -> list[Detection]:
    text = literal(value)
    if text is None:
        return []
    found: dict[str, Detection] = {}
    if _worth_format_check(key, text):
        for detection in _formats(key, text):
            found.setdefault(detection.label, detection)
    cred = credential_key(key) if key else None
    if cred is not None and not found:
        if cred == "secret key":
            # Names a key in a Secret (External Secrets, cert-manager) unless it is random.
            if high_entropy(text):
                found[cred] = Detection(cred, text)
        elif _keyword_value(text, cred):
            found[cred] = Detection(cred, text)
    if sensitive and not found and high_entropy(text):
        found["high-entropy string"] = Detection("high-entropy string", text)
    return list(found.values())


def _worth_format_check(key: str, text: str) -> bool:
    if has_token_hint(text):
        return True
    # The assignment detectors want a key word and a token of one of these lengths.
    if len(text) not in _ASSIGNMENT_LENGTHS or not _TOKEN_CHARS.fullmatch(text):
        return False
    return bool(_ASSIGNMENT_WORDS.intersection(key_words(key)))


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
    if cred in ("secret", "credential", "token") and re.fullmatch(_OBJECT_NAME, value):
        # secret: db-credentials, credentials: aws-creds: the name of a Secret object.
        return bool(high_entropy(value))
    return not (value[0] in "<{[" and value[-1] in ">}]")


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
            if label in _ASSIGNMENT_LABELS and re.fullmatch(_IDENTIFIER, match):
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
