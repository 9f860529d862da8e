"""Run policies, through their bindings, against the objects they match.

What the API server does on a CREATE, offline:

1. for each binding of a policy, the policy's matchConstraints and then the
   binding's matchResources must select the object;
2. the binding's paramRef picks the params (each param object is evaluated on
   its own, as with a label selector);
3. every matchCondition must be true, else the binding does not apply;
4. every validation must be true; a false one is reported with the policy's
   message, at the severity of the binding's validationActions (Deny → error,
   Warn → warning, Audit → info). An expression that errors (no such key, ...)
   denies under failurePolicy Fail and is let through under Ignore.

What cannot be known offline — a namespace's labels when the Namespace is not in
the repository, params that live only in the cluster, an expression this CEL
library cannot run — is a "could not check" result, never a pass.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gitops_guard.cel_library import one_line
from gitops_guard.findings import ObjectRef, Severity
from gitops_guard.policy import celenv
from gitops_guard.policy.celenv import EvalError, Unsupported
from gitops_guard.policy.kinds import KindMap
from gitops_guard.policy.match import OPERATION, Target, Unknown, labels_of, matches
from gitops_guard.policy.model import Binding, Expression, ParamRef, Policy, Where, dotted
from gitops_guard.resources import Resource

_REQUEST_NAMESPACE = re.compile(r"(?<![\w.])request\s*\.\s*namespace\b")


@dataclass(frozen=True)
class Result:
    """One thing to report: a denial (``checked``) or an evaluation that could not be made."""

    policy: str
    document_of: Resource  # the object (or policy/binding) whose document the finding points into
    where: Where
    message: str
    severity: Severity
    checked: bool
    key: str  # stable identity for baselines
    obj: ObjectRef | None


def _not_checked_severity(binding: Binding) -> Severity:
    """At most a warning: a policy that could not run is a gap to look at, not a denial."""
    own = binding.severity
    return own if own.rank < Severity.WARNING.rank else Severity.WARNING


class Evaluator:
    def __init__(
        self,
        policies: Sequence[Policy],
        bindings: Sequence[Binding],
        resources: Sequence[Resource],
        kinds: KindMap,
    ) -> None:
        by_name = {p.name: p for p in policies}
        self.pairs = [(by_name[b.policy_name], b) for b in bindings if b.policy_name in by_name]
        self.kinds = kinds
        self.namespaces: dict[str, Resource] = {}
        # Candidate params by (group, kind): looked up per object, so indexed once.
        self.by_kind: dict[tuple[str, str], list[Resource]] = {}
        self._params_memo: dict[tuple[int, int, str | None], list[Resource | None] | str] = {}
        wanted = {_group_kind(p.param_kind) for p in policies if p.param_kind}
        for res in resources:
            if res.group == "" and res.kind == "Namespace" and res.ref.name:
                self.namespaces[res.ref.name] = res
            if (res.group, res.kind) in wanted:
                self.by_kind.setdefault((res.group, res.kind), []).append(res)

    def binding_problems(self) -> Iterator[Result]:
        """Bindings whose params setup cannot work: checked once, not per object."""
        for policy, binding in self.pairs:
            problem = ""
            if policy.param_kind and binding.param_ref is None:
                problem = f"policy {policy.name} has a paramKind but binding {binding.name} has no paramRef"
            elif binding.param_ref is not None and not policy.param_kind:
                problem = f"binding {binding.name} has a paramRef but policy {policy.name} has no paramKind"
            if problem:
                yield Result(
                    policy.name,
                    binding.resource,
                    ("spec",),
                    problem + ": the binding is not applied",
                    _not_checked_severity(binding),
                    False,
                    f"binding-config:{binding.name}",
                    binding.resource.ref,
                )

    def evaluate(self, res: Resource) -> Iterator[Result]:
        if not self.pairs:
            return
        target = self._target(res)
        scope: _Scope | None = None
        for policy, binding in self.pairs:
            if policy.match is None:
                continue
            answer = matches(policy.match, target, constraints=True)
            if answer is True and binding.match is not None:
                answer = matches(binding.match, target, constraints=False)
            if answer is False:
                continue
            if isinstance(answer, Unknown):
                yield self._not_checked(
                    policy, binding, res, f"cannot tell whether it applies: {answer.reason}"
                )
                continue
            if (policy.param_kind is None) != (binding.param_ref is None):
                continue  # reported once by binding_problems()
            params = self._params(policy, binding, target)
            if isinstance(params, str):
                yield self._not_checked(policy, binding, res, params)
                continue
            if scope is None:
                built = _Scope.build(res, target, self)
                if isinstance(built, str):
                    yield self._not_checked(policy, binding, res, built)
                    continue
                scope = built
            for param in params:
                yield from self._run(policy, binding, res, scope, param)

    # -- pieces --------------------------------------------------------------

    def _target(self, res: Resource) -> Target:
        namespace = res.ref.namespace
        ns_res = self.namespaces.get(namespace) if namespace else None
        return Target(
            group=res.group,
            version=res.version,
            kind=res.kind,
            info=self.kinds.get(res.group, res.kind),
            name=_name(res.body),
            namespace=namespace,
            labels=labels_of(res.body),
            namespace_labels=labels_of(ns_res.body) if ns_res is not None else None,
        )

    def _params(self, policy: Policy, binding: Binding, target: Target) -> list[Resource | None] | str:
        """The param objects to evaluate with, [None] without params, or why they are unknown."""
        ref = binding.param_ref
        if policy.param_kind is None or ref is None:
            return [None]
        group, kind = _group_kind(policy.param_kind)
        info = self.kinds.get(group, kind)
        namespace = ref.namespace
        if namespace is None and (info is None or info.namespaced):
            namespace = target.namespace if (target.info is None or target.info.namespaced) else None
            if namespace is None and info is not None:
                return f"the params ({kind}) are namespaced but the object's namespace is unknown"
        key = (id(policy), id(binding), namespace)
        if key not in self._params_memo:  # the same for every object of the namespace
            self._params_memo[key] = self._find_params(group, kind, namespace, ref)
        return self._params_memo[key]

    def _find_params(
        self, group: str, kind: str, namespace: str | None, ref: ParamRef
    ) -> list[Resource | None] | str:
        found: list[Resource | None] = []
        for res in self.by_kind.get((group, kind), ()):
            if namespace is not None and res.ref.namespace not in (namespace, None):
                continue
            if ref.name is not None and res.ref.name != ref.name:
                continue
            if ref.selector is not None and not ref.selector.matches(labels_of(res.body)):
                continue
            found.append(res)
        if found:
            return found
        if not ref.deny_when_missing:
            return []  # parameterNotFoundAction: Allow
        wanted = ref.name or "matching the selector"
        where = f" in namespace {namespace}" if namespace else ""
        return f"its params ({kind} {wanted}{where}) are not in the repository"

    def _not_checked(self, policy: Policy, binding: Binding, res: Resource, reason: str) -> Result:
        return Result(
            policy.name,
            res,
            ("metadata", "name"),
            f"policy {policy.name} (binding {binding.name}) could not be checked: {reason}",
            _not_checked_severity(binding),
            False,
            f"not-checked:{binding.name}:{reason}",
            res.ref,
        )

    def _run(
        self, policy: Policy, binding: Binding, res: Resource, scope: _Scope, param: Resource | None
    ) -> Iterator[Result]:
        try:
            scope.bind(policy, param)
        except Unsupported as exc:
            yield self._not_checked(policy, binding, res, str(exc))
            return
        param_key = f":{param.ref}" if param is not None else ""
        for name, expr in policy.match_conditions:
            outcome = self._judge(policy, binding, res, scope, expr, f"matchCondition {name!r}", param_key)
            if outcome is not True:  # an object a condition excludes (or cannot tell) is not checked
                if isinstance(outcome, Result):
                    yield outcome
                return
        for validation in policy.validations:
            source = validation.expression.source
            key = f"{param_key}:{source}"
            outcome = self._judge(
                policy, binding, res, scope, validation.expression, f"expression {_short(source)!r}", key
            )
            if isinstance(outcome, Result):
                yield outcome
            if outcome is not False:
                continue
            message: str | None = scope.message(validation.message_expression) or validation.message
            if not message or not message.strip():
                message = f"failed expression: {_short(source)}"
            yield self._deny(policy, binding, res, message, key)

    def _judge(
        self,
        policy: Policy,
        binding: Binding,
        res: Resource,
        scope: _Scope,
        expr: Expression,
        what: str,
        key: str,
    ) -> bool | Result | None:
        """The bool ``expr`` evaluates to; else the finding to report, or None for nothing.

        A matchCondition and a validation fail in the same ways: an expression that does
        not compile (reported once, on the policy), one that cannot be evaluated here, an
        evaluation error (a denial when the policy fails closed) and a value that is no bool.
        """
        try:
            verdict = scope.value(expr)
        except _Broken:
            return None  # reported once, on the policy
        except Unsupported as exc:
            return self._not_checked(policy, binding, res, f"{what}: {exc}")
        except EvalError as exc:
            if policy.fail_closed:
                return self._deny(policy, binding, res, f"{what} resulted in error: {exc}", key)
            return None
        if isinstance(verdict, bool):
            return verdict
        return self._not_checked(
            policy, binding, res, f"{what} evaluated to {_cel_type(verdict)}, not a bool"
        )

    def _deny(self, policy: Policy, binding: Binding, res: Resource, message: str, key: str) -> Result:
        return Result(
            policy.name,
            res,
            ("metadata", "name"),
            message,
            binding.severity,
            True,
            f"{binding.name}{key}",
            res.ref,
        )


class _Broken(Unsupported):
    """An expression (or a variable it reads) that does not compile here: reported on the policy."""


def policy_problems(policy: Policy) -> Iterator[Result]:
    """Expressions of ``policy`` that cannot be evaluated at all, reported once on the policy."""
    expressions = [e for _, e in policy.match_conditions] + [e for _, e in policy.variables]
    for v in policy.validations:
        expressions.append(v.expression)
        if v.message_expression is not None:
            expressions.append(v.message_expression)
    for expr in expressions:
        compiled = celenv.compile_expression(expr.source)
        if compiled.error:
            yield Result(
                policy.name,
                policy.resource,
                expr.where,
                f"{dotted(expr.where)} {_short(expr.source)!r} cannot be evaluated, so it is not checked: "
                f"{compiled.error}",
                Severity.WARNING,
                False,
                f"policy-expression:{expr.source}",
                policy.resource.ref,
            )


@dataclass
class _Scope:
    """The CEL variables of one object, built once and shared by every policy that matches it."""

    context: Any
    namespace_known: bool
    namespace_object_known: bool
    secret: bool  # the object is a Secret: never evaluate messageExpression on it
    policy: Policy | None = None
    params_secret: bool = False
    _variables: dict[str, Any] = field(default_factory=dict)
    _errors: dict[str, Exception] = field(default_factory=dict)
    _bound: tuple[str, ...] | None = None

    @classmethod
    def build(cls, res: Resource, target: Target, ev: Evaluator) -> _Scope | str:
        try:
            obj = celenv.to_cel(res.body)
            # namespaceObject: null for a cluster-scoped object, else the Namespace if the
            # repository defines it; unknown otherwise.
            namespace_object: Any = None
            known = True
            info = target.info
            if info is None or info.namespaced:
                ns_res = ev.namespaces.get(target.namespace) if target.namespace else None
                if ns_res is not None:
                    namespace_object = celenv.to_cel(ns_res.body)
                else:
                    known = False
            context = celenv.new_context(
                {
                    "object": obj,
                    "oldObject": None,
                    "params": None,
                    "namespaceObject": namespace_object,
                    "request": _request(res, target),
                    "variables": {},
                }
            )
        except Unsupported as exc:
            return str(exc)
        except ImportError:
            return "the CEL library 'common-expression-language' is not installed"
        return cls(
            context=context,
            namespace_known=target.namespace is not None or (info is not None and not info.namespaced),
            namespace_object_known=known,
            secret=res.group == "" and res.kind == "Secret",
        )

    def bind(self, policy: Policy, param: Resource | None) -> None:
        self.policy = policy
        self._variables = {}
        self._errors = {}
        self._bound = None
        self.params_secret = param is not None and param.group == "" and param.kind == "Secret"
        self.context.add_variable("params", celenv.to_cel(param.body) if param is not None else None)

    def value(self, expr: Expression, depth: int = 0) -> Any:
        compiled = celenv.compile_expression(expr.source)
        if compiled.error:
            raise _Broken(compiled.error)
        if "namespaceObject" in compiled.names and not self.namespace_object_known:
            raise Unsupported("it reads namespaceObject, and the namespace is not defined in the repository")
        if (
            "request" in compiled.names
            and not self.namespace_known
            and _REQUEST_NAMESPACE.search(expr.source)
        ):
            raise Unsupported("it reads request.namespace, and the object names no namespace")
        if compiled.variable_refs:
            values = {name: self._variable(name, depth) for name in compiled.variable_refs}
            self._set_variables(values)
        elif "variables" in compiled.names:
            self._set_variables({})
        return celenv.run(compiled, self.context)

    def message(self, expr: Expression | None) -> str | None:
        """messageExpression's value; None when absent, failing, empty or multi-line (as the API server)."""
        if expr is None or self.secret or self.params_secret:
            return None  # a message built from a Secret's fields could carry its value
        try:
            text = self.value(expr)
        except (EvalError, Unsupported):
            return None
        if isinstance(text, str) and text.strip() and "\n" not in text:
            return text
        return None

    def _variable(self, name: str, depth: int) -> Any:
        """A policy variable, evaluated on first use only (an unused failing variable is harmless)."""
        if name in self._variables:
            return self._variables[name]
        if name in self._errors:
            raise self._errors[name]
        policy = self.policy
        expr = next((e for n, e in policy.variables if n == name), None) if policy else None
        if expr is None:
            raise EvalError(f"no such key: {name}")
        if depth > len(policy.variables if policy else ()):
            raise Unsupported("variables refer to each other in a cycle")
        try:
            value = self.value(expr, depth + 1)
        except (EvalError, Unsupported) as exc:
            self._errors[name] = exc
            raise
        self._variables[name] = value
        return value

    def _set_variables(self, values: Mapping[str, Any]) -> None:
        key = tuple(sorted(values))
        if key == self._bound and all(values[k] is self._variables.get(k) for k in key):
            return
        self.context.add_variable("variables", dict(values))
        self._bound = key


def _request(res: Resource, target: Target) -> dict[str, Any]:
    """The admission request an apply of this manifest would make: a CREATE by an unknown user."""
    kind = {"group": target.group, "version": target.version, "kind": target.kind}
    resource = {
        "group": target.group,
        "version": target.version,
        "resource": target.info.resource if target.info else "",
    }
    return {
        "kind": kind,
        "resource": resource,
        "requestKind": kind,
        "requestResource": resource,
        "subResource": "",
        "name": target.name or "",
        "namespace": target.namespace or "",
        "operation": OPERATION,
        "userInfo": {"username": "", "uid": "", "groups": [], "extra": {}},
        "dryRun": False,
        "options": {"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions"},
    }


def _group_kind(param_kind: tuple[str, str]) -> tuple[str, str]:
    api_version, kind = param_kind
    return (api_version.rpartition("/")[0] if "/" in api_version else ""), kind


def _name(body: Mapping[str, Any]) -> str | None:
    meta = body.get("metadata")
    name = meta.get("name") if isinstance(meta, Mapping) else None
    return name if isinstance(name, str) else None


def _short(source: str) -> str:
    return one_line(source)


def _cel_type(value: Any) -> str:
    return "null" if value is None else type(value).__name__
