"""A second parser for whole-repository runs: rapidyaml, for plain documents only.

PyYAML's composer is most of a whole-repository run (~0.15 ms per object).  rapidyaml
parses the same text ~8x faster and writes each document as JSON, which the standard
library reads back in C.  It is not the same YAML, though: rapidyaml follows YAML 1.2
(``yes`` is a string, ``017`` is not octal), PyYAML and Kubernetes' own parser YAML 1.1,
and a JSON key has no type.  So this parser answers only where the two provably agree,
and otherwise says nothing (``None``) and the caller parses with :mod:`yamldoc`:

* text with anchors, aliases, tags, merge keys, complex keys, directives, tabs, carriage
  returns, reserved indicators or characters PyYAML refuses is never tried here;
* a JSON string that PyYAML would have read as something else had it been plain
  (``yes``, ``~``, ``0x1F``, ``1:30``), any key PyYAML would not read as a string, a
  duplicate key, a number rapidyaml may have rewritten (``-.5``), NaN and infinities are
  refusals;
* a number is kept only where PyYAML reads rapidyaml's text as a number of the same
  value (``1e3`` is a string to PyYAML: a refusal).

Positions are not built: a document's node tree is composed by PyYAML on first use, as
for a document parsed in a worker process.  ``tests/source/test_fastyaml.py`` holds the
two parsers to the same data over the corpus, a truth table and mutated files.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from gitops_guard.source.limits import Limits

if TYPE_CHECKING:
    pass

# Larger files keep PyYAML's node budget (an alias-free file this size is still rare).
MAX_TEXT = 1 << 20

# What PyYAML treats differently or rapidyaml may accept where PyYAML refuses: anchors,
# aliases, tags, reserved indicators and complex keys where a token starts (looked for
# only in a text that has one of those characters at all); merge keys; directives.
_INDICATORS = "&*!@`?"
_INDICATOR_AT_TOKEN = re.compile(r"[&*!@`?](?:(?<=^.)|(?<=[\s\[\]{},].))", re.M)
# Indicators after whitespace, looked at where a block value or a line starts: a flow
# indicator there (PyYAML refuses it as the first character of a plain scalar, rapidyaml
# takes it as text) or a block scalar header with text after it (the same disagreement).
_AFTER_SPACE = re.compile(r"[}\],|>](?:(?<=^.)|(?<=\s.))", re.M)
_DOCUMENT_END = re.compile(r"(?:^|\s)\.\.\.", re.M)
# A key with space at either end: never a plain key, and rapidyaml's reading of a line
# indented where PyYAML finds no key at all.
_SPACED_KEY = re.compile(r'"(?:\s[^"\\]*|[^"\\]*\s)":')
_BLOCK_HEADER = re.compile(r"[|>][0-9+-]*[ ]*(?:#[^\n]*)?(?:\n|$)")
# An ASCII text may hold only these bytes: no tab, no carriage return, no control character.
_PLAIN_ASCII = bytes([0x0A, *range(0x20, 0x7F)])
# Elsewhere: also no BOM, no line break only YAML 1.1 has, nothing PyYAML's reader refuses.
_REFUSED = re.compile("[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")
# A JSON string that might be a plain scalar PyYAML resolves to something other than a
# string (first characters of PyYAML's bool, int, float, null, merge and value resolvers),
# or that is a key shaped like one; the few that match are looked at one by one.
_CANDIDATE = re.compile(
    r'"(?=[yYnNtTfFoO~=<+.0-9"-])((?:[yY]es|YES|[nN]o|NO|[tT]rue|TRUE|[fF]alse|FALSE|[oO]n|ON|[oO]ff|OFF|[nN]ull|NULL|~|=|<<'
    r'|[-+.0-9][^"\\]*)?)"(:?)'
)
# Plain scalars rapidyaml writes as JSON literals, which a quoted one therefore never is.
# (An empty plain scalar is written as null, so "" was quoted.)
_LITERAL = re.compile(r"(?:true|false|null|-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?)?")


class _Declined(Exception):
    pass


def available() -> bool:
    """Whether rapidyaml can be imported (it is imported now: before a run forks workers,
    so that they share it)."""
    try:
        import ryml  # noqa: F401
    except ImportError:
        return False
    return True


def parse(text: str, limits: Limits, resolve: Callable[[str], str]) -> list[Any] | None:
    """The data of each document of ``text`` as yamldoc would give it, or None to decline.

    ``resolve`` is the implicit tag PyYAML gives a plain scalar (yamldoc's memoised one).
    """
    raw = text.encode("utf-8")
    if len(raw) > MAX_TEXT or not _plain_text(text, raw):
        return None
    try:
        with _quiet_stderr():
            import ryml

            docs = _documents(ryml.parse_in_arena(raw))
    except Exception:
        return None  # refused by rapidyaml (a syntax error, nesting past its own limit)
    out: list[Any] = []
    try:
        for js in docs:
            out.append(_load(js, limits, resolve))
    except (_Declined, ValueError, RecursionError):
        return None
    return out


def _plain_text(text: str, raw: bytes) -> bool:
    if "<<" in text or "\n%" in text or text.startswith("%"):
        return False
    if any(c in text for c in _INDICATORS) and _INDICATOR_AT_TOKEN.search(text):
        return False
    if "..." in text and _DOCUMENT_END.search(text):
        return False  # a document end marker: the two disagree on what may follow one
    for match in _AFTER_SPACE.finditer(text):
        at = match.start() - 1
        while at >= 0 and text[at] == " ":
            at -= 1
        if at >= 0 and text[at] not in ":-\n":
            continue  # inside a plain scalar or a flow collection
        if match.group() in "|>" and _BLOCK_HEADER.match(text, match.start()):
            continue
        return False
    if text.isascii():
        return not raw.translate(None, _PLAIN_ASCII)
    return _REFUSED.search(text) is None


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """rapidyaml prints its errors to file descriptor 2 before raising them: point that at
    /dev/null meanwhile (the run's own messages and progress line are written between
    files, never during one)."""
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(devnull)
        os.close(saved)


def _documents(tree: Any) -> list[str]:
    import ryml

    root = tree.root_id()
    if not tree.is_stream(root):
        if not (tree.is_map(root) or tree.is_seq(root) or tree.is_val(root)):
            return []  # nothing but comments and blank lines: no document
        return [ryml.emit_json_malloc(tree, root)]
    docs = []
    child = tree.first_child(root)
    while child != ryml.NONE:
        # An empty document ("a: 1\n---\n") is a null one to both; a scalar one is
        # looked at as any other value.
        docs.append(ryml.emit_json_malloc(tree, child))
        child = tree.next_sibling(child)
    return docs


def _load(js: str, limits: Limits, resolve: Callable[[str], str]) -> Any:
    # Depth: two columns of indentation a block level, brackets for flow on one line.
    # Fewer than half the budget of each keeps the sum within it.
    half = limits.max_depth // 2
    if "\n" + " " * (2 * half) in js:
        raise _Declined
    if js.count("[") + js.count("{") >= half and _most_brackets_on_a_line(js) >= half:
        raise _Declined
    if ('" ' in js or ' ":' in js) and _SPACED_KEY.search(js):
        raise _Declined
    for match in _CANDIDATE.finditer(js):
        value, is_key = match.group(1), match.group(2)
        plain = resolve(value) if value else "tag:yaml.org,2002:null"
        if plain == "tag:yaml.org,2002:timestamp" and not is_key:
            continue  # yamldoc keeps a timestamp's text: the same string either way
        if plain != "tag:yaml.org,2002:str" and (is_key or not _LITERAL.fullmatch(value)):
            raise _Declined

    def number(text: str) -> Any:
        # rapidyaml may have rewritten the number ("1." as "1.0", "-.5" as "-0.5"), so
        # only a text PyYAML reads as a number of the same value either way is kept.
        tag = resolve(text)
        if tag == "tag:yaml.org,2002:int":
            return int(text)
        if tag == "tag:yaml.org,2002:float" and not (text[:1] in "-+" and text[1:3] == "0."):
            return float(text)
        raise _Declined  # "1.e3" (a string to PyYAML) or a sign before a leading dot

    def constant(text: str) -> Any:
        raise _Declined

    return json.loads(
        js, object_pairs_hook=_mapping, parse_int=number, parse_float=number, parse_constant=constant
    )


def _most_brackets_on_a_line(js: str) -> int:
    return max(line.count("[") + line.count("{") for line in js.split("\n"))


def _mapping(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    mapping = dict(pairs)
    if len(mapping) != len(pairs):
        raise _Declined  # a duplicate key: yamldoc reports it
    return mapping
