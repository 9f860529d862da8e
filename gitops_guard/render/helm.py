"""Render a local Helm chart with the real helm binary and its default values.

``helm template`` marks every output document with ``# Source: <chart>/<file>``;
that comment is how a finding gets back to the template file.  Templates are
not YAML, so a finding names the template with no line.  Dependencies must be
vendored under ``charts/``: a missing one is a render failure, never a download.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitops_guard.render import tools
from gitops_guard.resources import is_object
from gitops_guard.source.limits import Limits
from gitops_guard.source.yamldoc import parse

_SEPARATOR = re.compile(r"^---[ \t]*$", re.M)
_SOURCE = re.compile(r"^# Source: (.+?)\s*$", re.M)


@dataclass
class Rendered:
    objects: list[tuple[dict[str, Any], Path | None]] = field(default_factory=list)
    error: str = ""
    timed_out: bool = False
    detail: str = ""  # the whole error, only to find the template that failed; never shown

    @property
    def ok(self) -> bool:
        return not self.error


def chart_roots(chart_files: list[Path]) -> list[Path]:
    """Chart directories that are not a vendored dependency (``charts/<name>``) of another chart."""
    dirs = sorted({f.parent for f in chart_files if f.name == "Chart.yaml"})
    return [d for d in dirs if not (d.parent.name == "charts" and (d.parent.parent / "Chart.yaml").is_file())]


def missing_dependencies(chart: Path, metadata: dict[str, Any]) -> list[str]:
    """Dependencies that are not vendored under ``charts/`` (helm would need to fetch them)."""
    deps = metadata.get("dependencies")
    if not isinstance(deps, list):
        deps = _requirements(chart)
    missing = []
    for dep in deps:
        name = dep.get("name") if isinstance(dep, dict) else None
        if not isinstance(name, str) or not name:
            continue
        vendored = (chart / "charts" / name / "Chart.yaml").is_file() or any(
            (chart / "charts").glob(f"{glob_escape(name)}-*.tgz")
        )
        if not vendored:
            missing.append(name)
    return missing


def glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


def _requirements(chart: Path) -> list[Any]:
    """apiVersion v1 charts list dependencies in requirements.yaml."""
    from gitops_guard.source.yamldoc import decode

    try:
        text, _ = decode((chart / "requirements.yaml").read_bytes())
    except OSError:
        return []
    docs = parse(text or "", "requirements.yaml", Limits()).documents
    data = docs[0].data if docs else None
    deps = data.get("dependencies") if isinstance(data, dict) else None
    return deps if isinstance(deps, list) else []


def template(
    binary: tools.Renderer,
    chart: Path,
    kube_version: tuple[int, int],
    timeout: float,
    cwd: Path,
    *,
    release: str | None = None,
    namespace: str = "default",
    value_files: Sequence[Path] = (),
    set_values: Sequence[tuple[str, str, bool]] = (),
) -> Rendered:
    """``helm template``; ``value_files`` in order (the last wins), ``set_values`` as
    (name, value, force_string) like ``--set`` / ``--set-string``."""
    name = release or _release_name(chart.name)
    if binary.in_process:
        from gitops_guard.render import helm_sdk

        return helm_sdk.template(
            chart, kube_version, release=name, namespace=namespace, value_files=value_files,
            set_values=set_values,
        )  # fmt: skip
    cmd = [
        *binary.argv,
        "template",
        name,
        str(chart),
        "--namespace",
        namespace,
        "--kube-version",
        f"{kube_version[0]}.{kube_version[1]}.0",
    ]
    for file in value_files:
        cmd += ["--values", str(file)]
    for key, value, force_string in set_values:
        cmd += ["--set-string" if force_string else "--set", f"{key}={value}"]
    result = tools.run(cmd, cwd=chart, timeout=timeout)
    if not result.ok:
        error = result.error.replace(str(chart) + os.sep, "").replace(str(cwd) + os.sep, "")
        return Rendered(error=tools.error_line(error), timed_out=result.timed_out, detail=error)
    return Rendered(objects=list(_split(result.stdout, chart)))


def split_documents(stream: str) -> list[str]:
    return [chunk for chunk in _SEPARATOR.split(stream) if chunk.strip()]


def _split(stream: str, chart: Path) -> Any:
    for chunk in split_documents(stream):
        match = _SOURCE.search(chunk)
        source = source_path(match.group(1), chart) if match else None
        parsed = parse(chunk, "<helm template>", Limits())
        for doc in parsed.documents:
            if is_object(doc.data):
                yield doc.data, source


def source_path(named: str, chart: Path) -> Path:
    # "<chart name>/templates/x.yaml", or "<chart>/charts/<sub>/templates/x.yaml".
    _, _, rest = named.partition("/")
    return Path(os.path.normpath(chart / rest))


def _release_name(text: str) -> str:
    """A valid release name (DNS label) made from the chart directory name."""
    cleaned = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")
    return (cleaned or "release")[:53]
