"""Split a YAML file into documents that remember where every node came from.

PyYAML's C composer gives a node tree with marks (measured ~20 MB/s here);
we convert it to plain data ourselves instead of using a constructor so that:

* tags are never constructed (``!!python/object`` stays a plain value),
* duplicate keys are seen (Kubernetes silently keeps the last one),
* alias expansion and nesting depth are bounded (billion laughs, deep nests),
* positions are looked up lazily from the kept node tree, only for findings.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from typing import Any, NamedTuple

from gitops_guard.source.limits import Limits
from gitops_guard.source.pyyaml import yaml

Path_ = tuple[str | int, ...]

_BASE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
# Plain scalar text -> resolved tag.  Manifests repeat the same keys and values
# ("name", "apiVersion", "true") thousands of times; the resolver's regexes run once each.
_RESOLVED: dict[str, str] = {}


class _Loader(_BASE_LOADER):  # type: ignore[misc]
    """The C composer with a memoised implicit-tag resolver (same tags, fewer regex runs)."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode:
            if not implicit[0]:
                return _STR
            return plain_tag(value)
        return _MAP if kind is yaml.MappingNode else _SEQ


def plain_tag(value: str) -> str:
    """The tag PyYAML's safe loader gives ``value`` written as a plain scalar."""
    tag = _RESOLVED.get(value)
    if tag is None:
        tag = _RESOLVER.resolve(yaml.ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
        if len(_RESOLVED) < 65536:
            _RESOLVED[value] = tag
    return tag


_RESOLVER = yaml.resolver.Resolver()


_LOADER: Any = _Loader
_SCALARS = yaml.constructor.SafeConstructor()


class Problem(NamedTuple):
    """A parse-time problem; the loader does not know rules, the check maps it."""

    kind: str  # "syntax", "duplicate-key", "too-complex"
    message: str
    line: int | None
    column: int | None
    # What identifies the problem across edits (no line numbers), for baselines.
    fingerprint_key: str = ""


class Document:
    """One YAML document of a file: its data and, for positions, its node tree.

    A plain class rather than a dataclass (as the values on a one-file run's path are,
    see DESIGN.md "Start-up time"); equal when path, index, data and tree are.
    """

    def __init__(
        self,
        path: str,
        index: int,
        data: Any,
        root: yaml.Node | None = None,
        recompose: Callable[[], yaml.Node | None] | None = None,
    ) -> None:
        self.path = path  # display path of the file
        self.index = index  # 0-based document index in the file
        self.data = data
        self.root = root
        # When the node tree was not kept (a document parsed in a worker process), this
        # rebuilds it on first use: positions are needed only for the few findings.
        self.recompose = recompose

    def __repr__(self) -> str:
        return f"{type(self).__name__}(path={self.path!r}, index={self.index!r}, data={self.data!r})"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, Document)
        mine = (self.path, self.index, self.data, self.root)
        return mine == (other.path, other.index, other.data, other.root)

    __hash__ = None  # type: ignore[assignment]  # mutable, as a dataclass's would be

    def with_data(self, data: Any) -> Document:
        """The same document (positions, patches) holding ``data``: an object as a later
        build step changed it."""
        import copy

        out = copy.copy(self)
        out.data = data
        return out

    def tree(self) -> yaml.Node | None:
        if self.root is None and self.recompose is not None:
            self.root, self.recompose = self.recompose(), None
        return self.root

    @property
    def line(self) -> int | None:
        root = self.tree()
        return root.start_mark.line + 1 if root is not None else None

    def position(self, path: Sequence[str | int], *, key: bool = False) -> tuple[str, int | None, int | None]:
        """File, line and column a finding about ``path`` is reported at.  A rendered
        document (render/mapping.py) overrides it to point into the patch that set the field."""
        return (self.path, *self.locate(path, key=key))

    def locate(self, path: Sequence[str | int], *, key: bool = False) -> tuple[int | None, int | None]:
        """Line and column (1-based) of the node at ``path``, or of its deepest existing ancestor.

        With ``key=True`` and a mapping entry at the end of ``path``, point at the key instead of
        the value (an unknown field is reported where its name is written).
        """
        node = self.tree()
        if node is None:
            return None, None
        target: yaml.Node = node
        for i, step in enumerate(path):
            last = i == len(path) - 1
            if isinstance(node, yaml.MappingNode):
                found = None
                for k, v in node.value:
                    if isinstance(k, yaml.ScalarNode) and k.value == str(step):
                        found = (k, v)  # the last duplicate wins, as in Kubernetes
                if found is None:
                    break
                target = found[0] if (last and key) else found[1]
                node = found[1]
            elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
                if not 0 <= step < len(node.value):
                    break
                node = node.value[step]
                target = node
            else:
                break
        return target.start_mark.line + 1, target.start_mark.column + 1

    def locate_in_value(
        self, path: Sequence[str | int], offset: int, text: str
    ) -> tuple[int | None, int | None]:
        """Line and column (1-based) of character ``offset`` of the string at ``path``, in the
        file's ``text``: the exact line inside a block scalar (``|``, ``>``, with chomping and
        indentation indicators) or a multi-line quoted or plain string.  Where the text cannot
        be followed (not a scalar, an offset past its end), the node's own position."""
        node = node_at(self.tree(), path)
        if isinstance(node, yaml.ScalarNode):
            found = scalar_offset_position(text, node, offset)
            if found is not None:
                return found
        return self.locate(path)

    def tag_at(self, path: Sequence[str | int]) -> str | None:
        """The tag of the node at ``path`` as written (``!env_var``, ``!secret``), or None for a
        node without an explicit application tag (plain, ``!!str``, resolved implicitly)."""
        node = node_at(self.tree(), path)
        tag = getattr(node, "tag", None)
        return tag if isinstance(tag, str) and tag.startswith("!") else None


def scalar_offset_position(text: str, node: yaml.ScalarNode, offset: int) -> tuple[int, int] | None:
    """Where character ``offset`` of ``node.value`` is written in ``text`` (1-based line, column).

    The value's characters appear in the source in order; only line breaks, indentation,
    folding and escapes stand between them.  So each non-blank character of the value is
    matched against the next equal character of the source (a double-quoted escape counts as
    the character it stands for), starting after a block scalar's header line so that
    indicators and a header comment are never matched.  Marks are used by line and column,
    which libyaml counts in characters (its ``index`` is in bytes).
    """
    value = node.value
    if not isinstance(value, str) or not 0 <= offset < len(value):
        return None
    while offset < len(value) and value[offset].isspace():
        offset += 1
    if offset == len(value):
        return None
    starts = _line_starts(text)
    start_line, end_line = node.start_mark.line, node.end_mark.line
    if start_line >= len(starts):
        return None
    pos = starts[start_line] + node.start_mark.column
    end = starts[end_line] + node.end_mark.column if end_line < len(starts) else len(text)
    end = min(end, len(text))
    style = node.style
    if style in ("|", ">"):
        newline = text.find("\n", pos, end)
        if newline < 0:
            return None
        pos = newline + 1
    elif style in ("'", '"'):
        pos += 1
    for i in range(offset + 1):
        ch = value[i]
        if ch.isspace():
            continue
        while pos < end:
            here, width = text[pos], 1
            if style == '"' and here == "\\":
                here, width = _escape(text, pos)
            elif style == "'" and here == "'" and text.startswith("''", pos):
                width = 2
            if here == ch:
                break
            pos += width
        else:
            return None
        if i == offset:
            return _line_column(starts, pos)
        pos += width
    return None


# What the escape at a backslash stands for (enough to step over it: \xNN, \uNNNN, \UNNNNNNNN).
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", " ": " ", '"': '"', "\\": "\\", "/": "/", "_": "\xa0"}
_ESCAPE_WIDTHS = {"x": 4, "u": 6, "U": 10}


def _escape(text: str, pos: int) -> tuple[str, int]:
    code = text[pos + 1 : pos + 2]
    width = _ESCAPE_WIDTHS.get(code)
    if width is not None:
        try:
            return chr(int(text[pos + 2 : pos + width], 16)), width
        except ValueError:
            return "\\", 1
    if code == "\n":  # an escaped line break: joins the lines, stands for nothing
        return "", 2
    return _ESCAPES.get(code, code), 2


@lru_cache(maxsize=4)
def _line_starts(text: str) -> tuple[int, ...]:
    """Where each line of ``text`` starts; kept for the last few texts, since every finding
    inside one block scalar asks again."""
    starts = [0]
    find = text.find
    at = find("\n")
    while at >= 0:
        starts.append(at + 1)
        at = find("\n", at + 1)
    return tuple(starts)


def _line_column(starts: Sequence[int], pos: int) -> tuple[int, int]:
    line = bisect.bisect_right(starts, pos) - 1
    return line + 1, pos - starts[line] + 1


def node_at(node: yaml.Node | None, path: Sequence[str | int]) -> yaml.Node | None:
    """The node at ``path`` below ``node`` (a duplicated key's first entry), or None if absent.

    Unlike :meth:`Document.locate` it gives the node itself, for a caller that keeps a
    sub-tree (a List's item, a rendered object's origin), not a position."""
    for step in path:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if getattr(k, "value", None) == step), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            node = node.value[step]
        else:
            return None
    return node


class ParsedFile(NamedTuple):
    documents: list[Document]
    problems: list[Problem]


class _TooComplex(Exception):
    pass


def decode(raw: bytes) -> tuple[str | None, Problem | None]:
    """Bytes to text: BOMs handled, binary and invalid UTF-8 reported with a position."""
    nul = raw.find(b"\0")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16"), None
        except UnicodeDecodeError as exc:
            return None, Problem("syntax", f"invalid UTF-16: {exc.reason}", None, None)
    if nul != -1:
        return None, Problem("syntax", f"binary file (NUL byte at offset {nul}), not YAML", None, None)
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        return None, Problem(
            "syntax", f"invalid UTF-8 (byte 0x{raw[exc.start]:02x}): {exc.reason}", line, column
        )


class _RedefiningLoader(yaml.SafeLoader):
    """YAML 1.2 (and Kubernetes' parser) lets an anchor be defined again, the later
    definition applying from there on; PyYAML refuses.  Used only as a fallback."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        anchor = getattr(event, "anchor", None)
        if anchor is not None and not isinstance(event, yaml.AliasEvent):
            self.anchors.pop(anchor, None)
        return super().compose_node(parent, index)


def parse(text: str, path: str, limits: Limits, *, fast: bool = False) -> ParsedFile:
    """The documents and problems of ``text``.  With ``fast`` (a whole-repository run),
    plain files are read by :mod:`fastyaml` (the same data, node trees built on first use)."""
    if fast:
        from gitops_guard.source import fastyaml

        datas = fastyaml.parse(text, limits, plain_tag)
        if datas is not None:
            cache: list[list[yaml.Node | None]] = []
            documents = [
                Document(path, i, data, None, Recompose(text, path, i, limits, cache))
                for i, data in enumerate(datas)
            ]
            return ParsedFile(documents, [])
    parsed = _parse(text, path, limits, _LOADER)
    if any(p.kind == "syntax" and "duplicate anchor" in p.message for p in parsed.problems):
        parsed = _parse(text, path, limits, _RedefiningLoader)
    return parsed


def _parse(text: str, path: str, limits: Limits, loader: Any) -> ParsedFile:
    documents: list[Document] = []
    problems: list[Problem] = []
    stream = yaml.compose_all(text, Loader=loader)
    index = 0
    while True:
        try:
            root = next(stream)
        except StopIteration:
            break
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            message = " ".join(p for p in (exc.context, exc.problem) if p) or str(exc)
            # Newer libyaml refuses nesting beyond its own depth limit: too complex, not malformed.
            kind = "too-complex" if "maximum nesting depth" in message else "syntax"
            problems.append(
                Problem(
                    kind,
                    message,
                    mark.line + 1 if mark else None,
                    mark.column + 1 if mark else None,
                )
            )
            break
        except yaml.YAMLError as exc:  # reader errors (control characters) carry no mark
            problems.append(Problem("syntax", str(exc).splitlines()[0], None, None))
            break
        except RecursionError:
            problems.append(Problem("too-complex", "document nested too deeply to parse", None, None))
            break
        if root is None:
            index += 1
            continue
        kept: yaml.Node | None = root
        try:
            data = _Converter(limits, problems).convert(root)
        except _TooComplex as exc:
            line = root.start_mark.line + 1
            problems.append(Problem("too-complex", str(exc), line, root.start_mark.column + 1))
            data = None
            kept = None  # never walk it again
        documents.append(Document(path, index, data, kept))
        index += 1
    return ParsedFile(documents, problems)


class Recompose:
    """Parse a file again, once, on the first position lookup of any of its documents: the
    node trees of documents whose data came without them (a worker process, ``fastyaml``)."""

    def __init__(self, text: str, path: str, index: int, limits: Limits, cache: list[list[yaml.Node | None]]):
        self.text, self.path, self.index, self.limits, self.cache = text, path, index, limits, cache

    def __call__(self) -> yaml.Node | None:
        if not self.cache:
            parsed = parse(self.text, self.path, self.limits)
            count = max((d.index for d in parsed.documents), default=-1) + 1
            roots: list[yaml.Node | None] = [None] * count
            for d in parsed.documents:
                roots[d.index] = d.root
            self.cache.append(roots)
        roots = self.cache[0]
        return roots[self.index] if self.index < len(roots) else None


class _Converter:
    """Node tree → plain data, with budgets on nodes visited (aliases count each time
    they are expanded) and on depth, checked before recursing deeper."""

    def __init__(self, limits: Limits, problems: list[Problem]) -> None:
        self.limits = limits
        self.problems = problems
        self.visits = 0

    def convert(self, root: yaml.Node) -> Any:
        return self._node(root, 0)

    def _node(self, node: yaml.Node, depth: int) -> Any:
        self.visits += 1
        if self.visits > self.limits.max_nodes:
            raise _TooComplex(
                f"document expands to more than {self.limits.max_nodes:,} nodes "
                "(alias bomb or oversized document); not checked"
            )
        if depth > self.limits.max_depth:
            raise _TooComplex(f"document nested deeper than {self.limits.max_depth} levels; not checked")
        cls = node.__class__
        if cls is _SCALAR_NODE:
            return _scalar(node)  # type: ignore[arg-type]
        depth += 1
        if cls is _SEQUENCE_NODE:
            return [self._node(item, depth) for item in node.value]
        mapping: dict[Any, Any] = {}
        pairs = node.value
        for key_node, value_node in pairs:
            if key_node.__class__ is not _SCALAR_NODE or key_node.tag == _MERGE:
                return self._slow_mapping(node, depth)  # type: ignore[arg-type]
            mapping[_key(_scalar(key_node))] = self._node(value_node, depth)
        if len(mapping) != len(pairs):
            return self._slow_mapping(node, depth)  # type: ignore[arg-type]
        return mapping

    def _slow_mapping(self, node: yaml.MappingNode, depth: int) -> dict[Any, Any]:
        """Merge keys (``<<``), duplicate keys and non-scalar keys: the rare, careful path."""
        mapping: dict[Any, Any] = {}
        for key_node, value_node in self._entries(node, mapping):
            is_scalar = isinstance(key_node, yaml.ScalarNode)
            key = _key(_scalar(key_node)) if is_scalar else str(key_node.value)  # type: ignore[arg-type]
            # The last duplicate wins (as in Kubernetes); the first keeps its place in order.
            mapping[key] = self._node(value_node, depth)
        return mapping

    def _entries(
        self, node: yaml.MappingNode, mapping: dict[Any, Any]
    ) -> Iterator[tuple[yaml.Node, yaml.Node]]:
        seen: dict[Any, yaml.Node] = {}
        merged: list[tuple[yaml.Node, yaml.Node]] = []
        own: list[tuple[yaml.Node, yaml.Node]] = []
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                for src in sources:
                    if isinstance(src, yaml.MappingNode):
                        merged.extend(src.value)
                continue
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else id(key_node)
            if key in seen:
                first = seen[key]
                self.problems.append(
                    Problem(
                        "duplicate-key",
                        f"duplicate key {key_node.value!r} (first defined at line "
                        f"{first.start_mark.line + 1}); Kubernetes keeps only the last value",
                        key_node.start_mark.line + 1,
                        key_node.start_mark.column + 1,
                        fingerprint_key=f"duplicate:{key_node.value}",
                    )
                )
            seen[key] = key_node
            own.append((key_node, value_node))
        own_keys = {k.value for k, _ in own if isinstance(k, yaml.ScalarNode)}
        # Merged keys never override explicit ones; among merged sources the first wins.
        merged_seen: set[Any] = set()
        for key_node, value_node in merged:
            k = key_node.value
            if k in own_keys or k in merged_seen:
                continue
            merged_seen.add(k)
            yield key_node, value_node
        yield from own


_SCALAR_NODE = yaml.ScalarNode
_SEQUENCE_NODE = yaml.SequenceNode
_MERGE = "tag:yaml.org,2002:merge"


def _key(key: Any) -> Any:
    if key is None or isinstance(key, str | int | float | bool):
        return key
    return str(key)


def _scalar(node: yaml.ScalarNode) -> Any:
    tag = node.tag
    if tag == "tag:yaml.org,2002:str" or node.style in ("'", '"', "|", ">"):
        return node.value
    if tag in (
        "tag:yaml.org,2002:int",
        "tag:yaml.org,2002:float",
        "tag:yaml.org,2002:bool",
        "tag:yaml.org,2002:null",
    ):
        try:
            return _SCALARS.construct_object(node, deep=False)
        except (ValueError, yaml.YAMLError):
            return node.value
    if tag == "tag:yaml.org,2002:timestamp":
        # JSON has no timestamps; Kubernetes sees the text.
        return node.value
    # Unknown or explicit tags (``!!python/object``, ``!Ref``...) are never constructed.
    return node.value
