"""The real CLI: secrets are found, named, baselined, and never printed in any format."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from tests.helpers import check_json, run_cli
from tests.secrets.fakes import AWS_ACCESS_KEY, GITHUB_TOKEN, HIGH_ENTROPY, PASSWORD, PRIVATE_KEY, b64

FORMATS = ("text", "json", "sarif", "github", "markdown", "junit")
STRING_DATA = "string-data-" + "Zq81Kx"
VALUES_PASSWORD = "values-" + "Pw77Lm"  # pragma: allowlist secret


def plant(root: Path) -> list[str]:
    """Writes a repository full of secrets; returns every form in which one could leak."""
    (root / "apps").mkdir()
    pem_lines = "".join(f"    {line}\n" for line in PRIVATE_KEY.splitlines())
    (root / "apps" / "secret.yaml").write_text(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: app}\n"
        f"data:\n  password: {b64(PASSWORD)}\n  tls.key: {b64(PRIVATE_KEY)}\n"
        f"stringData:\n  api-token: {STRING_DATA}\n  ssh.key: |\n{pem_lines}"
    )
    (root / "apps" / "deploy.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app}\nspec:\n  template:\n    spec:\n"
        "      containers:\n        - name: app\n          env:\n"
        f"            - name: GITHUB_TOKEN\n              value: {GITHUB_TOKEN}\n"
        f"            - name: AWS_ACCESS_KEY_ID\n              value: {AWS_ACCESS_KEY}\n"
        f"            - name: SEED\n              value: {HIGH_ENTROPY}\n"
    )
    (root / "apps" / "values.yaml").write_text(f"db:\n  password: {VALUES_PASSWORD}\n")
    plain = [PASSWORD, STRING_DATA, GITHUB_TOKEN, AWS_ACCESS_KEY, HIGH_ENTROPY, VALUES_PASSWORD]
    pem_body = [line for line in PRIVATE_KEY.splitlines() if not line.startswith("-----")]
    forms = plain + pem_body + [b64(PASSWORD), b64(PRIVATE_KEY)]
    forms += [base64.b64encode(v.encode()).decode() for v in plain]
    return forms


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_secret_value_in_any_format(tmp_path: Path, fmt: str) -> None:
    forms = plant(tmp_path)
    proc = run_cli("check", "--format", fmt, ".", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "secrets/detected" in proc.stdout
    for form in forms:
        assert form not in proc.stdout, f"{fmt}: a secret value leaked"
        assert form not in proc.stderr


def test_reports_every_planted_secret(tmp_path: Path) -> None:
    plant(tmp_path)
    _, report = check_json("--select", "secrets", ".", cwd=tmp_path)
    got = sorted((f["path"], f["message"]) for f in report["findings"])
    assert got == [
        ("apps/deploy.yaml", "spec.template.spec.containers[0].env[0].value: GitHub token"),
        ("apps/deploy.yaml", "spec.template.spec.containers[0].env[1].value: AWS access key"),
        ("apps/deploy.yaml", "spec.template.spec.containers[0].env[2].value: high-entropy string"),
        (
            "apps/secret.yaml",
            "Secret app commits data.password, data.tls.key, stringData.api-token, "
            "stringData.ssh.key in plaintext: encrypt it with SOPS, "
            "or use a SealedSecret or an ExternalSecret",
        ),
        ("apps/secret.yaml", "data.password: password field (base64-decoded)"),
        ("apps/secret.yaml", "data.tls.key: private key (base64-decoded)"),
        ("apps/secret.yaml", "stringData.api-token: token field"),
        ("apps/secret.yaml", "stringData.ssh.key: private key"),
        ("apps/values.yaml", "db.password: password field"),
    ]


def test_baseline_accepts_known_secrets_and_catches_new_ones(tmp_path: Path) -> None:
    plant(tmp_path)
    proc = run_cli("baseline", "-o", "baseline.json", ".", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    recorded = (tmp_path / "baseline.json").read_text()
    assert PASSWORD not in recorded and GITHUB_TOKEN not in recorded
    # Lines move: still known.
    values = tmp_path / "apps" / "values.yaml"
    values.write_text("# a comment that moves everything down\n\n" + values.read_text())
    code, report = check_json("--baseline", "baseline.json", ".", cwd=tmp_path)
    assert (code, report["findings"]) == (0, [])
    # A new secret value: a new finding.
    values.write_text("db:\n  password: a-new-" + "value-9x\n")
    code, report = check_json("--baseline", "baseline.json", ".", cwd=tmp_path)
    assert code == 1
    assert [f["message"] for f in report["findings"]] == ["db.password: password field"]


def test_clean_file_never_loads_the_detectors(tmp_path: Path) -> None:
    """The pre-commit path: a file with nothing secret must not pay for detect-secrets' import."""
    (tmp_path / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n"
        "  topologyKey: topology.kubernetes.io/zone\n"
        "  password-file: /etc/app/password\n  url: https://example.com/path\n"
    )
    code = (
        "import sys\nfrom gitops_guard.cli import main\n"
        "try:\n    main(['check', 'cm.yaml'])\nexcept SystemExit:\n    pass\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('detect_secrets'))))\n"
    )
    proc = run_cli_python(tmp_path, "import json\n" + code)
    assert json.loads(proc.strip().splitlines()[-1]) == []


def run_cli_python(cwd: Path, code: str) -> str:
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, check=False)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.stdout
