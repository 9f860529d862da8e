"""What each Argo CD Application and Flux Kustomization deploys from this repository.

An Application (or a Kustomization) file *means* the objects its source renders.  This
module turns every deployer found in the checked files into a :class:`Deployer`: its
sources resolved to repository-relative directories (or to ``None`` with the reason it
cannot be: another repository, a Helm chart repository, an OCI artifact, a path that is not
here), its destination, and its sync policy.  ApplicationSets are expanded into the
Applications they template where their generators can be evaluated offline
(:mod:`gitops_guard.gitops.appsets`).

"This repository", offline: an Argo CD ``repoURL`` is this repository when it is one of its
known URLs (git remotes, or URLs the caller names); with none known, when the path it names
exists here — and then every other source with that ``repoURL`` is taken to be this
repository too.  A repository root path (``.``) alone is no evidence.  A Flux source is this
repository when its GitRepository URL is known to be, or when it is ``flux-system`` in
``flux-system`` (what ``flux bootstrap`` creates for the repository that holds the cluster's
own files) and no remote says otherwise.  OCIRepository and Bucket contents are not knowable
offline; an ExternalArtifact is followed through the ArtifactGenerator that builds it.
"""

from __future__ import annotations

import enum
import posixpath
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from gitops_guard.findings import ObjectRef
from gitops_guard.gitops.footprint import Footprint, Renderers
from gitops_guard.gitops.repository import Repository, is_under, normalize_path, normalize_url
from gitops_guard.resources import Resource
from gitops_guard.source.yamldoc import Document

NodePath = tuple[str | int, ...]

IN_CLUSTER = "in-cluster"
_IN_CLUSTER_SERVERS = frozenset({"https://kubernetes.default.svc", "https://kubernetes.default.svc/"})
ARGO_GROUP = "argoproj.io"
FLUX_KUSTOMIZE_GROUP = "kustomize.toolkit.fluxcd.io"
FLUX_SOURCE_GROUP = "source.toolkit.fluxcd.io"
FLUX_SOURCE_EXT_GROUP = "source.extensions.fluxcd.io"


class Tool(enum.StrEnum):
    ARGO_CD = "Argo CD"
    FLUX = "Flux"


@dataclass(frozen=True)
class Destination:
    """Where the objects go.  ``cluster`` is ``in-cluster``, a server URL, an Argo CD cluster
    name, or a Flux kubeconfig secret; None when templated and not knowable."""

    cluster: str | None
    namespace: str | None

    def __str__(self) -> str:
        ns = f", namespace {self.namespace}" if self.namespace else ""
        return f"{self.cluster or 'an unknown cluster'}{ns}"


@dataclass(frozen=True)
class Source:
    at: NodePath  # the source mapping in the document
    path_at: NodePath  # its path node (the mapping itself when the path is not written)
    repo_url: str | None
    path: str | None  # as written
    directory: str | None  # repository-relative, "." for the root; None when not resolvable
    reason: str = ""  # why ``directory`` is None
    # True when the source is known to live elsewhere (another repository, a chart
    # repository, an artifact); False with a reason means "should be here, but is not knowable".
    remote: bool = False
    recurse: bool = False
    include: str = ""
    exclude: str = ""
    plugin: bool = False
    chart: str | None = None
    # What makes the same files render different objects (Helm release name, kustomize
    # name prefix/suffix/namespace): two sources of one directory with different variants
    # do not touch the same objects.
    variant: str = ""

    @property
    def remote_key(self) -> tuple[str, str, str] | None:
        """Identity of a source that is not in this repository (repository, path or chart)."""
        if self.directory is not None or not self.repo_url or "{{" in self.repo_url:
            return None
        where = self.chart or (normalize_path(self.path or "") or "")
        if "{{" in where:
            return None
        return normalize_url(self.repo_url), where, self.variant


@dataclass(frozen=True)
class Deployer:
    tool: Tool
    kind: str  # "Application" | "Kustomization"
    name: str | None
    namespace: str | None
    document: Document  # the file that declares it (the ApplicationSet, for generated Applications)
    obj: ObjectRef  # the object written in the file
    spec_at: NodePath
    sources: tuple[Source, ...]
    destination: Destination
    automated: bool
    prune: bool
    prune_at: NodePath
    allow_empty: bool = False
    allow_empty_at: NodePath = ()
    self_heal: bool = False
    sync_options: tuple[str, ...] = ()
    depends_on: tuple[tuple[str | None, str], ...] = ()  # Flux: (namespace, name)
    generated_by: str | None = None  # "ApplicationSet argocd/name" for generated Applications
    # False for the bare template of an ApplicationSet whose generators could not be expanded.
    expanded: bool = True

    @property
    def path(self) -> str:
        return self.document.path

    @property
    def label(self) -> str:
        ns = f"{self.namespace}/" if self.namespace else ""
        own = f"{self.tool} {self.kind} {ns}{self.name or '?'}"
        return f"{own} (from {self.generated_by})" if self.generated_by else own

    def where(self) -> str:
        line, _ = self.document.locate(self.spec_at[:-1] if self.generated_by else ())
        return f"{self.path}:{line}" if line else self.path


@dataclass(frozen=True)
class Unresolved:
    """An ApplicationSet (or one of its generators) that cannot be expanded offline."""

    obj: ObjectRef
    document: Document
    at: NodePath
    reason: str


@dataclass
class DeployerModel:
    repo: Repository
    deployers: list[Deployer]
    unresolved: list[Unresolved]
    renderers: Renderers
    # display path of a checked file -> its repository-relative path
    file_rel: dict[str, str | None] = field(default_factory=dict, repr=False)
    _parents: dict[int, list[Deployer]] | None = field(default=None, repr=False)

    def footprint(self, deployer: Deployer, source: Source) -> Footprint | None:
        if source.directory is None:
            return None
        if deployer.tool is Tool.FLUX:
            return self.renderers.flux(source.directory)
        return self.renderers.argo(
            source.directory,
            recurse=source.recurse,
            include=source.include,
            exclude=source.exclude,
            plugin=source.plugin,
        )

    def deployed_files(self, deployer: Deployer) -> frozenset[str]:
        out: set[str] = set()
        for s in deployer.sources:
            fp = self.footprint(deployer, s)
            if fp is not None:
                out |= fp.files
        return frozenset(out)

    def parents(self, deployer: Deployer) -> list[Deployer]:
        """The other deployers whose rendered files include the file declaring ``deployer``."""
        if self._parents is None:
            index: dict[str, list[Deployer]] = {}
            for d in self.deployers:
                for f in self.deployed_files(d):
                    index.setdefault(f, []).append(d)
            self._parents = {}
            for d in self.deployers:
                rel = self._rel(d)
                self._parents[id(d)] = [p for p in index.get(rel or "", []) if p is not d]
        return self._parents[id(deployer)]

    def manages_itself(self, deployer: Deployer) -> bool:
        rel = self._rel(deployer)
        return rel is not None and rel in self.deployed_files(deployer)

    def roots(self, deployer: Deployer) -> frozenset[str]:
        """Which trees of deployers this one belongs to.

        A deployer applied by another belongs to its parents' trees; one that applies its own
        file (``flux bootstrap``'s flux-system, a self-managing Argo CD app) starts a tree of
        its own — usually one per cluster; every other top-level deployer is applied by hand,
        and all of those share one tree.  Two in-cluster deployers can only meet in the same
        cluster when they share a tree.
        """
        seen: set[int] = set()
        out: set[str] = set()
        todo = [deployer]
        while todo:
            d = todo.pop()
            if id(d) in seen:
                continue
            seen.add(id(d))
            parents = self.parents(d)
            if parents:
                todo.extend(parents)
            elif self.manages_itself(d):
                out.add(f"{d.path}#{d.document.index}:{d.name}")
            else:
                out.add("")
        if not out:  # a cycle of deployers applying each other, none applying itself
            out.add(f"{deployer.path}#{deployer.document.index}:{deployer.name}")
        return frozenset(out)

    def _rel(self, deployer: Deployer) -> str | None:
        """The repository-relative path of the file declaring ``deployer``."""
        return self.file_rel.get(deployer.path)


def build(
    resources: Sequence[Resource],
    repo: Repository,
    *,
    abspaths: dict[str, Any] | None = None,
    renderers: Renderers | None = None,
) -> DeployerModel:
    """The deployers among ``resources``.  ``abspaths`` maps a document's display path to its
    absolute path (the pipeline's files), so that files can be placed in the repository."""
    from gitops_guard.gitops import appsets

    objs = Objects(resources)
    renderers = renderers or Renderers(repo)
    urls = Urls(repo)
    # Evidence first: which repoURLs name directories that exist here.
    for res in objs.of(ARGO_GROUP, "Application"):
        for _, src in _argo_sources(_spec(res.body)):
            urls.observe(src, repo)
    for res in objs.of(FLUX_SOURCE_GROUP, "GitRepository"):
        if (res.ref.namespace, res.ref.name) == ("flux-system", "flux-system") and not repo.urls:
            url = _get(res.body, "spec", "url")
            if isinstance(url, str) and url:
                urls.inferred.add(normalize_url(url))

    deployers: list[Deployer] = []
    unresolved: list[Unresolved] = []
    for res in objs.of(ARGO_GROUP, "Application"):
        meta = _meta(res.body)
        deployers.append(
            argo_application(
                _spec(res.body),
                meta.get("name"),
                meta.get("namespace"),
                res.document,
                res.ref,
                ("spec",),
                urls,
            )
        )
    for res in objs.of(ARGO_GROUP, "ApplicationSet"):
        apps, problems = appsets.expand(res, repo, urls)
        unresolved.extend(problems)
        for app in apps:
            deployers.append(
                argo_application(
                    app.spec,
                    app.name,
                    app.namespace,
                    res.document,
                    res.ref,
                    ("spec", "template", "spec"),
                    urls,
                    generated_by=f"ApplicationSet {_ref_name(res.ref)}",
                    expanded=app.expanded,
                )
            )
    for res in objs.of(FLUX_KUSTOMIZE_GROUP, "Kustomization"):
        deployers.append(flux_kustomization(res, objs, repo, urls))
    model = DeployerModel(repo, deployers, unresolved, renderers)
    for d in deployers:
        absolute = (abspaths or {}).get(d.path)
        model.file_rel[d.path] = repo.rel(absolute) if absolute is not None else _guess_rel(repo, d.path)
    return model


def _guess_rel(repo: Repository, display: str) -> str | None:
    candidate = normalize_path(display)
    return candidate if candidate is not None and repo.is_file(candidate) else None


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


def resolve_argo_path(
    repo: Repository, urls: Urls, repo_url: Any, path: Any, chart: Any
) -> tuple[str | None, str, bool]:
    """(directory, reason it is None, whether the source is known to live elsewhere)."""
    if isinstance(chart, str) and chart:
        return None, f"Helm chart {chart!r} from the chart repository {repo_url}", True
    if not isinstance(repo_url, str) or not repo_url:
        return None, "no repoURL", False
    if repo_url.startswith("oci://"):
        return None, f"an OCI artifact ({repo_url})", True
    if path is not None and not isinstance(path, str):
        return None, "path is not a string", False
    raw = path or ""
    if "{{" in repo_url or "{{" in raw:
        return None, "templated repoURL or path (not knowable offline)", False
    directory = normalize_path(raw)
    if directory is None:
        return None, f"path {raw!r} leaves the repository", False
    ours = urls.ours(repo_url)
    if ours is False:
        return None, f"another repository ({repo_url})", True
    exists = repo.is_dir(directory)
    if ours is None and not (exists and directory != "."):
        # No evidence that this URL is this repository: taken as another one.
        return None, f"another repository ({repo_url}): nothing names it as this one", True
    if not exists:
        return None, f"path {raw!r} does not exist in this repository", False
    return directory, "", False


def argo_application(
    spec: dict[str, Any],
    name: Any,
    namespace: Any,
    document: Document,
    obj: ObjectRef,
    spec_at: NodePath,
    urls: Urls,
    *,
    generated_by: str | None = None,
    expanded: bool = True,
) -> Deployer:
    repo = urls.repo
    app_name = name if isinstance(name, str) else None
    sources = []
    for at, src in _argo_sources(spec):
        if isinstance(src.get("ref"), str) and not src.get("path") and not src.get("chart"):
            continue  # a values-only source of a multi-source Application renders nothing
        directory, reason, remote = resolve_argo_path(
            repo, urls, src.get("repoURL"), src.get("path"), src.get("chart")
        )
        d = _dict(src.get("directory"))
        helm = _dict(src.get("helm"))
        kz = _dict(src.get("kustomize"))
        is_helm = bool(src.get("chart")) or (
            directory is not None and repo.is_file(posixpath.join(directory, "Chart.yaml"))
        )
        variant = ""
        if is_helm:
            variant = f"release={helm.get('releaseName') or app_name}"
        elif kz:
            variant = "kustomize=" + "/".join(
                str(kz.get(k) or "") for k in ("namePrefix", "nameSuffix", "namespace")
            )
        sources.append(
            Source(
                at=spec_at + at,
                path_at=spec_at + at + (("path",) if "path" in src else ()),
                repo_url=src.get("repoURL") if isinstance(src.get("repoURL"), str) else None,
                path=src.get("path") if isinstance(src.get("path"), str) else None,
                directory=directory,
                reason=reason,
                remote=remote,
                recurse=d.get("recurse") is True,
                include=_str(d.get("include")),
                exclude=_str(d.get("exclude")),
                plugin=isinstance(src.get("plugin"), dict),
                chart=src.get("chart") if isinstance(src.get("chart"), str) else None,
                variant=variant,
            )
        )
    dest = _dict(spec.get("destination"))
    policy = _dict(spec.get("syncPolicy"))
    auto = policy.get("automated")
    automated = isinstance(auto, dict) and auto.get("enabled") is not False
    auto = auto if isinstance(auto, dict) else {}
    options = policy.get("syncOptions")
    auto_at = (*spec_at, "syncPolicy", "automated")
    return Deployer(
        tool=Tool.ARGO_CD,
        kind="Application",
        name=app_name,
        namespace=namespace if isinstance(namespace, str) else None,
        document=document,
        obj=obj,
        spec_at=spec_at,
        sources=tuple(sources),
        destination=_argo_destination(dest),
        automated=automated,
        prune=automated and auto.get("prune") is True,
        prune_at=(*auto_at, "prune"),
        allow_empty=automated and auto.get("allowEmpty") is True,
        allow_empty_at=(*auto_at, "allowEmpty"),
        self_heal=automated and auto.get("selfHeal") is True,
        sync_options=tuple(o for o in options if isinstance(o, str)) if isinstance(options, list) else (),
        generated_by=generated_by,
        expanded=expanded,
    )


def _argo_sources(spec: dict[str, Any]) -> Iterable[tuple[NodePath, dict[str, Any]]]:
    many = spec.get("sources")
    if isinstance(many, list) and many:
        for i, s in enumerate(many):
            if isinstance(s, dict):
                yield ("sources", i), s
        return
    one = spec.get("source")
    if isinstance(one, dict):
        yield ("source",), one


def _argo_destination(dest: dict[str, Any]) -> Destination:
    server, name, ns = dest.get("server"), dest.get("name"), dest.get("namespace")
    cluster: str | None
    if isinstance(server, str) and server:
        cluster = (
            IN_CLUSTER if server.rstrip("/") + "" in {s.rstrip("/") for s in _IN_CLUSTER_SERVERS} else server
        )
    elif isinstance(name, str) and name:
        cluster = IN_CLUSTER if name == IN_CLUSTER else f"cluster {name}"
    else:
        cluster = None
    if cluster is not None and "{{" in cluster:
        cluster = None
    namespace = ns if isinstance(ns, str) and ns else None
    if namespace is not None and "{{" in namespace:
        return Destination(None, None)
    return Destination(cluster, namespace)


def flux_kustomization(res: Resource, objs: Objects, repo: Repository, urls: Urls) -> Deployer:
    spec = _spec(res.body)
    meta = _meta(res.body)
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
        secret = _get(kube, "secretRef", "name")
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
        url = _get(git.body, "spec", "url")
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
        spec = _spec(gen.body)
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


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _spec(body: dict[str, Any]) -> dict[str, Any]:
    spec = body.get("spec")
    return spec if isinstance(spec, dict) else {}


def _meta(body: dict[str, Any]) -> dict[str, Any]:
    meta = body.get("metadata")
    return meta if isinstance(meta, dict) else {}


def _get(data: Any, *keys: str) -> Any:
    for k in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(k)
    return data


def _ref_name(ref: ObjectRef) -> str:
    return f"{ref.namespace}/{ref.name}" if ref.namespace else str(ref.name)
