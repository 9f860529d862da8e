"""Naming a secret without showing it.

Findings identify a secret by a digest so that a baseline recognises the same
secret after lines move, and a changed secret is a new finding.  ``Masker``
renders values the way Argo CD masks Secret data in diffs: a run of ``+`` whose
length depends on which distinct value it is, never on the value's length, so
two different values look different and nothing about either leaks.
"""

from __future__ import annotations


def digest(value: str | bytes) -> str:
    import hashlib  # OpenSSL's start-up (~2 ms), paid only when there is something to name

    raw = value.encode("utf-8", "surrogateescape") if isinstance(value, str) else value
    return hashlib.sha256(raw).hexdigest()


class Masker:
    """Distinct values get distinct masks, stable within one Masker."""

    BASE = 8

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}

    def mask(self, value: str | bytes) -> str:
        key = digest(value)
        index = self._seen.setdefault(key, len(self._seen))
        return "+" * (self.BASE + index)
