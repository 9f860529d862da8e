"""Credential-shaped test values, assembled at run time.

None of them is a real credential; they are built from pieces so that this
source file itself holds no string a secret scanner (ours, detect-secrets, a
forge's push protection) would flag.
"""

from __future__ import annotations

import base64

_BEGIN = "-----BEGIN " + "RSA PRIVATE" + " KEY-----"
_END = "-----END " + "RSA PRIVATE" + " KEY-----"
PRIVATE_KEY = "\n".join([_BEGIN, "MIIEowIBAAKCAQEAu" + "x" * 60, "q" * 64, _END]) + "\n"
AWS_ACCESS_KEY = "AKIA" + "Q3EXAMPLE7ZZ" + "4TQX"
GITHUB_TOKEN = "gh" + "p_" + "r4nd0mL00k1ng" + "T0k3nV4lu3" + "F0rT3st1ngX9Y8"
SLACK_TOKEN = "xo" + "xb-" + "1234567890-" + "abcdefghij" + "klmnop"
PASSWORD = "Tr0ub4dor" + "-and-3-horses"  # pragma: allowlist secret
HIGH_ENTROPY = "q8Zr" + "Lw2XvN5p" + "Ty7Kb3Hm" + "Jd9Fs4Gc"
PLAIN_VALUE = "not-really-" + "a-password"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


ALL = {
    "private key": PRIVATE_KEY,
    "AWS access key": AWS_ACCESS_KEY,
    "GitHub token": GITHUB_TOKEN,
    "Slack token": SLACK_TOKEN,
    "password": PASSWORD,
}
