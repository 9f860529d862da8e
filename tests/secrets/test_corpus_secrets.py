"""The secrets family over every corpus repository, findings reviewed by hand (see EXPECTED)."""

from __future__ import annotations

from collections import Counter

import pytest

from gitops_guard.pipeline import CheckOptions, run_check
from tests.conftest import CORPUS_DIR, require_corpus

REPOS = sorted(p.name for p in (CORPUS_DIR / "repos").iterdir()) if (CORPUS_DIR / "repos").is_dir() else []

DETECTED = "secrets/detected"
PLAINTEXT = "secrets/plaintext-secret"

# Reviewed by hand: (repository) -> {rule: count}.  All true: each is a literal credential
# committed to the repository (demo passwords included: they are what a leak looks like).
EXPECTED: dict[str, dict[str, int]] = {
    # true: helm-dependency values files commit wordpress/mariadb passwords (foo, bar, baz);
    # sock-shop catalogue-db sets MYSQL_ROOT_PASSWORD to a literal in env.
    "argoproj__argocd-example-apps": {DETECTED: 5},
    # true: add-ons/ondat/values.yaml commits the cluster admin password.
    "aws-samples__eks-blueprints-add-ons": {DETECTED: 1},
    # true: MYSQL_PASSWORD as a literal env value in 16 pricelist Deployments, and
    # mysql.auth.password in 2 pricelist-db values files.  Their SealedSecrets are not reported.
    "christianh814__gitops-examples": {DETECTED: 18},
    "fluxcd__flux2-hub-spoke-example": {},
    "fluxcd__flux2-kustomize-helm-example": {},
    "fluxcd__flux2-multi-tenancy": {},
    "gitops-bridge-dev__gitops-bridge-argocd-control-plane-template": {},
    # Nothing: its Secrets are op:// references (bootstrap), ExternalSecrets, or ${VAR} templates.
    "onedr0p__home-ops": {},
    # true: talos/integrations/cilium/cilium.yaml (rendered Helm output) commits three TLS
    # Secrets with their private keys (3 plaintext-secret + 3 private keys, base64-decoded);
    # .archive vmangos HelmRelease sets MARIADB_PASSWORD and MARIADB_ROOT_PASSWORD in env;
    # azerothcore and cmangos-database HelmReleases and the cmangos-ptr db-init Job set a root
    # password of `password` in env (weak, still committed); the two minecraft-bedrock
    # values.enc.age.yaml files leave `passwordSSH: password` unencrypted (their SOPS
    # encrypted_regex is ^(data|stringData)$).  The encrypted values of the many
    # *.enc.age.yaml files and ${VAR}-templated Secrets are not reported.
    "xunholy__k8s-gitops": {DETECTED: 10, PLAINTEXT: 3},
}


def test_corpus_present() -> None:
    require_corpus()
    assert REPOS


@pytest.mark.parametrize("repo", REPOS)
def test_repository(repo: str) -> None:
    root = CORPUS_DIR / "repos" / repo
    report = run_check(CheckOptions(paths=["."], select=["secrets"]), root)
    assert report.files > 0
    for f in report.findings:
        # Ciphertext and references are never findings; in a SOPS file only what its rules
        # left unencrypted is.
        assert ".enc." not in f.path or "(left unencrypted by SOPS)" in f.message, f
        assert "sealed" not in f.path.lower(), f
        assert "externalsecret" not in f.path.lower(), f
    assert dict(Counter(f.rule for f in report.findings)) == EXPECTED[repo]


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
