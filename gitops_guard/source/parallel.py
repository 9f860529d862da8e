"""Parse many files on every core: forked workers, results back through a pipe.

Parsing is the largest cost of a whole-repository run (PyYAML's composer and
our node conversion are CPU-bound Python), so a run over hundreds of files
splits them across processes.  Workers return plain data and text only: node
trees are large to pickle and needed only for the few documents that get a
finding, so each document re-parses its file on first position lookup.

A worker that fails for any reason is ignored and its share parsed in this
process; small runs (the pre-commit hook) never fork.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from gitops_guard.source.limits import Limits

if TYPE_CHECKING:
    import yaml

    from gitops_guard.source.load import SourceFile
    from gitops_guard.source.walk import Candidate

# Below this many files a fork costs more than it saves.
MIN_FILES = 150

Reader = Callable[[list["Candidate"], Limits], list["SourceFile"]]


def jobs() -> int:
    configured = os.environ.get("GITOPS_GUARD_JOBS", "")
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    return min(os.cpu_count() or 1, 8)


def map_files(read: Reader, candidates: list[Candidate], limits: Limits) -> list[SourceFile]:
    n = jobs()
    if n < 2 or len(candidates) < MIN_FILES or not hasattr(os, "fork"):
        return read(candidates, limits)
    # Interleaved shares balance big and small files without a stat() per file.
    shares = [candidates[i::n] for i in range(n)]
    workers = [_spawn(read, share, limits) for share in shares[1:]]
    results: list[list[SourceFile]] = [read(shares[0], limits)]
    for worker, share in zip(workers, shares[1:], strict=True):
        got = _collect(worker)
        if got is None or len(got) != len(share):
            got = read(share, limits)
        else:
            _attach_recompose(got, limits)
        results.append(got)
    merged: list[SourceFile] = [None] * len(candidates)  # type: ignore[list-item]
    for i, files in enumerate(results):
        merged[i::n] = files
    return merged


def _spawn(read: Reader, share: list[Candidate], limits: Limits) -> tuple[int, int] | None:
    try:
        r, w = os.pipe()
        pid = os.fork()
    except OSError:
        return None
    if pid == 0:  # worker
        status = 0
        try:
            import pickle

            os.close(r)
            files = read(share, limits)
            for sf in files:
                for doc in sf.documents:
                    # The tree stays behind; a marker says whether it can be rebuilt.
                    kept = doc.root is not None or doc.recompose is not None
                    doc.recompose = None
                    doc.root = _KEPT if kept else None  # type: ignore[assignment]
            payload = pickle.dumps(files, protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(w, "wb") as out:
                out.write(payload)
        except BaseException:
            status = 1
        finally:
            os._exit(status)
    os.close(w)
    return pid, r


class _Kept:
    """Pickled in place of a node tree that the parent can rebuild by re-parsing."""

    def __reduce__(self) -> str:
        return "_KEPT"


_KEPT = _Kept()


def _collect(worker: tuple[int, int] | None) -> list[SourceFile] | None:
    if worker is None:
        return None
    pid, r = worker
    with os.fdopen(r, "rb") as pipe:
        payload = pipe.read()
    _, status = os.waitpid(pid, 0)
    if status != 0 or not payload:
        return None
    import pickle

    try:
        files: list[SourceFile] = pickle.loads(payload)
    except Exception:
        return None
    return files


def _attach_recompose(files: list[SourceFile], limits: Limits) -> None:
    from gitops_guard.source.yamldoc import Recompose

    for sf in files:
        cache: list[list[yaml.Node | None]] = []
        for doc in sf.documents:
            if doc.root is _KEPT:  # type: ignore[comparison-overlap]
                doc.root = None
                doc.recompose = Recompose(sf.text or "", sf.path, doc.index, limits, cache)
            else:
                doc.root = None
