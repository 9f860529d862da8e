"""What rendering a directory reads: the manifest files it applies and the directories it reaches.

Each tool turns a directory into objects differently, and that decides whether two
deployers touch the same objects:

* **kustomize** (a ``kustomization.yaml`` in the directory, Argo CD and Flux alike): only what
  the file lists under ``resources``/``bases``/``components``/``crds``, followed transitively;
  remote URLs are someone else's files.
* **Flux without a kustomization.yaml**: kustomize-controller generates one that takes every
  ``.yaml``/``.yml`` file below the directory, recursively, and takes a sub-directory that has
  its own kustomization file as one unit (not descending into it).
* **Argo CD plain directory**: the ``.yaml``/``.yml``/``.json`` files directly in it, or
  below it with ``directory.recurse: true``, filtered by ``include``/``exclude`` globs.
* **Argo CD Helm chart** (a ``Chart.yaml``): the chart directory as a unit.

Remote bases, generators and Helm rendering are not followed: the footprint is about which
files of *this* repository end up applied.  Reading the kustomization files' references,
rather than running ``kustomize build``, is enough for that, keeps the file-level provenance
that kustomize's output loses, spawns no process (the pre-commit hook runs on every commit),
and works when a remote base cannot be fetched.
"""

from __future__ import annotations

import fnmatch
import posixpath
from dataclasses import dataclass
from typing import Any

from gitops_guard.gitops.repository import Repository, normalize_path
from gitops_guard.source.limits import Limits
from gitops_guard.source.yamldoc import decode, parse

KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
_FLUX_SUFFIXES = (".yaml", ".yml")
_ARGO_SUFFIXES = (".yaml", ".yml", ".json")
_KUSTOMIZE_REF_KEYS = ("resources", "bases", "components", "crds")


@dataclass(frozen=True)
class Footprint:
    renderer: str  # "kustomize" | "flux-generated" | "directory" | "directory-recurse" | "helm" | "plugin"
    files: frozenset[str]  # repository-relative files the render applies
    dirs: frozenset[str]  # directories it reaches (the directory itself included)


class Renderers:
    """Computes footprints with the kustomization files read once per run."""

    def __init__(self, repo: Repository, limits: Limits | None = None) -> None:
        self.repo = repo
        self.limits = limits or Limits()
        self._kustomizations: dict[str, dict[str, Any] | None] = {}
        self._cache: dict[tuple[str, str, str, str], Footprint] = {}

    def kustomization_file(self, directory: str) -> str | None:
        for name in KUSTOMIZATION_NAMES:
            rel = name if directory == "." else f"{directory}/{name}"
            if self.repo.is_file(rel):
                return rel
        return None

    def argo(
        self,
        directory: str,
        *,
        recurse: bool = False,
        include: str = "",
        exclude: str = "",
        plugin: bool = False,
    ) -> Footprint:
        key = ("argo", directory, f"{recurse}:{plugin}", f"{include}\0{exclude}")
        if key not in self._cache:
            self._cache[key] = self._argo(directory, recurse, include, exclude, plugin)
        return self._cache[key]

    def flux(self, directory: str) -> Footprint:
        key = ("flux", directory, "", "")
        if key not in self._cache:
            self._cache[key] = self._flux(directory)
        return self._cache[key]

    def _argo(self, directory: str, recurse: bool, include: str, exclude: str, plugin: bool) -> Footprint:
        if plugin:
            files, dirs = self._tree(directory, lambda _: True)
            return Footprint("plugin", files, dirs)
        if self.repo.is_file(_join(directory, "Chart.yaml")):
            files, dirs = self._tree(directory, lambda _: True)
            return Footprint("helm", files, frozenset({directory}))
        if self.kustomization_file(directory):
            files, dirs = self._kustomize(directory)
            return Footprint("kustomize", files, dirs)
        inc = _expand_braces(include) if include else []
        exc = _expand_braces(exclude) if exclude else []

        def wanted(rel: str) -> bool:
            if not rel.endswith(_ARGO_SUFFIXES):
                return False
            inner = posixpath.relpath(rel, directory) if directory != "." else rel
            if inc and not any(_glob_match(p, inner) for p in inc):
                return False
            return not any(_glob_match(p, inner) for p in exc)

        if recurse:
            files, dirs = self._tree(directory, wanted)
            return Footprint("directory-recurse", files, dirs)
        out: set[str] = set()
        for rel, dirnames, filenames in self.repo.walk(directory):
            dirnames[:] = []
            out.update(f for f in (_join(rel, n) for n in filenames) if wanted(f))
        return Footprint("directory", frozenset(out), frozenset({directory}))

    def _flux(self, directory: str) -> Footprint:
        if self.kustomization_file(directory):
            k_files, k_dirs = self._kustomize(directory)
            return Footprint("kustomize", k_files, k_dirs)
        files: set[str] = set()
        dirs: set[str] = set()
        for rel, dirnames, filenames in self.repo.walk(directory):
            if rel != directory and self.kustomization_file(rel):
                sub_files, sub_dirs = self._kustomize(rel)
                files |= sub_files
                dirs |= sub_dirs
                dirnames[:] = []
                continue
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            dirs.add(rel)
            files.update(_join(rel, n) for n in filenames if n.endswith(_FLUX_SUFFIXES))
        return Footprint("flux-generated", frozenset(files), frozenset(dirs))

    def _tree(self, directory: str, wanted: Any) -> tuple[frozenset[str], frozenset[str]]:
        files: set[str] = set()
        dirs: set[str] = set()
        for rel, dirnames, filenames in self.repo.walk(directory):
            dirnames[:] = [d for d in dirnames if d != ".git"]
            dirs.add(rel)
            files.update(f for f in (_join(rel, n) for n in filenames) if wanted(f))
        return frozenset(files), frozenset(dirs)

    def _kustomize(self, directory: str) -> tuple[frozenset[str], frozenset[str]]:
        files: set[str] = set()
        dirs: set[str] = set()
        todo = [directory]
        while todo:
            current = todo.pop()
            if current in dirs:
                continue  # a cycle or a diamond: each directory once
            dirs.add(current)
            kfile = self.kustomization_file(current)
            if kfile is None:
                continue
            files.add(kfile)
            for ref in self._refs(kfile):
                target = normalize_path(posixpath.join(current, ref))
                if target is None:
                    continue
                if self.repo.is_dir(target):
                    todo.append(target)
                elif self.repo.is_file(target):
                    files.add(target)
        return frozenset(files), frozenset(dirs)

    def _refs(self, kfile: str) -> list[str]:
        data = self.read(kfile)
        if not isinstance(data, dict):
            return []
        out: list[str] = []
        for key in _KUSTOMIZE_REF_KEYS:
            entries = data.get(key)
            if isinstance(entries, list):
                out.extend(e for e in entries if isinstance(e, str) and e and "://" not in e and "?" not in e)
        return out

    def read(self, rel: str) -> Any:
        """The first document of a YAML file, parsed with the run's limits (None when unusable)."""
        if rel not in self._kustomizations:
            self._kustomizations[rel] = self._read(rel)
        return self._kustomizations[rel]

    def _read(self, rel: str) -> Any:
        path = self.repo.abspath(rel)
        try:
            if path.stat().st_size > self.limits.max_file_bytes:
                return None
            raw = path.read_bytes()
        except OSError:
            return None
        text, problem = decode(raw)
        if text is None or problem is not None:
            return None
        parsed = parse(text, rel, self.limits)
        docs = [d.data for d in parsed.documents if d.data is not None]
        return docs[0] if docs else None


def _join(directory: str, name: str) -> str:
    return name if directory == "." else f"{directory}/{name}"


def _glob_match(pattern: str, path: str) -> bool:
    """Argo CD matches include/exclude globs against the path relative to the app's directory;
    a pattern without ``/`` also matches a bare file name."""
    if fnmatch.fnmatchcase(path, pattern):
        return True
    return "/" not in pattern and fnmatch.fnmatchcase(posixpath.basename(path), pattern)


def _expand_braces(pattern: str) -> list[str]:
    """``{a.yaml,b/*}`` → ``[a.yaml, b/*]`` (Argo CD's include/exclude accept one brace group)."""
    start = pattern.find("{")
    end = pattern.find("}", start + 1)
    if start == -1 or end == -1:
        return [pattern]
    head, body, tail = pattern[:start], pattern[start + 1 : end], pattern[end + 1 :]
    out: list[str] = []
    for alt in body.split(","):
        out.extend(_expand_braces(head + alt + tail))
    return out
