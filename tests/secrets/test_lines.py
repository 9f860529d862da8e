"""A secret inside a block scalar or a multi-line string is reported at its own line and column."""

from __future__ import annotations

import pytest

from tests.secrets.conftest import Checker
from tests.secrets.fakes import GITHUB_TOKEN, PRIVATE_KEY

RULE = "secrets/detected"


def configmap(block: str) -> dict[str, str]:
    return {"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n" + block}


PEM = "".join("    " + line + "\n" for line in PRIVATE_KEY.splitlines())
# name -> (block under `data:`, expected (line, column) of the finding)
CASES = {
    "literal": (f"  app.ini: |\n    [a]\n    x = 1\n    token = {GITHUB_TOKEN}\n", (8, 13)),
    "literal, strip and indent indicators": (
        f"  app.ini: |2-\n    [a]\n    token = {GITHUB_TOKEN}\n",
        (7, 13),
    ),
    "folded": (f"  app.ini: >\n    [a]\n\n    token = {GITHUB_TOKEN}\n", (8, 13)),
    "private key in a literal block": ("  key.pem: |\n    # deploy key\n" + PEM, (7, 10)),
    "private key in a double-quoted string": (
        '  key.pem: "# deploy key\n\n    ' + PRIVATE_KEY.replace("\n", "\n\n    ").rstrip() + '"\n',
        (7, 10),
    ),
    "one-line plain value": (f"  token: {GITHUB_TOKEN}\n", (5, 10)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_finding_points_at_the_offending_text(scan: Checker, name: str) -> None:
    block, expected = CASES[name]
    files = configmap(block)
    (finding,) = [f for f in scan(files) if f.rule == RULE]
    assert (finding.line, finding.column) == expected
    line, column = expected
    written = files["cm.yaml"].splitlines()[line - 1][column - 1 :]
    assert written.startswith((GITHUB_TOKEN, "BEGIN RSA PRIVATE KEY"))


def test_decoded_secret_data_points_at_the_value(scan: Checker) -> None:
    # Base64 has no lines to point into: the finding is at the value.
    import base64

    value = base64.b64encode(f"a = 1\ntoken = {GITHUB_TOKEN}\n".encode()).decode()
    text = f"apiVersion: v1\nkind: Secret\nmetadata: {{name: s}}\ndata:\n  app.ini: {value}\n"
    (finding,) = [f for f in scan({"s.yaml": text}) if f.rule == RULE]
    assert (finding.line, finding.column) == (5, 12)
