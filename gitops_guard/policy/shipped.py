"""The admission policies shipped in ``policies/admission/``: one file per policy, the
ValidatingAdmissionPolicy and its binding, each a real object a cluster accepts.

Their rule documentation (``gitops-guard rules``, the README) comes from the
policy's own annotations, so the policy file is the one place to edit. Every run
needs the rule list but only runs that enable a shipped policy need the policies
themselves: :func:`shipped_docs` reads just what the rule list needs (cached on
disk), :func:`shipped_policies` reads the full objects when the check runs.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from gitops_guard.datafiles import data_dir
from gitops_guard.findings import Severity
from gitops_guard.policy.actions import severity_of

if TYPE_CHECKING:
    from gitops_guard.policy.model import Binding, Policy

SUMMARY_ANNOTATION = "gitops-guard.dev/summary"
DOC_ANNOTATION = "gitops-guard.dev/doc"
_API = "admissionregistration.k8s.io/v1"


class ShippedDoc(NamedTuple):
    name: str
    summary: str
    doc: str
    severity: Severity


class ShippedPolicy(NamedTuple):
    policy: Policy
    bindings: tuple[Binding, ...]


class ShippedPolicyError(RuntimeError):
    """A shipped policy file is broken: a packaging bug, caught by the tests."""


def _files() -> list[Path]:
    return sorted((data_dir("policies") / "admission").glob("*.yaml"))


def _display(path: Path) -> str:
    return f"policies/admission/{path.name}"


# Bumped whenever what a cache entry holds changes, so that old entries are not read.
_DOCS_CACHE_FORMAT = 1


@functools.cache
def shipped_docs() -> tuple[ShippedDoc, ...]:
    """The rule documentation of each shipped policy, cached on disk (every run builds the rule
    list; reading the five policy files with YAML was ~17M instructions of a one-file run).

    The entry is keyed by each file's name, modification time and size, in its file name too;
    an unreadable or unwritable cache falls back to reading the files."""
    import json
    import zlib

    from gitops_guard.cachefiles import cache_dir, write_atomically

    files = _files()
    try:
        stamp = [[p.name, st.st_mtime_ns, st.st_size] for p in files for st in (p.stat(),)]
    except OSError:
        return _read_docs(files)
    # One entry per set of files, so that installs sharing the cache do not overwrite each other.
    key = zlib.crc32(json.dumps(stamp).encode("utf-8"))
    cached = cache_dir() / "shipped-policies" / f"docs-f{_DOCS_CACHE_FORMAT}-{key:08x}.json"
    try:
        entry = json.loads(cached.read_text(encoding="utf-8"))
        if isinstance(entry, dict) and entry.get("source") == stamp:
            return tuple(
                ShippedDoc(str(name), str(summary), str(doc), Severity(severity))
                for name, summary, doc, severity in entry["docs"]
            )
    except (OSError, ValueError, KeyError, TypeError):
        pass
    docs = _read_docs(files)
    write_atomically(cached, json.dumps({"source": stamp, "docs": [list(d) for d in docs]}))
    return docs


def _read_docs(files: list[Path]) -> tuple[ShippedDoc, ...]:
    import yaml

    loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    out = []
    for path in files:
        docs = [
            d for d in yaml.load_all(path.read_text(encoding="utf-8"), Loader=loader) if isinstance(d, dict)
        ]
        policies = [
            d for d in docs if d.get("kind") == "ValidatingAdmissionPolicy" and d.get("apiVersion") == _API
        ]
        if len(policies) != 1:
            raise ShippedPolicyError(f"{_display(path)}: expected one ValidatingAdmissionPolicy")
        meta = policies[0].get("metadata") or {}
        annotations: Mapping[str, Any] = meta.get("annotations") or {}
        actions = [
            action
            for d in docs
            if d.get("kind") == "ValidatingAdmissionPolicyBinding"
            for action in (d.get("spec") or {}).get("validationActions") or []
        ]
        out.append(
            ShippedDoc(
                str(meta.get("name", "")),
                str(annotations.get(SUMMARY_ANNOTATION, "")).strip(),
                str(annotations.get(DOC_ANNOTATION, "")),
                severity_of(actions),
            )
        )
    return tuple(out)


@functools.cache
def shipped_policies() -> tuple[ShippedPolicy, ...]:
    from gitops_guard.policy.model import is_binding, is_policy, read_binding, read_policy
    from gitops_guard.resources import Resource, is_object, object_ref
    from gitops_guard.source.limits import Limits
    from gitops_guard.source.yamldoc import parse

    out: list[ShippedPolicy] = []
    for path in _files():
        display = _display(path)
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
        out.append(ShippedPolicy(policy, tuple(bindings)))
    return tuple(out)
