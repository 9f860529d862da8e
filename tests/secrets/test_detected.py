"""secrets/detected: truth table of credentials (and of what only looks like one)."""

from __future__ import annotations

import json

import pytest

from tests.secrets.conftest import Checker
from tests.secrets.fakes import (
    AWS_ACCESS_KEY,
    GITHUB_TOKEN,
    HIGH_ENTROPY,
    PASSWORD,
    PRIVATE_KEY,
    SLACK_TOKEN,
    b64,
)

RULE = "secrets/detected"
CHART = "apiVersion: v2\nname: c\nversion: 1.0.0\n"


def deployment(env: str) -> str:
    return (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n"
        f"      containers:\n        - name: app\n          env:\n{env}"
    )


def env_var(name: str, value: str) -> str:
    """One entry of the ``env`` list :func:`deployment` takes."""
    return f"            - name: {name}\n              value: {value}\n"


def with_env(name: str, value: str) -> dict[str, str]:
    """A repository holding a Deployment whose one environment variable is ``name=value``."""
    return {"d.yaml": deployment(env_var(name, value))}


def secret(body: str) -> str:
    return f"apiVersion: v1\nkind: Secret\nmetadata: {{name: s}}\n{body}"


def with_secret_data(key: str, value: str) -> dict[str, str]:
    """A repository holding a Secret with ``value`` base64-encoded under ``data.<key>``."""
    return {"s.yaml": secret(f"data:\n  {key}: {b64(value)}\n")}


def indent(text: str, n: int) -> str:
    return "".join(" " * n + line + "\n" for line in text.splitlines())


# name -> (files, expected message)
FAIL: dict[str, tuple[dict[str, str], str]] = {
    "private key in stringData": (
        {"s.yaml": secret("stringData:\n  tls.key: |\n" + indent(PRIVATE_KEY, 4))},
        "stringData.tls.key: private key",
    ),
    "private key in base64 data": (
        with_secret_data("tls.key", PRIVATE_KEY),
        "data.tls.key: private key (base64-decoded)",
    ),
    "password in base64 data": (
        with_secret_data("password", PASSWORD),
        "data.password: password field (base64-decoded)",
    ),
    "random value in base64 data": (
        with_secret_data("value", HIGH_ENTROPY),
        "data.value: high-entropy string (base64-decoded)",
    ),
    "GitHub token in env": (
        with_env("GH", GITHUB_TOKEN),
        "spec.template.spec.containers[0].env[0].value: GitHub token",
    ),
    "password in env by its name": (
        with_env("DB_PASSWORD", PASSWORD),
        "spec.template.spec.containers[0].env[0].value: password field",
    ),
    "random value in env": (
        with_env("SESSION", HIGH_ENTROPY),
        "spec.template.spec.containers[0].env[0].value: high-entropy string",
    ),
    "helm values password": (
        {"values.yaml": f"auth:\n  rootPassword: {PASSWORD}\n"},
        "auth.rootPassword: password field",
    ),
    "helm values api key": (
        {"values-prod.yaml": f"integrations:\n  apiKey: {PASSWORD}\n"},
        "integrations.apiKey: API key field",
    ),
    "AWS key in a ConfigMap": (
        {
            "cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"
            f"data:\n  id: {AWS_ACCESS_KEY}\n"
        },
        "data.id: AWS access key",
    ),
    "Slack token in a Helm template": (
        {
            "chart/Chart.yaml": CHART,
            "chart/templates/cm.yaml": f"data:\n  hook: {{{{ .x }}}}-{SLACK_TOKEN}\n",
        },
        "hook: Slack token",
    ),
    "password in a URL": (
        {"cm.yaml": f"url: https://admin:{PASSWORD}@db.example.com:5432/app\n"},
        "url: password in URL",
    ),
    "env as a mapping (Helm values)": (
        {"values.yaml": f"app:\n  env:\n    MARIADB_PASSWORD: {PASSWORD}\n"},
        "app.env.MARIADB_PASSWORD: password field",
    ),
    "config file embedded in a ConfigMap": (
        {
            "cm.yaml": f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c}}\ndata:\n  app.ini: |\n"
            f"    [db]\n    password = {PASSWORD}\n"
        },
        "data.app.ini (password): password field",
    ),
    "JSON file": (
        {"config.json": json.dumps({"service": {"token": PASSWORD}})},
        "service.token: token field",
    ),
    "Argo CD Application inline Helm values": (
        {
            "app.yaml": "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: a}\nspec:\n"
            "  source:\n    helm:\n      values: |\n        db:\n"
            f"          password: {PASSWORD}\n"
        },
        "spec.source.helm.values (password): password field",
    ),
    "kustomize secretGenerator literal": (
        {
            "kustomization.yaml": "secretGenerator:\n  - name: db\n"
            f"    literals:\n      - password={PASSWORD}\n"
        },
        "secretGenerator[0].literals[0]: password field",
    ),
    "docker config in base64 data": (
        {
            "s.yaml": secret(
                "data:\n  .dockerconfigjson: "
                + b64(json.dumps({"auths": {"r.example.com": {"password": PASSWORD}}}, indent=2))
                + "\n"
            )
        },
        "data..dockerconfigjson (password): password field (base64-decoded)",
    ),
    "Argo CD repository ssh key": (
        {
            "repo.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: r\n  labels:\n"
            "    argocd.argoproj.io/secret-type: repository\nstringData:\n  url: git@example.com:r.git\n"
            "  sshPrivateKey: |\n" + indent(PRIVATE_KEY, 4)
        },
        "stringData.sshPrivateKey: private key",
    ),
}

PASS: dict[str, dict[str, str]] = {
    "secret names": {
        "values.yaml": "tls:\n  secretName: db-creds\nauth:\n  existingSecret: db\n"
        "  passwordKey: password\n  githubConfigSecret: runner-secret\n"
    },
    "env from a secretKeyRef": {
        "d.yaml": deployment(
            "            - name: DB_PASSWORD\n              valueFrom:\n"
            "                secretKeyRef: {name: db, key: password}\n"
        )
    },
    "env substitution": {
        "d.yaml": deployment(env_var("DB_PASSWORD", "${DB_PASSWORD}") + env_var("API_TOKEN", "$(TOKEN)"))
    },
    "templated values": {
        "values.yaml": 'password: "{{ .Values.global.password }}"\nclientSecret: "{{ .x }}"\n'
    },
    "secret manager references": {
        "values.yaml": (
            "a:\n  password: op://vault/db/password\n  token: vault:secret/data/db#token\n"
            "  apiKey: ref+awssecrets://db/key\n  clientSecret: akv://vault/secret\n"
            "  secret: gcpsm://projects/p/secrets/s\n  credential: sm://db-password\n"
        )
    },
    "SOPS values": {
        "values.yaml": "password: ENC[AES256_GCM,data:Tm90LWEtc2VjcmV0,iv:aXY=,tag:dGFn,type:str]\n"
    },
    "SOPS document": {
        "s.enc.yaml": f"token: {GITHUB_TOKEN}\npassword: {PASSWORD}\n"
        "sops:\n  mac: ENC[AES256_GCM,data:eA==,type:str]\n  version: 3.8.1\n"
    },
    "SealedSecret ciphertext": {
        "ss.yaml": (
            "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {name: s}\nspec:\n"
            f"  encryptedData:\n    password: {b64(HIGH_ENTROPY * 4)}\n    token: {HIGH_ENTROPY}\n"
        )
    },
    "ExternalSecret references": {
        "es.yaml": (
            "apiVersion: external-secrets.io/v1beta1\nkind: ExternalSecret\nmetadata: {name: e}\nspec:\n"
            "  secretStoreRef: {name: onepassword, kind: ClusterSecretStore}\n  data:\n"
            "    - secretKey: password\n      remoteRef: {key: db, property: password}\n"
        )
    },
    "Helm template placeholders": {
        "chart/Chart.yaml": CHART,
        "chart/templates/secret.yaml": "stringData:\n  password: {{ .Values.password | quote }}\n"
        '  token: {{ required "token" .Values.token }}\n',
    },
    "not values": {
        "values.yaml": 'password: ""\ntoken: true\npasswordLength: 32\nsecretKey: password\n'
        "credentials: aws-creds\nsecret: slack-webhook\n"
    },
    "public certificate": {
        "s.yaml": secret(
            "stringData:\n  tls.crt: |\n    -----BEGIN CERTIFICATE-----\n"
            "    MIIBszCCAVmgAwIBAgIU\n    -----END CERTIFICATE-----\n"
        )
    },
    "digests and ids outside secret fields": {
        "d.yaml": (
            "metadata:\n  annotations:\n"
            "    checksum/config: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n"
            "  uid: 3f0a9d1c-2b1e-4c1f-9e2a-8f6e7d5c4b3a\nimage: nginx@sha256:"
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n"
        )
    },
    "allowlist pragma on the line": {"values.yaml": f"password: {PASSWORD}  # pragma: allowlist secret\n"},
    "allowlist pragma on the line before": {
        "values.yaml": f"# pragma: allowlist nextline secret\npassword: {PASSWORD}\n"
    },
    "gitops-guard disable-line": {
        "values.yaml": f"password: {PASSWORD}  # gitops-guard: disable-line secrets\n"
    },
}


@pytest.mark.parametrize("name", sorted(FAIL))
def test_fail(scan: Checker, name: str) -> None:
    files, message = FAIL[name]
    findings = [f for f in scan(files) if f.rule == RULE]
    assert [f.message for f in findings] == [message]
    assert findings[0].line is not None


@pytest.mark.parametrize("name", sorted(PASS))
def test_pass(scan: Checker, name: str) -> None:
    assert [f.message for f in scan(PASS[name]) if f.rule == RULE] == []


def test_points_at_the_value(scan: Checker) -> None:
    (finding,) = [f for f in scan({"values.yaml": f"a: 1\ndb:\n  password: {PASSWORD}\n"}) if f.rule == RULE]
    assert (finding.path, finding.line, finding.column) == ("values.yaml", 3, 13)


def test_fingerprint_hashes_the_secret_not_the_line(scan: Checker) -> None:
    def fingerprint(text: str) -> str:
        (finding,) = [f for f in scan({"values.yaml": text}) if f.rule == RULE]
        return finding.fingerprint

    base = fingerprint(f"password: {PASSWORD}\n")
    assert fingerprint(f"# moved down\n\npassword: {PASSWORD}\n") == base
    assert fingerprint("password: a-different-one\n") != base


def test_fingerprint_is_what_baselines_recorded_before_messages_said_field(scan: Checker) -> None:
    # Recorded from the release whose messages said `password`: a baseline written then still
    # matches, so adopting this version reports no old secret as new.
    files = {"values.yaml": f"db:\n  password: {PASSWORD}\n", ".env": f"DB_PASSWORD={PASSWORD}\n"}
    got = {f.path: f.fingerprint for f in scan(files) if f.rule == RULE}
    assert got == {
        ".env": "sha256:3b9d46f61fec822bb8071df3603714527b1994e1ca3f5a429292957b5db7707c",
        "values.yaml": "sha256:0cb01db3b18b392b11a79d617ebced0b387020d5a30451b903dbc89c57db1cb9",
    }
