"""The one value type every check produces and every renderer consumes."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from gitops_guard.identity import ObjectKey


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 3, "warning": 2, "info": 1}[self.value]


class Outcome(enum.StrEnum):
    """Tells "checked and violates" apart from "could not check".

    A missing schema or a tool that could not run is never a pass: it is a
    finding whose outcome is ``NOT_CHECKED``.
    """

    VIOLATION = "violation"
    NOT_CHECKED = "not-checked"


class ObjectRef(NamedTuple):
    """A Kubernetes object as a report names it (with its apiVersion), orderable so reports
    sort stably; ``key`` is its cluster identity, :class:`gitops_guard.identity.ObjectKey`."""

    api_version: str
    kind: str
    namespace: str | None
    name: str | None

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0] if "/" in self.api_version else ""

    @property
    def key(self) -> ObjectKey:
        """The cluster identity (no version; ``""`` for a missing namespace or name)."""
        from gitops_guard.identity import ObjectKey  # not on the hook's path

        return ObjectKey(self.group, self.kind, self.namespace or "", self.name or "")

    @classmethod
    def of_key(cls, key: ObjectKey, api_version: str) -> ObjectRef:
        """The report's name for the object ``key`` identifies, served as ``api_version``."""
        return cls(api_version, key.kind, key.namespace or None, key.name or None)

    def to_json(self) -> dict[str, str | None]:
        return {
            "apiVersion": self.api_version,
            "kind": self.kind,
            "namespace": self.namespace,
            "name": self.name,
        }

    def __str__(self) -> str:
        ns = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind}/{ns}{self.name or '?'}"


class Finding(NamedTuple):
    """One result of a check. Immutable; derive a changed copy with ``_replace``."""

    rule: str
    severity: Severity
    path: str
    line: int | None
    column: int | None
    message: str
    object: ObjectRef | None = None
    outcome: Outcome = Outcome.VIOLATION
    # Stable identity for baselines: never includes the line number.  Checks
    # that know better (secrets hash the secret) pass their own key.  Not part of
    # equality: two findings that say the same thing at the same place are equal.
    fingerprint_key: str = ""

    # (``other: Any``: inside the class, ``object`` names the field above.)
    def __eq__(self, other: Any) -> bool:
        return isinstance(other, Finding) and tuple.__eq__(self[:-1], other[:-1])

    def __ne__(self, other: Any) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash(self[:-1])

    @property
    def fingerprint(self) -> str:
        import hashlib  # OpenSSL's start-up, paid only by reports that show fingerprints

        parts = [self.rule, self.path, str(self.object or ""), self.fingerprint_key or self.message]
        return "sha256:" + hashlib.sha256("\0".join(parts).encode("utf-8", "surrogateescape")).hexdigest()

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.path, self.line or 0, self.column or 0, self.rule, self.message)

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity.value,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "message": self.message,
            "object": self.object.to_json() if self.object else None,
            "outcome": self.outcome.value,
            "fingerprint": self.fingerprint,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Finding:
        """The finding a version-1 JSON report holds (``to_json``'s inverse, without the
        fingerprint key); KeyError, TypeError or ValueError when ``data`` is not one."""
        obj = data.get("object")
        ref = None
        if obj is not None:
            ref = ObjectRef(str(obj["apiVersion"]), str(obj["kind"]), obj.get("namespace"), obj.get("name"))

        def position(key: str) -> int | None:
            value = data.get(key)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                raise TypeError(f"{key} must be a number")
            return value

        return cls(
            rule=str(data["rule"]),
            severity=Severity(data["severity"]),
            path=str(data["path"] or ""),
            line=position("line"),
            column=position("column"),
            message=str(data["message"]),
            object=ref,
            outcome=Outcome(data.get("outcome") or Outcome.VIOLATION.value),
        )
