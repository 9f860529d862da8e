"""Errors of the cluster layer, as subclasses of the project's errors so the CLI maps them.

A cluster that cannot be reached, or that answers with an error, is an external program
failing: exit 3 (``ToolError``). A kubeconfig that is missing or malformed is the user's
configuration: exit 2 (``ConfigError``). Messages name the server, context and object, never a
credential, and never echo a value the API server quoted back (it can be a Secret's).
"""

from __future__ import annotations

import re
from typing import Any

from gitops_guard.errors import ConfigError, ToolError


class KubeconfigError(ConfigError):
    """The kubeconfig is missing, unreadable, or names a context/cluster/user it does not define."""


class ClusterError(ToolError):
    """The cluster could not do what was asked."""


class ClusterUnreachable(ClusterError):
    """No HTTP answer: connection refused, timeout, DNS or TLS failure."""


class UnknownKind(ClusterError):
    """The server does not serve this apiVersion/kind (e.g. its CRD is not installed yet)."""

    def __init__(self, api_version: str, kind: str, server: str) -> None:
        super().__init__(f"{server}: the server has no resource for {api_version} {kind}")
        self.api_version = api_version
        self.kind = kind


# The API server's field errors read `spec.x: Invalid value: <value>: <detail>` (the value
# quoted when it is a string) and `Duplicate value: <value>`; values are dropped because a
# rejected Secret would otherwise have its data printed.
_QUOTED_VALUE = re.compile(r'((?:Invalid|Duplicate|Unsupported) value): "(?:[^"\\]|\\.)*"')
_BARE_VALUE = re.compile(r"((?:Invalid|Duplicate|Unsupported) value): (?!\")[^:\n]*?(?=: |$)")


def redact(message: str) -> str:
    """``message`` with every value the server quoted back replaced by ``(value hidden)``."""
    message = _QUOTED_VALUE.sub(r"\1: (value hidden)", message)
    return _BARE_VALUE.sub(r"\1: (value hidden)", message)


class ApiError(ClusterError):
    """The API server answered with an error status (a ``Status`` object, usually).

    ``code`` is the HTTP status, ``reason`` the Status reason (``NotFound``, ``Invalid``,
    ``Conflict``, ``Forbidden``, ...), ``causes`` the field-level causes, all with values
    redacted.
    """

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        *,
        what: str,
        causes: tuple[dict[str, str], ...] = (),
    ) -> None:
        self.code = code
        self.reason = reason
        self.server_message = redact(message)
        self.causes = causes
        super().__init__(f"{what}: {code} {reason}: {self.server_message}")

    @classmethod
    def from_response(cls, code: int, body: bytes, *, what: str) -> ApiError:
        """Build from an error response; a body that is not a Status still gives a clear error."""
        import json

        reason = _DEFAULT_REASONS.get(code, "Error")
        message = ""
        causes: tuple[dict[str, str], ...] = ()
        try:
            status: Any = json.loads(body)
        except ValueError:
            status = None
        if isinstance(status, dict) and status.get("kind") == "Status":
            reason = str(status.get("reason") or reason)
            message = str(status.get("message") or "")
            details = status.get("details")
            if isinstance(details, dict) and isinstance(details.get("causes"), list):
                causes = tuple(
                    {
                        "field": str(c.get("field", "")),
                        "reason": str(c.get("reason", "")),
                        "message": redact(str(c.get("message", ""))),
                    }
                    for c in details["causes"]
                    if isinstance(c, dict)
                )
        else:
            # Not a Status (a proxy or load balancer answered): keep a short, printable excerpt.
            text = body[:200].decode("utf-8", "replace").strip()
            message = " ".join(text.split()) or "(empty response)"
        return cls(code, reason, message, what=what, causes=causes)

    @property
    def not_found(self) -> bool:
        return self.code == 404

    @property
    def conflict(self) -> bool:
        return self.code == 409

    @property
    def invalid(self) -> bool:
        return self.code == 422


_DEFAULT_REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    409: "Conflict",
    410: "Expired",
    415: "UnsupportedMediaType",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
    504: "Timeout",
}
