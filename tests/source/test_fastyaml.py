"""fastyaml gives yamldoc's data or declines: over the corpus, a truth table and mutated files."""

from __future__ import annotations

import math
import random
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from gitops_guard.source import fastyaml, yamldoc
from gitops_guard.source.limits import Limits
from gitops_guard.source.load import FAST_PARSE_FILES, load
from gitops_guard.source.walk import discover
from tests.conftest import require_corpus

LIMITS = Limits()


def _same(a: Any, b: Any) -> bool:
    """Equal data of equal types all the way down (1 == 1.0 == True is not enough)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


def _verdict(text: str, limits: Limits = LIMITS) -> str:
    """ "declined", "same", or what differs from the careful parse."""
    fast = fastyaml.parse(text, limits, yamldoc.plain_tag)
    if fast is None:
        return "declined"
    slow = yamldoc.parse(text, "f.yaml", limits)
    if slow.problems:
        return f"accepted what yamldoc reports: {slow.problems[0]}"
    data = [d.data for d in slow.documents]
    if len(data) != len(fast) or not all(_same(x, y) for x, y in zip(data, fast, strict=True)):
        return f"different data: {fast!r:.300} vs {data!r:.300}"
    return "same"


def _corpus_texts() -> list[str]:
    texts = []
    for path in sorted(require_corpus().rglob("*")):
        if path.suffix in (".yaml", ".yml") and path.is_file():
            text, _ = yamldoc.decode(path.read_bytes())
            if text is not None:
                texts.append(text)
    return texts


@pytest.fixture(scope="module")
def corpus_texts() -> list[str]:
    return _corpus_texts()


def test_every_corpus_file_gets_the_same_data_or_is_declined(corpus_texts: list[str]) -> None:
    verdicts = [_verdict(t) for t in corpus_texts]
    wrong = [v for v in verdicts if v not in ("same", "declined")]
    assert wrong == []
    # And it is really used: most real files are plain enough (measured: 1,689 of 2,022).
    assert verdicts.count("same") >= 0.75 * len(verdicts)


# Scalars where YAML 1.1 (PyYAML, Kubernetes) and YAML 1.2 (rapidyaml) part ways, and
# their neighbours that must stay fast.
SCALARS = [
    "yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF", "y", "n",
    "true", "True", "TRUE", "false", "False", "FALSE", "null", "Null", "NULL", "~", "",
    "1", "-1", "+1", "01", "017", "0o17", "0x1F", "0b101", "1_000", "1:30", "12:30:45",
    "190:20:30.15", "9:99", "1.0", "1.10", ".5", "-.5", "+.5", "1.", "-1.", "1e3", "1.0e+3",
    "1.0e3", "1E3", "1.e3", "0.1e-5", "-1.5e-3", ".inf", "-.inf", ".Inf", ".nan", "NaN", "nan",
    "Infinity", "2024-01-01", "2024-01-01T10:00:00Z", "2024-1-1", "=", "0", "-0", "00", "08",
    "09.5", "1.0.0", "0.0", "+0.5", "-0.5", "123456789012345678901234567890", "1__0", "1,000",
    "v1", "8080", "3.4.0", "a b", "x:y",
]  # fmt: skip


@pytest.mark.parametrize("quote", ["", "'", '"'])
@pytest.mark.parametrize("scalar", SCALARS)
def test_a_scalar_as_value_and_as_key_reads_the_same(scalar: str, quote: str) -> None:
    written = f"{quote}{scalar}{quote}"
    for text in (
        f"a: {written}\nb: [{written}]\n",
        f"- {written}\n",
        f"{written}: v\nother: 1\n",
        f"m: {{{written}: v}}\n",
    ):
        assert _verdict(text) in ("same", "declined"), text


@pytest.mark.parametrize(
    "text",
    [
        'a: "true"\nb: "8080"\nc: ""\nd: "1.0"\n',  # quoted look-alikes: strings, and fast
        "a: true\nb: 8080\nc:\nd: 1.10\ne: -3\n",  # literals
        "a: |\n  line\n\nb: >-\n  x\n  y\nc: 'it''s'\nd: \"\\u00e9\\t\"\n",
        "a: 1\n---\nb: 2\n---\n",  # an empty last document
        "# only a comment\n",
        "args: [a, b, ]\nflow: {a: 1, b: [2, {c: d}]}\n",
    ],
)
def test_plain_manifests_are_read_fast(text: str) -> None:
    assert _verdict(text) == "same"


@pytest.mark.parametrize(
    "text",
    [
        "a: &x 1\nb: *x\n",  # anchors and aliases
        "base: &b {x: 1}\nc:\n  <<: *b\n",  # merge keys
        "a: !secret name\n",  # application tags
        "%YAML 1.1\n---\na: 1\n",  # directives
        "? complex\n: v\n",
        "a: 1\na: 2\n",  # duplicate keys: yamldoc reports them
        "a:\tb\n",
        "a: b\r\nc: d\r\n",
        "a: b\u2028c: d\n",
        "a: '\x07'\n",
        "a: on\n",  # YAML 1.1's boolean
        "a: 0x1F\n",
        "a: -.5\n",
        "a: 1e3\n",  # a string to PyYAML, a number to rapidyaml
        "80: http\n",  # an int key
        "a: }x\n",  # refused by PyYAML, text to rapidyaml
        "a: > x\n",
        "a: 1\n...\nb: 2\n",
        "a: b: c\n",  # a syntax error
    ],
)
def test_what_the_two_may_read_differently_is_declined(text: str) -> None:
    assert fastyaml.parse(text, LIMITS, yamldoc.plain_tag) is None


def test_nesting_past_the_budget_is_declined_in_every_style() -> None:
    small = Limits(max_depth=20)
    block = "".join("  " * i + f"k{i}:\n" for i in range(25)) + "  " * 25 + "v\n"
    flow = "a: " + "[" * 25 + "]" * 25 + "\n"
    mixed = "".join("  " * i + f"k{i}:\n" for i in range(12)) + "  " * 12 + "v: " + "[" * 13 + "]" * 13 + "\n"
    for text in (block, flow, mixed, "- " * 25 + "x\n"):
        assert any(p.kind == "too-complex" for p in yamldoc.parse(text, "f", small).problems)
        assert fastyaml.parse(text, small, yamldoc.plain_tag) is None


def test_a_refused_file_prints_nothing(capfd: pytest.CaptureFixture[str]) -> None:
    assert fastyaml.parse("a: b: c\n", LIMITS, yamldoc.plain_tag) is None
    assert capfd.readouterr().err == ""


# Mutations: characters YAML gives meaning to, indentation, repeated lines, and the scalars
# above put in place of values and keys.  A fixed seed: the same files each run.
INSERTS = [
    *":-[]{},#'\"|>&*!?%@` \n\\", "- ", ": ", "  ", "\n  ", "---\n", "...\n", "yes", "~",
    "0x1", "1_0", "1:2", ".5", "-.5", "1e3", "<<: ", "- - ", "? ", "a: b: c", "[]", "\xa0",
]  # fmt: skip


def _mutate(text: str, rnd: random.Random) -> str:
    for _ in range(rnd.randint(1, 3)):
        op, at = rnd.random(), rnd.randrange(len(text) + 1)
        lines = text.split("\n")
        line = rnd.randrange(len(lines))
        if op < 0.4:
            text = text[:at] + rnd.choice(INSERTS) + text[at:]
        elif op < 0.55:
            text = text[:at] + text[at + 1 :]
        elif op < 0.7:
            lines[line] = (
                " " * rnd.randint(1, 3) + lines[line] if rnd.random() < 0.5 else lines[line].lstrip()
            )
            text = "\n".join(lines)
        elif op < 0.8:
            lines.insert(line, lines[rnd.randrange(len(lines))])
            text = "\n".join(lines)
        else:
            scalar = rnd.choice(SCALARS)
            quote = rnd.choice(["", "", "'", '"'])
            if rnd.random() < 0.3:
                lines[line] = re.sub(r"^(\s*(?:- )?)[\w./-]+:", rf"\g<1>{quote}{scalar}{quote}:", lines[line])
            else:
                lines[line] = re.sub(r": \S.*$", f": {quote}{scalar}{quote}", lines[line])
            text = "\n".join(lines)
    return text


def test_mutated_corpus_files_get_the_same_data_or_are_declined(corpus_texts: list[str]) -> None:
    rnd = random.Random(20261201)
    plain = [t for t in corpus_texts if len(t) < 20000 and _verdict(t) == "same"]
    verdicts = [_verdict(_mutate(rnd.choice(plain), rnd)) for _ in range(6000)]
    assert [v for v in verdicts if v not in ("same", "declined")] == []
    assert verdicts.count("same") > 1000  # the mutations did not all just get declined


def _repository(root: Path, files: int) -> None:
    for i in range(files):
        body = (
            f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\ndata:\n  key: \"true\"\n  n: '{i}'\n"
        )
        (root / f"c{i:04}.yaml").write_text(body)
    (root / "c0000.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c0\ndata:\n  when: on\n"
    )


def test_a_whole_repository_run_keeps_positions_and_declined_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITOPS_GUARD_JOBS", "1")  # in this process, where the trees are seen
    _repository(tmp_path, FAST_PARSE_FILES)
    candidates, _ = discover(["."], tmp_path)
    files = {sf.path: sf for sf in load(candidates, LIMITS)}
    fast_doc = files["c0007.yaml"].documents[0]
    assert fast_doc.root is None and fast_doc.recompose is not None  # read by fastyaml
    assert fast_doc.data["data"] == {"key": "true", "n": "7"}
    assert fast_doc.locate(["data", "n"]) == (7, 6)  # the tree, built when a position is asked
    declined = files["c0000.yaml"].documents[0]  # YAML 1.1's `on`: read by PyYAML
    assert declined.root is not None
    assert declined.data["data"] == {"when": True}
    assert declined.locate(["data", "when"]) == (6, 9)


def test_a_few_files_are_read_by_pyyaml_alone(tmp_path: Path) -> None:
    _repository(tmp_path, 3)
    candidates, _ = discover(["."], tmp_path)
    assert all(doc.root is not None for sf in load(candidates, LIMITS) for doc in sf.documents)


def test_without_rapidyaml_a_large_run_is_read_by_pyyaml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITOPS_GUARD_JOBS", "1")
    monkeypatch.setitem(sys.modules, "ryml", None)  # as on a platform without its wheel
    assert not fastyaml.available()
    _repository(tmp_path, FAST_PARSE_FILES)
    candidates, _ = discover(["."], tmp_path)
    files = load(candidates, LIMITS)
    assert len(files) == FAST_PARSE_FILES
    assert all(doc.root is not None for sf in files for doc in sf.documents)


# Documents PyYAML itself writes, in its block, flow and mixed styles, from random data whose
# strings are made of YAML's indicators, look-alikes of other types, Unicode and whitespace.
PIECES = [
    *"abcXYZ019 :-#'\"{}[],&*!|>%@`?~=<.\\/\t",
    "é",
    "☺",
    "\xa0",
    "yes",
    "null",
    "1e3",
    "0x1F",
    "-.5",
    "\n",
]


def _random_value(rnd: random.Random, depth: int = 0) -> Any:
    roll = rnd.random()
    if depth > 4 or roll < 0.5:
        kind = rnd.random()
        if kind < 0.6:
            return "".join(rnd.choice(PIECES) for _ in range(rnd.randint(0, 12)))
        if kind < 0.7:
            return rnd.randint(-(10**6), 10**6)
        if kind < 0.8:
            return rnd.choice([0.5, -1.25, 1e20, 3.0, -0.0, 1.5e-7])
        return rnd.choice([True, False, None, "", " x", "x ", "a: b", "- x", "# c"])
    if roll < 0.75:
        return {
            "".join(rnd.choice(PIECES) for _ in range(rnd.randint(1, 8))): _random_value(rnd, depth + 1)
            for _ in range(rnd.randint(0, 4))
        }
    return [_random_value(rnd, depth + 1) for _ in range(rnd.randint(0, 4))]


def test_documents_pyyaml_writes_get_the_same_data_or_are_declined() -> None:
    import yaml

    rnd = random.Random(20261201)
    verdicts = []
    for _ in range(3000):
        documents = [{"apiVersion": "v1", "kind": "ConfigMap", "data": _random_value(rnd)}]
        text = yaml.safe_dump_all(
            documents,
            default_flow_style=rnd.choice([False, None, True]),
            width=rnd.choice([20, 80, 1000]),
            allow_unicode=rnd.random() < 0.5,
            sort_keys=False,
            explicit_start=rnd.random() < 0.5,
        )
        verdicts.append(_verdict(text))
    assert [v for v in verdicts if v not in ("same", "declined")] == []
    assert verdicts.count("same") > 1000
