"""Credentials outside Secrets, masked before a diff shows them.

``mask_secrets`` hides the values of ``Secret`` objects.  A token in a ConfigMap, a
password in a HelmRelease's values or a private key in an annotation is found by the same
detectors as ``secrets/detected`` and masked the same way, wherever it appears in the
objects of one diff, so a diff (and the PR comment built from it) never carries it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gitops_guard.secrets.mask import Masker


def mask_credentials(objects: Iterable[dict[str, Any] | None], masker: Masker | None = None) -> None:
    """Replace, in place, every detected credential in the strings of ``objects``.

    ``masker``: the one that masked the Secrets of the same comparison, so a value masked
    in both places gets the same mask and different values never share one.
    """
    from gitops_guard.secrets.candidates import from_document
    from gitops_guard.secrets.detectors import detect
    from gitops_guard.secrets.mask import Masker, digest

    present = [o for o in objects if o is not None]
    found: set[str] = set()
    for obj in present:
        for candidate in from_document(obj):
            for detection in detect(candidate):
                found.update(_to_mask(candidate.committed, detection.secret, detection.label))
    found.discard("")
    if not found:
        return
    masker = masker or Masker()
    masks = {s: masker.mask(s) for s in sorted(found, key=digest)}
    # Longest first: a secret that contains another is replaced whole.
    ordered = sorted(masks, key=len, reverse=True)
    for obj in present:
        _replace(obj, ordered, masks)


# What a credential in running text ends at.
_TOKEN = r"[^\s\"'`=:,;<>()\[\]{}]*"


def _to_mask(value: str, matched: str, label: str) -> list[str]:
    """The text to hide: the whole value, or in a multi-line string the matched tokens.

    A detector may report only part of what it matched (a token's prefix), so a match in
    running text is widened to the whole token around it.
    """
    if "\n" not in value.strip() or "private key" in label.lower():
        return [value]
    if not matched:
        return []
    import re

    return [m.group(0) for m in re.finditer(_TOKEN + re.escape(matched) + _TOKEN, value)]


def _replace(root: dict[str, Any], ordered: list[str], masks: dict[str, str]) -> None:
    stack: list[Any] = [root]
    while stack:
        node = stack.pop()
        items: Iterable[tuple[Any, Any]]
        if isinstance(node, dict):
            items = list(node.items())
        elif isinstance(node, list):
            items = list(enumerate(node))
        else:
            continue
        for key, value in items:
            if isinstance(value, str):
                for secret in ordered:
                    if secret in value:
                        value = value.replace(secret, masks[secret])
                node[key] = value
            else:
                stack.append(value)
