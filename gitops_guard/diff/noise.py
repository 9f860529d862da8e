"""Noise control for diffs: fields that change on every chart bump or certificate rotation.

A Helm chart stamps its version into ``helm.sh/chart`` (and usually its app version into
``app.kubernetes.io/version``) on every object, templates put ``checksum/*`` hashes on pod
templates, and webhooks and APIServices carry a ``caBundle`` that cert-manager or the
chart regenerates.  In a review diff they bury the change that matters, so by default they
are left out of both sides before the diff; ``diff.hide`` in ``.gitops-guard.yaml``
chooses which (``[]`` shows everything).  Only what is shown changes: an object whose only
difference is hidden noise is not listed as updated.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

HELM_CHART_LABELS = "helm-chart-labels"
CHECKSUM_ANNOTATIONS = "checksum-annotations"
CA_BUNDLES = "ca-bundles"
CATEGORIES = (HELM_CHART_LABELS, CHECKSUM_ANNOTATIONS, CA_BUNDLES)
DEFAULT_HIDE: tuple[str, ...] = CATEGORIES

_CHART_LABELS = ("helm.sh/chart", "app.kubernetes.io/version")


def strip(obj: dict[str, Any] | None, hide: Iterable[str] = DEFAULT_HIDE) -> None:
    """Remove the hidden categories from ``obj`` in place (every ``metadata``, nested too)."""
    if obj is None:
        return
    categories = frozenset(hide)
    if not categories:
        return
    stack: list[Any] = [obj]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            meta = node.get("metadata")
            if isinstance(meta, dict):
                _strip_metadata(meta, categories)
            if CA_BUNDLES in categories and isinstance(node.get("caBundle"), str):
                del node["caBundle"]
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def _strip_metadata(meta: dict[str, Any], categories: frozenset[str]) -> None:
    labels = meta.get("labels")
    if HELM_CHART_LABELS in categories and isinstance(labels, dict):
        for key in _CHART_LABELS:
            labels.pop(key, None)
        if not labels:
            del meta["labels"]
    annotations = meta.get("annotations")
    if CHECKSUM_ANNOTATIONS in categories and isinstance(annotations, dict):
        for key in [k for k in annotations if isinstance(k, str) and k.startswith("checksum/")]:
            del annotations[key]
        if not annotations:
            del meta["annotations"]
