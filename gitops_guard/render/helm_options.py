"""How an Argo CD Application asks for its Helm chart to be rendered.

An Application's ``source.helm`` settings — ``releaseName`` (default: the Application's
name), ``valueFiles`` (relative to the chart, in order), ``values``/``valuesObject`` (applied
after the files) and ``parameters`` (``--set``, ``--set-string`` with ``forceString``) — and
its destination namespace.  Used by ``check`` (render a chart the way the Applications that
deploy it do) and by ``diff``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class HelmOptions:
    release: str | None = None
    namespace: str | None = None
    value_files: list[Path] = field(default_factory=list)
    inline_values: str | None = None
    parameters: list[tuple[str, str, bool]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # settings that cannot be honoured offline


def from_source(
    source: dict[str, Any] | None, chart: Path, *, app_name: str | None, namespace: str | None
) -> HelmOptions:
    options = HelmOptions(release=app_name, namespace=namespace)
    settings = source.get("helm") if isinstance(source, dict) else None
    if not isinstance(settings, dict):
        return options
    if isinstance(settings.get("releaseName"), str) and settings["releaseName"]:
        options.release = settings["releaseName"]
    ignore_missing = settings.get("ignoreMissingValueFiles") is True
    for entry in settings.get("valueFiles") or []:
        if not isinstance(entry, str):
            continue
        if entry.startswith("$"):
            options.problems.append(
                f"helm valueFiles {entry}: a value file from another source is not read offline"
            )
            continue
        path = (chart / entry).resolve()
        if path.is_file():
            options.value_files.append(path)
        elif not ignore_missing:
            options.problems.append(f"helm valueFiles {entry}: no such file")
    values = settings.get("valuesObject")
    if isinstance(values, dict):
        import yaml

        options.inline_values = yaml.safe_dump(values)
    elif isinstance(settings.get("values"), str):
        options.inline_values = settings["values"]
    for param in settings.get("parameters") or []:
        if isinstance(param, dict) and isinstance(param.get("name"), str):
            options.parameters.append(
                (param["name"], str(param.get("value", "")), param.get("forceString") is True)
            )
    return options


def with_inline_file(options: HelmOptions, scratch: Path) -> list[Path]:
    """The value files to pass to helm, inline values written to ``scratch`` last (Argo CD gives
    them precedence over the files)."""
    files = list(options.value_files)
    if options.inline_values is not None:
        scratch.parent.mkdir(parents=True, exist_ok=True)
        scratch.write_text(options.inline_values, encoding="utf-8")
        files.append(scratch)
    return files
