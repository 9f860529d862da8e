"""Where a failed render failed: the kustomization entry or chart template the error names.

kustomize and Helm say what failed in words, not positions: kustomize names the file or
directory it could not read (as an absolute path), the patch that matched nothing (as a
resource id such as ``Deployment.v1.apps/web.[noNs]``) or the JSON pointer a patch could not
apply; helm names ``<chart>/templates/<file>:<line>:<col>``.  These are matched against the
entries the kustomizations of the build list (``resources``, ``components``, ``patches``,
generator ``files`` and the rest) so that ``render/failed`` points at the entry, with its line
and column.  When nothing in the error matches an entry, the caller falls back to the
kustomization or Chart.yaml itself.  The tool's error text is only searched here, never
shown (it can hold file content).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitops_guard.render.tree import Kustomization
from gitops_guard.source.limits import Limits
from gitops_guard.source.yamldoc import Document, decode, parse

# Keys whose entries are paths relative to the kustomization (a list of strings).
_PATH_LISTS = (
    "resources",
    "bases",
    "components",
    "crds",
    "configurations",
    "generators",
    "transformers",
    "validators",
)
_GENERATORS = ("configMapGenerator", "secretGenerator")
_PATCH_LISTS = ("patches", "patchesJson6902", "patchesStrategicMerge")

_RECURSED = re.compile(r"recursed accumulation of path '([^']+)'")
# kustomize's resource id: Kind.version.group/name.namespace ("[noNs]" when none).
_PATCH_ID = re.compile(r'patch "?([A-Za-z0-9]+)\.[^/"\s]*/([^"\s;]+)')
_POINTER = re.compile(r"""(?:missing path|path):? ["']?(/[^\s:'"]+)""")
_QUOTED = re.compile(r"""'([^'\n]+)'|\(([^()\n]+)\)|\[([^\[\]\n]+)\]""")
# Helm: "<chart>/templates/x.yaml:12:5" or "parse error at (<chart>/templates/x.yaml:3)".
_HELM_AT = re.compile(r"([\w.@+-]+(?:/[\w.@+-]+)+\.(?:ya?ml|tpl|txt|json))(?::(\d+))?(?::(\d+))?")


@dataclass(frozen=True)
class Entry:
    kustomization: Kustomization
    path: tuple[str | int, ...]  # inside the kustomization document
    raw: str  # the string as written
    resolved: Path | None  # the file or directory it names
    text: str | None = None  # an inline patch


@dataclass(frozen=True)
class Site:
    file: Path
    document: Document | None = None  # with ``path``, for a YAML entry
    path: tuple[str | int, ...] = ()
    line: int | None = None  # for a template position
    column: int | None = None


def kustomize_site(detail: str, root: Kustomization, closure: list[Kustomization]) -> Site | None:
    """The entry of ``closure`` that ``detail`` (kustomize's raw error) names, if any."""
    if not detail:
        return None
    members = {k.dir: k for k in closure}
    recursed = [Path(os.path.normpath(p)) for p in _RECURSED.findall(detail)]
    innermost = next((members[p] for p in reversed(recursed) if p in members), root)
    entries = [e for k in [innermost, *(k for k in closure if k is not innermost)] for e in _entries(k)]
    # The innermost kustomization's own error follows its "recursed accumulation" prefix.
    ends = [m.end() for m in _RECURSED.finditer(detail)]
    tail = detail[ends[-1] :] if ends else detail
    found = _by_patch_id(tail, entries) or _by_pointer(tail, entries)
    if found is None:
        found = _by_path(detail, [e for e in entries if e.kustomization is innermost])
    if found is None and innermost is root:
        found = _by_path(detail, entries, skip=set(members))
    if found is None:
        found = _by_raw(detail, [e for e in entries if e.kustomization is innermost])
    if found is not None:
        return Site(found.kustomization.file, found.kustomization.document, found.path)
    if innermost is not root:
        return Site(innermost.file, innermost.document)
    return None


def entry_named(k: Kustomization, raw: str) -> Site | None:
    """The entry of ``k`` written as ``raw`` (a remote base, say)."""
    found = next((e for e in _entries(k) if e.raw == raw), None)
    return Site(k.file, k.document, found.path) if found is not None else None


def helm_site(detail: str, chart: Path) -> Site | None:
    """The template (with line and column) that helm's error names, if it is in ``chart``."""
    for match in _HELM_AT.finditer(detail):
        named, line, column = match.groups()
        _, _, rest = named.partition("/")
        file = Path(os.path.normpath(chart / rest))
        if file.is_file():
            at = int(line) if line else None
            if at is not None:
                at = min(at, _last_line(file))  # "unexpected EOF" is reported past the last line
            # Go templates count columns from 0.
            return Site(file, line=at, column=int(column) + 1 if column and at == int(line) else None)
    return None


def _last_line(file: Path) -> int:
    try:
        data = file.read_bytes()
    except OSError:
        return 1
    return max(1, data.count(b"\n") + (0 if data.endswith(b"\n") else 1))


def _entries(k: Kustomization) -> Iterator[Entry]:
    data = k.data
    for key in _PATH_LISTS:
        for i, raw in _strings(data.get(key)):
            yield Entry(k, (key, i), raw, _resolve(k, raw))
    for key in _GENERATORS:
        generators = data.get(key)
        for i, gen in enumerate(generators if isinstance(generators, list) else []):
            if not isinstance(gen, dict):
                continue
            for field in ("files", "envs"):
                for j, raw in _strings(gen.get(field)):
                    rel = raw.partition("=")[2] if "=" in raw else raw
                    yield Entry(k, (key, i, field, j), raw, _resolve(k, rel))
            if isinstance(gen.get("env"), str):
                yield Entry(k, (key, i, "env"), gen["env"], _resolve(k, gen["env"]))
    for key in _PATCH_LISTS:
        patches = data.get(key)
        for i, entry in enumerate(patches if isinstance(patches, list) else []):
            if isinstance(entry, str):
                inline = "\n" in entry
                yield Entry(
                    k, (key, i), entry, None if inline else _resolve(k, entry), entry if inline else None
                )
            elif isinstance(entry, dict):
                if isinstance(entry.get("path"), str):
                    yield Entry(k, (key, i, "path"), entry["path"], _resolve(k, entry["path"]))
                if isinstance(entry.get("patch"), str):
                    yield Entry(k, (key, i, "patch"), "", None, entry["patch"])
    replacements = data.get("replacements")
    for i, entry in enumerate(replacements if isinstance(replacements, list) else []):
        if isinstance(entry, dict) and isinstance(entry.get("path"), str):
            yield Entry(k, ("replacements", i, "path"), entry["path"], _resolve(k, entry["path"]))


def _strings(value: Any) -> Iterator[tuple[int, str]]:
    if isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, str) and item:
                yield i, item


def _resolve(k: Kustomization, rel: str) -> Path:
    return Path(os.path.normpath(k.dir / rel))


def _is_patch(entry: Entry) -> bool:
    return entry.path[0] in _PATCH_LISTS


def _patch_text(entry: Entry) -> str | None:
    if entry.text is not None:
        return entry.text
    if entry.resolved is None:
        return None
    try:
        text, problem = decode(entry.resolved.read_bytes())
    except OSError:
        return None
    return text if problem is None else None


def _by_patch_id(detail: str, entries: list[Entry]) -> Entry | None:
    """A strategic-merge patch whose object kustomize found no resource for."""
    match = _PATCH_ID.search(detail)
    if match is None:
        return None
    kind, rest = match.groups()
    name = rest.rsplit(".", 1)[0] if "." in rest else rest
    for entry in entries:
        text = _patch_text(entry) if _is_patch(entry) else None
        if text is None:
            continue
        for doc in parse(text, "<patch>", Limits()).documents:
            data = doc.data
            meta = data.get("metadata") if isinstance(data, dict) else None
            if (
                isinstance(data, dict)
                and data.get("kind") == kind
                and isinstance(meta, dict)
                and meta.get("name") == name
            ):
                return entry
    return None


def _by_pointer(detail: str, entries: list[Entry]) -> Entry | None:
    """A JSON 6902 patch whose operation names a path the target does not have."""
    if "operation does not apply" not in detail and "missing path" not in detail:
        return None
    match = _POINTER.search(detail)
    if match is None:
        return None
    pointer = match.group(1)
    for entry in entries:
        text = _patch_text(entry) if _is_patch(entry) else None
        if text is not None and re.search(_pointer_in_patch(pointer), text, re.M):
            return entry
    return None


def _pointer_in_patch(pointer: str) -> str:
    """``path: /spec/x`` in a YAML or JSON patch."""
    return r"""path['"]?\s*:\s*['"]?""" + re.escape(pointer) + r"""['"]?\s*(?:$|[,}\n])"""


def _by_path(detail: str, entries: list[Entry], *, skip: set[Path] | None = None) -> Entry | None:
    """The entry whose file or directory the error names (the most specific one)."""
    best: Entry | None = None
    for entry in entries:
        resolved = entry.resolved
        if resolved is None or (skip and resolved in skip):
            continue
        if re.search(re.escape(str(resolved)) + r"(?:$|['\":\s)\]])", detail) is None:
            continue
        if best is None or len(str(resolved)) > len(str(best.resolved)):
            best = entry
    return best


def _by_raw(detail: str, entries: list[Entry]) -> Entry | None:
    """The entry as written, quoted in the error: ``'missing.yaml'``, ``path(x.yaml)``, ``[a.txt]``."""
    named = {next(g for g in m.groups() if g is not None) for m in _QUOTED.finditer(detail)}
    named |= {part for n in named for part in n.split()}
    return next((e for e in entries if e.raw and e.raw in named), None)
