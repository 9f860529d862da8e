"""The format registry the CLI calls."""

from __future__ import annotations

import subprocess
import sys

import pytest

from gitops_guard.report import github, json_format, junit, markdown, sarif, text
from gitops_guard.report.formats import FORMATS, render
from gitops_guard.report.model import Report

MODULES = {
    "text": text,
    "json": json_format,
    "sarif": sarif,
    "github": github,
    "markdown": markdown,
    "junit": junit,
}


def test_registry_names_match_the_contract() -> None:
    assert list(FORMATS) == ["text", "json", "sarif", "github", "markdown", "junit"]


@pytest.mark.parametrize("fmt", list(MODULES))
def test_render_dispatches_to_the_format_module(fmt: str, sample_report: Report) -> None:
    assert render(sample_report, fmt) == MODULES[fmt].render(sample_report)
    assert FORMATS[fmt](sample_report) == MODULES[fmt].render(sample_report)


def test_color_reaches_the_text_renderer(sample_report: Report) -> None:
    assert "\033[" in render(sample_report, "text", color=True)
    assert "\033[" not in render(sample_report, "text")


@pytest.mark.parametrize("fmt", ["json", "sarif", "github", "markdown", "junit"])
def test_color_never_changes_machine_formats(fmt: str, sample_report: Report) -> None:
    assert render(sample_report, fmt, color=True) == render(sample_report, fmt)


def test_unknown_format_names_the_choices(sample_report: Report) -> None:
    with pytest.raises(ValueError, match=r"'yaml'.*text, json, sarif, github, markdown, junit"):
        render(sample_report, "yaml")


def test_renderer_modules_load_only_when_used() -> None:
    # A pre-commit run prints text; it should not pay for SARIF, XML or Markdown.
    probe = (
        "import sys\n"
        "from gitops_guard.report.formats import render\n"
        "from gitops_guard.report.model import Report\n"
        "loaded = lambda: sorted(m for m in sys.modules if m.startswith('gitops_guard.report.'))\n"
        "print(loaded())\n"
        "render(Report.build([], files=0, documents=0), 'text')\n"
        "print(loaded())\n"
        "print('xml.etree.ElementTree' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    before, after, xml_loaded = result.stdout.splitlines()
    assert before == "['gitops_guard.report.formats', 'gitops_guard.report.model']"
    assert after == "['gitops_guard.report.formats', 'gitops_guard.report.model', 'gitops_guard.report.text']"
    assert xml_loaded == "False"
