"""The objects one deployer (Argo CD Application source, Flux Kustomization) would apply.

Rendering follows the tool that would do it:

* a ``kustomization.yaml`` → ``kustomize build`` (Flux without the load restrictor, as
  kustomize-controller builds);
* Flux without one → what kustomize-controller generates: every YAML file below the
  path, a sub-directory with its own kustomization taken as a unit — emulated with a
  wrapper kustomization in a scratch directory, so the repository is never written to;
* an Argo CD plain directory → its YAML/JSON files (the footprint honours ``recurse``,
  ``include`` and ``exclude``);
* a local Helm chart → ``helm template`` with its default values.

Then the deployer's own transformations: Argo CD's destination namespace for namespaced
objects without one, Flux's ``targetNamespace`` and ``postBuild.substitute``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitops_guard.data_path import value_at
from gitops_guard.gitops.apps import Deployer, DeployerModel, Source, Tool
from gitops_guard.gitops.footprint import KUSTOMIZATION_NAMES
from gitops_guard.identity import ObjectKey
from gitops_guard.policy.kinds import KindMap
from gitops_guard.render import helm, helm_options, kustomize, tools
from gitops_guard.render.helm_options import HelmOptions
from gitops_guard.resources import from_files
from gitops_guard.source.classify import SCANNED_SUFFIXES, FileKind
from gitops_guard.source.limits import Limits
from gitops_guard.source.load import read
from gitops_guard.source.walk import Candidate

# Cluster-scoped kinds of common CRDs the scope table (policy/kinds.py: Kubernetes and
# the shipped GitOps CRDs) does not hold; a CRD in the rendered objects says so itself.
_OTHER_CLUSTER_KINDS = frozenset(
    {
        ("cert-manager.io", "ClusterIssuer"),
        ("gateway.networking.k8s.io", "GatewayClass"),
        ("kyverno.io", "ClusterPolicy"),
        ("policy", "PodSecurityPolicy"),
    }
)
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::=([^}]*))?\}")


@dataclass
class Desired:
    objects: dict[ObjectKey, dict[str, Any]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


class DesiredRenderer:
    """Renders deployers of one checkout (a revision's tree or the working tree)."""

    def __init__(self, model: DeployerModel, scratch: Path, cache_bin: Path | None, kube: tuple[int, int]):
        self.model = model
        self.root = model.repo.root
        self.scratch = scratch
        self.cache_bin = cache_bin
        self.kube = kube
        self._count = 0
        self._crds: list[dict[str, Any]] = []

    def deployer(self, deployer: Deployer) -> Desired:
        out = Desired()
        for source in deployer.sources:
            if source.directory is None:
                if source.remote:
                    continue  # someone else's repository or chart: not this change
                out.errors.append(f"source not found in this repository: {source.reason or source.path}")
                continue
            for obj in self._source(deployer, source, out.errors):
                if obj.get("kind") == "CustomResourceDefinition":
                    self._crds.append(obj)
                out.objects[ObjectKey.of(obj)] = obj
        self._place(deployer, out)
        return out

    # -------------------------------------------------------------- per source

    def _source(self, deployer: Deployer, source: Source, errors: list[str]) -> list[dict[str, Any]]:
        assert source.directory is not None
        footprint = self.model.footprint(deployer, source)
        directory = self.root if source.directory == "." else self.root / source.directory
        if footprint is None or not directory.is_dir():
            errors.append(f"{source.directory}: not a directory in this revision")
            return []
        renderer = footprint.renderer
        if renderer == "kustomize":
            return self._kustomize(directory, deployer.tool is Tool.FLUX, errors)
        if renderer == "flux-generated":
            return self._flux_generated(source.directory, errors)
        if renderer == "helm":
            return self._helm(directory, errors, _helm_options(deployer, source, directory, errors))
        if renderer == "plugin":
            errors.append(f"{source.directory}: a config management plugin renders it; not rendered offline")
            return []
        return self.files(sorted(footprint.files), errors)

    def _kustomize(self, directory: Path, unrestricted: bool, errors: list[str]) -> list[dict[str, Any]]:
        binary = tools.find_kustomize(self.cache_bin)
        if binary is None:
            errors.append(f"kustomize not found: not rendered ({tools.install_hint('kustomize')})")
            return []
        built = kustomize.build(
            binary, directory, self._workdir(), self.root, tools.DEFAULT_TIMEOUT, unrestricted=unrestricted
        )
        if not built.ok:
            errors.append(f"kustomize build {self._rel(directory)}: {built.error}")
            return []
        return [obj for obj, _origin in built.objects]

    def _flux_generated(self, directory: str, errors: list[str]) -> list[dict[str, Any]]:
        """kustomize-controller's generated kustomization: YAML files, recursively; a
        sub-directory with a kustomization is one unit."""
        entries: list[str] = []
        for rel, dirnames, filenames in self.model.repo.walk(directory):
            if rel != directory and any(n in filenames for n in KUSTOMIZATION_NAMES):
                entries.append(rel)
                dirnames[:] = []
                continue
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            entries += [n if rel == "." else f"{rel}/{n}" for n in filenames if n.endswith((".yaml", ".yml"))]
        if not entries:
            return []
        plain = [e for e in entries if not (self.root / e).is_dir()]
        units = [e for e in entries if (self.root / e).is_dir()]
        objects = self.files(plain, errors)
        for unit in units:
            objects += self._kustomize(self.root / unit, True, errors)
        return objects

    def _helm(self, chart: Path, errors: list[str], options: HelmOptions) -> list[dict[str, Any]]:
        binary = tools.find_helm(self.cache_bin)
        if binary is None:
            errors.append(f"helm not found: not rendered ({tools.install_hint('helm')})")
            return []
        value_files = helm_options.with_inline_file(options, self._workdir().with_suffix(".values.yaml"))
        rendered = helm.template(
            binary,
            chart,
            self.kube,
            tools.DEFAULT_TIMEOUT,
            self.root,
            release=options.release,
            namespace=options.namespace or "default",
            value_files=value_files,
            set_values=options.parameters,
        )
        if not rendered.ok:
            errors.append(f"helm template {self._rel(chart)}: {rendered.error}")
            return []
        return [obj for obj, _source in rendered.objects]

    def files(self, rels: list[str], errors: list[str]) -> list[dict[str, Any]]:
        """The objects in these repository-relative files, as they are written."""
        return read_objects(((self.root / rel, rel) for rel in rels), errors)

    # ------------------------------------------------------- deployer settings

    def _place(self, deployer: Deployer, desired: Desired) -> None:
        spec = deployer.spec()
        namespace = deployer.destination.namespace
        force = False
        substitute: Mapping[str, Any] = {}
        if deployer.tool is Tool.FLUX:
            target = spec.get("targetNamespace")
            namespace, force = (target, True) if isinstance(target, str) and target else (None, False)
            post = spec.get("postBuild")
            if isinstance(post, dict) and isinstance(post.get("substitute"), dict):
                substitute = post["substitute"]
        placed: dict[ObjectKey, dict[str, Any]] = {}
        kinds = KindMap(self._crds)
        for obj in desired.objects.values():
            if substitute:
                obj = _substitute(obj, substitute)
            if namespace and _namespaced(kinds, obj):
                meta = obj.setdefault("metadata", {})
                if isinstance(meta, dict) and (force or not meta.get("namespace")):
                    meta["namespace"] = namespace
            placed[ObjectKey.of(obj)] = obj
        desired.objects = placed

    def _workdir(self) -> Path:
        self._count += 1
        return self.scratch / f"build-{self._count}"

    def _rel(self, path: Path) -> str:
        return os.path.relpath(path, self.root).replace(os.sep, "/")


def _helm_options(deployer: Deployer, source: Source, chart: Path, errors: list[str]) -> HelmOptions:
    """The Argo CD source's helm settings (none for Flux, which renders charts through a
    HelmRelease, and none from an ApplicationSet template, which is not expanded here)."""
    if deployer.tool is not Tool.ARGO_CD:
        return HelmOptions(namespace=deployer.destination.namespace)
    node = None if deployer.generated_by else value_at(deployer.document.data, source.at)
    options = helm_options.from_source(
        node, chart, app_name=deployer.name, namespace=deployer.destination.namespace
    )
    errors.extend(options.problems)
    return options


def _namespaced(kinds: KindMap, obj: dict[str, Any]) -> bool:
    key = ObjectKey.of(obj)
    info = kinds.get(key.group, key.kind)
    return info.namespaced if info is not None else (key.group, key.kind) not in _OTHER_CLUSTER_KINDS


def read_objects(files: Iterable[tuple[Path, str]], errors: list[str]) -> list[dict[str, Any]]:
    """Objects of YAML/JSON files (``(path, shown name)`` pairs), read as ``check`` reads them
    (size and nesting budgets, items of a ``List``). Unreadable or malformed files are named in
    ``errors``, never raised: a file that yields no objects must not look like removed objects."""
    out: list[dict[str, Any]] = []
    limits = Limits()
    for path, shown in files:
        if path.suffix not in SCANNED_SUFFIXES:
            continue
        sf = read(Candidate(path, shown, explicit=True), FileKind.MANIFEST, limits)
        first = next((p for p in sf.problems if p.kind != "duplicate-key"), None)
        if first is not None:
            errors.append(f"{shown}:{first.line or '?'}: {first.message}")
        elif sf.kind is not FileKind.MANIFEST:
            errors.append(f"{shown}: a template, not YAML until rendered")
        out += [res.body for res in from_files([sf])]
    return out


def _substitute(obj: Any, values: Mapping[str, Any]) -> Any:
    """Flux post-build variable substitution (``${var}``, ``${var:=default}``) over strings."""
    if isinstance(obj, dict):
        return {k: _substitute(v, values) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_substitute(v, values) for v in obj]
    if isinstance(obj, str) and "${" in obj:

        def value(m: re.Match[str]) -> str:
            default = m.group(2) if m.group(2) is not None else m.group(0)
            return str(values.get(m.group(1), default))

        return _VAR.sub(value, obj)
    return obj
