"""Semantic-version constraints as Flux reads ``GitRepository.spec.ref.semver``.

Flux uses the Go library Masterminds/semver (v3); its constraint language is not npm's or
Python's, and no Python library implements it, so the grammar is written here; versions
themselves are parsed and ordered by the ``semver`` package. The language:

- ``||`` separates alternatives; within one, comparisons separated by commas or spaces must
  all hold; ``A - B`` is ``>=A, <=B``.
- operators ``=`` (or none), ``!=``, ``>``, ``<``, ``>=``, ``<=`` (also ``=>``, ``=<``), ``~``
  (``~>``) and ``^``; ``x``, ``X`` or ``*`` in a part is a wildcard: ``1.2.x`` is
  ``>=1.2.0, <1.3.0``, ``>1.x`` is ``>=2.0.0``, ``<=1.2.x`` is ``<1.3.0``, ``*`` any version.
- ``~1.2.3`` is ``>=1.2.3, <1.3.0``; ``~1`` and ``~1.x`` are ``>=1, <2``; ``^1.2.3`` is
  ``>=1.2.3, <2.0.0``, ``^0.2.3`` is ``>=0.2.3, <0.3.0``, ``^0.0.3`` is ``>=0.0.3, <0.0.4``,
  ``^0`` is ``<1.0.0`` (in ``~`` and ``^`` an omitted part counts as a wildcard).
- a pre-release version passes a comparison only if that comparison names a pre-release
  (``>=1.0.0-0, <2.0.0`` allows no pre-release: its second half names none).
- versions may start with ``v`` and omit minor and patch (``v1.2`` is 1.2.0), as tags do.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import semver

from gitops_guard.errors import ConfigError

Version = semver.Version

_PART = r"(?:0|[1-9]\d*|[xX*])"
_VERSION = rf"v?{_PART}(?:\.{_PART})?(?:\.{_PART})?(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?"
_OPS = r"!=|>=|=>|<=|=<|~>|>|<|=|~|\^"
_COMPARISON = re.compile(rf"\s*({_OPS})?\s*({_VERSION})\s*(?:,|\s|$)")
_HYPHEN = re.compile(rf"\s*({_VERSION})\s+-\s+({_VERSION})\s*")
_LENIENT = re.compile(r"v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+([0-9A-Za-z.-]+))?")


def parse_version(text: str) -> Version | None:
    """A tag read as a version (``v`` prefix and omitted parts allowed); None if it is not one."""
    match = _LENIENT.fullmatch(text.strip())
    if match is None:
        return None
    major, minor, patch, pre, build = match.groups()
    try:
        return Version(int(major), int(minor or 0), int(patch or 0), pre, build)
    except ValueError:
        return None


@dataclass(frozen=True)
class _Bound:
    """A constraint version: the parts given (None = wildcard or omitted) and the pre-release."""

    parts: tuple[int | None, int | None, int | None]
    prerelease: str | None
    explicit: int  # how many parts were written, wildcards included

    @property
    def floor(self) -> Version:
        major, minor, patch = (p or 0 for p in self.parts)
        return Version(major, minor, patch, self.prerelease)

    def ceiling(self, *, omitted_is_wildcard: bool) -> Version | None:
        """The first version past this wildcard (``1.2.x`` → 1.3.0); None when nothing is wild."""
        major, minor, patch = self.parts
        if major is None:
            return None  # `*`: no ceiling at all
        if minor is None or (omitted_is_wildcard and self.explicit < 2):
            return Version(major + 1, 0, 0)
        if patch is None or (omitted_is_wildcard and self.explicit < 3):
            return Version(major, minor + 1, 0)
        return None

    @property
    def wild(self) -> bool:
        return None in self.parts


Check = Callable[[Version], bool]


def _bound(text: str) -> _Bound:
    text = text[1:] if text[:1] in "vV" else text
    core, _, _build = text.partition("+")
    core, dash, pre = core.partition("-")
    raw = core.split(".")
    parts: list[int | None] = [None if p in ("x", "X", "*") else int(p) for p in raw]
    # Everything after a wildcard is a wildcard too (`1.x.3` means `1.x`).
    for i, part in enumerate(parts):
        if part is None:
            parts[i:] = [None] * (len(parts) - i)
            break
    explicit = len(parts)
    if explicit < 3:
        parts += [None if (parts and parts[-1] is None) else 0] * (3 - explicit)
    major, minor, patch = parts
    return _Bound((major, minor, patch), pre if dash else None, explicit)


def _comparison(op: str, bound: _Bound) -> Check:
    floor = bound.floor
    ceiling = bound.ceiling(omitted_is_wildcard=False)
    if op in ("", "="):
        if bound.parts[0] is None:
            return lambda v: True
        if ceiling is not None:
            top = ceiling
            return lambda v: floor <= v < top
        return lambda v: v == floor
    if op == "!=":
        if bound.parts[0] is None:
            return lambda v: False
        if ceiling is not None:
            top = ceiling
            return lambda v: not floor <= v < top
        return lambda v: v != floor
    if op == ">":
        if ceiling is not None:
            top = ceiling
            return lambda v: v >= top
        return lambda v: v > floor
    if op in (">=", "=>"):
        return lambda v: v >= floor
    if op == "<":
        return lambda v: v < floor
    if op in ("<=", "=<"):
        if bound.parts[0] is None:
            return lambda v: True
        if ceiling is not None:
            top = ceiling
            return lambda v: v < top
        return lambda v: v <= floor
    if op in ("~", "~>"):
        wild = bound.ceiling(omitted_is_wildcard=True)
        # ~1.2.3: the minor version is fixed
        tilde = wild if wild is not None else Version(floor.major, floor.minor + 1, 0)
        return lambda v: floor <= v < tilde
    # ^: the left-most non-zero part is fixed
    major, minor, patch = bound.parts
    if major is None:
        return lambda v: True
    if major > 0 or minor is None or bound.explicit < 2:
        caret = Version(major + 1, 0, 0)
    elif minor > 0 or patch is None or bound.explicit < 3:
        caret = Version(0, minor + 1, 0)
    else:
        caret = Version(0, 0, (patch or 0) + 1)
    return lambda v: floor <= v < caret


@dataclass(frozen=True)
class _Comparison:
    check: Check
    allows_prerelease: bool


class Constraint:
    """A parsed constraint; :meth:`allows` tests a version, :meth:`best` picks the highest tag."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._alternatives: list[list[_Comparison]] = []
        for alternative in text.split("||"):
            self._alternatives.append(self._parse(alternative))

    def _parse(self, text: str) -> list[_Comparison]:
        hyphen = _HYPHEN.fullmatch(text)
        if hyphen is not None:
            pairs = [(">=", hyphen.group(1)), ("<=", hyphen.group(2))]
        else:
            pairs, pos, text = [], 0, text.strip()
            while pos < len(text):
                match = _COMPARISON.match(text, pos)
                if match is None or match.end() == pos:
                    raise ConfigError(f"invalid semver constraint {self.text!r} (at {text[pos:]!r})")
                pairs.append((match.group(1) or "", match.group(2)))
                pos = match.end()
                while pos < len(text) and text[pos] in ", ":
                    pos += 1
        if not pairs:
            raise ConfigError(f"invalid semver constraint {self.text!r} (an empty alternative)")
        out = []
        for op, raw in pairs:
            bound = _bound(raw)
            out.append(_Comparison(_comparison(op, bound), bound.prerelease is not None))
        return out

    def allows(self, version: Version) -> bool:
        for alternative in self._alternatives:
            if all(c.check(version) and (c.allows_prerelease or not version.prerelease) for c in alternative):
                return True
        return False

    def best(self, tags: Iterable[str]) -> str | None:
        """The tag with the highest allowed version (ties: the longest name, then the last)."""
        best: tuple[Version, str] | None = None
        for tag in tags:
            version = parse_version(tag)
            if version is None or not self.allows(version):
                continue
            if best is None or (version, len(tag), tag) > (best[0], len(best[1]), best[1]):
                best = (version, tag)
        return None if best is None else best[1]
