"""Object names derived from free text (app names, shard keys)."""

from __future__ import annotations

import hashlib
import re


def derived_name(prefix: str, key: str, *, fallback: str) -> str:
    """``prefix-slug-digest``: readable, valid as a Kubernetes name, and distinct for keys
    that sanitise alike (``fallback`` is the slug of a key with no usable character)."""
    slug = re.sub(r"[^a-z0-9-]+", "-", key.lower()).strip("-")[:200] or fallback
    digest = hashlib.sha256(key.encode()).hexdigest()[:8]
    return f"{prefix}-{slug}-{digest}"
