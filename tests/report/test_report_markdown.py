"""Markdown: summary table, findings table, and escaping of repository text."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from gitops_guard.findings import Finding, Severity
from gitops_guard.report.markdown import code, escape, render
from gitops_guard.report.model import Report

_CELL_SEPARATOR = re.compile(r"(?<!\\)\|")


def _cells(row: str) -> list[str]:
    return [cell.strip() for cell in _CELL_SEPARATOR.split(row)[1:-1]]


def test_summary_table_comes_from_report_summary(sample_report: Report) -> None:
    lines = render(sample_report).splitlines()
    assert lines[0] == "## gitops-guard report"
    header, _, values = lines[2:5]
    summary = dict(zip(_cells(header), _cells(values), strict=True))
    assert summary == {
        "Errors": "2",
        "Warnings": "3",
        "Info": "1",
        "Not checked": "1",
        "Files": "7",
        "Documents": "11",
    }


def test_one_row_of_five_cells_per_finding(sample_report: Report) -> None:
    lines = render(sample_report).splitlines()
    start = lines.index("| Severity | Rule | Location | Object | Message |")
    rows = lines[start + 2 :]
    assert len(rows) == len(sample_report.findings)
    assert all(len(_cells(row)) == 5 for row in rows)
    by_rule = {_cells(row)[1]: _cells(row) for row in rows}
    assert by_rule["`schema/missing`"][0] == "warning (not checked)"
    assert by_rule["`prune/overlapping-sources`"][2:4] == ["`clusters/prod/apps.yaml`", ""]
    assert by_rule["`schema/violation`"][2] == "`apps/api/deployment.yaml:7`"


def test_empty_report(empty_report: Report) -> None:
    output = render(empty_report)
    assert output.endswith("\nNo findings.\n")
    assert "| Severity |" not in output


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("plain", "plain"),
        ("a | b", "a \\| b"),
        ("line1\nline2\r\nline3", "line1<br>line2<br>line3"),
        ("<script>&amp;</script>", "\\<script\\>\\&amp;\\</script\\>"),
        (
            "*bold* _it_ `code` [l](u) ~s~ ![i](x)",
            "\\*bold\\* \\_it\\_ \\`code\\` \\[l\\](u) \\~s\\~ \\!\\[i\\](x)",
        ),
        ("back\\slash", "back\\\\slash"),
        ("é ✓ 🚫 100%", "é ✓ 🚫 100%"),
    ],
)
def test_escape(raw: str, expected: str) -> None:
    assert escape(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("apps/a.yaml", "`apps/a.yaml`"),
        ("a`b", "``a`b``"),
        ("`x`", "`` `x` ``"),
        ("a|b", "`a\\|b`"),
        ("a\nb", "`a b`"),
        ("", ""),
    ],
)
def test_code(raw: str, expected: str) -> None:
    assert code(raw) == expected


def test_no_raw_html_from_findings(make_report: Callable[..., Report]) -> None:
    report = make_report(
        [Finding("a/b", Severity.ERROR, "a.yaml", 1, 1, "<details open>\n<!-- x --><img src=x>")]
    )
    message = _cells(render(report).splitlines()[-1])[4]
    assert message == "\\<details open\\><br>\\<\\!-- x --\\>\\<img src=x\\>"
    # Outside the <br> line breaks, every "<" is escaped.
    assert re.findall(r"(?<!\\)<(?!br>)", message) == []
