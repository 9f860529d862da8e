"""Shared fixtures for the renderer tests: one report that exercises every corner."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from gitops_guard.findings import Finding, ObjectRef, Outcome, Severity
from gitops_guard.report.model import Report
from gitops_guard.rules import Rule

GOLDEN_DIR = Path(__file__).parent / "golden"
# Pinned so golden files do not change with every release.
TOOL_VERSION = "9.9.9-test"

RULES = (
    Rule(
        "schema/violation",
        Severity.ERROR,
        "An object breaks its schema",
        """
        Checks every object against its Kubernetes or CRD schema.

        FAIL:
            spec:
              replica: 3
        """,
    ),
    Rule("schema/missing", Severity.WARNING, "No schema found for an object's apiVersion/kind"),
    Rule("secrets/plaintext-secret", Severity.ERROR, "A Secret is committed in plaintext"),
    # Active but without findings: SARIF must still list it.
    Rule("sync/invalid-hook", Severity.ERROR, "Unknown hook type or hook-delete-policy"),
)

FINDINGS = (
    Finding(
        "schema/violation",
        Severity.ERROR,
        "apps/api/deployment.yaml",
        7,
        3,
        "spec.replica: unknown field (did you mean replicas?)",
        ObjectRef("apps/v1", "Deployment", "api", "api"),
    ),
    Finding(
        "secrets/plaintext-secret",
        Severity.ERROR,
        "apps/api/secret.yaml",
        4,
        1,
        'data.password: plaintext, 100% readable; key "a,b:c" leaks',
        ObjectRef("v1", "Secret", "api", "db"),
    ),
    Finding(
        "schema/missing",
        Severity.WARNING,
        "crds/widget.yaml",
        1,
        1,
        "no schema for example.com/v1, Kind=Widget",
        ObjectRef("example.com/v1", "Widget", None, "w1"),
        outcome=Outcome.NOT_CHECKED,
    ),
    # No line, no object: a finding about a whole file.
    Finding(
        "prune/overlapping-sources",
        Severity.WARNING,
        "clusters/prod/apps.yaml",
        None,
        None,
        "two sources | deploy <&> the same path",
    ),
    # A line without a column, and a message over two lines.
    Finding(
        "sync/invalid-wave",
        Severity.WARNING,
        "apps/web app,v2/#kustomization.yaml",
        5,
        None,
        'argocd.argoproj.io/sync-wave: "one"\nis not an integer (`[link](x)` *stays* _text_)',
        ObjectRef("v1", "ConfigMap", "web", "settings"),
    ),
    # Non-ASCII everywhere, and a rule the run's rule list does not know.
    Finding(
        "policy/require-labels",
        Severity.INFO,
        "apps/café/ünïcode.yaml",
        3,
        9,
        "label \u201cteam\u201d missing \u2014 \u2713 policy says \U0001f6ab",
        ObjectRef("v1", "ConfigMap", "caf\u00e9", "ünï"),
    ),
)


def _make_report(findings: Sequence[Finding] = FINDINGS, *, files: int = 7, documents: int = 11) -> Report:
    report = Report.build(findings, files=files, documents=documents, rules=RULES)
    return report._replace(tool_version=TOOL_VERSION)


@pytest.fixture
def make_report() -> Callable[..., Report]:
    return _make_report


@pytest.fixture
def sample_report() -> Report:
    return _make_report()


@pytest.fixture
def empty_report() -> Report:
    return _make_report((), files=3, documents=4)


@pytest.fixture
def golden() -> Callable[[str, str], None]:
    return _assert_golden


def _assert_golden(name: str, actual: str) -> None:
    """Compare with ``golden/<name>``; ``UPDATE_GOLDEN=1`` rewrites the file instead."""
    path = GOLDEN_DIR / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN_DIR.mkdir(exist_ok=True)
        with path.open("w", encoding="utf-8", newline="") as handle:
            handle.write(actual)
        return
    assert path.exists(), f"missing golden file {path}; run with UPDATE_GOLDEN=1 to create it"
    with path.open(encoding="utf-8", newline="") as handle:
        expected = handle.read()
    assert actual == expected, f"output differs from {path}; run with UPDATE_GOLDEN=1 to accept"
