"""Base revision → head: what each Application / Kustomization would change, offline.

Only the deployers the change touches are rendered (Argo CD's
``manifest-generate-paths`` idea): one whose declaring file changed, one whose
rendered files or directories contain a changed path, or one that exists on one
side only.  Changed manifests that no deployer applies are compared file by file,
so a repository without Argo CD or Flux objects still gets a diff.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitops_guard.diff import noise, revisions
from gitops_guard.diff.objects import mask_secrets, normalize, unified
from gitops_guard.identity import ObjectKey
from gitops_guard.source.limits import Limits


@dataclass(frozen=True)
class ObjectChange:
    action: str  # "create" | "update" | "delete"
    key: ObjectKey
    diff: str  # unified diff, secret values masked
    api_version: str = ""
    pruned: bool = False  # a delete that automated prune carries out in the cluster


@dataclass
class GroupDiff:
    """The changes of one deployer (or of files no deployer applies)."""

    label: str
    path: str  # the declaring file (repository-relative), "" for files no deployer applies
    line: int | None = None  # where prune is switched on, or the deployer's first line
    automated_prune: bool = False
    status: str = "changed"  # "changed" | "added" | "removed"
    changes: list[ObjectChange] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass
class RevisionDiff:
    base: str
    head: str
    changed_paths: list[str]
    groups: list[GroupDiff]

    @property
    def differs(self) -> bool:
        """True when something changes, or when a render failure means we cannot say it does not."""
        return any(g.changes or g.errors or g.status != "changed" for g in self.groups)


@dataclass
class _Side:
    root: Path
    model: Any  # DeployerModel
    deployers: dict[str, Any]  # identity -> Deployer
    renderer: Any  # desired.deployer.DesiredRenderer


def compare(
    cwd: Path,
    base: str,
    head: str | None = None,
    paths: Sequence[str] = (),
    *,
    cache_bin: Path | None = None,
    kube: tuple[int, int] = (1, 37),
    hide: Sequence[str] = noise.DEFAULT_HIDE,
) -> RevisionDiff:
    """``hide``: the noise categories left out of the object diffs (see ``diff.noise``)."""
    repo_root = revisions.toplevel(cwd)
    base_commit = revisions.resolve(repo_root, base)
    head_rev = revisions.resolve(repo_root, head) if head else revisions.WORKTREE
    changed = revisions.changed_paths(repo_root, base_commit, head_rev)
    scope = [_scope(repo_root, cwd, p) for p in paths]
    for raw, rel in zip(paths, scope, strict=True):
        # A path deleted by the change exists only in the base: it is in the changed paths.
        if not (cwd / raw).exists() and not any(_under(c, rel) for c in changed):
            from gitops_guard.errors import ConfigError

            raise ConfigError(f"no such file or directory: {raw}")
    from gitops_guard.gitops.repository import git_remote_urls

    urls = git_remote_urls(repo_root)
    with tempfile.TemporaryDirectory(prefix="gitops-guard-diff-") as tmp:
        scratch = Path(tmp)
        base_root = revisions.materialize(repo_root, base_commit, scratch / "base")
        head_root = (
            repo_root
            if head_rev == revisions.WORKTREE
            else revisions.materialize(repo_root, head_rev, scratch / "head")
        )
        before = _side(base_root, urls, scratch / "base-build", cache_bin, kube)
        after = _side(head_root, urls, scratch / "head-build", cache_bin, kube)
        groups = _groups(before, after, changed, scope, tuple(hide))
    return RevisionDiff(base_commit, head_rev, changed, groups)


def _scope(repo_root: Path, cwd: Path, raw: str) -> str:
    path = (cwd / raw).resolve()
    try:
        rel = path.relative_to(repo_root.resolve()).as_posix()
    except ValueError as exc:
        from gitops_guard.errors import ConfigError

        raise ConfigError(f"{raw}: outside the repository {repo_root}") from exc
    return "" if rel == "." else rel


def _side(root: Path, urls: list[str], scratch: Path, cache_bin: Path | None, kube: tuple[int, int]) -> _Side:
    from gitops_guard import resources as resources_mod
    from gitops_guard.desired.builds import Builder
    from gitops_guard.desired.deployer import DesiredRenderer
    from gitops_guard.gitops import apps
    from gitops_guard.gitops.repository import Repository
    from gitops_guard.source.load import load
    from gitops_guard.source.walk import discover

    candidates, _ = discover(["."], root)
    files = load(candidates, Limits())
    resources = list(resources_mod.from_files(files))
    resources = _with_rendered_apps(files, resources, root, cache_bin, kube)
    repo = Repository(root.resolve(), frozenset(Repository.discover(root, urls).urls))
    model = apps.build(resources, repo, abspaths={f.path: f.abspath for f in files})
    scratch.mkdir(parents=True, exist_ok=True)
    deployers = {_identity(d): d for d in model.deployers if d.expanded}
    renderer = DesiredRenderer(model, scratch, Builder(cache_bin, kube_version=kube), objects=resources)
    return _Side(root, model, deployers, renderer)


def _with_rendered_apps(
    files: list[Any], resources: list[Any], root: Path, cache_bin: Path | None, kube: tuple[int, int]
) -> list[Any]:
    """App of apps: Applications that a chart or a kustomization renders are deployers too.

    Only the charts and kustomize roots that hold Argo CD Application/ApplicationSet
    templates are rendered (found by their text), so a repository without that pattern
    starts no process.
    """
    holders = [f for f in files if f.text and _APP_KIND.search(f.text)]
    if not holders:
        return resources
    from gitops_guard.desired.stage import RenderScope, render

    scope = RenderScope(kube, cache_dir=cache_bin.parent if cache_bin else None, cwd=root)
    outcome = render(holders, resources, scope)
    known = {r.ref for r in resources}
    extra = [
        r
        for r in outcome.resources
        if r.group == "argoproj.io" and r.kind in ("Application", "ApplicationSet") and r.ref not in known
    ]
    return [*resources, *extra]


_APP_KIND = re.compile(r"^\s*kind:\s*Application(?:Set)?\s*$", re.M)


def _identity(deployer: Any) -> str:
    return str(deployer.label)


def _touched(side: _Side, deployer: Any, changed: set[str], changed_dirs: set[str]) -> bool:
    rel = side.model.file_rel.get(deployer.path) or deployer.path
    if rel in changed:
        return True
    for source in deployer.sources:
        footprint = side.model.footprint(deployer, source)
        if footprint is None:
            continue
        if footprint.files & changed or footprint.dirs & changed_dirs:
            return True
    return False


def _in_scope(side: _Side, deployer: Any, scope: list[str]) -> bool:
    if not scope:
        return True
    places = [side.model.file_rel.get(deployer.path) or deployer.path]
    places += [s.directory for s in deployer.sources if s.directory]
    return any(_under(p, s) for p in places for s in scope)


def _under(path: str, directory: str) -> bool:
    return not directory or path == directory or path.startswith(directory.rstrip("/") + "/")


def _groups(
    before: _Side, after: _Side, changed_list: list[str], scope: list[str], hide: tuple[str, ...]
) -> list[GroupDiff]:
    changed = set(changed_list)
    changed_dirs = {p.rpartition("/")[0] or "." for p in changed}
    groups: list[GroupDiff] = []
    covered: set[str] = set()
    # Directories a deployer renders: a changed file there (a kustomize patch, a values file)
    # is part of that deployer's render, never an object of its own.
    covered_dirs: set[str] = set()
    for ident in sorted(set(before.deployers) | set(after.deployers)):
        old, new = before.deployers.get(ident), after.deployers.get(ident)
        side, deployer = (after, new) if new is not None else (before, old)
        if not _in_scope(side, deployer, scope):
            continue
        for s, d in ((before, old), (after, new)):
            if d is not None:
                for source in d.sources:
                    fp = s.model.footprint(d, source)
                    if fp is not None:
                        covered |= fp.files
                        covered_dirs |= fp.dirs
                covered.add(s.model.file_rel.get(d.path) or d.path)
        if (
            old is not None
            and new is not None
            and not (
                _touched(before, old, changed, changed_dirs) or _touched(after, new, changed, changed_dirs)
            )
        ):
            continue
        groups.append(_deployer_group(before, old, after, new, hide))
    loose = sorted(
        p
        for p in changed
        if p not in covered
        and (p.rpartition("/")[0] or ".") not in covered_dirs
        and p.endswith((".yaml", ".yml", ".json"))
    )
    loose = [p for p in loose if not scope or any(_under(p, s) for s in scope)]
    if loose:
        groups.append(_files_group(before, after, loose, hide))
    return [g for g in groups if g.changes or g.errors or g.status != "changed"]


def _deployer_group(before: _Side, old: Any, after: _Side, new: Any, hide: tuple[str, ...]) -> GroupDiff:
    deployer = new if new is not None else old
    side = after if new is not None else before
    path = side.model.file_rel.get(deployer.path) or deployer.path
    line, _ = deployer.document.locate(deployer.prune_at if deployer.prune else ())
    group = GroupDiff(
        label=deployer.label,
        path=path,
        line=line,
        automated_prune=_prunes(deployer, removed=new is None),
        status="added" if old is None else "removed" if new is None else "changed",
    )
    desired_old = before.renderer.render(old) if old is not None else None
    desired_new = after.renderer.render(new) if new is not None else None
    objects_old = desired_old.by_key() if desired_old else {}
    objects_new = desired_new.by_key() if desired_new else {}
    for desired in (desired_old, desired_new):
        if desired is not None:
            group.errors += [e for e in desired.errors if e not in group.errors]
    # A side that failed to render says nothing about deletions: never report a prune from it.
    failed_new = bool(desired_new and desired_new.errors)
    group.changes = _changes(
        objects_old, objects_new, prune=group.automated_prune, trust_deletes=not failed_new, hide=hide
    )
    return group


def _prunes(deployer: Any, *, removed: bool) -> bool:
    """Whether objects this deployer stops applying are deleted from the cluster.

    A deployer that stays prunes with automated prune on.  One that is itself removed takes
    its objects with it when Flux's ``prune`` is on (garbage collection on deletion), or when
    the Argo CD Application carries the resources finalizer (cascading delete).
    """
    if not removed or deployer.tool.name == "FLUX":
        return bool(deployer.prune)
    meta = deployer.document.data.get("metadata") if isinstance(deployer.document.data, dict) else None
    finalizers = meta.get("finalizers") if isinstance(meta, dict) else None
    return isinstance(finalizers, list) and any(
        isinstance(f, str) and f.startswith("resources-finalizer.argocd.argoproj.io") for f in finalizers
    )


def _files_group(before: _Side, after: _Side, rels: list[str], hide: tuple[str, ...]) -> GroupDiff:
    group = GroupDiff(label="files no Application or Kustomization applies", path="")
    old = _objects_of(before, rels, group.errors)
    new = _objects_of(after, rels, group.errors)
    group.changes = _changes(old, new, prune=False, trust_deletes=True, hide=hide)
    return group


def _objects_of(side: _Side, rels: list[str], errors: list[str]) -> dict[ObjectKey, dict[str, Any]]:
    present = [r for r in rels if (side.root / r).is_file()]
    desired = side.renderer.files(present)
    errors += desired.errors
    objects: dict[ObjectKey, dict[str, Any]] = desired.by_key()
    return objects


def _changes(
    old: dict[ObjectKey, dict[str, Any]],
    new: dict[ObjectKey, dict[str, Any]],
    *,
    prune: bool,
    trust_deletes: bool,
    hide: tuple[str, ...] = noise.DEFAULT_HIDE,
) -> list[ObjectChange]:
    out: list[ObjectChange] = []
    for key in sorted(set(old) | set(new)):
        a = normalize(old[key]) if key in old else None
        b = normalize(new[key]) if key in new else None
        api = str((b or a or {}).get("apiVersion") or "")
        mask_secrets([a, b])
        noise.strip(a, hide)
        noise.strip(b, hide)
        if a is not None and b is not None:
            text = unified(a, b, str(key))
            if text:
                out.append(ObjectChange("update", key, text, api))
        elif b is not None:
            out.append(ObjectChange("create", key, unified(None, b, str(key)), api))
        elif trust_deletes:
            out.append(ObjectChange("delete", key, unified(a, None, str(key)), api, pruned=prune))
    return out
