"""Expand an Argo CD ApplicationSet into the Applications it generates, where that is knowable.

Offline we can evaluate the generators whose input is in this repository or in the file:
``list`` (literal elements), ``git`` ``directories`` (path globs, ``exclude: true``) and
``git`` ``files`` (JSON/YAML files whose keys become parameters), and ``matrix``/``merge`` of
those.  ``clusters``, ``clusterDecisionResource``, ``scmProvider``, ``pullRequest`` and
``plugin`` read live state (registered clusters, a forge's API): those are reported as
unresolvable, never guessed.

Templates are rendered the two ways Argo CD does: the default ``{{path.basename}}`` style
(flat parameter names) and, with ``goTemplate: true``, Go templates over nested parameters —
of which only field access (``{{ .path.path }}``) and ``index`` are evaluated; anything else
is left as written, which the deployer model then treats as "not knowable".
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gitops_guard.gitops.deployers import NodePath, Unresolved
from gitops_guard.gitops.evidence import Urls
from gitops_guard.gitops.repository import Repository, normalize_path, parent_dir
from gitops_guard.resources import Resource

MAX_APPS = 2_000  # per ApplicationSet: a matrix of large generators must not explode a run

_LIVE = {
    "clusters": "the clusters generator lists clusters registered in Argo CD",
    "clusterDecisionResource": "the clusterDecisionResource generator reads a live resource",
    "scmProvider": "the scmProvider generator queries a Git hosting API",
    "pullRequest": "the pullRequest generator queries a Git hosting API",
    "plugin": "the plugin generator calls an external service",
}


@dataclass(frozen=True)
class Params:
    flat: dict[str, str]  # for {{name}} templates
    nested: dict[str, Any]  # for goTemplate {{ .name }}


@dataclass(frozen=True)
class GeneratedApp:
    name: str | None
    namespace: str | None
    spec: dict[str, Any]
    expanded: bool = True  # False: the bare template of an ApplicationSet not expandable offline


class _Unresolvable(Exception):
    def __init__(self, at: NodePath, reason: str) -> None:
        super().__init__(reason)
        self.at = at
        self.reason = reason


def expand(res: Resource, repo: Repository, urls: Urls) -> tuple[list[GeneratedApp], list[Unresolved]]:
    spec = res.body.get("spec")
    if not isinstance(spec, dict) or not isinstance(spec.get("template"), dict):
        return [], [Unresolved(res.ref, res.document, ("spec",), "no spec.template")]
    go = spec.get("goTemplate") is True
    template = spec["template"]
    problems: list[Unresolved] = []
    apps: list[GeneratedApp] = []
    gens = spec.get("generators")
    if not isinstance(gens, list) or not gens:
        problems.append(Unresolved(res.ref, res.document, ("spec",), "no generators"))
        gens = []
    ctx = _Context(repo, urls)
    for i, gen in enumerate(gens):
        at: NodePath = ("spec", "generators", i)
        try:
            param_sets = ctx.generate(gen, at)
        except _Unresolvable as exc:
            problems.append(Unresolved(res.ref, res.document, exc.at, exc.reason))
            continue
        tpl = template
        if isinstance(gen, dict):
            override = next((v.get("template") for v in gen.values() if isinstance(v, dict)), None)
            if isinstance(override, dict):
                tpl = _deep_merge(template, override)
        for params in param_sets:
            if len(apps) >= MAX_APPS:
                problems.append(Unresolved(res.ref, res.document, at, f"more than {MAX_APPS} Applications"))
                break
            apps.append(_app(_render(tpl, params, go), res))
    if not apps and problems:
        # Nothing expandable: the template alone still says what every Application does
        # (sync policy, literal paths); templated fields stay unknown.
        apps.append(_app(_render(template, Params({}, {}), go), res, expanded=False))
    return apps, problems


def _app(rendered: Any, res: Resource, *, expanded: bool = True) -> GeneratedApp:
    meta = rendered.get("metadata") if isinstance(rendered, dict) else None
    meta = meta if isinstance(meta, dict) else {}
    spec = rendered.get("spec") if isinstance(rendered, dict) else None
    name = meta.get("name")
    ns = meta.get("namespace") or res.ref.namespace
    return GeneratedApp(
        name if isinstance(name, str) else None,
        ns if isinstance(ns, str) else None,
        spec if isinstance(spec, dict) else {},
        expanded,
    )


class _Context:
    def __init__(self, repo: Repository, urls: Urls) -> None:
        self.repo = repo
        self.urls = urls

    def generate(self, gen: Any, at: NodePath) -> list[Params]:
        if not isinstance(gen, dict) or not gen:
            raise _Unresolvable(at, "an empty or malformed generator")
        kind = next((k for k in gen if k not in ("selector", "template")), None)
        body = gen.get(kind) if kind else None
        where = (*at, kind) if kind else at
        if kind in _LIVE:
            raise _Unresolvable(where, f"{_LIVE[kind]}: not knowable offline")
        if kind == "list":
            return self._list(body, where)
        if kind == "git":
            return self._git(body, where)
        if kind == "matrix":
            return self._matrix(body, where)
        if kind == "merge":
            return self._merge(body, where)
        raise _Unresolvable(where, f"unknown generator {kind!r}")

    def _list(self, body: Any, at: NodePath) -> list[Params]:
        if not isinstance(body, dict):
            raise _Unresolvable(at, "list generator without elements")
        if "elementsYaml" in body:
            raise _Unresolvable((*at, "elementsYaml"), "elementsYaml is rendered from other parameters")
        elements = body.get("elements")
        if not isinstance(elements, list):
            raise _Unresolvable(at, "list generator without elements")
        out = []
        for el in elements:
            if isinstance(el, dict):
                out.append(Params(_flatten(el), dict(el)))
        return out

    def _git(self, body: Any, at: NodePath) -> list[Params]:
        if not isinstance(body, dict):
            raise _Unresolvable(at, "git generator without settings")
        url = body.get("repoURL")
        if not isinstance(url, str) or "{{" in url:
            raise _Unresolvable((*at, "repoURL"), "git generator with a templated or missing repoURL")
        raw_prefix = body.get("pathParamPrefix")
        prefix = raw_prefix if isinstance(raw_prefix, str) else ""
        dirs, files = body.get("directories"), body.get("files")
        ours = self.urls.ours(url)
        if ours is False:
            raise _Unresolvable((*at, "repoURL"), f"git generator reads another repository ({url})")
        if isinstance(dirs, list):
            found = self._directories(dirs, at)
        elif isinstance(files, list):
            found = None
        else:
            raise _Unresolvable(at, "git generator without directories or files")
        if ours is None:
            evidence = found if found is not None else self._files(files, at)
            if not evidence:
                raise _Unresolvable(
                    (*at, "repoURL"),
                    f"{url} is not known to be this repository and no path of the generator matches here",
                )
            self.urls.inferred.add(_norm(url))
        if found is not None:
            return [_path_params(d, prefix) for d in found]
        out = []
        for rel in self._files(files, at):
            out.extend(self._file_params(rel, prefix, at))
        return out

    def _directories(self, entries: list[Any], at: NodePath) -> list[str]:
        include: list[re.Pattern[str]] = []
        exclude: list[re.Pattern[str]] = []
        for e in entries:
            if not isinstance(e, dict) or not isinstance(e.get("path"), str):
                continue
            (exclude if e.get("exclude") is True else include).append(_glob(e["path"]))
        return [d for d in self.repo.directories() if _any(include, d) and not _any(exclude, d)]

    def _files(self, entries: Any, at: NodePath) -> list[str]:
        include: list[re.Pattern[str]] = []
        exclude: list[re.Pattern[str]] = []
        for e in entries if isinstance(entries, list) else []:
            if isinstance(e, dict) and isinstance(e.get("path"), str):
                (exclude if e.get("exclude") is True else include).append(_glob(e["path"]))
        return [f for f in self.repo.files() if _any(include, f) and not _any(exclude, f)]

    def _file_params(self, rel: str, prefix: str, at: NodePath) -> list[Params]:
        from gitops_guard.gitops.footprint import Renderers

        if rel.endswith(".json"):
            try:
                data: Any = json.loads(self.repo.abspath(rel).read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise _Unresolvable(at, f"{rel}: not valid JSON ({type(exc).__name__})") from None
        else:
            data = Renderers(self.repo).read(rel)
        items = data if isinstance(data, list) else [data]
        out = []
        base = _path_params(parent_dir(rel), prefix, filename=rel.rsplit("/", 1)[-1])
        for item in items:
            if isinstance(item, dict):
                out.append(Params({**_flatten(item), **base.flat}, {**item, **base.nested}))
        return out

    def _matrix(self, body: Any, at: NodePath) -> list[Params]:
        children = body.get("generators") if isinstance(body, dict) else None
        if not isinstance(children, list) or len(children) != 2:
            raise _Unresolvable(at, "a matrix generator needs exactly two generators")
        if "{{" in json.dumps(children[1], default=str):
            raise _Unresolvable(
                (*at, "generators", 1), "the second matrix generator uses the first's parameters"
            )
        left = self.generate(children[0], (*at, "generators", 0))
        right = self.generate(children[1], (*at, "generators", 1))
        return [Params({**a.flat, **b.flat}, {**a.nested, **b.nested}) for a in left for b in right]

    def _merge(self, body: Any, at: NodePath) -> list[Params]:
        children = body.get("generators") if isinstance(body, dict) else None
        keys = body.get("mergeKeys") if isinstance(body, dict) else None
        if not isinstance(children, list) or not children or not isinstance(keys, list):
            raise _Unresolvable(at, "a merge generator needs generators and mergeKeys")
        base = self.generate(children[0], (*at, "generators", 0))
        for i, child in enumerate(children[1:], start=1):
            for extra in self.generate(child, (*at, "generators", i)):
                for j, p in enumerate(base):
                    if all(p.flat.get(str(k)) == extra.flat.get(str(k)) for k in keys):
                        base[j] = Params({**p.flat, **extra.flat}, {**p.nested, **extra.nested})
        return base


def _path_params(directory: str, prefix: str, filename: str | None = None) -> Params:
    """The ``path`` parameters Argo CD gives a directory (or a file's directory)."""
    segments = [] if directory == "." else directory.split("/")
    basename = segments[-1] if segments else ""
    normalized = re.sub(r"[^a-zA-Z0-9-]", "-", basename).lower()
    key = f"{prefix}.path" if prefix else "path"
    flat = {key: directory, f"{key}.basename": basename, f"{key}.basenameNormalized": normalized}
    flat.update({f"{key}[{i}]": s for i, s in enumerate(segments)})
    info: dict[str, Any] = {
        "path": directory,
        "basename": basename,
        "basenameNormalized": normalized,
        "segments": segments,
    }
    if filename is not None:
        flat[f"{key}.filename"] = filename
        flat[f"{key}.filenameNormalized"] = re.sub(r"[^a-zA-Z0-9.-]", "-", filename).lower()
        info["filename"] = filename
        info["filenameNormalized"] = flat[f"{key}.filenameNormalized"]
    nested: dict[str, Any] = {prefix: {"path": info}} if prefix else {"path": info}
    return Params(flat, nested)


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in data.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, key + "."))
        elif isinstance(v, bool):
            out[key] = "true" if v else "false"
        elif v is None:
            out[key] = ""
        elif not isinstance(v, list):
            out[key] = str(v)
    return out


_FLAT_VAR = re.compile(r"\{\{\s*([^{}\s]+)\s*\}\}")
_GO_ACTION = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}")
_GO_FIELD = re.compile(r"^\.([A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)*)$")
_GO_INDEX = re.compile(r"^index\s+\.([A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)*)\s+(\d+)$")


def _render(template: Any, params: Params, go: bool) -> Any:
    sub: Callable[[str], str] = (
        (lambda s: _GO_ACTION.sub(lambda m: _go(m, params.nested), s))
        if go
        else (lambda s: _FLAT_VAR.sub(lambda m: params.flat.get(m.group(1), m.group(0)), s))
    )

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            return sub(value) if "{{" in value else value
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    return walk(template)


def _go(match: re.Match[str], nested: dict[str, Any]) -> str:
    expr = match.group(1)
    m = _GO_FIELD.match(expr)
    index = None
    if m is None:
        m = _GO_INDEX.match(expr)
        if m is None:
            return match.group(0)
        index = int(m.group(2))
    value: Any = nested
    for part in m.group(1).split("."):
        if not isinstance(value, dict) or part not in value:
            return match.group(0)
        value = value[part]
    if index is not None:
        if not isinstance(value, list) or index >= len(value):
            return match.group(0)
        value = value[index]
    if isinstance(value, dict | list):
        return match.group(0)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _glob(pattern: str) -> re.Pattern[str]:
    """A path glob: ``*`` and ``?`` stay within one directory, ``**`` spans any depth.

    Anchored at the repository root, as Argo CD matches generator paths; pathspec's gitignore
    patterns are not (a pattern without ``/`` matches at any depth) and fnmatch lets ``*``
    cross ``/``, so neither gives these semantics."""
    p = normalize_path(pattern) or pattern
    out = []
    i = 0
    while i < len(p):
        c = p[i]
        if p.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif p.startswith("**", i):
            out.append(".*")
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            end = p.find("]", i + 1)
            if end == -1:
                out.append(re.escape(c))
                i += 1
            else:
                body = p[i + 1 : end]
                out.append("[" + ("^" + body[1:] if body.startswith("!") else body) + "]")
                i = end + 1
        else:
            out.append(re.escape(c))
            i += 1
    try:
        return re.compile("".join(out) + r"\Z")
    except re.error:  # a malformed class such as [z-a]: matches itself literally
        return re.compile(re.escape(p) + r"\Z")


def _any(patterns: list[re.Pattern[str]], path: str) -> bool:
    return any(p.match(path) for p in patterns)


def _norm(url: str) -> str:
    from gitops_guard.gitops.repository import normalize_url

    return normalize_url(url)


def _deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for k, v in override.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out
