"""The progress line of long runs: on a terminal's stderr only, only after a second, erased
before the report. The end-to-end tests run the real command with stderr on a pseudo-terminal."""

from __future__ import annotations

import io
import json
import os
import pty
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from gitops_guard.progress import DELAY, Progress
from tests.conftest import REPO_ROOT, require_tool

ERASE = "\r\x1b[K"
# Large enough that a whole-repository check takes well over a second on one core (900 files
# took 1.4 s on the 2-core reference machine).
FILES = 1500


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_nothing_is_drawn_before_the_delay_and_everything_after() -> None:
    clock, out = _Clock(), _Terminal()
    progress = Progress(out, delay=1.0, clock=clock)
    progress.parsing(500)
    progress.parsed(500)
    clock.now = 0.99
    progress.checking("yaml")
    assert out.getvalue() == "" and not progress.shown
    clock.now = 1.01
    progress.rendering(1, 4)
    assert out.getvalue() == ERASE + "gitops-guard: 500 files parsed, 1/4 roots rendered, checking yaml"
    progress.checking("schema")  # once shown, every stage redraws the line in place
    assert out.getvalue().endswith(
        ERASE + "gitops-guard: 500 files parsed, 1/4 roots rendered, checking schema"
    )
    progress.clear()
    assert out.getvalue().endswith(ERASE) and not progress.shown
    progress.clear()  # erasing twice writes nothing more
    assert out.getvalue().count(ERASE) == 3


def test_clear_writes_nothing_when_nothing_was_drawn() -> None:
    out = _Terminal()
    progress = Progress(out, delay=1.0, clock=_Clock())
    progress.parsed(1)
    progress.clear()
    assert out.getvalue() == ""


def test_parsing_is_shown_until_the_files_are_parsed() -> None:
    out = _Terminal()
    progress = Progress(out, delay=0.0, clock=_Clock())
    progress.parsing(3)
    assert out.getvalue() == ERASE + "gitops-guard: parsing 3 files"
    progress.parsed(1)
    assert out.getvalue().endswith(ERASE + "gitops-guard: 1 file parsed")


def test_without_a_stream_every_call_is_a_no_op() -> None:
    progress = Progress(None, delay=0.0)
    progress.parsing(3)
    progress.rendering(1, 1)
    progress.clear()
    assert not progress.shown


@pytest.mark.parametrize(
    ("tty", "term", "drawn"), [(True, "xterm", True), (True, "dumb", False), (False, "xterm", False)]
)
def test_for_stderr_draws_only_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch, tty: bool, term: str, drawn: bool
) -> None:
    stream = _Terminal() if tty else io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    monkeypatch.setenv("TERM", term)
    progress = Progress.for_stderr()
    progress._due = 0.0  # as if the first second had passed
    progress.parsed(2)
    assert (stream.getvalue() != "") is drawn


# -- the real command ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def big_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("progress")
    subprocess.run(
        [sys.executable, str(REPO_ROOT / "bench" / "gen_repo.py"), str(FILES), str(root)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    # Two kustomize roots, so the line has roots to count.
    for namespace in sorted(p.name for p in (root / "apps").iterdir())[:2]:
        files = sorted(p.name for p in (root / "apps" / namespace).glob("*.yaml"))[:3]
        (root / "apps" / namespace / "kustomization.yaml").write_text(
            "resources:\n" + "".join(f"  - {name}\n" for name in files), encoding="utf-8"
        )
    return root


def _env() -> dict[str, str]:
    # One process: no parse workers, so the run is long and stderr has one writer.
    return {**os.environ, "GITOPS_GUARD_JOBS": "1", "TERM": "xterm", "NO_COLOR": "1"}


def _run_on_terminal(cwd: Path, *args: str) -> tuple[int, str, str, float]:
    """Run the command with stderr on a pseudo-terminal; returns (code, stdout, stderr, seconds)."""
    master, slave = pty.openpty()
    chunks: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the last writer closed the terminal
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    start = time.monotonic()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "gitops_guard", *args],
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=slave,
            env=_env(),
            timeout=600,
            check=False,
        )
    finally:
        elapsed = time.monotonic() - start
        os.close(slave)
    reader.join(timeout=10)
    os.close(master)
    return proc.returncode, proc.stdout.decode(), b"".join(chunks).decode(), elapsed


def test_a_long_run_on_a_terminal_shows_progress_and_erases_it(big_repo: Path) -> None:
    require_tool("kustomize")
    code, out, err, elapsed = _run_on_terminal(big_repo, "check", "--format", "json", ".")
    assert elapsed > DELAY, f"the run took {elapsed:.2f} s: too short to test the progress line"
    assert code == 0, (out, err)
    assert f"gitops-guard: {FILES + 2} files parsed" in err  # and the two kustomizations
    assert "2/2 roots rendered" in err
    # The stage at work when the line first shows (parsing and checking are fast: which check
    # that is depends on the machine).
    assert re.search(r"checking [a-z-]+", err)
    assert err.startswith(ERASE) and err.endswith(ERASE)  # drawn in place, erased at the end
    assert "\n" not in err
    # The machine format on stdout is untouched.
    assert json.loads(out)["summary"]["files"] == FILES + 2
    assert "gitops-guard:" not in out and "\r" not in out


def test_a_long_run_with_stderr_on_a_pipe_shows_nothing(big_repo: Path) -> None:
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "gitops_guard", "check", "--no-render", "."],
        cwd=big_repo,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=_env(),
        timeout=600,
        check=False,
    )
    assert time.monotonic() - start > DELAY  # long enough that a terminal would show it
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stderr == ""
    assert f"in {FILES + 2} files" in proc.stdout and "\r" not in proc.stdout


def test_a_short_run_on_a_terminal_shows_nothing(tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: b}\ndata: {k: v}\n", encoding="utf-8"
    )
    code, out, err, elapsed = _run_on_terminal(tmp_path, "check", "app.yaml")
    assert code == 0, out
    assert elapsed < 1.0 or "gitops-guard:" in err  # a loaded machine may pass the second
    if elapsed < 1.0:
        assert err == ""
    assert "1 file (1 document)" in out
