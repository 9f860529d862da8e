"""Every real repository in the corpus: the exact findings of `check`, each reviewed by hand.

`check` runs on each repository as a user would run it with the strict preset: every family,
plus the five shipped admission policies that the strict preset turns on (the default run finds
no policy finding at all: tests/policy/test_corpus_policy.py). The findings are compared, as a
multiset of (path, line, rule) and whether the check could run, with
tests/corpus_expected/<repository>.txt (format: tests/corpus_pins.py):

- ``[expected]``: each finding that must be reported, with a one-line reason; true ones say what
  is wrong, debatable ones start with ``debatable:``. A finding that is lost, moved or replaced
  by another fails the test, so a true finding swapped for a false one is caught.
- ``[known-false]``: false positives that are being removed, each with ``cause N:`` (the causes are
  tests.corpus_pins.KNOWN_FALSE_CAUSES). They may still be reported; none is ever expected. Once
  a cause is fixed, add its number to FORBIDDEN_CAUSES below: from then on any of them fails.
- ``[schema/missing]``: "could not check" findings for CRDs that are neither shipped nor in the
  repository, counted per (apiVersion, kind). They claim no problem, are hundreds, and move with
  every schema added, so they are pinned by count to keep the files reviewable; a count that
  changes still fails.

An entry whose reason is missing or UNREVIEWED fails. After a change of behaviour, re-pin with

    scripts/pin-corpus                     (or: scripts/pin-corpus REPOSITORY ...)

(``python -m tests.corpus_pins`` with scripts/test's virtualenv and pinned tools): it keeps the
reasons of findings that still match, marks new ones UNREVIEWED and lists what went; review the
diff, write the reasons (or move a false one to [known-false]) and commit.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import pytest

from gitops_guard.findings import Finding, Outcome
from gitops_guard.pipeline import CheckOptions, run_check
from gitops_guard.source.classify import FileKind, classify
from tests import corpus_pins
from tests.conftest import CORPUS_DIR, require_corpus, require_tool

REPOS = corpus_pins.repositories()

# Causes of tests.corpus_pins.KNOWN_FALSE_CAUSES that are fixed: their known-false entries must
# no longer be reported. Add a cause's number here in the change that removes it.  Causes 1 (a
# parent Kustomization's spec.patches) and 8 (switched-off children under the parent's source)
# are fixed by checking objects as Flux applies them; the 4 cause-8 findings outside that source
# are pinned as debatable.
FORBIDDEN_CAUSES: frozenset[int] = frozenset({1, 8})

Results = Callable[[str], tuple[Finding, ...]]


@pytest.fixture(scope="module")
def results() -> Results:
    require_corpus()
    # Render findings and rendered objects are part of the pins.
    require_tool("kustomize")
    require_tool("helm")
    return cache(corpus_pins.run)


def test_corpus_present() -> None:
    require_corpus()
    pinned = sorted(p.stem for p in corpus_pins.EXPECTED_DIR.glob("*.txt"))
    assert pinned == REPOS, "a corpus repository was added or removed: run scripts/pin-corpus"


@pytest.mark.parametrize("repo", REPOS)
def test_every_pin_is_reviewed(repo: str) -> None:
    pins = corpus_pins.load(repo)
    unreviewed = [e.render() for e in (*pins.expected, *pins.known_false) if not e.reviewed]
    assert not unreviewed, "entries without a reviewed reason:\n" + "\n".join(unreviewed)
    for e in pins.expected:
        assert e.cause is None, f"a known false positive pinned as expected: {e.render()}"
        assert not e.debatable or e.reason[len(corpus_pins.DEBATABLE) :].strip(), e.render()
    for e in pins.known_false:
        assert e.cause in corpus_pins.KNOWN_FALSE_CAUSES, f"known-false entry without a cause: {e.render()}"
    assert all(count > 0 for count in pins.missing.values())


@pytest.mark.parametrize("repo", REPOS)
def test_findings_are_the_pinned_ones(repo: str, results: Results) -> None:
    comparison = corpus_pins.compare(corpus_pins.load(repo), results(repo), forbidden_causes=FORBIDDEN_CAUSES)
    assert comparison.ok, (
        f"{repo}: findings differ from tests/corpus_expected/{repo}.txt\n{comparison.render()}\n"
        "re-pin with `scripts/pin-corpus " + repo + "` and review the diff"
    )


@pytest.mark.parametrize("repo", REPOS)
def test_findings_keep_their_shape(repo: str, results: Results) -> None:
    for f in results(repo):
        # Helm templates, kustomizations, charts, values and CI files are never schema problems.
        if f.rule.startswith("schema/"):
            assert classify(f.path) is FileKind.MANIFEST, f
        assert f.rule != "check/not-run", f
        assert str(CORPUS_DIR) not in f.message, f
        if f.rule.startswith("secrets/"):
            # Ciphertext and references are never findings; in a SOPS file only what its rules
            # left unencrypted is.
            lowered = f.path.lower()
            assert ".enc." not in f.path or "(left unencrypted by SOPS)" in f.message, f
            assert "sealed" not in lowered and "externalsecret" not in lowered, f
        if f.rule.startswith("prune/"):
            # "could not check" is told apart from a violation, and only not-resolved says it
            assert (f.outcome is Outcome.NOT_CHECKED) == (f.rule == "prune/not-resolved"), f
        if f.rule.startswith("sync/"):
            assert f.line is not None, f
        if f.rule == "render/failed":
            # At the entry that failed: a file of the repository, with a line unless a
            # template's output is all that names it.
            assert (CORPUS_DIR / "repos" / repo / f.path).is_file(), f
        if f.rule.startswith("policy/"):
            assert f.outcome is Outcome.VIOLATION, f
            assert f.object is not None and f.message, f


def test_real_leaked_keys_file_parses_cleanly() -> None:
    # Rendered Helm output with plaintext TLS Secrets: valid objects.
    root = require_corpus() / "repos" / "xunholy__k8s-gitops"
    report = run_check(CheckOptions(paths=["talos/integrations/cilium/cilium.yaml"]), root)
    assert report.documents > 3
    assert not [f for f in report.findings if f.rule.startswith("yaml/")]


def test_parent_patches_reach_child_kustomizations() -> None:
    # xunholy's cluster Kustomization (an OCI artifact of kubernetes/) patches interval and
    # prune onto every child; only the two archived children outside the artifact remain.
    root = CORPUS_DIR / "repos" / "xunholy__k8s-gitops"
    report = run_check(CheckOptions(paths=["."], select=["schema/violation"]), root)
    kustomizations = [f for f in report.findings if f.object is not None and f.object.kind == "Kustomization"]
    assert sorted((f.path, f.line, f.message) for f in kustomizations) == [
        (f".archive/kubernetes/{app}/ks.yaml", 9, f"spec: missing required field '{field}'")
        for app in ("minecraft-pixelmon", "openclaw")
        for field in ("interval", "prune")
    ]
