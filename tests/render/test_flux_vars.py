"""Flux postBuild substitution: fluxcd/pkg envsubst semantics, as a truth table."""

from __future__ import annotations

import pytest

from gitops_guard.render.flux_vars import disabled, substitute

VALUES = {"APP": "api", "EMPTY": "", "REPLICAS": "3"}


@pytest.mark.parametrize(
    ("text", "out", "unresolved"),
    [
        ("name: ${APP}", "name: api", set()),
        ("name: ${MISSING}", "name: ${MISSING}", {"MISSING"}),  # left as written, and said so
        ("name: $APP", "name: $APP", set()),  # no braces: not a variable for Flux
        ("name: $${APP}", "name: ${APP}", set()),  # escaped
        ("cost: $$5", "cost: $5", set()),
        ("r: ${REPLICAS:=2}", "r: 3", set()),  # set: the value
        ("r: ${NOPE:=2}", "r: 2", set()),  # unset: the default
        ("r: ${NOPE:-2}", "r: 2", set()),
        ("r: ${NOPE=2}", "r: 2", set()),
        ("r: ${EMPTY:=2}", "r: 2", set()),  # ':' also replaces an empty value
        ("r: ${EMPTY=2}", "r: ", set()),  # without ':' an empty value stands
        ("r: ${EMPTY-2}", "r: ", set()),
        ("h: ${NOPE:=${APP}.example.com}", "h: api.example.com", set()),  # a default with a variable
        ("h: ${NOPE:=${GONE}}", "h: ${GONE}", {"GONE"}),
        ("u: ${APP^^}", "u: ${APP^^}", {"APP"}),  # an operator we do not evaluate: not checked
        ("open: ${APP", "open: ${APP", set()),  # no closing brace: text
        ("", "", set()),
    ],
)
def test_substitute(text: str, out: str, unresolved: set[str]) -> None:
    done = substitute(text, VALUES)
    assert (done.text, set(done.unresolved)) == (out, unresolved)


def test_secret_names_are_known_but_never_substituted() -> None:
    done = substitute("p: ${DB_PASSWORD}\nq: ${OTHER}", {}, hidden=frozenset({"DB_PASSWORD"}))
    assert done.text == "p: ${DB_PASSWORD}\nq: ${OTHER}"
    assert done.unresolved == {"OTHER"}


@pytest.mark.parametrize(
    ("meta", "expected"),
    [
        ({"labels": {"kustomize.toolkit.fluxcd.io/substitute": "disabled"}}, True),
        ({"annotations": {"kustomize.toolkit.fluxcd.io/substitute": "disabled"}}, True),
        ({"annotations": {"kustomize.toolkit.fluxcd.io/substitute": "enabled"}}, False),
        ({"annotations": {"other": "disabled"}}, False),
        ({}, False),
    ],
)
def test_disabled(meta: dict[str, object], expected: bool) -> None:
    assert disabled({"metadata": meta}) is expected
