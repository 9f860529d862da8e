"""Exceptions the library raises, and the ONE place that maps them to exit codes."""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    OK = 0
    FINDINGS = 1
    USAGE = 2
    INTERNAL = 3


class GuardError(Exception):
    """Base class of the errors users can act on; never shown as a traceback."""

    exit_code = ExitCode.INTERNAL


class ConfigError(GuardError):
    """Bad configuration file, option value or missing input path."""

    exit_code = ExitCode.USAGE


class ToolError(GuardError):
    """An external program (kubeconform, kustomize, git) is missing or failed."""

    exit_code = ExitCode.INTERNAL


def exit_code_for(exc: BaseException) -> ExitCode:
    if isinstance(exc, GuardError):
        return exc.exit_code
    return ExitCode.INTERNAL
