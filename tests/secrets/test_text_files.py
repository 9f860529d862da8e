"""Files that are not YAML (.env, Terraform, scripts, docs) are scanned for secrets, never parsed."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import check_json, run_cli, write_files
from tests.secrets import fakes


def test_text_files_are_scanned_with_line_numbers(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "deploy/.env": f"LOG_LEVEL=info\nGITHUB_TOKEN={fakes.GITHUB_TOKEN}\n",
            "infra/main.tf": (
                f'provider "aws" {{\n  region = "eu-west-1"\n  access_key = "{fakes.AWS_ACCESS_KEY}"\n}}\n'
            ),
            "README.md": "# Fleet\n\nNothing secret here: `kubectl apply -k .`\n",
            "scripts/bootstrap.sh": "#!/bin/sh\nset -eu\nflux bootstrap github --owner=example\n",
        },
    )
    code, report = check_json(cwd=tmp_path)
    assert code == 1
    found = sorted((f["rule"], f["path"], f["line"]) for f in report["findings"])
    assert found == [
        ("secrets/detected", "deploy/.env", 2),
        ("secrets/detected", "infra/main.tf", 3),
    ]
    assert report["summary"]["documents"] == 0  # nothing was parsed as YAML


def test_binary_and_undecodable_files_are_not_text(tmp_path: Path) -> None:
    (tmp_path / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0" + fakes.AWS_ACCESS_KEY.encode())
    (tmp_path / "blob.bin").write_bytes(b"\0\1\2" + fakes.GITHUB_TOKEN.encode())
    (tmp_path / "latin1.txt").write_bytes(b"caf\xe9\n")
    code, report = check_json(cwd=tmp_path)
    assert code == 0 and report["findings"] == []


def test_an_explicit_text_file_is_never_a_yaml_problem(tmp_path: Path) -> None:
    write_files(tmp_path, {".env": "A=1\nB: [unclosed\n", "ok.yaml": "a: 1\n"})
    code, report = check_json(".env", "ok.yaml", cwd=tmp_path)
    assert code == 0 and report["findings"] == []


def test_secret_in_a_text_file_never_reaches_the_output(tmp_path: Path) -> None:
    write_files(tmp_path, {"app.env": f"TOKEN={fakes.GITHUB_TOKEN}\n"})
    for fmt in ("text", "json", "sarif", "github", "markdown", "junit"):
        proc = run_cli("check", "--format", fmt, cwd=tmp_path)
        assert proc.returncode == 1
        assert fakes.GITHUB_TOKEN not in proc.stdout + proc.stderr
