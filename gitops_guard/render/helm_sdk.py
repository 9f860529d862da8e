"""``helm template`` without a helm binary: Helm's own engine through the helm-python-sdk wheel.

The wheel (``pip install 'gitops-guard[render]'``) binds Helm's Go SDK as a shared library,
so a machine with nothing but Python renders local charts with Helm itself rather than a
re-implementation.  It is the last choice, after a pinned or PATH ``helm`` (see
``tools.find_helm``), and gives what ``helm template`` prints:

* values: the chart's defaults, then each values file deep-merged in order (the last wins),
  then each ``--set``/``--set-string`` parsed by Helm's own parser and merged on top;
* ``.Release.Name``/``.Release.Namespace`` and ``.Capabilities.KubeVersion`` as the binary's
  ``--namespace`` and ``--kube-version`` set them;
* every rendered template except ``NOTES.txt``, named ``<chart>/templates/...`` as in
  ``# Source:`` comments; a document that is not YAML fails the render as helm's does.

The library is loaded only here, only when a chart is rendered (it is ~85 MB of Go code).
It runs in this process: there is no timeout, but it never touches the network or a
cluster (``lookup`` returns nothing).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gitops_guard.render import tools
from gitops_guard.render.helm import Rendered, source_path, split_documents
from gitops_guard.resources import is_object
from gitops_guard.source.limits import Limits
from gitops_guard.source.yamldoc import decode, parse


def template(
    chart: Path,
    kube_version: tuple[int, int],
    *,
    release: str,
    namespace: str,
    value_files: Sequence[Path] = (),
    set_values: Sequence[tuple[str, str, bool]] = (),
) -> Rendered:
    import helm_python
    from helm_python import _native

    try:
        values = _values(value_files, set_values, helm_python)
    except ValueError as exc:
        return Rendered(error=str(exc))
    options = {
        "name": release,
        "namespace": namespace,
        "kube_version": f"{kube_version[0]}.{kube_version[1]}.0",
    }
    try:
        with helm_python.Chart.load(chart) as loaded:
            # Chart.render() has no kube version; the library's own call takes it.
            raw = _native.call_string("helm_render", loaded._raw(), json.dumps(values), json.dumps(options))
    except helm_python.HelmError as exc:
        detail = " ".join(line.strip() for line in str(exc).splitlines() if line.strip())
        detail = detail.replace(str(chart) + os.sep, "")
        # Cut as the binary's stderr is: a message can quote values (and so secrets).
        return Rendered(error=tools.error_line("Error: " + detail) or type(exc).__name__, detail=detail)
    manifests: dict[str, str] = json.loads(raw)
    rendered = Rendered()
    for name in sorted(manifests):
        if name.endswith("/NOTES.txt") or not manifests[name].strip():
            continue
        for chunk in split_documents(manifests[name]):
            parsed = parse(chunk, name, Limits())
            if parsed.problems:
                message = f"YAML parse error on {name}: {parsed.problems[0].message}"
                return Rendered(error=tools.error_line("Error: " + message), detail=message)
            rendered.objects.extend(
                (doc.data, source_path(name, chart)) for doc in parsed.documents if is_object(doc.data)
            )
    return rendered


def _values(
    files: Sequence[Path], set_values: Sequence[tuple[str, str, bool]], helm_python: Any
) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for file in files:
        try:
            text, problem = decode(file.read_bytes())
        except OSError as exc:
            raise ValueError(f"values file {file.name}: {exc.strerror}") from None
        if text is None or problem is not None:
            raise ValueError(f"values file {file.name}: not readable text")
        parsed = parse(text, file.name, Limits())
        if parsed.problems:
            raise ValueError(f"values file {file.name}: {parsed.problems[0].message}")
        data = parsed.documents[0].data if parsed.documents else None
        if isinstance(data, dict):
            _merge(merged, data)
        elif data is not None:
            raise ValueError(f"values file {file.name}: not a mapping")
    for key, value, force_string in set_values:
        parse_set = helm_python.parse_set_string_values if force_string else helm_python.parse_set_string
        try:
            _merge(merged, parse_set(f"{key}={value}"))
        except helm_python.HelmError:
            raise ValueError(f"parameter {key}: not a valid --set expression") from None
    return merged


def _merge(base: dict[str, Any], top: dict[str, Any]) -> None:
    """Helm's merge of values files: nested maps merge, anything else is replaced."""
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value
