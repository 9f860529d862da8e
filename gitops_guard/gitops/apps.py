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

The model's types are in :mod:`~gitops_guard.gitops.deployers`, the Application and
Kustomization parsing in :mod:`~gitops_guard.gitops.argo_apps` and
:mod:`~gitops_guard.gitops.flux_sources`, the object index and URL evidence in
:mod:`~gitops_guard.gitops.evidence`; this module builds the model and is where callers
import all of it from.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gitops_guard.findings import ObjectRef
from gitops_guard.gitops.argo_apps import argo_application, argo_sources, resolve_argo_path
from gitops_guard.gitops.deployers import (
    IN_CLUSTER,
    Deployer,
    DeployerModel,
    Destination,
    NodePath,
    Source,
    Tool,
    Unresolved,
)
from gitops_guard.gitops.evidence import (
    ARGO_GROUP,
    FLUX_KUSTOMIZE_GROUP,
    FLUX_SOURCE_EXT_GROUP,
    FLUX_SOURCE_GROUP,
    Objects,
    Urls,
    get_in,
    meta_of,
    spec_of,
)
from gitops_guard.gitops.flux_sources import flux_kustomization, resolve_flux_path
from gitops_guard.gitops.footprint import Renderers
from gitops_guard.gitops.repository import Repository, normalize_path, normalize_url
from gitops_guard.resources import Resource

__all__ = [
    "ARGO_GROUP",
    "FLUX_KUSTOMIZE_GROUP",
    "FLUX_SOURCE_EXT_GROUP",
    "FLUX_SOURCE_GROUP",
    "IN_CLUSTER",
    "Deployer",
    "DeployerModel",
    "Destination",
    "NodePath",
    "Objects",
    "Source",
    "Tool",
    "Unresolved",
    "Urls",
    "argo_application",
    "build",
    "flux_kustomization",
    "resolve_argo_path",
    "resolve_flux_path",
]


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
        for _, src in argo_sources(spec_of(res.body)):
            urls.observe(src, repo)
    for res in objs.of(FLUX_SOURCE_GROUP, "GitRepository"):
        if (res.ref.namespace, res.ref.name) == ("flux-system", "flux-system") and not repo.urls:
            url = get_in(res.body, "spec", "url")
            if isinstance(url, str) and url:
                urls.inferred.add(normalize_url(url))

    deployers: list[Deployer] = []
    unresolved: list[Unresolved] = []
    for res in objs.of(ARGO_GROUP, "Application"):
        meta = meta_of(res.body)
        deployers.append(
            argo_application(
                spec_of(res.body),
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


def _ref_name(ref: ObjectRef) -> str:
    return f"{ref.namespace}/{ref.name}" if ref.namespace else str(ref.name)
