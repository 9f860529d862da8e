"""Argo CD's sync annotations, read exactly as Argo CD reads them.

Argo CD never rejects a malformed sync annotation: a wave that is not an
integer becomes the Helm hook weight or 0, an unknown hook type or delete
policy is dropped, an unknown sync option does nothing.  This module gives
both readings: the value Argo CD acts on (for the sync order) and the words it
silently ignored (for the ``sync/*`` rules).  Everything here is pure and
allocation-light: the check runs it on every object of every commit.

Upstream behaviour mirrored (gitops-engine, ``pkg/sync``): list annotations
are split on ``,``, each item trimmed, empty and repeated items dropped; the
wave is ``strconv.Atoi`` of ``argocd.argoproj.io/sync-wave``, falling back to
``strconv.Atoi`` of ``helm.sh/hook-weight``, falling back to 0; Argo CD hook
types win over Helm hook types, which are only read when no Argo CD hook type
was recognised.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final, NamedTuple

SYNC_WAVE: Final = "argocd.argoproj.io/sync-wave"
HOOK: Final = "argocd.argoproj.io/hook"
HOOK_DELETE_POLICY: Final = "argocd.argoproj.io/hook-delete-policy"
SYNC_OPTIONS: Final = "argocd.argoproj.io/sync-options"
HELM_HOOK: Final = "helm.sh/hook"
HELM_HOOK_WEIGHT: Final = "helm.sh/hook-weight"
HELM_HOOK_DELETE_POLICY: Final = "helm.sh/hook-delete-policy"

# Go's int is 64 bits on every platform Argo CD ships for.
_INT_MIN: Final = -(2**63)
_INT_MAX: Final = 2**63 - 1
# strconv.Atoi with base 10: an optional sign and ASCII decimal digits, nothing else
# (no spaces, no "0x", no "_" separators, no decimal point).
_ATOI = re.compile(r"[+-]?[0-9]+", re.ASCII)

# Argo CD hook types (argocd.argoproj.io/hook).  PreDelete/PostDelete run when the
# Application is deleted, never during a sync.
SYNC_HOOK_TYPES: Final = ("PreSync", "Sync", "PostSync", "SyncFail")
DELETE_HOOK_TYPES: Final = ("PreDelete", "PostDelete")
ARGO_HOOK_TYPES: Final = frozenset((*SYNC_HOOK_TYPES, "Skip", *DELETE_HOOK_TYPES))

# Helm hook types Argo CD maps onto its own (the rest are valid Helm but ignored by Argo CD).
HELM_HOOK_MAP: Final[Mapping[str, str]] = {
    "pre-install": "PreSync",
    "pre-upgrade": "PreSync",
    "post-install": "PostSync",
    "post-upgrade": "PostSync",
    "pre-delete": "PreDelete",
    "post-delete": "PostDelete",
}
# Every hook type Helm itself accepts (Helm 3, plus Helm 2's test-success/test-failure
# and crd-install, which Argo CD treats as a plain resource).
HELM_HOOK_TYPES: Final = frozenset(
    (*HELM_HOOK_MAP, "pre-rollback", "post-rollback", "test", "test-success", "test-failure", "crd-install")
)

ARGO_DELETE_POLICIES: Final = frozenset({"HookSucceeded", "HookFailed", "BeforeHookCreation", "Never"})
HELM_DELETE_POLICIES: Final = frozenset({"hook-succeeded", "hook-failed", "before-hook-creation"})


def atoi(text: str) -> int | None:
    """Go's ``strconv.Atoi``: the integer, or None where Go returns an error."""
    if not _ATOI.fullmatch(text):
        return None
    value = int(text)
    return value if _INT_MIN <= value <= _INT_MAX else None


def csv(value: str) -> list[str]:
    """A comma-separated annotation as Argo CD splits it: trimmed, no empties, no repeats."""
    out: list[str] = []
    for item in value.split(","):
        item = item.strip()
        if item and item not in out:
            out.append(item)
    return out


def annotations_of(manifest: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = manifest.get("metadata")
    ann = meta.get("annotations") if isinstance(meta, dict) else None
    return ann if isinstance(ann, dict) else {}


def _text(ann: Mapping[str, Any], key: str) -> str | None:
    """An annotation's text; YAML integers (an unquoted ``sync-wave: 1``) read as their digits.

    Kubernetes rejects non-string annotation values (the schema rules report that);
    reading them leniently keeps the order sensible meanwhile.
    """
    value = ann.get(key)
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def wave(manifest: Mapping[str, Any]) -> int:
    """The sync wave Argo CD gives an object (before any dependency adjustment)."""
    ann = annotations_of(manifest)
    for key in (SYNC_WAVE, HELM_HOOK_WEIGHT):
        text = _text(ann, key)
        if text is not None:
            value = atoi(text)
            if value is not None:
                return value
    return 0


class HookInfo(NamedTuple):
    """How Argo CD classifies an object: a plain resource, a hook, or skipped."""

    is_hook: bool
    # Recognised hook types, Argo CD names (Helm types already mapped), in written order.
    types: tuple[str, ...]

    @property
    def skip(self) -> bool:
        # "Skip" only skips when it is the only hook type given.
        return self.types == ("Skip",)

    @property
    def sync_phases(self) -> tuple[str, ...]:
        """The sync phases the object is applied in; empty when it is never applied by a sync."""
        if self.skip:
            return ()
        if not self.is_hook:
            return ("Sync",)
        return tuple(p for p in SYNC_HOOK_TYPES if p in self.types)

    @property
    def delete_hooks(self) -> tuple[str, ...]:
        return tuple(t for t in DELETE_HOOK_TYPES if t in self.types) if self.is_hook else ()


def hook_info(manifest: Mapping[str, Any]) -> HookInfo:
    ann = annotations_of(manifest)
    argo = _text(ann, HOOK)
    helm = _text(ann, HELM_HOOK)
    types = [t for t in csv(argo) if t in ARGO_HOOK_TYPES] if argo is not None else []
    if not types and helm is not None:
        # Argo CD reads Helm hooks only when no Argo CD hook type was recognised.
        types = [HELM_HOOK_MAP[t] for t in csv(helm) if t in HELM_HOOK_MAP]
        types = list(dict.fromkeys(types))
    # An Argo CD hook annotation makes a hook of anything not skipped; a Helm one of anything
    # but crd-install (Helm installs CRDs first with it; Argo CD treats them as plain resources).
    is_hook = types != ["Skip"] if HOOK in ann else HELM_HOOK in ann and ann.get(HELM_HOOK) != "crd-install"
    return HookInfo(is_hook, tuple(types))


# --- sync options -------------------------------------------------------------------------

# Where an option takes effect: on a resource (the annotation), on an Application
# (spec.syncPolicy.syncOptions), or both.  Values are case-exact: Argo CD compares strings.
RESOURCE: Final = "resource"
APPLICATION: Final = "application"
_BOTH: Final = frozenset({RESOURCE, APPLICATION})
_APP: Final = frozenset({APPLICATION})

KNOWN_SYNC_OPTIONS: Final[Mapping[str, frozenset[str]]] = {
    "Prune=false": _BOTH,
    "Prune=confirm": _BOTH,
    "Delete=false": _BOTH,
    "Delete=confirm": _BOTH,
    "Validate=false": _BOTH,
    "SkipDryRunOnMissingResource=true": _BOTH,
    "Replace=true": _BOTH,
    "Replace=false": _BOTH,
    "Force=true": _BOTH,
    "ServerSideApply=true": _BOTH,
    "ServerSideApply=false": _BOTH,
    "ApplyOutOfSyncOnly=true": _BOTH,
    "ApplyOutOfSyncOnly=false": _BOTH,
    "PruneLast=true": _BOTH,
    "RespectIgnoreDifferences=true": _BOTH,
    "RespectIgnoreDifferences=false": _BOTH,
    "ClientSideApplyMigration=true": _APP,
    "ClientSideApplyMigration=false": _APP,
    "CreateNamespace=true": _APP,
    "FailOnSharedResource=true": _APP,
    "PrunePropagationPolicy=foreground": _APP,
    "PrunePropagationPolicy=background": _APP,
    "PrunePropagationPolicy=orphan": _APP,
}
# Explicit defaults: Argo CD does not look for them, but writing them changes nothing and
# says what the author means, so they are not reported.
DEFAULT_SYNC_OPTIONS: Final = frozenset(
    {
        "Prune=true",
        "Delete=true",
        "Validate=true",
        "SkipDryRunOnMissingResource=false",
        "Force=false",
        "PruneLast=false",
        "CreateNamespace=false",
        "FailOnSharedResource=false",
    }
)


def sync_option_problem(option: str, where: str) -> str | None:
    """Why Argo CD ignores ``option`` written at ``where`` (RESOURCE or APPLICATION), or None.

    ``option`` is one item as Argo CD sees it (already trimmed for annotations).
    """
    scopes = KNOWN_SYNC_OPTIONS.get(option)
    if scopes is not None:
        if where in scopes:
            return None
        return (
            f"sync option {option!r} only takes effect in an Application's "
            "spec.syncPolicy.syncOptions, not as a resource annotation"
        )
    if option in DEFAULT_SYNC_OPTIONS:
        return None
    message = f"unknown sync option {option!r}, Argo CD ignores it"
    hint = suggest(option, [*KNOWN_SYNC_OPTIONS, *DEFAULT_SYNC_OPTIONS])
    return f"{message} (did you mean {hint!r}?)" if hint else message


def suggest(word: str, known: list[str] | frozenset[str]) -> str | None:
    """The nearest known spelling: case and spacing differences first, then edit distance."""
    import difflib  # lazily: only a misspelling needs it, and the hook starts on every commit

    squashed = re.sub(r"\s+", "", word).lower()
    for candidate in sorted(known):
        if candidate.lower() == squashed:
            return candidate
    close = difflib.get_close_matches(word, sorted(known), n=1, cutoff=0.6)
    if not close:
        lowered = {k.lower(): k for k in sorted(known)}
        close = [lowered[c] for c in difflib.get_close_matches(squashed, list(lowered), n=1, cutoff=0.6)]
    return close[0] if close else None
