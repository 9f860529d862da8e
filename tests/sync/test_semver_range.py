"""Flux's semver constraints (Masterminds/semver v3 grammar) as truth tables."""

from __future__ import annotations

import pytest

from gitops_guard.errors import ConfigError
from gitops_guard.sync.semver_range import Constraint, parse_version

CASES = [
    # constraint, version, allowed
    ("1.2.3", "1.2.3", True),
    ("1.2.3", "1.2.4", False),
    ("=1.2.3", "v1.2.3", True),
    ("!=1.2.3", "1.2.3", False),
    ("!=1.2.3", "1.2.4", True),
    (">1.2.3", "1.2.4", True),
    (">1.2.3", "1.2.3", False),
    ("<1.2.3", "1.2.2", True),
    ("<1.2.3", "1.2.3", False),
    (">=1.2.3", "1.2.3", True),
    (">=1.2.3", "1.2.2", False),
    ("=>1.2.3", "1.2.3", True),
    ("<=1.2.3", "1.2.3", True),
    ("<=1.2.3", "1.2.4", False),
    # wildcards
    ("1.2.x", "1.2.9", True),
    ("1.2.x", "1.3.0", False),
    ("1.x", "1.9.9", True),
    ("1.x", "2.0.0", False),
    ("*", "9.9.9", True),
    (">1.x", "2.0.0", True),
    (">1.x", "1.9.0", False),
    ("<=2.x", "2.9.9", True),
    ("<=2.x", "3.0.0", False),
    (">=1.2.x", "1.2.0", True),
    ("!=1.2.x", "1.2.5", False),
    ("!=1.2.x", "1.3.0", True),
    # tilde
    ("~1.2.3", "1.2.9", True),
    ("~1.2.3", "1.3.0", False),
    ("~1.2.3", "1.2.2", False),
    ("~1", "1.9.0", True),
    ("~1", "2.0.0", False),
    ("~2.3", "2.3.9", True),
    ("~2.3", "2.4.0", False),
    ("~1.x", "1.5.0", True),
    ("~>1.2", "1.2.5", True),
    # caret
    ("^1.2.3", "1.9.0", True),
    ("^1.2.3", "2.0.0", False),
    ("^1.2.3", "1.2.2", False),
    ("^0.2.3", "0.2.9", True),
    ("^0.2.3", "0.3.0", False),
    ("^0.0.3", "0.0.3", True),
    ("^0.0.3", "0.0.4", False),
    ("^0.0", "0.0.9", True),
    ("^0.0", "0.1.0", False),
    ("^0", "0.9.0", True),
    ("^0", "1.0.0", False),
    ("^2.x", "2.5.0", True),
    ("^2.x", "3.0.0", False),
    # conjunctions, alternatives, hyphen ranges
    (">=1.2, <3.0.0", "2.9.0", True),
    (">=1.2, <3.0.0", "3.0.0", False),
    (">= 1.2 < 3", "1.2.0", True),
    (">=1.2,<3 || >=4.2.3", "4.3.0", True),
    (">=1.2,<3 || >=4.2.3", "3.5.0", False),
    ("1.2 - 1.4.5", "1.4.5", True),
    ("1.2 - 1.4.5", "1.4.6", False),
    ("1.2 - 1.4.5", "1.1.9", False),
    # pre-releases only where the comparison names one
    (">=1.0.0", "1.5.0-rc.1", False),
    (">=1.0.0-0", "1.5.0-rc.1", True),
    (">=1.0.0-0, <2.0.0", "1.5.0-rc.1", False),
    ("1.2.3-beta.2", "1.2.3-beta.2", True),
    (">1.2.3-beta.1", "1.2.3-beta.2", True),
    (">1.2.3-beta.1", "1.2.3-alpha", False),
    ("~1.2.3-0", "1.2.3", True),
]


@pytest.mark.parametrize(("constraint", "version", "allowed"), CASES)
def test_constraint_truth_table(constraint: str, version: str, allowed: bool) -> None:
    parsed = parse_version(version)
    assert parsed is not None
    assert Constraint(constraint).allows(parsed) is allowed


@pytest.mark.parametrize("text", ["", "||", ">=", "1.2.3.4", "banana", ">=1.0 <", "01.2.3", "1.2 -"])
def test_invalid_constraints_are_usage_errors(text: str) -> None:
    with pytest.raises(ConfigError, match="invalid semver constraint"):
        Constraint(text)


@pytest.mark.parametrize(
    ("tag", "version"),
    [("v1.2.3", "1.2.3"), ("1.2", "1.2.0"), ("v2", "2.0.0"), ("1.0.0-rc.1+build.5", "1.0.0-rc.1+build.5")],
)
def test_tags_read_leniently(tag: str, version: str) -> None:
    assert str(parse_version(tag)) == version


@pytest.mark.parametrize("tag", ["latest", "release-1.2", "1.2.3.4", "v", ""])
def test_tags_that_are_not_versions(tag: str) -> None:
    assert parse_version(tag) is None


def test_best_picks_the_highest_matching_tag() -> None:
    tags = ["v1.0.0", "v1.4.0", "v1.10.0", "v2.0.0", "v1.11.0-rc.1", "latest", "v1.9"]
    assert Constraint("^1.0").best(tags) == "v1.10.0"  # numeric, not string, order
    assert Constraint(">=3").best(tags) is None
    assert Constraint(">=1.11.0-0 <2").best(tags) is None  # `<2` names no pre-release
    assert Constraint(">=1.11.0-0").best(tags) == "v2.0.0"
