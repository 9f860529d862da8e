"""secrets/plaintext-secret: truth table of Secrets that do and do not commit a value."""

from __future__ import annotations

import pytest

from tests.secrets.conftest import Checker
from tests.secrets.fakes import PLAIN_VALUE, b64

RULE = "secrets/plaintext-secret"


def secret(body: str, *, labels: str = "", extra: str = "") -> str:
    meta = "metadata:\n  name: s\n" + (f"  labels:\n{labels}" if labels else "")
    return f"apiVersion: v1\nkind: Secret\n{meta}{body}{extra}"


FAIL = {
    "stringData literal": secret(f"stringData:\n  password: {PLAIN_VALUE}\n"),
    "data base64 literal": secret(f"data:\n  password: {b64(PLAIN_VALUE)}\n"),
    "one literal among references": secret(f"stringData:\n  a: ${{A}}\n  b: {PLAIN_VALUE}\n"),
    "data that is not base64": secret("data:\n  password: not base64!\n"),
    "argocd repository with a password": secret(
        f"stringData:\n  url: https://git.example.com/repo.git\n  password: {PLAIN_VALUE}\n",
        labels="    argocd.argoproj.io/secret-type: repository\n",
    ),
    "argocd cluster config with a bearer token": secret(
        'stringData:\n  server: https://k8s.example.com\n  config: \'{"bearerToken": "'
        + PLAIN_VALUE
        + "\"}'\n",
        labels="    argocd.argoproj.io/secret-type: cluster\n",
    ),
    "inside a v1 List": (
        "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Secret\n"
        f"    metadata: {{name: s}}\n    stringData:\n      token: {PLAIN_VALUE}\n"
    ),
    "kustomize secretGenerator literal": (
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nsecretGenerator:\n"
        f"  - name: db\n    literals:\n      - password={PLAIN_VALUE}\n"
    ),
}
PASS = {
    "no data": secret(""),
    "empty data": secret("data: {}\nstringData: {}\n"),
    "empty values": secret('stringData:\n  password: ""\ndata:\n  token: ""\n'),
    "flux substitution": secret("stringData:\n  password: ${DB_PASSWORD}\n"),
    "helm template": secret('stringData:\n  password: "{{ .Values.password }}"\n'),
    "argocd vault plugin": secret("stringData:\n  password: <path:kv/data/db#password>\n"),
    "1password uri": secret("stringData:\n  token: op://vault/item/field\n"),
    "vals ref+": secret("stringData:\n  token: ref+vault://secret/db#/password\n"),
    "base64 of a reference": secret(f"data:\n  token: {b64('${TOKEN}')}\n"),
    "sops encrypted values": secret(
        "stringData:\n  password: ENC[AES256_GCM,data:abcd,iv:ef,tag:gh,type:str]\n",
        extra="sops:\n  mac: ENC[AES256_GCM,data:xx,type:str]\n  version: 3.8.1\n",
    ),
    "sops document with a plain-looking value": secret(
        "stringData:\n  password: still-encrypted-by-sops\n",
        extra="sops:\n  age: []\n  lastmodified: '2024-01-01T00:00:00Z'\n  version: 3.8.1\n",
    ),
    "argocd public repository": secret(
        "stringData:\n  url: https://github.com/example/repo.git\n  type: git\n  name: repo\n",
        labels="    argocd.argoproj.io/secret-type: repository\n",
    ),
    "argocd cluster without credentials": secret(
        "stringData:\n  name: in-cluster\n  server: https://kubernetes.default.svc\n"
        '  config: \'{"tlsClientConfig": {"insecure": false}}\'\n',
        labels="    argocd.argoproj.io/secret-type: cluster\n",
    ),
    "sealed secret": (
        "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {name: s}\n"
        "spec:\n  encryptedData:\n    password: AgBy3i4OJSWK+PiTySYZZA9rO43cGDEq\n"
    ),
    "secret-shaped configmap": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  mode: fast\n",
    "secretGenerator from files": (
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nsecretGenerator:\n"
        "  - name: db\n    files: [secret.enc.env]\n"
    ),
}


@pytest.mark.parametrize("name", sorted(FAIL))
def test_fail(scan: Checker, name: str) -> None:
    findings = [f for f in scan({"manifest.yaml": FAIL[name]}) if f.rule == RULE]
    assert len(findings) == 1, findings
    assert PLAIN_VALUE not in findings[0].message
    assert findings[0].line is not None


@pytest.mark.parametrize("name", sorted(PASS))
def test_pass(scan: Checker, name: str) -> None:
    assert [f for f in scan({"manifest.yaml": PASS[name]}) if f.rule == RULE] == []


def test_message_names_keys_and_points_at_the_section(scan: Checker) -> None:
    text = secret(f"stringData:\n  username: admin\n  password: {PLAIN_VALUE}\n")
    (finding,) = [f for f in scan({"s.yaml": text}) if f.rule == RULE]
    assert "stringData.password" in finding.message and "stringData.username" in finding.message
    assert (finding.line, finding.column) == (5, 1)
    assert finding.object is not None and finding.object.name == "s"


def test_fingerprint_follows_the_value_not_the_line(scan: Checker) -> None:
    first = [
        f for f in scan({"s.yaml": secret(f"stringData:\n  password: {PLAIN_VALUE}\n")}) if f.rule == RULE
    ]
    moved = [
        f
        for f in scan({"s.yaml": "# a comment\n---\n" + secret(f"stringData:\n  password: {PLAIN_VALUE}\n")})
        if f.rule == RULE
    ]
    changed = [
        f for f in scan({"s.yaml": secret("stringData:\n  password: another-one\n")}) if f.rule == RULE
    ]
    assert first[0].line != moved[0].line
    assert first[0].fingerprint == moved[0].fingerprint
    assert first[0].fingerprint != changed[0].fingerprint
