"""The admission policies shipped in ``policies/admission/``: one file per policy, the
ValidatingAdmissionPolicy and its binding, each a real object a cluster accepts.

Their rule documentation (``gitops-guard rules``, the README) comes from the
policy's own annotations, so the policy file is the one place to edit.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from gitops_guard.datafiles import data_dir
from gitops_guard.policy.model import Binding, Policy, is_binding, is_policy, read_binding, read_policy
from gitops_guard.resources import Resource, is_object, object_ref
from gitops_guard.source.limits import Limits
from gitops_guard.source.yamldoc import parse

SUMMARY_ANNOTATION = "gitops-guard.dev/summary"
DOC_ANNOTATION = "gitops-guard.dev/doc"


@dataclass(frozen=True)
class ShippedPolicy:
    policy: Policy
    bindings: tuple[Binding, ...]
    summary: str
    doc: str


class ShippedPolicyError(RuntimeError):
    """A shipped policy file is broken: a packaging bug, caught by the tests."""


@functools.cache
def shipped_policies() -> tuple[ShippedPolicy, ...]:
    directory = data_dir("policies") / "admission"
    out: list[ShippedPolicy] = []
    for path in sorted(directory.glob("*.yaml")):
        display = f"policies/admission/{path.name}"
        parsed = parse(path.read_text(encoding="utf-8"), display, Limits())
        if parsed.problems:
            raise ShippedPolicyError(f"{display}: {parsed.problems[0].message}")
        resources = [Resource(object_ref(d.data), d.data, d) for d in parsed.documents if is_object(d.data)]
        policies = [r for r in resources if is_policy(r)]
        if len(policies) != 1:
            raise ShippedPolicyError(f"{display}: expected one ValidatingAdmissionPolicy")
        policy, problems = read_policy(policies[0], shipped=True)
        bindings = []
        for res in resources:
            if is_binding(res):
                binding, binding_problems = read_binding(res)
                problems += binding_problems
                if binding is not None:
                    bindings.append(binding)
        if policy is None or problems or not bindings:
            detail = problems[0].message if problems else "no binding"
            raise ShippedPolicyError(f"{display}: {detail}")
        meta = policies[0].body.get("metadata") or {}
        annotations = meta.get("annotations") or {}
        out.append(
            ShippedPolicy(
                policy,
                tuple(bindings),
                str(annotations.get(SUMMARY_ANNOTATION, "")).strip(),
                str(annotations.get(DOC_ANNOTATION, "")),
            )
        )
    return tuple(out)
