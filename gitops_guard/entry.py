"""The console entry point (``gitops-guard``, ``python -m gitops_guard``).

The pre-commit hook runs ``gitops-guard check FILE...`` on every commit, so that one
shape of command line — ``check`` followed by paths only, no option — is run here
without importing click (about a tenth of a one-file run's start-up). Anything else
(an option, another command, ``--help``, shell completion) goes to click in
``cli.py``, as does every error message about usage. Both paths run
``check_command.run`` and map exceptions to the same exit codes.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

_COMPLETION_VAR = "_GITOPS_GUARD_COMPLETE"  # click's shell-completion switch for prog "gitops-guard"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(argv) if argv is not None else sys.argv[1:]
    if _plain_check(args):
        return _check(args[1:])
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


def _echo(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _check(paths: list[str]) -> int:
    """``cli.main`` for the plain ``check``: same output, same exit codes, same last-resort line."""
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
