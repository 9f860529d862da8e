"""The policy family over every real repository of the corpus with the default configuration.

No corpus repository defines a ValidatingAdmissionPolicy, so `--select policy` (repository
policies on, shipped ones off by default) finds nothing anywhere. The strict preset's findings
(the five shipped policies) are pinned one by one with the other families: tests/test_corpus.py.
"""

from __future__ import annotations

import pytest

from gitops_guard.pipeline import CheckOptions, run_check
from tests.conftest import CORPUS_DIR

REPOS = sorted(p.name for p in (CORPUS_DIR / "repos").iterdir()) if (CORPUS_DIR / "repos").is_dir() else []


@pytest.mark.parametrize("repo", REPOS)
def test_repository_policies(repo: str) -> None:
    report = run_check(CheckOptions(paths=["."], select=["policy"]), CORPUS_DIR / "repos" / repo)
    assert report.files > 0
    assert report.findings == ()
