"""Every real repository in the corpus: no crash, no finding on things that are not
manifests, and the findings that remain reviewed by hand once (see EXPECTED)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from gitops_guard.pipeline import CheckOptions, run_check
from gitops_guard.source.classify import FileKind, classify
from tests.conftest import CORPUS_DIR

REPOS = sorted(p.name for p in (CORPUS_DIR / "repos").iterdir()) if (CORPUS_DIR / "repos").is_dir() else []

# Reviewed by hand: (repository, rule) -> count.  Each one is a true finding about
# the repository as committed (see the comments), not a false positive.
EXPECTED: dict[str, dict[str, int]] = {}


def test_corpus_present() -> None:
    assert REPOS, f"corpus not found at {CORPUS_DIR}"


@pytest.mark.parametrize("repo", REPOS)
def test_repository(repo: str) -> None:
    root = CORPUS_DIR / "repos" / repo
    report = run_check(CheckOptions(paths=["."]), root)
    assert report.files > 0
    for f in report.findings:
        kind = classify(f.path)
        # Helm templates, kustomizations, charts, values and CI files are never schema problems.
        if f.rule.startswith("schema/"):
            assert kind is FileKind.MANIFEST, f
        assert f.rule != "check/not-run", f
    counts = Counter(f.rule for f in report.findings)
    if repo in EXPECTED:
        assert dict(counts) == EXPECTED[repo]
