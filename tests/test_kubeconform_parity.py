"""The kubeconform engine runs the real binary and must agree with the built-in one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gitops_guard.pipeline import CheckOptions, run_check
from tests.conftest import CORPUS_DIR, ToolFinder
from tests.helpers import write_files

REPO = Path(__file__).resolve().parents[1]

MIXED = {
    "deploy.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replica: 3
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: api:1
          ports: [{containerPort: "80"}]
        - image: sidecar:1
""",
    "svc.yaml": """\
apiVersion: v1
kind: Service
metadata: {name: api}
spec:
  type: Bogus
  ports: [{port: 80, targetPort: http, protocl: TCP}]
""",
    "app.yaml": """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: a, namespace: argocd}
spec:
  project: default
  source: {repoURL: 'https://example.com/r.git', path: apps}
  destination: {server: 'https://kubernetes.default.svc'}
  syncPolicy: {automated: {prune: true, selfheal: true}}
""",
    "good.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n",
}


def _key(findings):  # type: ignore[no-untyped-def]
    return sorted((f.rule, f.path, f.line, f.column) for f in findings)


def _both(root: Path, tool: ToolFinder, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    kubeconform = tool("kubeconform")
    monkeypatch.setenv("PATH", f"{kubeconform.parent}:{__import__('os').environ['PATH']}")
    builtin = run_check(CheckOptions(paths=["."], schema_engine="builtin"), root).findings
    external = run_check(CheckOptions(paths=["."], schema_engine="kubeconform"), root).findings
    return builtin, external


def test_same_findings_on_hand_written_mistakes(
    tmp_path: Path, tool: ToolFinder, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_files(tmp_path, MIXED)
    builtin, external = _both(tmp_path, tool, monkeypatch)
    assert not [f for f in external if f.rule == "check/not-run"]
    assert _key(builtin) == _key(external)
    assert len([f for f in builtin if f.rule == "schema/violation"]) >= 5
    # Unknown fields, missing fields and wrong types are worded identically.
    assert sorted(f.message for f in builtin) == sorted(f.message for f in external)


def test_same_findings_on_a_corpus_repository(
    tmp_path: Path, tool: ToolFinder, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = CORPUS_DIR / "repos" / "fluxcd__flux2-kustomize-helm-example"
    if not source.is_dir():
        pytest.fail(f"corpus repository missing: {source}")
    shutil.copytree(source, tmp_path / "repo")
    builtin, external = _both(tmp_path / "repo", tool, monkeypatch)
    assert _key(builtin) == _key(external)


def test_missing_binary_is_reported_not_passed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "good.yaml").write_text(MIXED["good.yaml"])
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setenv("GITOPS_GUARD_CACHE", str(tmp_path / "empty-cache"))
    findings = run_check(CheckOptions(paths=["."], schema_engine="kubeconform"), tmp_path).findings
    assert [f.rule for f in findings] == ["check/not-run"]
    assert "kubeconform" in findings[0].message
