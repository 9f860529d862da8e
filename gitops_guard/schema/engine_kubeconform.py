"""The kubeconform engine: the real kubeconform binary, as a subprocess.

It validates the same objects against the same schemas as the built-in
engine: we write each object (already SOPS-stripped) as a JSON file and every
schema the run resolved into a catalogue directory, then map its JSON output
back to our documents.  Its messages are translated into the same wording.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gitops_guard.data_path import value_at
from gitops_guard.errors import ToolError
from gitops_guard.schema import violations as v
from gitops_guard.schema.registry import SchemaHit
from gitops_guard.schema.violations import InstancePath, Violation
from gitops_guard.schema.walk import properties_at

_SEGMENT = re.compile(r"- at '([^']*)': (.*?)(?=\s+- at '|$)", re.S)
_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'")


def find_binary(cache_bin: Path | None = None) -> str | None:
    if cache_bin is not None and (cache_bin / "kubeconform").is_file():
        return str(cache_bin / "kubeconform")
    return shutil.which("kubeconform")


class KubeconformEngine:
    name = "kubeconform"

    def __init__(self, binary: str, *, jobs: int = 2, timeout: float = 600) -> None:
        self.binary = binary
        self.jobs = jobs
        self.timeout = timeout

    def validate_batch(self, items: Sequence[tuple[dict[str, Any], SchemaHit]]) -> list[list[Violation]]:
        """One kubeconform run for all objects; returns violations in the same order."""
        results: list[list[Violation]] = [[] for _ in items]
        if not items:
            return results
        with tempfile.TemporaryDirectory(prefix="gitops-guard-kc-") as tmp:
            docs = Path(tmp, "docs")
            schemas = Path(tmp, "schemas")
            docs.mkdir()
            for i, (body, hit) in enumerate(items):
                group, _, version = str(body["apiVersion"]).rpartition("/")
                # kubeconform's {{ .Group }} of a core object ("v1") is its version.
                target = schemas / (group or version) / f"{str(body['kind']).lower()}_{version}.json"
                if not target.exists():
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_text(json.dumps(hit.schema), encoding="utf-8")
                (docs / f"{i}.json").write_text(json.dumps(body), encoding="utf-8")
            template = os.path.join(
                str(schemas), "{{ .Group }}", "{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json"
            )
            cmd = [
                self.binary,
                "-strict",
                "-output",
                "json",
                "-n",
                str(self.jobs),
                "-schema-location",
                template,
                str(docs),
            ]
            try:
                proc = subprocess.run(cmd, capture_output=True, text=True, timeout=self.timeout, check=False)
            except FileNotFoundError as exc:
                raise ToolError(f"kubeconform not found at {self.binary}") from exc
            except subprocess.TimeoutExpired as exc:
                raise ToolError(f"kubeconform did not finish within {self.timeout:.0f}s") from exc
            if proc.returncode not in (0, 1):
                raise ToolError(f"kubeconform failed (exit {proc.returncode}): {proc.stderr.strip()[:500]}")
            try:
                output = json.loads(proc.stdout or "{}")
            except ValueError as exc:
                raise ToolError(
                    f"kubeconform printed output that is not JSON: {proc.stdout[:200]!r}"
                ) from exc
        for res in output.get("resources") or []:
            index = int(Path(res.get("filename", "-1.json")).stem)
            status = res.get("status")
            if status == "statusInvalid":
                body, hit = items[index]
                results[index] = translate(str(res.get("msg", "")), body, hit.schema)
            elif status == "statusError":
                raise ToolError(f"kubeconform could not validate an object: {res.get('msg')}")
        return results


def translate(msg: str, body: dict[str, Any], schema: dict[str, Any]) -> list[Violation]:
    segments = [(_pointer(p, body), m.strip()) for p, m in _SEGMENT.findall(msg)]
    alternatives = [p for p, m in segments if m in ("anyOf failed", "oneOf failed")]
    out: list[Violation] = []
    for path, text in segments:
        if text == "validation failed":
            continue
        if any(path[: len(a)] == a for a in alternatives) and text not in ("anyOf failed", "oneOf failed"):
            continue
        out.extend(_one(path, text, body, schema))
    return sorted(set(out))


def _one(path: InstancePath, text: str, body: dict[str, Any], schema: dict[str, Any]) -> list[Violation]:
    if text.startswith("additional propert"):
        known = properties_at(schema, path)
        return [v.unknown_field(path, name, known) for name in _QUOTED.findall(text)]
    if text.startswith("missing propert"):
        return [v.missing_field(path, name) for name in _QUOTED.findall(text)]
    m = re.fullmatch(r"got (\w+), want (.+)", text)
    if m:
        return [v.wrong_type(path, [t.strip() for t in m.group(2).split(" or ")], _type_at(body, path))]
    if text.startswith("value must be one of"):
        options = ", ".join(_QUOTED.findall(text)[:12]) or text.split("of", 1)[1].strip()
        return [v.not_listed(path, options)]
    if text in ("anyOf failed", "oneOf failed"):
        return [v.other(path, "does not match any of the allowed forms")]
    # Unknown wording: keep the gist, but never a quoted instance value.
    return [v.other(path, _QUOTED.sub("'…'", text))]


def _type_at(body: Any, path: InstancePath) -> str:
    node = value_at(body, path, _ABSENT)
    return "unknown" if node is _ABSENT else v.json_type(node)


_ABSENT = object()


def _pointer(pointer: str, body: Any) -> InstancePath:
    """JSON pointer → path; a segment is an index only where the instance is a list."""
    out: list[str | int] = []
    node = body
    for raw in pointer.split("/")[1:]:
        part = raw.replace("~1", "/").replace("~0", "~")
        step: str | int = int(part) if isinstance(node, list) and part.isdigit() else part
        out.append(step)
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            node = None
    return tuple(out)
