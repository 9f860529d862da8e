"""Credentials detect-secrets finds in the text files a GitOps repository commits, found here too.

Every case is a positive with its neighbouring negative, in files that are not Kubernetes
manifests (.env, .ini, code, Terraform, Markdown) as much as in YAML.
"""

from __future__ import annotations

import random
import string

import pytest

from tests.secrets.conftest import Checker
from tests.secrets.fakes import HIGH_ENTROPY

RULE = "secrets/detected"
PLAIN = "secrets/plaintext-secret"
_RNG = random.Random(3)


def random_b64(n: int) -> str:
    """``n`` distinct base64 characters: entropy log2(n), above detect-secrets' 4.5 from 23 on."""
    return "".join(_RNG.sample(string.ascii_letters + string.digits + "+/", n - 1)) + "7"


def random_hex(n: int) -> str:
    return "".join(_RNG.choice("0123456789abcdef") for _ in range(n))


def found(scan: Checker, files: dict[str, str]) -> list[tuple[str, int | None, str]]:
    return [(f.path, f.line, f.message) for f in scan(files) if f.rule == RULE]


def test_high_entropy_base64_in_env_file(scan: Checker) -> None:
    text = f"LOG_LEVEL=info\nSESSION={random_b64(40)}\n"
    assert found(scan, {".env": text}) == [(".env", 2, "SESSION: high-entropy string")]
    # Digests and enum values are not secrets, however long.
    clean = f"BUILD_SHA={random_hex(40)}\nSTORE=SHARED_STORE_PRIMARY_REPLICA\nIMAGE_DIGEST={random_hex(64)}\n"
    assert found(scan, {".env": clean}) == []


def test_secret_named_variable_in_code(scan: Checker) -> None:
    code = f"import os\nSUPER_SECRET_VALUE = '{random_b64(40)}'\n"
    assert found(scan, {"app/settings.py": code}) == [
        ("app/settings.py", 2, "SUPER_SECRET_VALUE: secret field")
    ]
    reads = 'import os\nSUPER_SECRET_VALUE = os.environ["SUPER_SECRET_VALUE"]\nDB_PASSWORD = os.getenv("X")\n'
    assert found(scan, {"app/settings.py": reads}) == []


def test_php_assignments(scan: Checker) -> None:
    php = f"<?php\n$db_password = \"k3y-7Hq2x9\";\n$api_key = '{random_b64(32)}';\n"
    assert [m for _, _, m in found(scan, {"db.php": php})] == [
        "db_password: password field",
        "api_key: API key field",
    ]
    assert (
        found(scan, {"db.php": "<?php\n$password = getenv('DB_PASSWORD');\n$greeting = \"hello\";\n"}) == []
    )


def test_key_shaped_name_with_a_short_value_in_ini(scan: Checker) -> None:
    assert found(scan, {"app.ini": "[aws]\naws_secret_key = k3yV4lue9\n"}) == [
        ("app.ini", 2, "aws_secret_key: secret key field")
    ]
    assert found(scan, {"app.ini": "[aws]\naws_secret_key_file = /etc/aws/key\n"}) == []


def test_secret_key_in_yaml_names_an_entry_unless_a_provider_owns_it(scan: Checker) -> None:
    assert found(scan, {"values.yaml": "s3:\n  aws_secret_key: k3yV4lue9\n"}) == [
        ("values.yaml", 2, "s3.aws_secret_key: secret key field")
    ]
    assert found(scan, {"values.yaml": "ref:\n  secretKey: password\n"}) == []


AWS_IDS = {
    "random": "AK" + "IA" + "Q3X7ZPLM4TQXB2RN",
    "documentation example": "AK" + "IA" + "IOSFODNN7" + "EXAMPLE",
    "upper-case letters only": "AK" + "IA" + "QWERTYUIOPASDFGH",
}


@pytest.mark.parametrize("name", sorted(AWS_IDS))
def test_aws_access_key_id_even_a_test_one(scan: Checker, name: str) -> None:
    key_id = AWS_IDS[name]
    assert found(scan, {"main.tf": f'provider "aws" {{\n  access_key = "{key_id}"\n}}\n'}) == [
        ("main.tf", 2, "access_key: AWS access key")
    ]
    # One character short is no key ID.
    assert found(scan, {"main.tf": f'provider "aws" {{\n  access_key_name = "{key_id[:-1]}"\n}}\n'}) == []


def test_ini_value_on_the_following_line(scan: Checker) -> None:
    text = f"[app]\nsecrets_token =\n    {random_b64(32)}\nname = web\n"
    assert found(scan, {"app.ini": text}) == [("app.ini", 3, "secrets_token: token field")]
    assert found(scan, {"app.ini": "[app]\nsecrets_token =\n    changeme\nname = web\n"}) == []
    # In a Helm template (scanned as text), the line below an open key is an entry of its own.
    volume = '      secret:\n        secretName: {{ include "app.fullname" . }}-webhook\n'
    assert found(scan, {"chart/templates/pod.yml.tpl": volume}) == []


def test_yaml_password_whose_value_is_a_mapping(scan: Checker) -> None:
    text = f"smtp:\n  password:\n    secure: {random_b64(44)}\n"
    assert found(scan, {"config.yaml": text}) == [
        ("config.yaml", 3, "smtp.password.secure: high-entropy string")
    ]
    describes = (
        "password:\n  secretName: db\n  key: password\nprivateKey:\n  encoding: PKCS8\n  algorithm: RSA\n"
    )
    assert found(scan, {"config.yaml": describes}) == []


def test_high_entropy_key_in_a_markdown_code_block(scan: Checker) -> None:
    text = f'# Use\n\n```sh\nkey="{random_b64(32)}"\n```\n'
    assert found(scan, {"docs/use.md": text}) == [("docs/use.md", 4, "key: high-entropy string")]
    assert (
        found(scan, {"docs/use.md": '# Use\n\n```sh\nkey="shared-store-primary-replica-zone"\n```\n'}) == []
    )


def test_key_left_unencrypted_by_sops_encrypted_regex(scan: Checker) -> None:
    sops = "sops:\n  mac: ENC[AES256_GCM,data:eA==,type:str]\n  version: 3.8.1\n"
    leaky = "server:\n  passwordSSH: k3y-7Hq2x9\n" + sops + "  encrypted_regex: ^(data|stringData)$\n"
    assert found(scan, {"values.enc.yaml": leaky}) == [
        ("values.enc.yaml", 2, "server.passwordSSH: password field (left unencrypted by SOPS)")
    ]
    # Without a narrowing rule SOPS encrypted every value: what is there is ciphertext.
    assert found(scan, {"values.enc.yaml": "server:\n  passwordSSH: k3y-7Hq2x9\n" + sops}) == []


def test_secret_stringdata_outside_sops_encrypted_regex_is_plaintext(scan: Checker) -> None:
    doc = (
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData:\n  password: k3y-7Hq2x9\n"
        "data:\n  token: ENC[AES256_GCM,data:eA==,type:str]\n"
        "sops:\n  mac: ENC[AES256_GCM,data:eA==,type:str]\n  version: 3.8.1\n"
    )
    assert [f.rule for f in scan({"s.enc.yaml": doc + "  encrypted_regex: ^(data)$\n"})] == [PLAIN, RULE]
    assert [f.rule for f in scan({"s.enc.yaml": doc + "  encrypted_regex: ^(data|stringData)$\n"})] == []


def test_value_of_a_secret_repeated_outside_it(scan: Checker) -> None:
    secret = (
        f"apiVersion: v1\nkind: Secret\nmetadata: {{name: upstream}}\nstringData:\n  token: {HIGH_ENTROPY}\n"
    )

    def configmap(value: str) -> str:
        return (
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  app.ini: |\n"
            f"    upstream_auth = {value}\n"
        )

    got = found(scan, {"s.yaml": secret, "cm.yaml": configmap(HIGH_ENTROPY)})
    assert ("cm.yaml", 6, "data.app.ini (upstream_auth): same value as in Secret upstream") in got
    got = found(scan, {"s.yaml": secret, "cm.yaml": configmap(HIGH_ENTROPY[::-1])})
    assert [p for p, _, _ in got] == ["s.yaml"]


def test_sops_creation_rule_when_the_metadata_records_none(scan: Checker) -> None:
    sops = "sops:\n  mac: ENC[AES256_GCM,data:eA==,type:str]\n  version: 3.0.0\n"
    leaky = {"apps/values.enc.yaml": "server:\n  passwordSSH: k3y-7Hq2x9\n" + sops}

    def config(path_regex: str) -> str:
        return f"creation_rules:\n  - path_regex: {path_regex}\n    encrypted_regex: ^(data|stringData)$\n"

    assert found(scan, {**leaky, ".sops.yaml": config("apps/.*\\.enc\\.yaml$")}) == [
        ("apps/values.enc.yaml", 2, "server.passwordSSH: password field (left unencrypted by SOPS)")
    ]
    assert found(scan, {**leaky, ".sops.yaml": config("other/.*\\.yaml$")}) == []
