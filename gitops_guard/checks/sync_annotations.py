"""``sync/invalid-wave``, ``sync/invalid-hook`` and ``sync/invalid-option``: the Argo CD sync
annotations (and an Application's ``syncOptions``) written on one object, read the way Argo
CD reads them (:mod:`gitops_guard.gitops.argo_annotations`).  Each object is judged alone.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from gitops_guard.checks.base import at_document
from gitops_guard.checks.sync_check import INVALID_HOOK, INVALID_OPTION, INVALID_WAVE, TEMPLATED
from gitops_guard.findings import Finding
from gitops_guard.gitops import argo_annotations as ann
from gitops_guard.resources import Resource
from gitops_guard.rules import Rule

_ARGO_GROUP = "argoproj.io"
_MAX_ECHO = 60


def _echo(value: str) -> str:
    """A short, quoted rendering of an annotation value for messages."""
    return repr(value if len(value) <= _MAX_ECHO else value[:_MAX_ECHO] + "…")


def annotation_findings(res: Resource, active: frozenset[str]) -> Iterator[Finding]:
    values = ann.annotations_of(res.body)
    if values:
        if INVALID_WAVE.id in active:
            yield from _waves(res, values)
        if INVALID_HOOK.id in active:
            yield from _hooks(res, values)
        if INVALID_OPTION.id in active:
            yield from _annotation_options(res, values)
    if INVALID_OPTION.id in active and res.group == _ARGO_GROUP:
        yield from _application_options(res)


def _at_annotation(rule: Rule, res: Resource, key: str, message: str, fingerprint: str) -> Finding:
    return at_document(
        rule,
        res.document,
        message,
        path=("metadata", "annotations", key),
        obj=res.ref,
        fingerprint_key=fingerprint,
    )


def _waves(res: Resource, values: Mapping[str, Any]) -> Iterator[Finding]:
    for key in (ann.SYNC_WAVE, ann.HELM_HOOK_WEIGHT):
        text = values.get(key)
        if not isinstance(text, str) or TEMPLATED.search(text) or ann.atoi(text) is not None:
            continue
        used = ann.wave(res.body)
        what = "sync-wave" if key == ann.SYNC_WAVE else "helm.sh/hook-weight"
        yield _at_annotation(
            INVALID_WAVE,
            res,
            key,
            f"{what} {_echo(text)} is not an integer (optional sign and digits only); "
            f"Argo CD ignores it and applies the object in wave {used}",
            f"{key}={text}",
        )


def _hooks(res: Resource, values: Mapping[str, Any]) -> Iterator[Finding]:
    info = ann.hook_info(res.body)
    never = info.is_hook and not info.sync_phases and not info.delete_hooks and not info.skip
    consequence = "; Argo CD treats the object as a hook of no phase and never applies it" if never else ""
    checks = (
        (ann.HOOK, ann.ARGO_HOOK_TYPES, "hook type"),
        (ann.HELM_HOOK, ann.HELM_HOOK_TYPES, "Helm hook type"),
        (ann.HOOK_DELETE_POLICY, ann.ARGO_DELETE_POLICIES, "hook-delete-policy"),
        (ann.HELM_HOOK_DELETE_POLICY, ann.HELM_DELETE_POLICIES, "Helm hook-delete-policy"),
    )
    for key, known, what in checks:
        text = values.get(key)
        if not isinstance(text, str) or TEMPLATED.search(text):
            continue
        items = ann.csv(text)
        if not items and key == ann.HOOK:
            yield _at_annotation(INVALID_HOOK, res, key, f"empty {key} annotation{consequence}", f"{key}=")
        for item in items:
            if item in known:
                continue
            hint = ann.suggest(item, known)
            did_you_mean = f" (did you mean {hint!r}?)" if hint else ""
            tail = consequence if key in (ann.HOOK, ann.HELM_HOOK) else ""
            yield _at_annotation(
                INVALID_HOOK,
                res,
                key,
                f"unknown {what} {_echo(item)}{did_you_mean}; known: {', '.join(sorted(known))}{tail}",
                f"{key}={item}",
            )


def _annotation_options(res: Resource, values: Mapping[str, Any]) -> Iterator[Finding]:
    text = values.get(ann.SYNC_OPTIONS)
    if not isinstance(text, str) or TEMPLATED.search(text):
        return
    for item in ann.csv(text):
        problem = ann.sync_option_problem(item, ann.RESOURCE)
        if problem:
            yield _at_annotation(INVALID_OPTION, res, ann.SYNC_OPTIONS, problem, f"annotation={item}")


def _application_options(res: Resource) -> Iterator[Finding]:
    if res.kind == "Application":
        base: tuple[str, ...] = ("spec",)
    elif res.kind == "ApplicationSet":
        base = ("spec", "template", "spec")
    else:
        return
    node: Any = res.body
    for step in (*base, "syncPolicy", "syncOptions"):
        node = node.get(step) if isinstance(node, dict) else None
    if not isinstance(node, list):
        return
    for i, item in enumerate(node):
        if not isinstance(item, str) or TEMPLATED.search(item):
            continue
        problem = ann.sync_option_problem(item, ann.APPLICATION)
        if problem:
            yield at_document(
                INVALID_OPTION,
                res.document,
                problem,
                path=(*base, "syncPolicy", "syncOptions", i),
                obj=res.ref,
                fingerprint_key=f"syncOptions={item}",
            )
