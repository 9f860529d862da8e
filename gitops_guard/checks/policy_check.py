"""ValidatingAdmissionPolicies, evaluated offline: one rule per policy, ``policy/<name>``.

Two sources of policies: those shipped with the tool (``policies/admission/``,
each with its binding; off unless enabled, on in the ``strict`` preset) and the
ValidatingAdmissionPolicy objects of the repository itself, which run through the
repository's own bindings, as in a cluster (a policy with no binding never runs).
A repository policy named like a shipped one replaces it, as an object of the
same name would in a cluster, and follows that rule's settings.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from gitops_guard.checks.base import CheckContext, at_document
from gitops_guard.findings import Finding, Outcome, Severity
from gitops_guard.rules import Also, Rule

if TYPE_CHECKING:
    from gitops_guard.policy.evaluate import Result
    from gitops_guard.policy.shipped import ShippedDoc

FAMILY = "policy"
REPOSITORY = Rule(
    "policy/<name>",
    Severity.ERROR,
    "A ValidatingAdmissionPolicy defined in the repository denies an object; the message is the policy's.",
    """
    Every ValidatingAdmissionPolicy in the repository is evaluated, through each
    ValidatingAdmissionPolicyBinding that names it, against the manifests it
    matches, as a CREATE request: matchConstraints and the binding's
    matchResources (resourceRules, excludeResourceRules, namespaceSelector,
    objectSelector), matchConditions, variables, params (paramKind/paramRef,
    found among the repository's objects) and validations, with the CEL
    variables object, oldObject (null), params, namespaceObject, request and
    variables; `request` is what applying the manifest sends (operation CREATE,
    an unknown user: empty userInfo), so a policy whose rules list only UPDATE,
    DELETE or CONNECT never applies. The rule ID is `policy/` and the policy's
    name: select, ignore and configure each one like any rule
    (`--select policy/require-team-label`).

    Severity follows the binding's validationActions. An expression that errors
    (no such key, ...) denies under failurePolicy Fail, as the API server does,
    and passes under Ignore.

    Could not check (reported, never a pass; at most a warning): the labels of a
    namespace the repository does not define (namespaceSelector, namespaceObject),
    params that are not in the repository, the resource name of a kind with no
    CRD, and CEL this library cannot run (`authorizer`, `url()`, `ip()`,
    `cidr()`, `semver()`, `format()`, `cel.bind()`, `.?` optional fields).
    `quantity()`, `isQuantity()`, regex `find()`/`findAll()` and `isSorted()`
    are provided.

    FAIL:
        apiVersion: admissionregistration.k8s.io/v1
        kind: ValidatingAdmissionPolicy
        metadata: {name: require-team-label}
        spec:
          matchConstraints:
            resourceRules:
              - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments]}
          validations:
            - expression: "has(object.metadata.labels) && 'team' in object.metadata.labels"
              message: every Deployment needs a team label
        ---
        apiVersion: admissionregistration.k8s.io/v1
        kind: ValidatingAdmissionPolicyBinding
        metadata: {name: require-team-label}
        spec: {policyName: require-team-label, validationActions: [Deny]}
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: api}       # policy/require-team-label: every Deployment needs a team label

    PASS:
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: api
          labels: {team: payments}
    """,
    when="the binding's validationActions include Deny",
    also=(
        Also(
            Severity.WARNING,
            "the binding's strongest action is Warn, or a policy could not be checked (at most a warning)",
        ),
        Also(Severity.INFO, "the binding's only action is Audit"),
    ),
)


def _shipped_rule(sd: ShippedDoc) -> Rule:
    """A shipped policy reports at its own binding's severity and a gap at most as a warning;
    a repository policy of the same name replaces it with its own bindings, so every
    severity of ``REPOSITORY`` stays possible."""
    levels = (Also(REPOSITORY.severity, REPOSITORY.when), *REPOSITORY.also)
    doc = sd.doc + "\n\nShipped with gitops-guard: off by default, on in the `strict` preset."
    return Rule(
        f"{FAMILY}/{sd.name}",
        sd.severity,
        sd.summary,
        doc,
        when=next(lv.when for lv in levels if lv.severity is sd.severity),
        also=tuple(lv for lv in levels if lv.severity is not sd.severity),
    )


def _shipped_rules() -> tuple[Rule, ...]:
    from gitops_guard.policy.shipped import shipped_docs

    return tuple(_shipped_rule(sd) for sd in shipped_docs())


class PolicyCheck:
    name: str = FAMILY

    def __init__(self) -> None:
        self.rules: tuple[Rule, ...] = (REPOSITORY, *_shipped_rules())

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        shipped_on = any(r.id in ctx.active for r in self.rules if r is not REPOSITORY)
        if not shipped_on and not any(_admission_object(res.api_version, res.kind) for res in ctx.resources):
            return  # nothing to evaluate: the evaluator and the CEL library stay unimported
        from gitops_guard.policy.evaluate import Evaluator, Result, policy_problems
        from gitops_guard.policy.kinds import KindMap
        from gitops_guard.policy.model import (
            Binding,
            Policy,
            is_binding,
            is_policy,
            read_binding,
            read_policy,
        )
        from gitops_guard.policy.shipped import shipped_policies

        static = {r.id for r in self.rules if r is not REPOSITORY}
        policies: dict[str, Policy] = {}
        bindings: list[Binding] = []
        results: list[Result] = []
        for res in ctx.resources:
            if is_policy(res):
                policy, problems = read_policy(res)
                name = policy.name if policy else None
            elif is_binding(res):
                binding, problems = read_binding(res)
                name = binding.policy_name if binding else None
                if binding is not None:
                    bindings.append(binding)
            else:
                continue
            for p in problems:
                results.append(
                    Result(
                        name or "",
                        p.resource,
                        p.where,
                        f"{p.message}: the {p.resource.kind} is not fully checked",
                        Severity.WARNING,
                        False,
                        p.message,
                        p.resource.ref,
                    )
                )
            if is_policy(res) and policy is not None and self._wanted(policy.name, static, ctx):
                policies[policy.name] = policy
        for sp in shipped_policies():
            name = sp.policy.name
            if name not in policies and f"{FAMILY}/{name}" in ctx.active:
                policies[name] = sp.policy
                bindings.extend(sp.bindings)
        for policy in policies.values():
            results.extend(policy_problems(policy))
        crds = [
            r.body
            for r in ctx.resources
            if r.kind == "CustomResourceDefinition" and r.group == "apiextensions.k8s.io"
        ]
        evaluator = Evaluator(list(policies.values()), bindings, ctx.resources, KindMap(crds))
        results.extend(evaluator.binding_problems())
        if evaluator.pairs:
            for res in ctx.resources:
                results.extend(evaluator.evaluate(res))
        seen: set[tuple[object, ...]] = set()
        by_id = {r.id: r for r in self.rules}
        for result in results:
            finding = _finding(result, by_id)
            identity = (finding.rule, finding.path, finding.line, finding.message, finding.object)
            if identity not in seen:
                seen.add(identity)
                yield finding

    @staticmethod
    def _wanted(name: str, static: set[str], ctx: CheckContext) -> bool:
        rule_id = f"{FAMILY}/{name}"
        return rule_id in ctx.active if rule_id in static else REPOSITORY.id in ctx.active


def _admission_object(api_version: str, kind: str) -> bool:
    """A policy or binding of any admissionregistration version (``policy.model`` reads which)."""
    return api_version.startswith("admissionregistration.k8s.io/") and kind in (
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
    )


def _finding(result: Result, rules: dict[str, Rule]) -> Finding:
    rule_id = f"{FAMILY}/{result.policy}" if result.policy else REPOSITORY.id
    # A policy of the repository is a rule named at run time, documented by REPOSITORY.
    rule = rules.get(rule_id) or Rule(
        rule_id, REPOSITORY.severity, "", when=REPOSITORY.when, also=REPOSITORY.also
    )
    return at_document(
        rule,
        result.document_of.document,
        result.message,
        path=result.where,
        obj=result.obj,
        outcome=Outcome.VIOLATION if result.checked else Outcome.NOT_CHECKED,
        fingerprint_key=result.key,
        severity=result.severity,
    )
