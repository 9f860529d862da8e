"""Which objects a policy (and then each of its bindings) applies to.

Every manifest is matched as a CREATE request, which is what applying a new
revision to a fresh cluster is, and the only request an offline check can make
up without a cluster's current state: a policy whose rules list only UPDATE,
DELETE or CONNECT never applies here.

An answer is ``True``, ``False`` or an :class:`Unknown` with the reason: the
resource name of a kind nobody defined, or a namespace whose labels the
repository does not show. A definite "no" anywhere wins over an unknown, so
policies that plainly do not apply never produce "could not check".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gitops_guard.policy.kinds import KindInfo
from gitops_guard.policy.model import LabelSelector, MatchResources, ResourceRule

OPERATION = "CREATE"
# The API server labels every namespace with its own name.
NAME_LABEL = "kubernetes.io/metadata.name"


@dataclass(frozen=True)
class Unknown:
    reason: str


Answer = bool | Unknown


@dataclass(frozen=True)
class Target:
    """What matching needs to know about one object."""

    group: str
    version: str
    kind: str
    info: KindInfo | None  # resource name and scope; None when the kind is unknown
    name: str | None
    namespace: str | None  # metadata.namespace as written
    labels: Mapping[str, str]
    # Labels of the object's namespace (None: the Namespace object is not in the repository).
    namespace_labels: Mapping[str, str] | None

    @property
    def is_namespace(self) -> bool:
        return self.group == "" and self.kind == "Namespace"


def labels_of(body: Mapping[str, Any]) -> dict[str, str]:
    meta = body.get("metadata")
    labels = meta.get("labels") if isinstance(meta, Mapping) else None
    if not isinstance(labels, Mapping):
        return {}
    return {str(k): _label_text(v) for k, v in labels.items() if v is not None}


def matches(mr: MatchResources, target: Target, *, constraints: bool) -> Answer:
    """Whether ``mr`` selects ``target``.

    ``constraints``: the policy's matchConstraints, where an empty resourceRules
    matches nothing; in a binding's matchResources it does not narrow the policy.
    """
    answers: list[Answer] = []
    if mr.resource_rules or constraints:
        answers.append(_any_rule(mr.resource_rules, target, mr.equivalent))
    if mr.exclude_rules:
        excluded = _any_rule(mr.exclude_rules, target, mr.equivalent)
        answers.append(excluded if isinstance(excluded, Unknown) else not excluded)
    answers.append(mr.object_selector.matches(target.labels))
    answers.append(_namespace(mr.namespace_selector, target))
    if any(a is False for a in answers):
        return False
    for a in answers:
        if isinstance(a, Unknown):
            return a
    return True


def _namespace(selector: LabelSelector, target: Target) -> Answer:
    """namespaceSelector as the API server applies it.

    A Namespace is matched on its own labels; any other cluster-scoped object is
    never skipped by a namespace selector.
    """
    if selector.empty:
        return True
    if target.is_namespace:
        labels = dict(target.labels)
        if target.name:
            labels[NAME_LABEL] = target.name
        return selector.matches(labels)
    if target.info is None:
        return Unknown(f"whether {target.kind} is namespaced is unknown, and the policy selects namespaces")
    if not target.info.namespaced:
        return True
    if target.namespace is None:
        return Unknown("the object names no namespace, and the policy selects namespaces by label")
    if target.namespace_labels is not None:
        return selector.matches({**target.namespace_labels, NAME_LABEL: target.namespace})
    if selector.keys <= {NAME_LABEL}:
        return selector.matches({NAME_LABEL: target.namespace})
    return Unknown(
        f"namespace {target.namespace!r} is not defined in the repository, so its labels "
        "(which the policy's namespaceSelector reads) are unknown"
    )


def _any_rule(rules: tuple[ResourceRule, ...], target: Target, equivalent: bool) -> Answer:
    unknown: Unknown | None = None
    for rule in rules:
        answer = _rule(rule, target, equivalent)
        if answer is True:
            return True
        if isinstance(answer, Unknown):
            unknown = answer
    return unknown if unknown is not None else False


def _rule(rule: ResourceRule, target: Target, equivalent: bool) -> Answer:
    if not ({"*", OPERATION} & rule.operations):
        return False
    if not ({"*", target.group} & rule.api_groups):
        return False
    # matchPolicy Equivalent also matches the same resource requested in another version.
    if not equivalent and not ({"*", target.version} & rule.api_versions):
        return False
    if not rule.api_versions:
        return False
    if rule.resource_names and (target.name is None or target.name not in rule.resource_names):
        return False
    info = target.info
    if not ({"*", "*/*"} & rule.resources):
        if info is None:
            if not any("/" not in r for r in rule.resources):
                return False  # only subresources listed: never the object itself
            return Unknown(
                f"the resource name of {target.group or 'core'}/{target.kind} is unknown "
                "(no CRD for it in the repository)"
            )
        if info.resource not in rule.resources:
            return False
    if rule.scope != "*":
        if info is None:
            return Unknown(
                f"whether {target.kind} is namespaced is unknown (no CRD for it in the repository)"
            )
        if info.namespaced != (rule.scope == "Namespaced"):
            return False
    return True


def _label_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
