"""detect-secrets' inline allowlist comments, honoured so existing repositories keep working.

``pragma: allowlist secret`` on a line allows what is found on it;
``pragma: allowlist nextline secret`` allows the line below.  Only the lines of
actual findings are looked at (detect-secrets runs its allowlist regexes over
every line, the largest part of its run time).
"""

from __future__ import annotations

_SAME = "pragma: allowlist secret"
_NEXT = "pragma: allowlist nextline secret"


class Allowlist:
    def __init__(self, text: str) -> None:
        self._lines: list[str] | None = text.splitlines() if "pragma: allowlist" in text else None

    def allows(self, line: int | None) -> bool:
        if self._lines is None or line is None or not 1 <= line <= len(self._lines):
            return False
        if _SAME in self._lines[line - 1]:
            return True
        return line >= 2 and _NEXT in self._lines[line - 2]
