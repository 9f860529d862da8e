"""Which keys of a SOPS-encrypted document SOPS left in plaintext, read from its metadata.

SOPS encrypts every value unless the file's ``sops:`` block (copied there from the
``.sops.yaml`` creation rule that encrypted it) narrows it down:
``encrypted_regex`` / ``encrypted_suffix`` encrypt only the matching keys (and
everything below them); ``unencrypted_regex`` / ``unencrypted_suffix`` leave the
matching keys (and everything below them) alone.  With none of them set, keys ending
in ``_unencrypted`` are left alone.  What is left in plaintext is committed as written,
so it is scanned like any other file; a value the rules say is encrypted is ciphertext.
A file whose metadata records no rule is read with the rule of the `.sops.yaml` creation
rule that matches its path (SOPS copies it into the metadata, older files may lack it).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

_DEFAULT_UNENCRYPTED_SUFFIX = "_unencrypted"


class SopsRules(NamedTuple):
    encrypted_regex: str | None = None
    unencrypted_regex: str | None = None
    encrypted_suffix: str | None = None
    unencrypted_suffix: str | None = None

    @classmethod
    def of(cls, document: Any, file: Path | None = None) -> SopsRules:
        """The rules recorded in the document's ``sops:`` metadata; when it records none, those
        of the ``.sops.yaml`` creation rule that matches ``file``, else SOPS' default."""
        meta = document.get("sops") if isinstance(document, dict) else None
        if not isinstance(meta, dict):
            return cls()
        rules = cls._from(meta)
        if rules == cls() and file is not None:
            rules = creation_rule(file) or rules
        return rules if rules != cls() else cls(unencrypted_suffix=_DEFAULT_UNENCRYPTED_SUFFIX)

    @classmethod
    def _from(cls, meta: dict[str, Any]) -> SopsRules:

        def text(name: str) -> str | None:
            value = meta.get(name)
            return value if isinstance(value, str) and value else None

        return cls(
            text("encrypted_regex"),
            text("unencrypted_regex"),
            text("encrypted_suffix"),
            text("unencrypted_suffix"),
        )

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


def creation_rule(file: Path) -> SopsRules | None:
    """The rules of the first ``.sops.yaml`` creation rule whose ``path_regex`` matches ``file``
    (the nearest ``.sops.yaml`` above it, as SOPS looks it up), or None."""
    for directory in file.parents:
        config = directory / ".sops.yaml"
        if config.is_file():
            relative = file.relative_to(directory).as_posix()
            for regex, rules in _creation_rules(config):
                try:
                    if regex is None or re.search(regex, relative) or re.search(regex, str(file)):
                        return rules
                except re.error:
                    continue
            return None
        if (directory / ".git").exists():
            return None
    return None


@cache
def _creation_rules(config: Path) -> tuple[tuple[str | None, SopsRules], ...]:
    # Only a SOPS file without rules of its own pays for reading the config; libyaml, as for
    # every other file (the pure-Python reader would compile what source/pyyaml.py defers).
    from gitops_guard.source.pyyaml import yaml

    try:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        data = yaml.load(config.read_text(encoding="utf-8"), Loader=loader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return ()
    entries = data.get("creation_rules") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        return ()
    out = []
    for entry in entries:
        if isinstance(entry, dict):
            regex = entry.get("path_regex")
            out.append((regex if isinstance(regex, str) else None, SopsRules._from(entry)))
    return tuple(out)
