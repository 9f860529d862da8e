"""The secrets family on a real repository of the corpus; every corpus finding is pinned in
tests/test_corpus.py."""

from __future__ import annotations

from gitops_guard.pipeline import CheckOptions, run_check
from tests.conftest import require_corpus

DETECTED = "secrets/detected"


def test_cilium_private_keys_are_found() -> None:
    root = require_corpus() / "repos" / "xunholy__k8s-gitops"
    report = run_check(
        CheckOptions(paths=["talos/integrations/cilium/cilium.yaml"], select=["secrets"]), root
    )
    keys = sorted(
        (f.object.name if f.object else "", f.message) for f in report.findings if f.rule == DETECTED
    )
    assert keys == [
        ("cilium-ca", "data.ca.key: private key (base64-decoded)"),
        ("hubble-relay-client-certs", "data.tls.key: private key (base64-decoded)"),
        ("hubble-server-certs", "data.tls.key: private key (base64-decoded)"),
    ]
