"""Every format, byte for byte, against a reviewed golden file (UPDATE_GOLDEN=1 to regenerate)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from gitops_guard.report.formats import FORMATS, render
from gitops_guard.report.model import Report

EXTENSIONS = {
    "text": "txt",
    "json": "json",
    "sarif": "sarif",
    "github": "github.txt",
    "markdown": "md",
    "junit": "junit.xml",
}


def test_every_format_has_a_golden_extension() -> None:
    assert set(EXTENSIONS) == set(FORMATS)


@pytest.mark.parametrize("fmt", list(EXTENSIONS))
def test_sample_report(fmt: str, sample_report: Report, golden: Callable[[str, str], None]) -> None:
    golden(f"sample.{EXTENSIONS[fmt]}", render(sample_report, fmt))


@pytest.mark.parametrize("fmt", list(EXTENSIONS))
def test_empty_report(fmt: str, empty_report: Report, golden: Callable[[str, str], None]) -> None:
    golden(f"empty.{EXTENSIONS[fmt]}", render(empty_report, fmt))


def test_sample_report_text_in_color(sample_report: Report, golden: Callable[[str, str], None]) -> None:
    golden("sample.color.txt", render(sample_report, "text", color=True))
