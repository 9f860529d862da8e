"""What only looks like a secret stays quiet; its nearest real neighbour is still reported.

Each case is a pair: the negative (placeholder, reference, documentation example, public
material, enum value) and the positive that differs from it as little as possible.
"""

from __future__ import annotations

import base64
import random
import string

import pytest

from tests.secrets.conftest import Checker
from tests.secrets.fakes import GITHUB_TOKEN, HIGH_ENTROPY, PRIVATE_KEY, b64
from tests.secrets.test_detected import with_env

RULE = "secrets/detected"
PLAIN = "secrets/plaintext-secret"
_RNG = random.Random(12)


def random_b64(n: int) -> str:
    """``n`` distinct base64 characters: entropy log2(n), above detect-secrets' 4.5 from 23 on."""
    return "".join(_RNG.sample(string.ascii_letters + string.digits, n))


def rsa_public_key() -> str:
    """A DER SubjectPublicKeyInfo (2048-bit RSA) in base64, the `MIIBIjANBgkq...` shape."""
    head = bytes.fromhex("30820122300d06092a864886f70d01010105000382010f003082010a0282010100")
    body = bytes(_RNG.randrange(256) for _ in range(256)) + bytes.fromhex("0203010001")
    return base64.b64encode(head + body).decode()


def ssh_public_key() -> str:
    blob = b"\0\0\0\x0bssh-ed25519\0\0\0\x20" + bytes(_RNG.randrange(256) for _ in range(32))
    return "ssh-" + "ed25519 " + base64.b64encode(blob).decode() + " ops@example.com"


def messages(scan: Checker, files: dict[str, str], rule: str = RULE) -> list[str]:
    return [f.message for f in scan(files) if f.rule == rule]


def values(key: str, value: str) -> dict[str, str]:
    return {"values.yaml": f"db:\n  {key}: {value}\n"}


def secret(body: str) -> str:
    return f"apiVersion: v1\nkind: Secret\nmetadata: {{name: s}}\n{body}"


def env(name: str, value: str) -> dict[str, str]:
    return {
        "d.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n"
        "    spec:\n      containers:\n        - name: app\n          env:\n"
        f"            - name: {name}\n              value: '{value}'\n"
    }


# (negative value, positive neighbour) for `password: <value>` in a values file.
PLACEHOLDERS = {
    "dunder placeholder": ("__REPLACE_ME__", "__REPLACE_ME__7Hq"),
    "changeme": ("changeme", "changeme-7Hq2x9"),
    "change me": ("'change me'", "'change me 7Hq2x9'"),
    "angle brackets": ("<password>", "<password>7Hq"),
    "xxx": ("xxx", "xkq"),
    "your token": ("YOUR-DB-PASSWORD", "YOUR-DB-PASSWORD-7Hq2x9"),
    "not set": ('"not set"', '"not 7Hq2x9"'),
}


@pytest.mark.parametrize("name", sorted(PLACEHOLDERS))
def test_placeholder_is_not_a_password(scan: Checker, name: str) -> None:
    negative, positive = PLACEHOLDERS[name]
    assert messages(scan, values("password", negative)) == []
    assert messages(scan, values("password", positive)) == ["db.password: password field"]


def test_aws_placeholder_and_the_key_it_stands_for(scan: Checker) -> None:
    assert messages(scan, values("aws_access_key_id", "UPDATE_AWS_ACCESS_KEY_ID")) == []
    key_id = "AK" + "IA" + "QWERTYUIOPASDFGH"
    assert messages(scan, values("aws_access_key_id", key_id)) == ["db.aws_access_key_id: AWS access key"]


def test_changeme_base64_in_secret_data(scan: Checker) -> None:
    placeholder = {"s.yaml": secret(f"data:\n  password: {b64('changeme')}\n")}
    assert [f.rule for f in scan(placeholder)] == []
    real = {"s.yaml": secret(f"data:\n  password: {b64('changeme-7Hq2x9')}\n")}
    assert sorted(f.rule for f in scan(real)) == [RULE, PLAIN]


# (negative, positive neighbour): values the application resolves, and the literal next to it.
REFERENCES = {
    "{VAR} (Frigate)": ("'{FRIGATE_MQTT_PASSWORD}'", "'{FRIGATE_MQTT_PASSWORD}-7Hq'"),
    "$(VAR)": ("'$(DB_PASSWORD)'", "'$DB-7Hq2x9'"),
    "%(VAR)s": ("'%(DB_PASSWORD)s'", "'%(DB_PASSWORD)s7Hq'"),
    "$(cat file)": ("'$(cat /run/secrets/db)'", "'cat-7Hq2x9'"),
    "$(openssl rand)": ("'$(openssl rand -hex 32)'", "'openssl-7Hq2x9'"),
    "!env_var tag": ("!env_var DB_PASSWORD", "db_password"),
    "!ENV tag": ("!ENV ${DB_PASSWORD}", "ENV-7Hq2x9"),
    "!secret tag": ("!secret db_password", "secret_db_password"),
    # Argo CD / Argo Rollouts notifications name a key of their Secret.
    "$secret-key (Argo notifications)": ("'$email-password'", "'$email-7Hq2x9'"),
}


def test_an_env_value_named_an_identifier_is_not_a_secret_by_its_randomness(scan: Checker) -> None:
    # argo-cd's redis-ha StatefulSet: Sentinel run ids are 40 hex digits.
    sentinel_id = "3c0d9c0320bb34888c2df5757c718ce6ca992ce6"
    for name in ("SENTINEL_ID_0", "BUILD_SHA", "GIT_COMMIT"):
        assert messages(scan, with_env(name, sentinel_id)) == []
    where = "spec.template.spec.containers[0].env[0].value"
    for name in ("SESSION", "VAULT_SECRET_ID"):  # no identifier word, or a credential's id
        assert messages(scan, with_env(name, sentinel_id)) != [], name
    assert messages(scan, with_env("SESSION", sentinel_id)) == [f"{where}: high-entropy string"]


def test_an_istio_gateway_takes_its_key_from_sds(scan: Checker) -> None:
    gateway = (
        "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: g}\nspec:\n"
        "  servers:\n  - port: {number: 443, name: https, protocol: HTTPS}\n    hosts: ['*']\n"
        '    tls: {mode: SIMPLE, serverCertificate: "sds", privateKey: "%s"}\n'
    )
    assert messages(scan, {"gw.yaml": gateway % "sds"}) == []
    assert messages(scan, {"gw.yaml": gateway % HIGH_ENTROPY}) != []


def test_a_private_key_field_needs_key_material(scan: Checker) -> None:
    # tekton's example: the phony key is base64 of "Hello, world!".
    hello = b64("Hello, world!")
    phony = f"apiVersion: v1\nkind: Secret\nmetadata: {{name: k}}\ndata:\n  ssh-privatekey: {hello}\n"
    assert [m for m in messages(scan, {"s.yaml": phony}) if "private key" in m] == []
    wireguard = f"interface:\n  privateKey: {HIGH_ENTROPY}\n"
    assert messages(scan, {"wg.yaml": wireguard}) == ["interface.privateKey: private key field"]


def test_helm_values_name_the_entry_that_holds_a_key(scan: Checker) -> None:
    # argo-cd's redis-ha values: the password is in existingSecret, under its entry "auth".
    values = "redis-ha:\n  auth: true\n  authKey: {}\n  existingSecret: argocd-redis\n"
    for entry in ("auth", "redis-auth"):
        assert messages(scan, {"values.yaml": values.format(entry)}) == []
    for key in ("mysecretkey", "auth-7Hq2x9Kq"):
        assert messages(scan, {"values.yaml": values.format(key)}) == ["redis-ha.authKey: auth key field"]


def test_argo_notifications_settings_name_their_secret_keys(scan: Checker) -> None:
    settings = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: argocd-notifications-cm}\ndata:\n"
        "  service.slack: |\n    token: $slack-token\n"
        "  service.email.gmail: |\n    username: $email.username\n    password: $email.password\n"
    )
    assert messages(scan, {"cm.yaml": settings}) == []
    leaked = settings.replace("$slack-token", "xoxb-" + "1234567890-" * 2 + "AbCdEfGhIjKlMnOpQrStUvWx")
    assert messages(scan, {"cm.yaml": leaked}) != []


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_reference_is_not_a_password(scan: Checker, name: str) -> None:
    negative, positive = REFERENCES[name]
    assert messages(scan, values("password", negative)) == []
    assert messages(scan, values("password", positive)) == ["db.password: password field"]


def test_shell_that_reads_or_generates_the_value(scan: Checker) -> None:
    script = 'PASSWORD=$(cat /run/secrets/db)\nTOKEN="$(openssl rand -hex 32)"\nPASSWORD="not set"\n'
    assert messages(scan, {"init.sh": script}) == []
    assert messages(scan, {"init.sh": "PASSWORD=cat-7Hq2x9\n"}) == ["PASSWORD: password field"]


def test_yaml_tag_in_a_file_that_is_not_parsed(scan: Checker) -> None:
    assert messages(scan, {"cfg.txt": "password: !secret db_password\n"}) == []
    assert messages(scan, {"cfg.txt": "password: db_password\n"}) == ["password: password field"]


def test_documentation_decides_by_the_value(scan: Checker) -> None:
    doc = "# Setup\n\n```sh\ntoken=YOUR-TOKEN\npassword: hunter2\nexport API_KEY=abc\n```\n"
    assert messages(scan, {"README.md": doc}) == []
    real = f'# Setup\n\n```sh\nkey="{random_b64(32)}"\n```\n'
    assert messages(scan, {"docs/setup.md": real}) == ["key: high-entropy string"]
    # The same keyword line outside documentation is a committed password.
    assert messages(scan, {"app.cfg": "password: hunter2\n"}) == ["password: password field"]


def test_public_key_and_certificate_are_public(scan: Checker) -> None:
    public = {"s.yaml": secret(f"data:\n  public.pem: {b64(rsa_public_key())}\n")}
    assert [f.rule for f in scan(public)] == []
    assert messages(scan, env("JWT_PUBLIC_KEY", rsa_public_key())) == []
    random_blob = base64.b64encode(bytes(_RNG.randrange(256) for _ in range(294))).decode()
    assert messages(scan, env("JWT_SIGNING", random_blob)) == [
        "spec.template.spec.containers[0].env[0].value: high-entropy string"
    ]


def test_ssh_public_key_but_not_the_private_one(scan: Checker) -> None:
    assert messages(scan, env("DEPLOY_KEY", ssh_public_key())) == []
    private = {
        "s.yaml": secret(
            "stringData:\n  key: |\n" + "".join("    " + x + "\n" for x in PRIVATE_KEY.splitlines())
        )
    }
    assert messages(scan, private) == ["stringData.key: private key"]


def test_enum_value_is_not_high_entropy(scan: Checker) -> None:
    assert messages(scan, env("STORE_MODE", "SHARED_STORE_PRIMARY_REPLICA_FAILOVER_ZONE")) == []
    assert messages(scan, env("STORE_MODE", HIGH_ENTROPY)) == [
        "spec.template.spec.containers[0].env[0].value: high-entropy string"
    ]


def test_one_value_one_finding(scan: Checker) -> None:
    # A GitHub token as a URL password: two detectors match one value, one finding.
    url = f"https://ci:{GITHUB_TOKEN}@github.com/example/repo.git"
    found = [f for f in scan({"cm.yaml": f"repo: {url}\n"}) if f.rule == RULE]
    assert len(found) == 1


def test_two_lines_of_one_block_scalar_are_two_findings_on_their_lines(scan: Checker) -> None:
    text = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  app.ini: |\n"
        "    [a]\n    password = first-7Hq2x9\n    [b]\n    password = second-7Hq2x9\n"
    )
    found = [(f.line, f.column, f.message) for f in scan({"cm.yaml": text}) if f.rule == RULE]
    assert found == [
        (7, 16, "data.app.ini (password): password field"),
        (9, 16, "data.app.ini (password): password field"),
    ]


WEAK = ["password", "admin", "123456", "root"]


@pytest.mark.parametrize("value", WEAK)
def test_weak_password_is_still_a_password(scan: Checker, value: str) -> None:
    assert messages(scan, values("password", value)) == [
        "db.password: password field (well-known weak value)"
    ]
    # The neighbour: the key names where the password is kept, not the password.
    assert messages(scan, values("passwordKey", value)) == []


def test_description_that_explains_the_keys_is_prose(scan: Checker) -> None:
    crd = (
        "description: |-\n  Keys of the Secret:\n"
        "  - aws_secret_access_key: Secret Access Key, which is used to sign requests.\n"
        '  - private-key: "-----BEGIN PRIVATE KEY-----\\n<private-key>\\n-----END PRIVATE KEY-----\\n"\n'
    )
    assert messages(scan, {"crd.yaml": crd}) == []
    real = "description: |-\n  Keys of the Secret:\n  - aws_secret_access_key: Sign3d-7Hq2x9\n"
    assert messages(scan, {"crd.yaml": real}) == ["description (aws_secret_access_key): secret field"]
    assert messages(
        scan, {"crd.yaml": "key: |\n" + "".join("  " + x + "\n" for x in PRIVATE_KEY.splitlines())}
    ) == ["key: private key"]


def test_age_recipient_and_pgp_fingerprint_are_public(scan: Checker) -> None:
    bech32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
    recipient = "age1" + "".join(_RNG.choice(bech32) for _ in range(58))
    fingerprint = "".join(_RNG.choice("0123456789ABCDEF") for _ in range(40))
    script = f"export SOPS_AGE_RECIPIENTS={recipient}\nAGE_PUBLIC_KEY={recipient}\nPGP_KEY={fingerprint}\n"
    assert messages(scan, {"scripts/encrypt.sh": script}) == []
    identity = "AGE-SECRET-KEY-1" + "".join(_RNG.choice(bech32) for _ in range(58)).upper()
    assert messages(scan, {"scripts/encrypt.sh": f"AGE_KEY={identity}\n"}) == ["AGE_KEY: high-entropy string"]


def test_a_weak_password_that_is_a_word_is_not_reported_again_where_it_names_a_key(scan: Checker) -> None:
    # cloudnative-pg's samples: the Secret holds "password", a Cluster points at its key "password".
    secret = f"apiVersion: v1\nkind: Secret\nmetadata: {{name: app}}\ndata:\n  password: {b64('password')}\n"
    cluster = (
        "apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata: {name: dest}\nspec:\n"
        "  externalClusters:\n  - name: src\n    password: {name: app, key: password}\n"
    )
    got = messages(scan, {"s.yaml": secret, "c.yaml": cluster})
    assert got == ["data.password: password field (well-known weak value) (base64-decoded)"]


def test_a_file_named_for_a_credential_is_judged_by_its_lines(scan: Checker) -> None:
    secret = "apiVersion: v1\nkind: Secret\nmetadata: {{name: sql}}\nstringData:\n  secret.sql: |\n{}"
    sql = "    create table secrets (i integer);\n    insert into secrets (select generate_series(1,10));\n"
    assert messages(scan, {"s.yaml": secret.format(sql)}) == []
    leaked = sql + "    token = 'Zq9Kb7Hq2x9WmT4s';\n"
    assert messages(scan, {"s.yaml": secret.format(leaked)}) == ["stringData.secret.sql (token): token field"]


def test_a_secret_named_by_namespace_and_name_is_a_reference(scan: Checker) -> None:
    webhook = (
        "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\n"
        "metadata:\n  name: cert-manager-webhook\n  annotations:\n"
        '    cert-manager.io/inject-ca-from-secret: "{}"\nwebhooks: []\n'
    )
    assert messages(scan, {"w.yaml": webhook.format("cert-manager/cert-manager-webhook-ca")}) == []
    contour = 'data:\n  _example: |\n    default-tls-secret: "some-namespace/some-secret"\n'
    assert messages(scan, {"values.yaml": contour}) == []
    assert messages(scan, {"w.yaml": webhook.format(HIGH_ENTROPY)}) != []
