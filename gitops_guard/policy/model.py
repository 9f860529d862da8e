"""ValidatingAdmissionPolicy and binding objects, read into values the evaluator trusts.

Reading never raises: a malformed field becomes a :class:`Problem` with the path
of the field, reported on the policy or binding document, and the part that is
malformed is left out (a policy without usable match constraints matches nothing,
as the API server would have refused to store it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gitops_guard.findings import Severity
from gitops_guard.policy.actions import ACTION_SEVERITY, severity_of
from gitops_guard.resources import Resource

API_GROUP = "admissionregistration.k8s.io"
# v1 since Kubernetes 1.30; the beta and alpha versions have the same shape for what is read here.
API_VERSIONS = frozenset(f"{API_GROUP}/{v}" for v in ("v1", "v1beta1", "v1alpha1"))
POLICY_KIND = "ValidatingAdmissionPolicy"
BINDING_KIND = "ValidatingAdmissionPolicyBinding"

Where = tuple[str | int, ...]

_OPERATORS = frozenset({"In", "NotIn", "Exists", "DoesNotExist"})
_ACTIONS = frozenset(ACTION_SEVERITY)
_SCOPES = frozenset({"*", "Cluster", "Namespaced"})


@dataclass(frozen=True)
class Problem:
    resource: Resource
    where: Where
    message: str


@dataclass(frozen=True)
class Requirement:
    key: str
    operator: str
    values: frozenset[str]

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        if self.operator == "Exists":
            return present
        if self.operator == "DoesNotExist":
            return not present
        if self.operator == "In":
            return present and labels[self.key] in self.values
        return not present or labels[self.key] not in self.values  # NotIn


@dataclass(frozen=True)
class LabelSelector:
    """A metav1.LabelSelector; the empty selector matches everything."""

    requirements: tuple[Requirement, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.requirements

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(r.key for r in self.requirements)

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(r.matches(labels) for r in self.requirements)


@dataclass(frozen=True)
class ResourceRule:
    api_groups: frozenset[str]
    api_versions: frozenset[str]
    resources: frozenset[str]
    operations: frozenset[str]
    resource_names: frozenset[str]
    scope: str


@dataclass(frozen=True)
class MatchResources:
    namespace_selector: LabelSelector = LabelSelector()
    object_selector: LabelSelector = LabelSelector()
    resource_rules: tuple[ResourceRule, ...] = ()
    exclude_rules: tuple[ResourceRule, ...] = ()
    equivalent: bool = True  # matchPolicy: Equivalent (the default) or Exact


@dataclass(frozen=True)
class Expression:
    """One CEL expression of a policy, with the field that holds it (for findings)."""

    source: str
    where: Where


@dataclass(frozen=True)
class Validation:
    expression: Expression
    message: str | None
    message_expression: Expression | None


@dataclass(frozen=True)
class Policy:
    name: str
    resource: Resource
    match: MatchResources | None
    match_conditions: tuple[tuple[str, Expression], ...]
    variables: tuple[tuple[str, Expression], ...]
    validations: tuple[Validation, ...]
    param_kind: tuple[str, str] | None  # (apiVersion, kind)
    fail_closed: bool  # failurePolicy Fail (the default) rather than Ignore
    shipped: bool = False


@dataclass(frozen=True)
class ParamRef:
    name: str | None
    namespace: str | None
    selector: LabelSelector | None
    deny_when_missing: bool  # parameterNotFoundAction Deny (the default) rather than Allow


@dataclass(frozen=True)
class Binding:
    name: str
    resource: Resource
    policy_name: str
    param_ref: ParamRef | None
    match: MatchResources | None
    actions: frozenset[str]

    @property
    def severity(self) -> Severity:
        """validationActions as a severity: Deny → error, Warn → warning, Audit → info."""
        return severity_of(self.actions)


@dataclass
class _Reader:
    resource: Resource
    problems: list[Problem] = field(default_factory=list)

    def problem(self, where: Where, message: str) -> None:
        self.problems.append(Problem(self.resource, where, message))

    def mapping(self, value: Any, where: Where, *, required: bool = False) -> Mapping[str, Any] | None:
        if value is None:
            if required:
                self.problem(where[:-1], f"{dotted(where)} is required")
            return None
        if not isinstance(value, Mapping):
            self.problem(where, f"{dotted(where)} must be a mapping")
            return None
        return value

    def items(self, value: Any, where: Where) -> list[tuple[Where, Any]]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(where, f"{dotted(where)} must be a list")
            return []
        return [((*where, i), item) for i, item in enumerate(value)]

    def text(self, value: Any, where: Where, *, required: bool = False) -> str | None:
        if value is None:
            if required:
                self.problem(where[:-1] or where, f"{dotted(where)} is required")
            return None
        if not isinstance(value, str) or (required and not value.strip()):
            self.problem(where, f"{dotted(where)} must be a non-empty string")
            return None
        return value

    def strings(self, value: Any, where: Where) -> frozenset[str]:
        out = set()
        for at, item in self.items(value, where):
            if isinstance(item, str):
                out.add(item)
            else:
                self.problem(at, f"{dotted(at)} must be a string")
        return frozenset(out)

    def selector(self, value: Any, where: Where) -> LabelSelector:
        node = self.mapping(value, where)
        if node is None:
            return LabelSelector()
        requirements: list[Requirement] = []
        labels = self.mapping(node.get("matchLabels"), (*where, "matchLabels"))
        for key, val in (labels or {}).items():
            if isinstance(val, str | int | float | bool):
                requirements.append(Requirement(str(key), "In", frozenset({_label_text(val)})))
            else:
                self.problem((*where, "matchLabels", str(key)), "a label value must be a string")
        for at, expr in self.items(node.get("matchExpressions"), (*where, "matchExpressions")):
            expr = self.mapping(expr, at)
            if expr is None:
                continue
            req_key = self.text(expr.get("key"), (*at, "key"), required=True)
            operator = expr.get("operator")
            values = self.strings(expr.get("values"), (*at, "values"))
            if operator not in _OPERATORS:
                self.problem((*at, "operator"), f"operator must be one of {', '.join(sorted(_OPERATORS))}")
                continue
            if operator in ("In", "NotIn") and not values:
                self.problem(at, f"operator {operator} needs values")
                continue
            if operator in ("Exists", "DoesNotExist") and values:
                self.problem((*at, "values"), f"operator {operator} takes no values")
                continue
            if req_key is not None:
                requirements.append(Requirement(req_key, str(operator), values))
        return LabelSelector(tuple(requirements))

    def rules(self, value: Any, where: Where) -> tuple[ResourceRule, ...]:
        out: list[ResourceRule] = []
        for at, item in self.items(value, where):
            node = self.mapping(item, at)
            if node is None:
                continue
            scope = node.get("scope", "*")
            if scope not in _SCOPES:
                self.problem((*at, "scope"), "scope must be *, Cluster or Namespaced")
                continue
            out.append(
                ResourceRule(
                    api_groups=self.strings(node.get("apiGroups"), (*at, "apiGroups")),
                    api_versions=self.strings(node.get("apiVersions"), (*at, "apiVersions")),
                    resources=self.strings(node.get("resources"), (*at, "resources")),
                    operations=self.strings(node.get("operations"), (*at, "operations")),
                    resource_names=self.strings(node.get("resourceNames"), (*at, "resourceNames")),
                    scope=str(scope),
                )
            )
        return tuple(out)

    def match_resources(self, value: Any, where: Where, *, required: bool) -> MatchResources | None:
        node = self.mapping(value, where, required=required)
        if node is None:
            return None
        policy = node.get("matchPolicy", "Equivalent")
        if policy not in ("Equivalent", "Exact"):
            self.problem((*where, "matchPolicy"), "matchPolicy must be Equivalent or Exact")
        return MatchResources(
            namespace_selector=self.selector(node.get("namespaceSelector"), (*where, "namespaceSelector")),
            object_selector=self.selector(node.get("objectSelector"), (*where, "objectSelector")),
            resource_rules=self.rules(node.get("resourceRules"), (*where, "resourceRules")),
            exclude_rules=self.rules(node.get("excludeResourceRules"), (*where, "excludeResourceRules")),
            equivalent=policy != "Exact",
        )

    def named_expressions(self, value: Any, where: Where) -> tuple[tuple[str, Expression], ...]:
        out: list[tuple[str, Expression]] = []
        for at, item in self.items(value, where):
            node = self.mapping(item, at)
            if node is None:
                continue
            name = self.text(node.get("name"), (*at, "name"), required=True)
            source = self.text(node.get("expression"), (*at, "expression"), required=True)
            if name is not None and source is not None:
                out.append((name, Expression(source, (*at, "expression"))))
        return tuple(out)


def is_policy(res: Resource) -> bool:
    return res.kind == POLICY_KIND and res.api_version in API_VERSIONS


def is_binding(res: Resource) -> bool:
    return res.kind == BINDING_KIND and res.api_version in API_VERSIONS


def read_policy(res: Resource, *, shipped: bool = False) -> tuple[Policy | None, list[Problem]]:
    r = _Reader(res)
    name = r.text(_meta(res).get("name"), ("metadata", "name"), required=True)
    spec = r.mapping(res.body.get("spec"), ("spec",), required=True)
    if name is None or spec is None:
        return None, r.problems
    validations: list[Validation] = []
    for at, item in r.items(spec.get("validations"), ("spec", "validations")):
        node = r.mapping(item, at)
        if node is None:
            continue
        source = r.text(node.get("expression"), (*at, "expression"), required=True)
        if source is None:
            continue
        message = r.text(node.get("message"), (*at, "message"))
        message_source = r.text(node.get("messageExpression"), (*at, "messageExpression"))
        validations.append(
            Validation(
                Expression(source, (*at, "expression")),
                message,
                Expression(message_source, (*at, "messageExpression")) if message_source else None,
            )
        )
    param_kind = None
    param_node = r.mapping(spec.get("paramKind"), ("spec", "paramKind"))
    if param_node is not None:
        api_version = r.text(param_node.get("apiVersion"), ("spec", "paramKind", "apiVersion"), required=True)
        kind = r.text(param_node.get("kind"), ("spec", "paramKind", "kind"), required=True)
        if api_version and kind:
            param_kind = (api_version, kind)
    failure = spec.get("failurePolicy", "Fail")
    if failure not in ("Fail", "Ignore"):
        r.problem(("spec", "failurePolicy"), "failurePolicy must be Fail or Ignore")
    policy = Policy(
        name=name,
        resource=res,
        match=r.match_resources(spec.get("matchConstraints"), ("spec", "matchConstraints"), required=True),
        match_conditions=r.named_expressions(spec.get("matchConditions"), ("spec", "matchConditions")),
        variables=r.named_expressions(spec.get("variables"), ("spec", "variables")),
        validations=tuple(validations),
        param_kind=param_kind,
        fail_closed=failure != "Ignore",
        shipped=shipped,
    )
    return policy, r.problems


def read_binding(res: Resource) -> tuple[Binding | None, list[Problem]]:
    r = _Reader(res)
    name = r.text(_meta(res).get("name"), ("metadata", "name"), required=True)
    spec = r.mapping(res.body.get("spec"), ("spec",), required=True)
    if name is None or spec is None:
        return None, r.problems
    policy_name = r.text(spec.get("policyName"), ("spec", "policyName"), required=True)
    if policy_name is None:
        return None, r.problems
    param_ref = None
    ref = r.mapping(spec.get("paramRef"), ("spec", "paramRef"))
    if ref is not None:
        where: Where = ("spec", "paramRef")
        ref_name = r.text(ref.get("name"), (*where, "name"))
        selector = r.selector(ref.get("selector"), (*where, "selector")) if "selector" in ref else None
        if (ref_name is None) == (selector is None):
            r.problem(where, "paramRef needs exactly one of name and selector")
        action = ref.get("parameterNotFoundAction", "Deny")
        if action not in ("Allow", "Deny"):
            r.problem((*where, "parameterNotFoundAction"), "parameterNotFoundAction must be Allow or Deny")
        param_ref = ParamRef(
            ref_name, r.text(ref.get("namespace"), (*where, "namespace")), selector, action != "Allow"
        )
    actions = r.strings(spec.get("validationActions"), ("spec", "validationActions"))
    unknown = actions - _ACTIONS
    if unknown:
        r.problem(("spec", "validationActions"), f"unknown validation action {sorted(unknown)[0]!r}")
    if not actions & _ACTIONS:
        r.problem(("spec", "validationActions"), "validationActions needs at least one of Deny, Warn, Audit")
    if {"Deny", "Warn"} <= actions:
        r.problem(("spec", "validationActions"), "Deny and Warn cannot be used together")
    binding = Binding(
        name=name,
        resource=res,
        policy_name=policy_name,
        param_ref=param_ref,
        match=r.match_resources(spec.get("matchResources"), ("spec", "matchResources"), required=False),
        actions=actions & _ACTIONS,
    )
    return binding, r.problems


def _meta(res: Resource) -> Mapping[str, Any]:
    meta = res.body.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def _label_text(value: str | int | float | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def dotted(where: Where) -> str:
    out = ""
    for part in where:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
