"""A Flux Kustomization as a :class:`Deployer`: its ``sourceRef`` and ``spec.path`` resolved.

A GitRepository is this repository when its URL is known to be (or it is ``flux bootstrap``'s
``flux-system``); an ExternalArtifact is followed back through the ArtifactGenerator ``copy``
operations that build it; OCIRepository and Bucket contents are not knowable offline.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import Any

from gitops_guard.gitops.deployers import IN_CLUSTER, Deployer, Destination, Source, Tool
from gitops_guard.gitops.evidence import (
    FLUX_SOURCE_EXT_GROUP,
    FLUX_SOURCE_GROUP,
    Objects,
    Urls,
    get_in,
    meta_of,
    spec_of,
)
from gitops_guard.gitops.repository import Repository, is_under, normalize_path
from gitops_guard.resources import Resource


def flux_kustomization(res: Resource, objs: Objects, repo: Repository, urls: Urls) -> Deployer:
    spec = spec_of(res.body)
    meta = meta_of(res.body)
    ns = meta.get("namespace") if isinstance(meta.get("namespace"), str) else None
    path = spec.get("path")
    r = resolve_flux_path(spec, ns, objs, repo, urls, near=res.document.path)
    sources = (
        Source(
            at=("spec", "sourceRef"),
            path_at=("spec", "path") if "path" in spec else ("spec",),
            repo_url=r.label,
            path=path if isinstance(path, str) else None,
            directory=r.directory,
            reason=r.reason,
            remote=r.remote,
        ),
    )
    kube = spec.get("kubeConfig")
    cluster = IN_CLUSTER
    if isinstance(kube, dict):
        secret = get_in(kube, "secretRef", "name")
        cluster = (
            f"kubeconfig secret {ns + '/' if ns else ''}{secret}" if isinstance(secret, str) else "kubeconfig"
        )
    target = spec.get("targetNamespace")
    depends = []
    deps = spec.get("dependsOn")
    for dep in deps if isinstance(deps, list) else []:
        if isinstance(dep, dict) and isinstance(dep.get("name"), str):
            dns = dep.get("namespace")
            depends.append((dns if isinstance(dns, str) else ns, dep["name"]))
    return Deployer(
        tool=Tool.FLUX,
        kind="Kustomization",
        name=meta.get("name") if isinstance(meta.get("name"), str) else None,
        namespace=ns,
        document=res.document,
        obj=res.ref,
        spec_at=("spec",),
        sources=sources,
        destination=Destination(cluster, target if isinstance(target, str) and target else None),
        automated=True,  # Flux always reconciles
        prune=spec.get("prune") is True,
        prune_at=("spec", "prune"),
        depends_on=tuple(depends),
    )


@dataclass(frozen=True)
class _Resolved:
    directory: str | None
    reason: str = ""
    remote: bool = False
    label: str | None = None


def resolve_flux_path(
    spec: dict[str, Any], ns: str | None, objs: Objects, repo: Repository, urls: Urls, *, near: str = ""
) -> _Resolved:
    """Where a Flux Kustomization's ``spec.path`` is in this repository, if it is.

    Source objects are looked up by namespace and name; when several files define the same
    one (one per cluster directory), the one nearest to ``near`` (the Kustomization's file)
    is the one that cluster has.
    """
    ref = spec.get("sourceRef")
    if not isinstance(ref, dict) or not isinstance(ref.get("name"), str):
        return _Resolved(None, "no spec.sourceRef")
    kind = ref.get("kind") or "GitRepository"
    name = ref["name"]
    src_ns = ref.get("namespace") if isinstance(ref.get("namespace"), str) else ns
    label = f"{kind} {src_ns + '/' if src_ns else ''}{name}"
    raw = spec.get("path")
    if raw is not None and not isinstance(raw, str):
        return _Resolved(None, "spec.path is not a string", label=label)
    inner = normalize_path(raw or "")
    if inner is None:
        return _Resolved(None, f"path {raw!r} leaves the source", label=label)
    if kind == "GitRepository":
        git = _our_git(objs, src_ns, name, urls, near)
        if git.directory is None:
            return _Resolved(None, git.reason, git.remote, label)
        return _existing(repo, inner, raw, label)
    if kind == "ExternalArtifact":
        art = _through_generator(objs, src_ns, name, inner, urls, near)
        if art.directory is None:
            return _Resolved(None, art.reason, art.remote, label)
        return _existing(repo, art.directory, raw, label)
    if kind in ("OCIRepository", "Bucket"):
        what = "an OCI artifact" if kind == "OCIRepository" else "a bucket"
        return _Resolved(None, f"{label} is {what}: what it holds is not knowable offline", True, label)
    return _Resolved(None, f"unknown source kind {kind!r}", label=label)


def _existing(repo: Repository, directory: str, raw: str | None, label: str) -> _Resolved:
    if repo.is_dir(directory):
        return _Resolved(directory, label=label)
    return _Resolved(
        None, f"path {raw or '.'!r} ({directory}) does not exist in this repository", label=label
    )


def _our_git(objs: Objects, ns: str | None, name: str, urls: Urls, near: str) -> _Resolved:
    """``_Resolved(".")`` when the GitRepository is this repository."""
    label = f"GitRepository {ns + '/' if ns else ''}{name}"
    git = objs.find(FLUX_SOURCE_GROUP, "GitRepository", ns, name, near)
    bootstrap = name == "flux-system" and ns in (None, "flux-system")
    if git is not None:
        url = get_in(git.body, "spec", "url")
        if isinstance(url, str) and url:
            ours = urls.ours(url)
            if ours is True or (ours is None and bootstrap):
                return _Resolved(".")
            return _Resolved(None, f"{label} is another repository ({url})", True)
        return _Resolved(None, f"{label} has no URL")
    if bootstrap and not urls.known:
        # flux bootstrap's own GitRepository: the repository that holds the cluster's files.
        return _Resolved(".")
    return _Resolved(None, f"{label} is not defined in the checked files")


def _through_generator(
    objs: Objects, ns: str | None, name: str, inner: str, urls: Urls, near: str
) -> _Resolved:
    """Map a path inside an ExternalArtifact back to this repository through the
    ArtifactGenerator's ``copy`` operations (``@alias/dir/**`` → ``@artifact/dest/``)."""
    for gen in objs.nearest(objs.of(FLUX_SOURCE_EXT_GROUP, "ArtifactGenerator"), near):
        if ns is not None and gen.ref.namespace not in (None, ns):
            continue
        spec = spec_of(gen.body)
        arts = spec.get("artifacts")
        for art in arts if isinstance(arts, list) else []:
            if not isinstance(art, dict) or art.get("name") != name:
                continue
            srcs = spec.get("sources")
            aliases = {
                s.get("alias"): s for s in (srcs if isinstance(srcs, list) else []) if isinstance(s, dict)
            }
            best: tuple[int, _Resolved] | None = None
            ops = art.get("copy")
            for op in ops if isinstance(ops, list) else []:
                if not isinstance(op, dict):
                    continue
                mapped = _map_copy(op, inner, aliases, gen.ref.namespace, objs, urls, gen.document.path)
                if mapped is not None and (best is None or mapped[0] > best[0]):
                    best = mapped
            if best is None:
                return _Resolved(
                    None, f"no copy operation of ArtifactGenerator {gen.ref.name} produces {inner!r}"
                )
            return best[1]
    return _Resolved(None, f"no ArtifactGenerator in the checked files produces ExternalArtifact {name}")


def _map_copy(
    op: dict[str, Any],
    inner: str,
    aliases: dict[Any, dict[str, Any]],
    ns: str | None,
    objs: Objects,
    urls: Urls,
    near: str,
) -> tuple[int, _Resolved] | None:
    src, dst = op.get("from"), op.get("to")
    if not isinstance(src, str) or not isinstance(dst, str) or not dst.startswith("@artifact/"):
        return None
    dest = normalize_path(dst[len("@artifact/") :].rstrip("/")) or "."
    if not is_under(inner, dest):
        return None
    depth = 0 if dest == "." else dest.count("/") + 1
    alias, _, from_path = src.lstrip("@").partition("/")
    source = aliases.get(alias)
    if source is None:
        return depth, _Resolved(None, f"copy from unknown source alias {alias!r}")
    if source.get("kind") != "GitRepository":
        kind, sname = source.get("kind"), source.get("name")
        return depth, _Resolved(
            None, f"built from {kind} {sname}: what it holds is not knowable offline", True
        )
    sns = source.get("namespace") if isinstance(source.get("namespace"), str) else ns
    git = _our_git(objs, sns, str(source.get("name")), urls, near)
    if git.directory is None:
        return depth, git
    base = from_path
    for suffix in ("/**", "/"):
        if base.endswith(suffix):
            base = base[: -len(suffix)]
            break
    if any(c in base for c in "*?["):
        return depth, _Resolved(None, f"copy from {src!r} selects files by pattern, not a directory")
    root = normalize_path(base)
    if root is None:
        return depth, _Resolved(None, f"copy from {src!r} leaves the repository")
    rest = inner if dest == "." else ("" if inner == dest else inner[len(dest) + 1 :])
    if not rest or rest == ".":
        return depth, _Resolved(root)
    return depth, _Resolved(normalize_path(posixpath.join(root, rest)))
