"""A one-line progress display for long runs: files parsed, roots rendered, check running.

Shown only on a terminal (stderr is a TTY, ``TERM`` is not ``dumb``) and only once a run
has taken more than a second, so the pre-commit hook's one-file run never shows it. There
is no timer thread: the pipeline reports at its stage boundaries (files parsed, each root
rendered, each check started) and each report costs one clock read until the second has
passed. The line is rewritten in place (``\\r``, erase to end of line) and erased by
:meth:`Progress.clear`, which the command calls before it writes the report, so the
report never shares a line with it even when stdout and stderr are the same terminal.

Library code receives a :class:`Progress` and never writes itself; only the command
creates one with a stream.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    import threading

# A run shorter than this shows nothing.
DELAY = 1.0
_ERASE = "\r\x1b[K"


class Progress:
    """Counts of a run's stages, drawn on ``stream`` once ``delay`` seconds have passed.

    ``stream=None`` (or a stream that is not a terminal, see :meth:`for_stderr`) makes every
    method a no-op, which is what library callers and tests that pass nothing get.
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        delay: float = DELAY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stream = stream
        self._clock = clock
        self._due = clock() + delay
        self._shown = False
        self._files = 0
        self._parsing = 0
        self._roots = (0, 0)
        self._check = ""
        # Roots are rendered on a thread pool; the counts and the line are updated from it.
        # (A run without a terminal, such as the hook's, does not import threading for it.)
        self._lock: threading.Lock | None = None
        if stream is not None:
            import threading

            self._lock = threading.Lock()

    @classmethod
    def for_stderr(cls) -> Progress:
        """Drawn on stderr when it is a terminal; a no-op otherwise (a pipe, a file, CI logs)."""
        stream = sys.stderr
        try:
            terminal = stream is not None and stream.isatty()
        except (AttributeError, ValueError):
            terminal = False
        if not terminal or os.environ.get("TERM") == "dumb":
            return cls(None)
        return cls(stream)

    @property
    def shown(self) -> bool:
        """Whether a line has been drawn (and not yet cleared)."""
        return self._shown

    def parsing(self, files: int) -> None:
        self._update(parsing=files)

    def parsed(self, files: int) -> None:
        self._update(files=files, parsing=0)

    def rendering(self, done: int, total: int) -> None:
        self._update(roots=(done, total))

    def checking(self, name: str) -> None:
        self._update(check=name)

    def clear(self) -> None:
        """Erase the line, if one was drawn; later updates may draw it again."""
        if self._stream is None or self._lock is None:
            return
        with self._lock:
            if self._shown:
                self._write(_ERASE)
                self._shown = False

    def _update(
        self,
        *,
        files: int | None = None,
        parsing: int | None = None,
        roots: tuple[int, int] | None = None,
        check: str | None = None,
    ) -> None:
        if self._stream is None or self._lock is None:
            return
        with self._lock:
            if files is not None:
                self._files = files
            if parsing is not None:
                self._parsing = parsing
            if roots is not None:
                self._roots = roots
            if check is not None:
                self._check = check
            if not self._shown and self._clock() < self._due:
                return
            self._shown = True
            self._write(_ERASE + self.line())

    def line(self) -> str:
        parts = []
        if self._parsing:
            parts.append(f"parsing {self._parsing} files")
        else:
            parts.append(f"{self._files} {'file' if self._files == 1 else 'files'} parsed")
        done, total = self._roots
        if total:
            parts.append(f"{done}/{total} roots rendered")
        if self._check:
            parts.append(f"checking {self._check}")
        return "gitops-guard: " + ", ".join(parts)

    def _write(self, text: str) -> None:
        assert self._stream is not None
        try:
            self._stream.write(text)
            self._stream.flush()
        except (OSError, ValueError):
            self._stream = None  # the terminal went away: stop drawing, never fail the run
