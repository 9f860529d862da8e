"""Pinned findings of `check` on the corpus repositories: the data format and its regeneration.

Each repository has one file, tests/corpus_expected/<repository>.txt, with three sections:

    [expected]
    path:line rule  # reason                 a finding that must be reported (true or debatable)
    path:line rule not-checked  # reason     ... whose outcome is "could not check"
    [known-false]
    path:line rule  # cause N: reason        a false positive being removed (see KNOWN_FALSE_CAUSES)
    [schema/missing]
    apiVersion Kind count                    "could not check" findings, counted per object type

A finding without a line is written ``path:- rule``. Reasons of debatable findings start with
``debatable:``; a reason that is missing or ``UNREVIEWED`` fails the corpus test.

Regenerate every file from the current results (reasons of entries that still match are kept,
new findings are marked UNREVIEWED, known-false entries are kept until --drop-gone-false):

    scripts/pin-corpus [--drop-gone-false] [REPOSITORY ...]

which runs ``python -m tests.corpus_pins`` with scripts/test's virtualenv and pinned tools. A run
in which a check could not run (a renderer missing) is refused rather than pinned.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gitops_guard.findings import Finding

HERE = Path(__file__).resolve().parent
EXPECTED_DIR = HERE / "corpus_expected"
CORPUS_REPOS = HERE.parent.parent / "shared" / "corpus" / "repos"

UNREVIEWED = "UNREVIEWED"
DEBATABLE = "debatable:"
MISSING_RULE = "schema/missing"
NOT_CHECKED = "not-checked"

# Why a known-false entry is false; 1-7 are the causes of issue 8's precision list.
KNOWN_FALSE_CAUSES: dict[int, str] = {
    1: "a Flux Kustomization's spec.patches/targetNamespace/postBuild change the objects it applies",
    2: "a placeholder reported as a secret",
    3: "an application-level reference reported as a secret",
    4: "documentation scanned with keyword detectors",
    5: "public material (public key, certificate) reported as a secret",
    6: "a CONSTANT_CASE enum-like value reported as a high-entropy string",
    7: "one value reported twice",
    # Not in issue 8's list: the rest of its 174 cause-1 findings, judged on the files. No parent
    # applies these children today, so applying the parent's patches alone may not remove them.
    8: "a child Flux Kustomization no parent applies (commented out, archived), lacking fields its"
    " parent's spec.patches would set",
}

_SECTIONS = ("expected", "known-false", MISSING_RULE)
_CAUSE = re.compile(r"cause (\d+):")


class PinError(ValueError):
    """A data file that does not parse; the message names the file and line."""


@dataclass(frozen=True, order=True)
class Key:
    """What a pin compares: where, which rule, and whether the check could run."""

    path: str
    line: int | None
    rule: str
    not_checked: bool = False

    def render(self) -> str:
        line = "-" if self.line is None else str(self.line)
        tail = f" {NOT_CHECKED}" if self.not_checked else ""
        return f"{self.path}:{line} {self.rule}{tail}"

    def sort_key(self) -> tuple[str, int, str, bool]:
        return (self.path, self.line or 0, self.rule, self.not_checked)


@dataclass(frozen=True)
class Entry:
    key: Key
    reason: str

    @property
    def reviewed(self) -> bool:
        return bool(self.reason.strip()) and self.reason.strip() != UNREVIEWED

    @property
    def debatable(self) -> bool:
        return self.reason.startswith(DEBATABLE)

    @property
    def cause(self) -> int | None:
        m = _CAUSE.match(self.reason)
        return int(m.group(1)) if m else None

    def render(self) -> str:
        return f"{self.key.render()}  # {self.reason}"


@dataclass(frozen=True)
class Pins:
    expected: tuple[Entry, ...] = ()
    known_false: tuple[Entry, ...] = ()
    # (apiVersion, kind) -> number of schema/missing findings
    missing: dict[tuple[str, str], int] = field(default_factory=dict)


def key_of(finding: Finding) -> Key:
    from gitops_guard.findings import Outcome

    return Key(finding.path, finding.line, finding.rule, finding.outcome is Outcome.NOT_CHECKED)


def missing_type(finding: Finding) -> tuple[str, str]:
    if finding.object is None:
        return ("?", finding.path)
    return (finding.object.api_version or "?", finding.object.kind or "?")


def data_file(repo: str) -> Path:
    return EXPECTED_DIR / f"{repo}.txt"


def _parse_key(text: str, where: str) -> Key:
    not_checked = text.endswith(f" {NOT_CHECKED}")
    if not_checked:
        text = text[: -len(NOT_CHECKED) - 1]
    location, sep, rule = text.rpartition(" ")
    path, colon, line = location.rpartition(":")
    if not sep or not colon or not path or "/" not in rule:
        raise PinError(f"{where}: expected 'path:line rule', got {text!r}")
    if line == "-":
        return Key(path, None, rule, not_checked)
    if not line.isdigit():
        raise PinError(f"{where}: line {line!r} is not a number or '-'")
    return Key(path, int(line), rule, not_checked)


def parse(text: str, name: str = "<pins>") -> Pins:
    section = ""
    expected: list[Entry] = []
    known_false: list[Entry] = []
    missing: dict[tuple[str, str], int] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        where = f"{name}:{number}"
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            if section not in _SECTIONS:
                raise PinError(f"{where}: unknown section [{section}] (known: {', '.join(_SECTIONS)})")
            continue
        body, _, reason = line.partition("  #")
        body, reason = body.strip(), reason.strip()
        if section == MISSING_RULE:
            parts = body.split()
            if len(parts) != 3 or not parts[2].isdigit():
                raise PinError(f"{where}: expected 'apiVersion Kind count', got {body!r}")
            missing[(parts[0], parts[1])] = missing.get((parts[0], parts[1]), 0) + int(parts[2])
        elif section in ("expected", "known-false"):
            entry = Entry(_parse_key(body, where), reason)
            (expected if section == "expected" else known_false).append(entry)
        else:
            raise PinError(f"{where}: entry before any section")
    return Pins(tuple(expected), tuple(known_false), missing)


def load(repo: str) -> Pins:
    path = data_file(repo)
    return parse(path.read_text(encoding="utf-8"), path.name)


def render(repo: str, pins: Pins) -> str:
    out = [
        f"# Findings of `gitops-guard check` (strict preset, every family) on corpus/repos/{repo}.",
        "# Format: tests/corpus_pins.py. Re-pin with scripts/pin-corpus; review every UNREVIEWED entry.",
        "",
        "[expected]",
    ]
    out += [e.render() for e in sorted(pins.expected, key=lambda e: e.key.sort_key())]
    out += ["", "[known-false]"]
    out += [e.render() for e in sorted(pins.known_false, key=lambda e: e.key.sort_key())]
    out += ["", f"[{MISSING_RULE}]"]
    out += [f"{api} {kind} {n}" for (api, kind), n in sorted(pins.missing.items())]
    return "\n".join(out) + "\n"


def split(findings: Iterable[Finding]) -> tuple[Counter[Key], Counter[tuple[str, str]]]:
    """Findings as a multiset of keys, and schema/missing counted per object type."""
    keys: Counter[Key] = Counter()
    missing: Counter[tuple[str, str]] = Counter()
    for f in findings:
        if f.rule == MISSING_RULE:
            missing[missing_type(f)] += 1
        else:
            keys[key_of(f)] += 1
    return keys, missing


@dataclass(frozen=True)
class Comparison:
    missing: tuple[Key, ...]  # pinned as expected, not reported
    unexpected: tuple[Key, ...]  # reported, neither expected nor known false
    forbidden: tuple[Entry, ...]  # reported, known false with a cause that is now forbidden
    missing_counts: tuple[tuple[tuple[str, str], int, int], ...]  # (type, pinned, reported)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.unexpected or self.forbidden or self.missing_counts)

    def render(self) -> str:
        out: list[str] = []
        if self.missing:
            out.append("pinned but not reported (a true finding lost?):")
            out += [f"  - {k.render()}" for k in self.missing]
        if self.unexpected:
            out.append("reported but not pinned (a new finding: review it, then re-pin):")
            out += [f"  + {k.render()}" for k in self.unexpected]
        if self.forbidden:
            out.append("known false positives that must be gone:")
            out += [f"  ! {e.render()}" for e in self.forbidden]
        if self.missing_counts:
            out.append(f"{MISSING_RULE} per object type (pinned -> reported):")
            out += [f"  ~ {api} {kind}: {a} -> {b}" for (api, kind), a, b in self.missing_counts]
        return "\n".join(out)


def compare(pins: Pins, findings: Iterable[Finding], *, forbidden_causes: Iterable[int] = ()) -> Comparison:
    reported, missing_reported = split(findings)
    expected = Counter(e.key for e in pins.expected)
    extra = reported - expected
    allowed = Counter(e.key for e in pins.known_false)
    banned = set(forbidden_causes)
    forbidden: list[Entry] = []
    left = Counter(extra)
    for e in pins.known_false:
        if left[e.key] > 0:
            left[e.key] -= 1
            if e.cause in banned:
                forbidden.append(e)
    unexpected = extra - allowed
    types = sorted(set(pins.missing) | set(missing_reported))
    counts = tuple(
        (t, pins.missing.get(t, 0), missing_reported[t])
        for t in types
        if pins.missing.get(t, 0) != missing_reported[t]
    )
    return Comparison(
        missing=tuple(sorted((expected - reported).elements(), key=Key.sort_key)),
        unexpected=tuple(sorted(unexpected.elements(), key=Key.sort_key)),
        forbidden=tuple(forbidden),
        missing_counts=counts,
    )


def regenerate(old: Pins, findings: Iterable[Finding], *, drop_gone_false: bool = False) -> Pins:
    """New pins from current findings, keeping every reason that still matches its finding."""
    reported, missing = split(findings)
    known: dict[Key, list[Entry]] = {}
    for e in old.known_false:
        known.setdefault(e.key, []).append(e)
    reasons: dict[Key, list[str]] = {}
    for e in old.expected:
        reasons.setdefault(e.key, []).append(e.reason)
    expected: list[Entry] = []
    known_false: list[Entry] = []
    for key in sorted(reported, key=Key.sort_key):
        for _ in range(reported[key]):
            if reasons.get(key):
                expected.append(Entry(key, reasons[key].pop(0)))
            elif known.get(key):
                known_false.append(known[key].pop(0))
            else:
                expected.append(Entry(key, UNREVIEWED))
    if not drop_gone_false:
        known_false += [e for rest in known.values() for e in rest]
    return Pins(tuple(expected), tuple(known_false), dict(missing))


def run(repo: str) -> tuple[Finding, ...]:
    """`check` as the corpus test runs it: every family, the strict preset's policies."""
    from gitops_guard.config import load_config
    from gitops_guard.datafiles import data_dir
    from gitops_guard.pipeline import CheckOptions, run_check

    strict = load_config(data_dir("policies") / "presets" / "strict.yaml")
    return run_check(CheckOptions(paths=["."], config=strict), CORPUS_REPOS / repo).findings


def repositories() -> list[str]:
    return sorted(p.name for p in CORPUS_REPOS.iterdir()) if CORPUS_REPOS.is_dir() else []


def gone(old: Pins, new: Pins) -> list[Entry]:
    """Expected entries of OLD that NEW no longer has: findings lost or moved."""
    left = Counter(e.key for e in new.expected)
    out: list[Entry] = []
    for e in old.expected:
        if left[e.key] > 0:
            left[e.key] -= 1
        else:
            out.append(e)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.corpus_pins", description=__doc__.split("\n")[0])
    parser.add_argument("repos", nargs="*", help="corpus repositories (default: all)")
    parser.add_argument(
        "--drop-gone-false", action="store_true", help="remove known-false entries no longer reported"
    )
    args = parser.parse_args(argv)
    repos = args.repos or repositories()
    if not repos:
        print(f"corpus not found at {CORPUS_REPOS}", file=sys.stderr)
        return 2
    EXPECTED_DIR.mkdir(exist_ok=True)
    for repo in repos:
        path = data_file(repo)
        old = load(repo) if path.exists() else Pins()
        findings = run(repo)
        not_run = sorted({f.message for f in findings if f.rule == "check/not-run"})
        if not_run:
            # Pinning a run without its renderers would record a degraded result as expected.
            print(f"{repo}: not re-pinned, a check could not run: {'; '.join(not_run)}", file=sys.stderr)
            return 2
        new = regenerate(old, findings, drop_gone_false=args.drop_gone_false)
        path.write_text(render(repo, new), encoding="utf-8")
        todo = [e for e in new.expected if not e.reviewed]
        lost = gone(old, new)
        print(
            f"{repo}: {len(new.expected)} expected ({len(todo)} {UNREVIEWED}, {len(lost)} no longer "
            f"reported), {len(new.known_false)} known false, {sum(new.missing.values())} {MISSING_RULE}",
            file=sys.stderr,
        )
        for e in lost:
            print(f"  - {e.render()}", file=sys.stderr)
        for e in todo:
            print(f"  + {e.render()}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
