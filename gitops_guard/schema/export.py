"""Write the schemas gitops-guard uses as standalone files kubeconform can read.

Built-in kinds go to ``DIR/{kind}-{group}-{version}.json`` (kubeconform's
default naming, so ``-schema-location 'DIR/{{ .ResourceKind }}{{ .KindSuffix }}.json'``
works) and shipped CRDs to ``DIR/{group}/{kind}_{version}.json``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from gitops_guard.datafiles import data_dir
from gitops_guard.schema.builtin import BuiltinSchemas, available_versions, parse_version


def export(directory: Path, kubernetes_version: str | None = None) -> int:
    version = parse_version(kubernetes_version) if kubernetes_version else available_versions()[-1]
    builtin = BuiltinSchemas(version)
    directory.mkdir(parents=True, exist_ok=True)
    count = 0
    for name in builtin.kinds():
        schema = builtin.bundle_file(name)
        props = schema.get("properties", {})
        if "apiVersion" not in props or "kind" not in props:
            continue  # a sub-type such as containerport-v1.json, not an object
        (directory / name).write_text(json.dumps(schema), encoding="utf-8")
        count += 1
    shipped = data_dir("schemas") / "crds"
    for src in sorted(shipped.glob("*/*.json")):
        dest = directory / src.parent.name / src.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)
        count += 1
    return count
