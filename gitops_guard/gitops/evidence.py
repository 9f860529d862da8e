"""What the checked files say about this repository, and plain access to manifest fields.

:class:`Objects` indexes the checked objects by (group, kind) so that a Flux source or an
ArtifactGenerator is found by namespace and name, nearest to the file that names it;
:class:`Urls` decides which repository URLs mean this repository (known git remotes, else
the evidence of Applications whose paths exist here).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gitops_guard.gitops.repository import Repository, normalize_path, normalize_url
from gitops_guard.resources import Resource

ARGO_GROUP = "argoproj.io"
FLUX_KUSTOMIZE_GROUP = "kustomize.toolkit.fluxcd.io"
FLUX_SOURCE_GROUP = "source.toolkit.fluxcd.io"
FLUX_SOURCE_EXT_GROUP = "source.extensions.fluxcd.io"


class Objects:
    """Objects by (group, kind), and lookup by namespace/name."""

    def __init__(self, resources: Sequence[Resource]) -> None:
        self.by_kind: dict[tuple[str, str], list[Resource]] = {}
        for r in resources:
            self.by_kind.setdefault((r.group, r.kind), []).append(r)

    def of(self, group: str, kind: str) -> list[Resource]:
        return self.by_kind.get((group, kind), [])

    def find(self, group: str, kind: str, ns: str | None, name: str, near: str = "") -> Resource | None:
        found = [
            r
            for r in self.of(group, kind)
            if r.ref.name == name and (ns is None or r.ref.namespace in (None, ns))
        ]
        return self.nearest(found, near)[0] if found else None

    @staticmethod
    def nearest(candidates: list[Resource], near: str) -> list[Resource]:
        """Candidates sorted by how many leading directories their file shares with ``near``."""
        here = near.split("/")[:-1]

        def shared(r: Resource) -> int:
            n = 0
            for a, b in zip(here, r.document.path.split("/")[:-1], strict=False):
                if a != b:
                    break
                n += 1
            return n

        return sorted(candidates, key=shared, reverse=True)


class Urls:
    """Which repository URLs mean this repository: known ones, else inferred from evidence."""

    def __init__(self, repo: Repository) -> None:
        self.repo = repo
        self.known = repo.urls
        self.inferred: set[str] = set()

    def observe(self, src: dict[str, Any], repo: Repository) -> None:
        if self.known:
            return
        url, path = src.get("repoURL"), src.get("path")
        if not isinstance(url, str) or not isinstance(path, str) or src.get("chart") or "{{" in url + path:
            return
        d = normalize_path(path)
        if d is not None and d != "." and repo.is_dir(d):
            self.inferred.add(normalize_url(url))

    def ours(self, url: str) -> bool | None:
        """True/False when known or inferred; None when there is no evidence either way."""
        u = normalize_url(url)
        if self.known:
            return u in self.known
        if u in self.inferred:
            return True
        return None


# Fields of a manifest that may be malformed: a value of the wrong type reads as absent.


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def spec_of(body: dict[str, Any]) -> dict[str, Any]:
    spec = body.get("spec")
    return spec if isinstance(spec, dict) else {}


def meta_of(body: dict[str, Any]) -> dict[str, Any]:
    meta = body.get("metadata")
    return meta if isinstance(meta, dict) else {}


def get_in(data: Any, *keys: str) -> Any:
    for k in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(k)
    return data
