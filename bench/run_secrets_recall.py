#!/usr/bin/env python3
"""Secret recall and precision side by side: detect-secrets against gitops-guard, same files.

Writes files of the kinds a GitOps repository commits next to its manifests (``.env``,
``.ini``, YAML config and manifests, Markdown, Python, PHP, Terraform) in which every line is
labelled: a planted credential (``secret``) or a neighbour that only looks like one
(``clean``: placeholders, references, public keys, digests, enum values). Then runs the real
``detect-secrets scan --all-files`` and ``gitops-guard check --select secrets`` on the same
directory and reports, per tool, the planted lines found, the planted lines missed, the clean
lines flagged, and the lines only one of the two flags.

The credentials are random (seeded) and assembled at run time, so this file holds none.
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import string
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import tools

SECRET = "secret"
CLEAN = "clean"


@dataclass(frozen=True)
class Line:
    text: str
    label: str  # SECRET, CLEAN, or "" for structure (headers, braces) nobody should flag
    why: str = ""


class Values:
    """Random credential-shaped values, the same for one seed."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)

    def b64(self, n: int) -> str:
        """Distinct characters (n <= 64): entropy log2(n), what a generated key has, above
        detect-secrets' 4.5 limit from 23 characters on."""
        alphabet = string.ascii_letters + string.digits + "+/"
        while True:
            value = "".join(self._rng.sample(alphabet, n))
            if any(c.isdigit() for c in value) and any(c.isupper() for c in value):
                return value

    def hex(self, n: int) -> str:
        return "".join(self._rng.choice("0123456789abcdef") for _ in range(n))

    def upper(self, n: int) -> str:
        return "".join(self._rng.choice(string.ascii_uppercase + "234567") for _ in range(n))

    def password(self) -> str:
        return (
            self.b64(6).replace("+", "x").replace("/", "y")
            + "-"
            + self.b64(5).replace("+", "z").replace("/", "w")
        )

    def spki(self) -> str:
        """An RSA public key (SubjectPublicKeyInfo, 2048 bits) as PEM body text: public material."""
        header = bytes.fromhex("30820122300d06092a864886f70d01010105000382010f003082010a0282010100")
        body = bytes(self._rng.randrange(256) for _ in range(256)) + bytes.fromhex("0203010001")
        return base64.b64encode(header + body).decode()

    def ssh_ed25519(self) -> str:
        blob = b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + bytes(
            self._rng.randrange(256) for _ in range(32)
        )
        return "ssh-" + "ed25519 " + base64.b64encode(blob).decode() + " ops@example.com"


def files(v: Values) -> dict[str, list[Line]]:
    aws_id = "AK" + "IA" + v.upper(16)
    aws_test_id = "AK" + "IA" + "IOSFODNN7" + "EXAMPLE"
    gh = "gh" + "p_" + v.b64(36).replace("+", "a").replace("/", "b")
    pw = v.password()
    weak = "adm" + "in"
    shared = v.b64(24)
    return {
        "config/.env": [
            Line("LOG_LEVEL=info", CLEAN),
            Line(f"DATABASE_URL=postgres://app:{pw}@db:5432/app", SECRET, "password in URL"),
            Line(f"SESSION={v.b64(40)}", SECRET, "high-entropy base64"),
            Line(f'SIGNING="{v.b64(40)}"', SECRET, "high-entropy base64, quoted"),
            Line(f"GITHUB_TOKEN={gh}", SECRET, "GitHub token"),
            Line("API_TOKEN=YOUR-API-TOKEN", CLEAN, "placeholder"),
            Line("ADMIN_PASSWORD=changeme", CLEAN, "placeholder"),
            Line("SMTP_PASSWORD=${SMTP_PASSWORD}", CLEAN, "substitution"),
            Line("STORE_MODE=SHARED_STORE_PRIMARY", CLEAN, "enum value"),
            Line(f"BUILD_SHA={v.hex(40)}", CLEAN, "git commit id"),
        ],
        "config/app.ini": [
            Line("[aws]", ""),
            Line(f"aws_access_key_id = {aws_id}", SECRET, "AWS key id"),
            Line(
                f"aws_secret_key = {v.b64(9).replace('+', 'k').replace('/', 'q')}",
                SECRET,
                "short value, key-shaped name",
            ),
            Line("region = eu-west-1", CLEAN),
            Line("[db]", ""),
            Line(f"password = {weak}", SECRET, "weak password"),
            Line("user = app", CLEAN),
            Line("secrets_token =", ""),
            Line(f"    {v.b64(32)}", SECRET, "multi-line value"),
            Line("placeholder_password = <password>", CLEAN, "placeholder"),
            Line("generated_password = %(DB_PASSWORD)s", CLEAN, "interpolation"),
        ],
        "config/settings.yaml": [
            Line("smtp:", ""),
            Line("  password:", ""),
            Line(f"    secure: {v.b64(44)}", SECRET, "nested value of a password key"),
            Line("  user: mailer", CLEAN),
            Line("api_key: '%(API_KEY)s'", CLEAN, "interpolation"),
            Line("token: !env_var GITHUB_TOKEN", CLEAN, "YAML tag reference"),
            Line("webhook_secret: !secret webhook", CLEAN, "YAML tag reference"),
            Line("mqtt_password: '{FRIGATE_MQTT_PASSWORD}'", CLEAN, "application reference"),
            Line("store: SHARED_STORE_PRIMARY", CLEAN, "enum value"),
            Line(f"deploy_key: {v.ssh_ed25519()}", CLEAN, "ssh public key"),
            Line(f"aws_key_id: {aws_test_id}", SECRET, "AWS key id (documentation example)"),
        ],
        "deploy/secret.yaml": [
            Line("apiVersion: v1", ""),
            Line("kind: Secret", ""),
            Line("metadata: {name: db}", ""),
            Line("stringData:", ""),
            Line(f"  password: {weak}", SECRET, "weak password in a Secret"),
            Line(f"  token: {shared}", SECRET, "high-entropy value in a Secret"),
            Line("---", ""),
            Line("apiVersion: v1", ""),
            Line("kind: ConfigMap", ""),
            Line("metadata: {name: app}", ""),
            Line("data:", ""),
            Line("  app.ini: |", ""),
            Line("    [server]", ""),
            Line("    port = 8080", CLEAN),
            Line(f"    upstream_auth = {shared}", SECRET, "value of the Secret, outside it"),
            Line(f"    api_key = {v.b64(32)}", SECRET, "API key in an embedded config file"),
            Line(f"  public.pem: {v.spki()}", CLEAN, "RSA public key"),
        ],
        "docs/README.md": [
            Line("# Setup", ""),
            Line("Set `token=YOUR-TOKEN` in the config, then run:", CLEAN, "documentation placeholder"),
            Line("```sh", ""),
            Line(f'key="{v.b64(32)}"', SECRET, "high-entropy key in a code block"),
            Line('curl -H "Authorization: Bearer $TOKEN" https://api.example.com', CLEAN, "reference"),
            Line("password: <password>", CLEAN, "placeholder"),
            Line("```", ""),
        ],
        "app/settings.py": [
            Line("import os", ""),
            Line(f"SUPER_SECRET_VALUE = '{v.b64(40)}'", SECRET, "high entropy, secret-named"),
            Line("DEFAULT_TIMEOUT = 30", CLEAN),
            Line('DB_PASSWORD = os.environ["DB_PASSWORD"]', CLEAN, "reference"),
            Line(f'AWS_ACCESS_KEY_ID = "{aws_id}"', SECRET, "AWS key id"),
            Line("AWS_ACCESS_KEY_ID_DEFAULT = 'UPDATE_AWS_ACCESS_KEY_ID'", CLEAN, "placeholder"),
            Line(f'PUBLIC_KEY = "{v.spki()}"', CLEAN, "RSA public key"),
            Line("SECRET_NAME = 'db-credentials'", CLEAN, "name of a Secret"),
        ],
        "app/db.php": [
            Line("<?php", ""),
            Line(f'$db_password = "{pw}";', SECRET, "password"),
            Line(f"$api_key = '{v.b64(32)}';", SECRET, "API key"),
            Line('$greeting = "hello world";', CLEAN),
            Line("$password = getenv('DB_PASSWORD');", CLEAN, "reference"),
            Line('$secret = "xxx";', CLEAN, "placeholder"),
        ],
        "infra/main.tf": [
            Line('resource "aws_db_instance" "db" {', ""),
            Line(f'  password = "{pw}"', SECRET, "password"),
            Line('  username = "admin"', CLEAN, "user name"),
            Line("}", ""),
            Line('provider "aws" {', ""),
            Line(f'  secret_key = "{v.b64(40)}"', SECRET, "AWS secret key"),
            Line('  region     = "eu-west-1"', CLEAN),
            Line("}", ""),
            Line('variable "token" { default = "__REPLACE_ME__" }', CLEAN, "placeholder"),
        ],
    }


def write(root: Path, tree: dict[str, list[Line]]) -> None:
    for name, lines in tree.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(line.text + "\n" for line in lines), encoding="utf-8")


def detect_secrets_lines(program: Path, root: Path) -> set[tuple[str, int]]:
    proc = subprocess.run(
        [str(program), "scan", "--all-files", "."], cwd=root, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(f"detect-secrets scan failed: {proc.stderr.strip()[:300]}")
    results = json.loads(proc.stdout)["results"]
    return {(name, int(item["line_number"])) for name, items in results.items() for item in items}


def gitops_guard_lines(program: Path, root: Path) -> set[tuple[str, int]]:
    proc = subprocess.run(
        [str(program), "check", "--format", "json", "--select", "secrets", "--no-render", "."],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"gitops-guard check failed ({proc.returncode}): {proc.stderr.strip()[:300]}")
    report = json.loads(proc.stdout)
    return {
        (f["path"], int(f["line"]))
        for f in report["findings"]
        if f["rule"] == "secrets/detected" and f.get("line")
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Secret recall: detect-secrets and gitops-guard on the same files."
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="also write bench/out/secrets_recall.json")
    parser.add_argument("--verbose", action="store_true", help="list every labelled line and who flags it")
    args = parser.parse_args(argv)

    programs = {name: tools.find(name) for name in ("detect-secrets", "gitops-guard")}
    missing = [tools.missing_message(name) for name, path in programs.items() if path is None]
    if missing:
        for problem in missing:
            print(f"not measured: {problem}", file=sys.stderr)
        return 2

    tree = files(Values(args.seed))
    labels = {(name, i): line for name, lines in tree.items() for i, line in enumerate(lines, start=1)}
    with tempfile.TemporaryDirectory(prefix="gitops-guard-recall-") as tmp:
        root = Path(tmp)
        write(root, tree)
        ds_program, gg_program = programs["detect-secrets"], programs["gitops-guard"]
        assert ds_program is not None and gg_program is not None
        found = {
            "detect-secrets": detect_secrets_lines(ds_program, root),
            "gitops-guard": gitops_guard_lines(gg_program, root),
        }

    planted = {k for k, line in labels.items() if line.label == SECRET}
    clean = {k for k, line in labels.items() if line.label != SECRET}
    print(f"{len(tree)} files, {len(planted)} planted credentials, {len(clean)} other lines\n")
    print(f"{'tool':16} {'flagged':>7} {'planted found':>13} {'planted missed':>14} {'clean flagged':>13}")
    summary: dict[str, dict[str, int]] = {}
    for tool, lines in found.items():
        row = {
            "flagged": len(lines),
            "planted_found": len(lines & planted),
            "planted_missed": len(planted - lines),
            "clean_flagged": len(lines & clean),
        }
        summary[tool] = row
        print(
            f"{tool:16} {row['flagged']:7} {row['planted_found']:13} {row['planted_missed']:14} "
            f"{row['clean_flagged']:13}"
        )
    ds, gg = found["detect-secrets"], found["gitops-guard"]
    for title, only in (("only detect-secrets", ds - gg), ("only gitops-guard", gg - ds)):
        print(f"\n{title}: {len(only)}")
        for key in sorted(only):
            line = labels.get(key)
            label = line.label or "structure" if line else "?"
            why = f" ({line.why})" if line and line.why else ""
            print(f"  {key[0]}:{key[1]}  {label}{why}")
    missed = planted - ds - gg
    if missed:
        print(f"\nmissed by both: {len(missed)}")
        for key in sorted(missed):
            print(f"  {key[0]}:{key[1]}  ({labels[key].why})")
    if args.verbose:
        print("\nall lines:")
        for key in sorted(labels):
            line = labels[key]
            who = ",".join(t for t, lines in found.items() if key in lines) or "-"
            print(f"  {key[0]}:{key[1]:<3} {line.label or '.':6} {who:28} {line.why}")
    if args.json:
        import timing

        record = {"benchmark": "secrets_recall", "seed": args.seed, "summary": summary}
        print(f"\nwrote {timing.write_json('secrets_recall', record)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
