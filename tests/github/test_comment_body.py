"""The report body: what it shows, and its split into comments that each fit."""

from __future__ import annotations

import re

import pytest

from gitops_guard.findings import Finding, ObjectRef, Severity
from gitops_guard.github.comment import Block, Change, Links, build, paginate, parse_marker, size

LINKS = Links("https://github.com", "acme/fleet", "a" * 40)


def _finding(rule: str, severity: Severity, path: str, line: int, message: str) -> Finding:
    return Finding(rule, severity, path, line, 1, message, ObjectRef("v1", "ConfigMap", "api", "x"))


def _change(label: str, diff_lines: int, *, width: int = 60) -> Change:
    body = "".join(f"+{'x' * width} {label} line {i}\n" for i in range(diff_lines))
    return Change(label, "clusters/api.yaml", 9, "changed", diff_lines, 0, 0, 0, f"--- a/x\n+++ b/x\n{body}")


def _fences_balanced(body: str) -> bool:
    open_fence: str | None = None
    for line in body.splitlines():
        m = re.match(r"^ {0,3}(`{3,})", line)
        if not m:
            continue
        if open_fence is None:
            open_fence = m.group(1)
        elif len(m.group(1)) >= len(open_fence) and not line.strip("`").strip():
            open_fence = None
    return open_fence is None


def test_sections_links_and_grouping() -> None:
    findings = [
        _finding("schema/violation", Severity.ERROR, "apps/a.yaml", 7, "spec.replica: unknown field"),
        _finding("schema/violation", Severity.ERROR, "apps/b.yaml", 3, "bad <b>html</b> | pipe"),
        _finding("sync/wave-order", Severity.WARNING, "apps/c.yaml", 2, "wave"),
        _finding(
            "prune/removed-resources", Severity.WARNING, "clusters/api.yaml", 9, "this change removes x"
        ),
    ]
    text = "".join(
        b.text()
        for b in build(
            findings,
            [_change("Flux Kustomization flux-system/api", 2)],
            links=LINKS,
            base="b" * 40,
            head="a" * 40,
        )
    )
    assert ":x: **2 errors, 2 warnings, 0 info**" in text
    assert "### :warning: This change deletes 1 object" in text
    assert text.index("This change deletes") < text.index("### Findings") < text.index("### What changes")
    assert "(https://github.com/acme/fleet/blob/" + "a" * 40 + "/apps/a.yaml#L7)" in text
    assert "#### Errors (2)" in text and "#### Warnings (1)" in text  # removed-resources shown above
    assert "<details open><summary><code>schema/violation</code> (2)</summary>" in text
    assert "bad \\<b\\>html\\</b\\> \\| pipe" in text  # repository text cannot inject HTML
    assert "```diff\n--- a/x\n" in text and _fences_balanced(text)


def test_a_fence_in_the_diff_gets_a_longer_fence() -> None:
    change = Change("App", "", None, "changed", 0, 1, 0, 0, " ```yaml\n-a: 1\n+a: 2\n ```\n")
    text = "".join(b.text() for b in build([], [change], links=LINKS, base="b" * 40, head="a" * 40))
    assert "````diff\n ```yaml\n" in text and "\n ```\n````\n" in text


def test_small_report_is_one_comment_with_the_marker() -> None:
    bodies = paginate(build([], [], links=LINKS, base="b" * 40, head="a" * 40), ident="prod")
    assert len(bodies) == 1
    assert parse_marker(bodies[0]) == ("prod", 1)
    assert "No findings." in bodies[0]


def test_huge_diff_splits_into_parts_that_fit_without_breaking_fences() -> None:
    changes = [_change(f"App {i}", 900) for i in range(4)]  # ~300 KB of diff
    bodies = paginate(build([], changes, links=LINKS, base="b" * 40, head="a" * 40), max_parts=10)
    assert len(bodies) > 3
    for i, body in enumerate(bodies, start=1):
        assert size(body) <= 65536
        assert parse_marker(body) == ("default", i)
        assert _fences_balanced(body), f"part {i}"
        assert body.count("<details") == body.count("</details>")
    joined = "".join(bodies)
    expected = [
        f"+{'x' * 60} {label} line {n}" for label in ("App 0", "App 1", "App 2", "App 3") for n in range(900)
    ]
    found = [line for line in joined.splitlines() if line.startswith("+x")]
    assert found == expected  # every diff line, once, in order
    assert "(continued)" in bodies[1] and "Continued in the next comment (part 2 of" in bodies[0]


def test_too_many_parts_are_cut_with_a_note_pointing_to_the_job_summary() -> None:
    changes = [_change(f"App {i}", 2000) for i in range(5)]
    url = "https://github.com/acme/fleet/actions/runs/42"
    bodies = paginate(
        build([], changes, links=LINKS, base="b" * 40, head="a" * 40), max_parts=2, summary_url=url
    )
    assert len(bodies) == 2 and all(size(b) <= 65536 for b in bodies)
    assert f"The full report is in [the job summary]({url})" in bodies[-1]
    assert all(_fences_balanced(b) for b in bodies)


def test_wide_characters_are_counted_so_the_body_still_fits() -> None:
    emoji = "\U0001f680"  # two UTF-16 units
    change = Change("App", "", None, "changed", 1, 0, 0, 0, "".join(f"+{emoji * 200}\n" for _ in range(500)))
    bodies = paginate(build([], [change], links=LINKS, base="b" * 40, head="a" * 40))
    assert all(len(b) <= 65536 and size(b) <= 65536 for b in bodies) and len(bodies) >= 4


def test_one_line_longer_than_a_comment_is_cut() -> None:
    change = Change("App", "", None, "changed", 1, 0, 0, 0, "+" + "y" * 200_000 + "\n")
    bodies = paginate(build([], [change], links=LINKS, base="b" * 40, head="a" * 40))
    assert all(size(b) <= 65536 and _fences_balanced(b) for b in bodies)
    assert "[cut: " in "".join(bodies)


@pytest.mark.parametrize("limit", [5000, 20000, 65536])
def test_any_limit_is_respected(limit: int) -> None:
    blocks = [
        Block("head\n", tuple(f"- item {i}\n" for i in range(3000)), "tail\n", continued="head again\n")
    ]
    bodies = paginate(blocks, limit=limit, max_parts=50)
    assert all(size(b) <= limit for b in bodies)
    assert "".join(bodies).count("- item ") == 3000 or "[!NOTE]" in bodies[-1]
