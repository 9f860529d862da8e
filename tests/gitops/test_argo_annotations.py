"""Argo CD's reading of its sync annotations, value by value."""

from __future__ import annotations

from typing import Any

import pytest

from gitops_guard.gitops import argo_annotations as ann


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0", 0),
        ("5", 5),
        ("-5", -5),
        ("+1", 1),
        ("-0", 0),
        ("007", 7),
        (str(2**63 - 1), 2**63 - 1),
        (str(-(2**63)), -(2**63)),
        # Go's strconv.Atoi rejects all of these; Argo CD then falls back.
        (" 1", None),
        ("1 ", None),
        ("1.0", None),
        ("0x10", None),
        ("1_000", None),
        ("", None),
        ("+", None),
        ("-", None),
        ("+-1", None),
        ("one", None),
        ("\u0661", None),  # a non-ASCII digit (ARABIC-INDIC ONE)
        (str(2**63), None),  # int64 overflow
        (str(-(2**63) - 1), None),
        ("1\n", None),
    ],
)
def test_atoi_matches_go(text: str, value: int | None) -> None:
    assert ann.atoi(text) == value


def _obj(**annotations: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "annotations": annotations}}


@pytest.mark.parametrize(
    ("annotations", "wave"),
    [
        ({}, 0),
        ({ann.SYNC_WAVE: "3"}, 3),
        ({ann.SYNC_WAVE: "-2"}, -2),
        ({ann.HELM_HOOK_WEIGHT: "7"}, 7),
        # the sync-wave wins over the hook weight
        ({ann.SYNC_WAVE: "3", ann.HELM_HOOK_WEIGHT: "7"}, 3),
        # an invalid sync-wave falls back to the hook weight, then to 0
        ({ann.SYNC_WAVE: "1.5", ann.HELM_HOOK_WEIGHT: "7"}, 7),
        ({ann.SYNC_WAVE: "1.5"}, 0),
        ({ann.SYNC_WAVE: "x", ann.HELM_HOOK_WEIGHT: "y"}, 0),
        # an unquoted YAML integer (rejected by Kubernetes, read leniently here)
        ({ann.SYNC_WAVE: 4}, 4),
        ({ann.SYNC_WAVE: True}, 0),
    ],
)
def test_wave(annotations: dict[str, Any], wave: int) -> None:
    assert ann.wave(_obj(**annotations)) == wave


def test_csv_trims_drops_empty_and_repeats() -> None:
    assert ann.csv(" PreSync , ,PostSync,PreSync,") == ["PreSync", "PostSync"]


@pytest.mark.parametrize(
    ("annotations", "is_hook", "phases", "skip"),
    [
        ({}, False, ("Sync",), False),
        ({ann.HOOK: "PreSync"}, True, ("PreSync",), False),
        ({ann.HOOK: "PostSync,PreSync"}, True, ("PreSync", "PostSync"), False),
        ({ann.HOOK: "Skip"}, False, (), True),
        # Skip only skips alone
        ({ann.HOOK: "Skip,PreSync"}, True, ("PreSync",), False),
        # an unknown Argo CD type: still a hook, of no phase
        ({ann.HOOK: "Presync"}, True, (), False),
        ({ann.HOOK: ""}, True, (), False),
        ({ann.HOOK: "PostDelete"}, True, (), False),
        # Helm hooks, mapped as Argo CD maps them
        ({ann.HELM_HOOK: "pre-install,pre-upgrade"}, True, ("PreSync",), False),
        ({ann.HELM_HOOK: "post-install"}, True, ("PostSync",), False),
        ({ann.HELM_HOOK: "test"}, True, (), False),
        ({ann.HELM_HOOK: "crd-install"}, False, ("Sync",), False),
        # Argo CD types win over Helm types; Helm ones are read when no Argo CD type is known
        ({ann.HOOK: "PostSync", ann.HELM_HOOK: "pre-install"}, True, ("PostSync",), False),
        ({ann.HOOK: "Bogus", ann.HELM_HOOK: "pre-install"}, True, ("PreSync",), False),
    ],
)
def test_hook_info(annotations: dict[str, str], is_hook: bool, phases: tuple[str, ...], skip: bool) -> None:
    info = ann.hook_info(_obj(**annotations))
    assert (info.is_hook, info.sync_phases, info.skip) == (is_hook, phases, skip)


def test_delete_hooks_are_not_sync_phases() -> None:
    info = ann.hook_info(_obj(**{ann.HOOK: "PreDelete,PostDelete"}))
    assert info.sync_phases == ()
    assert info.delete_hooks == ("PreDelete", "PostDelete")
    assert ann.hook_info(_obj(**{ann.HELM_HOOK: "post-delete"})).delete_hooks == ("PostDelete",)


@pytest.mark.parametrize(
    ("option", "where", "problem"),
    [
        ("Prune=false", ann.RESOURCE, None),
        ("Prune=confirm", ann.APPLICATION, None),
        ("ServerSideApply=true", ann.APPLICATION, None),
        ("PrunePropagationPolicy=orphan", ann.APPLICATION, None),
        ("ClientSideApplyMigration=false", ann.APPLICATION, None),
        # explicit defaults change nothing and are accepted
        ("Prune=true", ann.RESOURCE, None),
        ("Validate=true", ann.APPLICATION, None),
        ("Prune=False", ann.RESOURCE, "did you mean 'Prune=false'?"),
        ("serversideapply=true", ann.APPLICATION, "did you mean 'ServerSideApply=true'?"),
        ("CreateNamespace = true", ann.APPLICATION, "did you mean 'CreateNamespace=true'?"),
        (
            "SkipDryRunOnMissingResources=true",
            ann.RESOURCE,
            "did you mean 'SkipDryRunOnMissingResource=true'?",
        ),
        (
            "PrunePropagationPolicy=Foreground",
            ann.APPLICATION,
            "did you mean 'PrunePropagationPolicy=foreground'?",
        ),
        ("ServerSideApply=yes", ann.RESOURCE, "unknown sync option 'ServerSideApply=yes'"),
        ("CreateNamespace=true", ann.RESOURCE, "only takes effect in an Application"),
        ("Completely=different", ann.RESOURCE, "unknown sync option"),
    ],
)
def test_sync_options(option: str, where: str, problem: str | None) -> None:
    found = ann.sync_option_problem(option, where)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found
