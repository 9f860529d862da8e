"""The prefilter must let through everything detect-secrets' detectors confirm,
and the cheap helpers behave as documented."""

from __future__ import annotations

import pytest

from gitops_guard.secrets import detectors
from gitops_guard.secrets.candidates import Candidate, from_document
from gitops_guard.secrets.prefilter import credential_key, high_entropy
from gitops_guard.secrets.refs import is_reference, literal
from gitops_guard.source.classify import SCANNED_SUFFIXES
from gitops_guard.source.limits import Limits
from gitops_guard.source.yamldoc import decode, parse
from tests.conftest import require_corpus
from tests.secrets.fakes import ALL, HIGH_ENTROPY


def corpus_candidates() -> set[tuple[str, str]]:
    root = require_corpus() / "repos"
    out: set[tuple[str, str]] = set()
    for path in sorted(root.rglob("*")):
        if path.suffix not in SCANNED_SUFFIXES or ".git" in path.parts or not path.is_file():
            continue
        text, _problem = decode(path.read_bytes())
        if text is None:
            continue
        for doc in parse(text, str(path), Limits()).documents:
            for c in from_document(doc.data):
                value = literal(c.value)
                if value is not None:
                    out.add((c.key, value))
    return out


def test_prefilter_passes_everything_the_detectors_find_in_the_corpus() -> None:
    samples = corpus_candidates()
    samples |= {("value", v) for v in ALL.values()}
    samples |= {("ibm_cloud_api_key", "Zx" * 22), ("aws_secret_access_key", "wJalr" + "Zq9" * 11 + "Kb")}
    assert len(samples) > 5_000
    missed = []
    confirmed = 0
    for key, value in samples:
        found = list(detectors._formats(key, value))
        if found:
            confirmed += 1
            if not detectors._worth_format_check(key, value):
                missed.append((key, found[0].label))
    assert confirmed >= len(ALL) - 1  # the password is found by keyword, not by a format
    assert missed == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", True),
        ("   ", True),
        ("${DB_PASSWORD}", True),
        ("$(TOKEN)", True),
        ("{{ .Values.password }}", True),
        ('{{- include "x" . }}', True),
        ("<path:kv/data/db#password>", True),
        ("<your-password>", True),
        ("ENC[AES256_GCM,data:abc,iv:d,tag:e,type:str]", True),
        ("op://vault/item/field", True),
        ("vault:secret/data/db#password", True),
        ("ref+vault://secret/db#/pw", True),
        ("akv://kv/secret", True),
        ("gcpsm://projects/p/secrets/s", True),
        ("sm://db-password", True),
        ("projects/p/secrets/db/versions/latest", True),
        ("arn:aws:secretsmanager:eu-west-1:123456789012:secret:db", True),
        ("$slack-token", True),  # a key of Argo CD's notifications Secret
        ("$email.password", True),
        ("$slack-token and more", False),
        ("$DB-7Hq2x9", False),  # a variable, then a literal
        ("$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy", False),  # a bcrypt hash
        ("hunter2-but-longer", False),
        ("prefix-${VAR}", False),
        ("ENC[partial", False),
    ],
)
def test_is_reference(value: str, expected: bool) -> None:
    assert is_reference(value) is expected


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("password", "password"),
        ("DB_PASSWORD", "password"),
        ("rootPassword", "password"),
        ("passwd", "password"),
        ("apiKey", "API key"),
        ("api_key", "API key"),
        ("accessKey", "access key"),
        ("sshPrivateKey", "private key"),
        ("clientSecret", "secret"),
        ("bearerToken", "token"),
        ("token", "token"),
        ("secretKey", "secret key"),
        ("secretName", None),
        ("existingSecret", None),
        ("passwordExistingSecret", None),
        ("adminPasswordSecret", None),
        ("passwordKey", None),
        ("passwordSecretKey", None),
        ("adminPasswordSecretKey", None),
        ("awsSecretKey", "secret key"),
        ("secretKeyRef", None),
        ("passwordFile", None),
        ("tokenTTL", None),
        ("topologyKey", None),
        ("tls.key", None),
        ("name", None),
    ],
)
def test_credential_key(key: str, expected: str | None) -> None:
    assert credential_key(key) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (HIGH_ENTROPY, "base64"),
        # pragma: allowlist nextline secret
        ("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "hex"),
        ("3f0a9d1c-2b1e-4c1f-9e2a-8f6e7d5c4b3a", None),  # a UUID
        ("ABCDEFGHIJKLMNOPQRSTUVWXYZ", None),  # a sequence
        ("aaaaaaaaaaaaaaaaaaaaaaaa", None),
        ("short", None),
        ("two words but long enough", None),
        ("11112222333344445555", None),  # digits only, low entropy
    ],
)
def test_high_entropy(value: str, expected: str | None) -> None:
    assert high_entropy(value) == expected


def test_detect_never_sees_references() -> None:
    assert detectors.detect(Candidate(("a",), "password", "${PASSWORD}")) == []
    assert detectors.detect(Candidate(("a",), "password", "op://v/i/f")) == []
