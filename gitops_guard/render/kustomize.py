"""Build one kustomize root with the real binary and read where each object came from.

The user's kustomization is never modified: we write a temporary wrapper
kustomization that lists the root as its only resource and sets
``buildMetadata: [originAnnotations]``.  kustomize then annotates every output
object with ``config.kubernetes.io/origin`` (the file it was read from, or the
kustomization and generator that made it).  The wrapper must reach the root by a
relative path (kustomize refuses absolute roots); the root itself is still
built with its own root and kustomize's default load restrictor, as Argo CD's
default build options do.  The annotation is removed before objects are checked.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitops_guard.render import tools
from gitops_guard.resources import is_object
from gitops_guard.source.limits import Limits
from gitops_guard.source.yamldoc import parse

ORIGIN = "config.kubernetes.io/origin"
_DOCUMENT = re.compile(r"^---[ \t]*\n", re.M)
_RECURSED = re.compile(r"^(?:Error: )?.*recursed accumulation of path '([^']*)': ", re.S)


@dataclass(frozen=True)
class Origin:
    path: Path | None = None  # the resource file the object was read from
    configured_in: Path | None = None  # the kustomization that generated it
    configured_by: str | None = None  # e.g. ConfigMapGenerator


@dataclass
class Built:
    objects: list[tuple[dict[str, Any], Origin]] = field(default_factory=list)
    # Each object's YAML as kustomize printed it (``keep_text=True``): Flux substitutes text.
    texts: list[str] = field(default_factory=list)
    error: str = ""
    timed_out: bool = False
    # The tool's whole error, with absolute paths: only to find the entry that failed (it can
    # hold file content, so it is never shown).
    detail: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


def build(
    binary: tools.Renderer,
    root: Path,
    workdir: Path,
    cwd: Path,
    timeout: float,
    *,
    unrestricted: bool = False,
    overlay: dict[str, Any] | None = None,
    resources: list[Path] | None = None,
    keep_text: bool = False,
) -> Built:
    """Build ``root`` (a kustomization directory) using a wrapper written under ``workdir``.

    ``overlay`` adds kustomization fields to the wrapper (Flux's patches, namespace...) and
    ``resources`` lists what it includes instead of ``root`` (Flux's generated kustomization)."""
    workdir.mkdir(parents=True, exist_ok=True)
    rel = os.path.relpath(root, workdir).replace(os.sep, "/")
    entries = [os.path.relpath(p, workdir).replace(os.sep, "/") for p in resources] if resources else [rel]
    if overlay:
        import json

        wrapper = {"resources": entries, **overlay, "buildMetadata": ["originAnnotations"]}
        text = json.dumps(wrapper, indent=1) + "\n"
    else:
        text = "resources:\n" + "".join(f"  - {_quote(e)}\n" for e in entries)
        text += "buildMetadata: [originAnnotations]\n"
    (workdir / "kustomization.yaml").write_text(text, encoding="utf-8")
    # ``kustomize build DIR`` or ``kubectl kustomize DIR``: the flags are the same for both.
    cmd = [*binary.argv, str(workdir)]
    if unrestricted:
        cmd += ["--load-restrictor", "LoadRestrictionsNone"]
    result = tools.run(cmd, cwd=workdir, timeout=timeout)
    if not result.ok:
        error = _readable(result.error.replace(rel, _display(root, cwd)), workdir, cwd)
        return Built(error=tools.error_line(error), timed_out=result.timed_out, detail=result.error)
    chunks = _DOCUMENT.split(result.stdout) if keep_text else [result.stdout]
    built = Built()
    for chunk in chunks:
        parsed = parse(chunk, "<kustomize build>", Limits())
        if parsed.problems:
            return Built(error=f"unreadable kustomize output: {parsed.problems[0].message}")
        for doc in parsed.documents:
            data = doc.data
            if not is_object(data):
                continue
            built.objects.append((data, take_origin(data, workdir)))
            if keep_text:
                built.texts.append(chunk)
    return built


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def take_origin(data: dict[str, Any], workdir: Path) -> Origin:
    """Remove the origin annotation (and an annotations map it alone created)."""
    meta = data.get("metadata")
    if not isinstance(meta, dict):
        return Origin()
    annotations = meta.get("annotations")
    if not isinstance(annotations, dict) or ORIGIN not in annotations:
        return Origin()
    raw = annotations.pop(ORIGIN)
    if not annotations:
        del meta["annotations"]
    docs = parse(raw, "<origin>", Limits()).documents if isinstance(raw, str) else []
    info = docs[0].data if docs and isinstance(docs[0].data, dict) else {}
    by = info.get("configuredBy")
    return Origin(
        path=_resolve(workdir, info.get("path")) if not info.get("repo") else None,
        configured_in=_resolve(workdir, info.get("configuredIn")),
        configured_by=by.get("kind") if isinstance(by, dict) and isinstance(by.get("kind"), str) else None,
    )


def _resolve(workdir: Path, rel: Any) -> Path | None:
    if not isinstance(rel, str) or not rel:
        return None
    return Path(os.path.normpath(workdir / rel))


def _readable(error: str, workdir: Path, cwd: Path) -> str:
    """kustomize's nested error, shortened to the innermost kustomization, with display paths."""
    match = _RECURSED.match(error)
    if match:
        where = _display(Path(match.group(1)), cwd)
        error = f"{where}: {error[match.end() :]}"
    error = error.replace(str(workdir) + os.sep, "").replace(str(workdir), "")
    error = error.replace(str(cwd) + os.sep, "")
    return error if error.startswith("Error:") else "Error: " + error


def _display(path: Path, cwd: Path) -> str:
    return os.path.relpath(path, cwd).replace(os.sep, "/")
