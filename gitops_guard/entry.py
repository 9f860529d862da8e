"""The console entry point (``gitops-guard``, ``python -m gitops_guard``).

The pre-commit hook runs ``gitops-guard check FILE...`` on every commit, so that one
shape of command line — ``check`` followed by paths only, no option — is run here
without importing click (about a tenth of a one-file run's start-up). Anything else
(an option, another command, ``--help``, shell completion) goes to click in
``cli.py``, as does every error message about usage. Both paths run
``check_command.run`` and map exceptions to the same exit codes.

Run as the console script, that plain ``check`` also ends the process itself once its
report is written and the exit handlers have run (``_end_process``): the interpreter's
teardown, a full cyclic collection over every module and object the run created, is about
a tenth of a one-file run and does nothing a finished check needs.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

_COMPLETION_VAR = "_GITOPS_GUARD_COMPLETE"  # click's shell-completion switch for prog "gitops-guard"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(argv) if argv is not None else sys.argv[1:]
    if _plain_check(args):
        code = _check(args[1:])
        if argv is None:  # the console script or ``python -m``, not a caller in-process
            _end_process(code)
        return code
    from gitops_guard.cli import main as cli_main

    return cli_main(args)


def _plain_check(args: list[str]) -> bool:
    """``check`` and paths, nothing click would read differently (an option, ``--``)."""
    return (
        len(args) >= 1
        and args[0] == "check"
        and not any(arg.startswith("-") for arg in args[1:])
        and _COMPLETION_VAR not in os.environ
    )


def _end_process(code: int) -> None:
    """Exit now with ``code``, without the interpreter's teardown; return instead (for the
    usual exit) while another thread runs or when a standard stream cannot be flushed."""
    threading = sys.modules.get("threading")
    if threading is not None and threading.active_count() > 1:
        return
    import atexit

    atexit._run_exitfuncs()  # what the teardown runs first (temporary-file cleanup, say)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (AttributeError, OSError, ValueError):
        return  # no stream, or a closed pipe: the usual exit reports it as Python does
    os._exit(code)


def _echo(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _check(paths: list[str]) -> int:
    """``cli.main`` for the plain ``check``: same output, same exit codes, same last-resort line."""
    import gc

    gc.disable()  # before the imports: see check_command.run
    from gitops_guard.deferred_imports import Deferred, import_with

    # What pathlib imports; ipaddress is only for IPv6 hosts in URLs.
    import_with("urllib.parse", {"ipaddress": Deferred})
    from gitops_guard.errors import ExitCode, GuardError, exit_code_for

    try:
        from gitops_guard.check_command import run

        return int(run(paths, echo=_echo))
    except GuardError as exc:
        print(f"gitops-guard: error: {exc}", file=sys.stderr)
        return int(exit_code_for(exc))
    except (EOFError, KeyboardInterrupt):
        # What click does with an interrupt in a command: a blank line, then our "aborted".
        print(file=sys.stderr)
        print("aborted", file=sys.stderr)
        return int(ExitCode.USAGE)
    except Exception as exc:  # the last resort: a clear line, never a traceback
        if os.environ.get("GITOPS_GUARD_DEBUG"):
            raise
        print(f"gitops-guard: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return int(ExitCode.INTERNAL)
