"""Structured logs of the loop: one JSON object per line (``ts``, ``level``, ``event``, fields).

Every string field passes through :func:`clean` first: the user information of URLs is
removed (a token in a repository URL never reaches a log), and control characters are
escaped by JSON itself. Fields are the engine's own words — app names, revisions, counts,
statuses and error messages the cluster layer has already redacted — never an object's data.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from typing import Any, TextIO

from gitops_guard.sync.git_source import redact_url

LEVELS = ("debug", "info", "warning", "error")


def clean(value: Any) -> Any:
    if isinstance(value, str):
        return redact_url(value)
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return redact_url(str(value))


class JsonLog:
    """Thread-safe JSON-lines writer (stderr by default)."""

    def __init__(self, stream: TextIO | None = None, *, level: str = "info") -> None:
        self.stream = stream
        self.threshold = LEVELS.index(level)
        self._lock = threading.Lock()

    def __call__(self, level: str, event: str, **fields: Any) -> None:
        if LEVELS.index(level) < self.threshold:
            return
        now = time.time()
        record: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z",
            "level": level,
            "event": event,
        }
        record.update({k: clean(v) for k, v in fields.items() if v is not None})
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=str)
        stream = self.stream or sys.stderr
        with self._lock:
            stream.write(line + "\n")
            stream.flush()
