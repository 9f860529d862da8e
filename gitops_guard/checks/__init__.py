"""The checks, as an explicit registry: name → check.  Grep-able, no discovery magic."""

from __future__ import annotations

from gitops_guard.checks.base import Check
from gitops_guard.checks.policy_check import PolicyCheck
from gitops_guard.checks.prune_check import PruneCheck
from gitops_guard.checks.removed_check import RemovedResourcesCheck
from gitops_guard.checks.render_check import RenderCheck
from gitops_guard.checks.schema_check import SchemaCheck
from gitops_guard.checks.secrets_check import SecretsCheck
from gitops_guard.checks.shape_check import ShapeCheck
from gitops_guard.checks.sync_check import SyncCheck
from gitops_guard.checks.yaml_check import YamlCheck
from gitops_guard.rules import Rule

CHECKS: dict[str, Check] = {
    "yaml": YamlCheck(),
    "schema": SchemaCheck(),
    "shape": ShapeCheck(),
    "render": RenderCheck(),
    "sync": SyncCheck(),
    "secrets": SecretsCheck(),
    "policy": PolicyCheck(),
    "prune": PruneCheck(),
    "removed": RemovedResourcesCheck(),
}


def all_rules() -> list[Rule]:
    # A rule two checks share (check/not-run) is listed once.
    unique = {r.id: r for c in CHECKS.values() for r in c.rules}
    return sorted(unique.values(), key=lambda r: r.id)
