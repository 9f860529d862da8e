"""Where a manifest file lands once kustomize builds it: its build root, namespace and name affixes.

Offline we do not build (that is slow and needs the binary); we read the
kustomization files' ``resources``/``components``/``bases`` lists to see which
kustomization includes which file or directory.  That tells:

* the **build root**: the outermost kustomization that includes a file, i.e. the
  directory an Argo CD Application or a Flux Kustomization would point at.  The
  objects of one root are applied together (one sync), which is what sync-order
  questions are about.  A file no kustomization includes is its own directory's.
* the **namespace** kustomize gives every namespaced object (the outermost
  ``namespace:`` wins, as kustomize applies outer transformers last), and
* the **name prefix/suffix** (outer prefixes go in front of inner ones).

Generators, patches and remote bases are not evaluated: objects they create or
rename are not seen here, and callers say so where it matters.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

_LISTS = ("resources", "components", "bases")


class Placement(NamedTuple):
    root: str  # directory of the outermost including kustomization, or the file's own directory
    namespace: str | None  # set by kustomize; None when no including kustomization sets one
    prefix: str = ""
    suffix: str = ""

    def name(self, name: str) -> str:
        return f"{self.prefix}{name}{self.suffix}"


class _Kustomization(NamedTuple):
    directory: str
    namespace: str | None
    prefix: str
    suffix: str
    entries: tuple[str, ...]  # normalized paths it includes


class KustomizeScope:
    """Answers ``placement(path)`` for display paths (relative, ``/``-separated)."""

    def __init__(self, kustomizations: Iterable[tuple[str, Mapping[str, Any]]]) -> None:
        """``kustomizations``: (path of the kustomization file, its parsed data)."""
        self._by_dir: dict[str, _Kustomization] = {}
        for path, data in kustomizations:
            directory = posixpath.dirname(path) or "."
            if directory in self._by_dir:
                continue  # kustomize refuses a directory with two kustomization files
            entries = []
            for key in _LISTS:
                items = data.get(key)
                if not isinstance(items, list):
                    continue
                for item in items:
                    if isinstance(item, str) and "://" not in item and not item.startswith("git@"):
                        entries.append(_join(directory, item))
            self._by_dir[directory] = _Kustomization(
                directory,
                _str(data.get("namespace")),
                _str(data.get("namePrefix")) or "",
                _str(data.get("nameSuffix")) or "",
                tuple(entries),
            )
        # included path (file or kustomization directory) -> the kustomization directory including it
        self._parent: dict[str, str] = {}
        for k in sorted(self._by_dir):
            for entry in self._by_dir[k].entries:
                if entry != k:
                    self._parent.setdefault(entry, k)

    def placement(self, path: str) -> Placement:
        chain: list[_Kustomization] = []
        seen: set[str] = set()
        current = self._parent.get(path)
        while current is not None and current not in seen:
            seen.add(current)
            chain.append(self._by_dir[current])
            current = self._parent.get(current)
        if not chain:
            return Placement(posixpath.dirname(path) or ".", None)
        namespace = next((k.namespace for k in reversed(chain) if k.namespace), None)
        prefix = "".join(k.prefix for k in reversed(chain))
        suffix = "".join(k.suffix for k in chain)
        return Placement(chain[-1].directory, namespace, prefix, suffix)


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _join(directory: str, item: str) -> str:
    joined = posixpath.normpath(posixpath.join(directory, item.strip()))
    return joined.removeprefix("./") if joined != "." else "."
