"""Which keys of a SOPS-encrypted document SOPS left in plaintext, read from its metadata.

SOPS encrypts every value unless the file's ``sops:`` block (copied there from the
``.sops.yaml`` creation rule that encrypted it) narrows it down:
``encrypted_regex`` / ``encrypted_suffix`` encrypt only the matching keys (and
everything below them); ``unencrypted_regex`` / ``unencrypted_suffix`` leave the
matching keys (and everything below them) alone.  With none of them set, keys ending
in ``_unencrypted`` are left alone.  What is left in plaintext is committed as written,
so it is scanned like any other file; a value the rules say is encrypted is ciphertext.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

_DEFAULT_UNENCRYPTED_SUFFIX = "_unencrypted"


@dataclass(frozen=True)
class SopsRules:
    encrypted_regex: str | None = None
    unencrypted_regex: str | None = None
    encrypted_suffix: str | None = None
    unencrypted_suffix: str | None = None

    @classmethod
    def of(cls, document: Any) -> SopsRules:
        meta = document.get("sops") if isinstance(document, dict) else None
        if not isinstance(meta, dict):
            return cls()

        def text(name: str) -> str | None:
            value = meta.get(name)
            return value if isinstance(value, str) and value else None

        rules = cls(
            text("encrypted_regex"),
            text("unencrypted_regex"),
            text("encrypted_suffix"),
            text("unencrypted_suffix"),
        )
        if rules == cls():
            return cls(unencrypted_suffix=_DEFAULT_UNENCRYPTED_SUFFIX)
        return rules

    @property
    def selects_encrypted(self) -> bool:
        """Only matching keys are encrypted (the rest is plaintext)."""
        return self.encrypted_regex is not None or self.encrypted_suffix is not None

    def plaintext(self, path: Sequence[str | int]) -> bool:
        """Whether the value at ``path`` (below the document root) was left unencrypted."""
        for step in path:
            if not isinstance(step, str):
                continue
            if self.selects_encrypted:
                if self._matches(step, self.encrypted_regex, self.encrypted_suffix):
                    return False
            elif self._matches(step, self.unencrypted_regex, self.unencrypted_suffix):
                return True
        return self.selects_encrypted

    @staticmethod
    def _matches(key: str, regex: str | None, suffix: str | None) -> bool:
        if suffix is not None and key.endswith(suffix):
            return True
        if regex is None:
            return False
        try:
            return re.search(regex, key) is not None
        except re.error:
            return False
