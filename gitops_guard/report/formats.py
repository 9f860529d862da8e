"""The registry of output formats: name -> renderer.

Each entry is a tiny function that imports its renderer module on first use.
The tool runs as a pre-commit hook on every commit, so a text run should not
pay for building SARIF or XML; keeping the imports inside the functions also
keeps the registry explicit (grep ``FORMATS``) without scanning the package.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from gitops_guard.report.model import Report


class Renderer(Protocol):
    def __call__(self, report: Report, *, color: bool = False) -> str: ...


def _text(report: Report, *, color: bool = False) -> str:
    from gitops_guard.report import text

    return text.render(report, color=color)


def _json(report: Report, *, color: bool = False) -> str:
    from gitops_guard.report import json_format

    return json_format.render(report, color=color)


def _sarif(report: Report, *, color: bool = False) -> str:
    from gitops_guard.report import sarif

    return sarif.render(report, color=color)


def _github(report: Report, *, color: bool = False) -> str:
    from gitops_guard.report import github

    return github.render(report, color=color)


def _markdown(report: Report, *, color: bool = False) -> str:
    from gitops_guard.report import markdown

    return markdown.render(report, color=color)


def _junit(report: Report, *, color: bool = False) -> str:
    from gitops_guard.report import junit

    return junit.render(report, color=color)


FORMATS: dict[str, Renderer] = {
    "text": _text,
    "json": _json,
    "sarif": _sarif,
    "github": _github,
    "markdown": _markdown,
    "junit": _junit,
}


def render(report: Report, fmt: str, *, color: bool = False) -> str:
    """Render ``report`` as ``fmt``; ``color`` only affects formats meant for a terminal."""
    try:
        renderer = FORMATS[fmt]
    except KeyError:
        raise ValueError(f"unknown report format {fmt!r} (choose from {', '.join(FORMATS)})") from None
    return renderer(report, color=color)
