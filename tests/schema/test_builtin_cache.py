"""The on-disk cache of bundled built-in schemas: same schemas, refreshed when the source changes."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from gitops_guard.schema import builtin
from gitops_guard.schema.builtin import BuiltinSchemas, available_versions


@pytest.fixture
def version() -> tuple[int, int]:
    return available_versions()[-1]


def test_cached_bundle_equals_a_fresh_one(tmp_path: Path, version: tuple[int, int]) -> None:
    fresh = BuiltinSchemas(version).get("apps", "v1", "Deployment")
    first = BuiltinSchemas(version, tmp_path).get("apps", "v1", "Deployment")
    written = list((tmp_path / "builtin-schemas").rglob("deployment-apps-v1.json"))
    assert len(written) == 1
    second = BuiltinSchemas(version, tmp_path).get("apps", "v1", "Deployment")
    assert fresh is not None and fresh == first == second
    assert fresh["properties"]["kind"]["enum"] == ["Deployment"]


def test_the_cache_is_read_rather_than_the_definitions(
    tmp_path: Path, version: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    BuiltinSchemas(version, tmp_path).get("", "v1", "ConfigMap")

    def no_bundling(self: BuiltinSchemas, name: str) -> dict[str, object]:
        raise AssertionError(f"bundled {name} again")

    monkeypatch.setattr(BuiltinSchemas, "bundle_file", no_bundling)
    assert BuiltinSchemas(version, tmp_path).get("", "v1", "ConfigMap") is not None


def test_an_entry_for_another_source_is_not_used(tmp_path: Path, version: tuple[int, int]) -> None:
    BuiltinSchemas(version, tmp_path).get("", "v1", "Service")
    (entry,) = (tmp_path / "builtin-schemas").rglob("service-v1.json")
    stale = json.loads(entry.read_text(encoding="utf-8"))
    stale["source"][1] += 1  # as if the kind file had changed size
    stale["schema"] = {"type": "object", "properties": {"kind": {"enum": ["Service"]}}}
    entry.write_text(json.dumps(stale), encoding="utf-8")
    got = BuiltinSchemas(version, tmp_path).get("", "v1", "Service")
    assert got is not None and "$defs" in got
    assert json.loads(entry.read_text(encoding="utf-8"))["schema"] == got  # rewritten


def test_a_corrupt_entry_is_rebuilt(tmp_path: Path, version: tuple[int, int]) -> None:
    BuiltinSchemas(version, tmp_path).get("", "v1", "Service")
    (entry,) = (tmp_path / "builtin-schemas").rglob("service-v1.json")
    entry.write_text('{"source": [1, 2], "sch', encoding="utf-8")
    assert BuiltinSchemas(version, tmp_path).get("", "v1", "Service") == BuiltinSchemas(version).get(
        "", "v1", "Service"
    )


def test_the_apiversion_check_applies_to_cached_bundles(tmp_path: Path, version: tuple[int, int]) -> None:
    # deployment-apps-v1.json also answers to a file name for apps.example.com/v1: the
    # schema's own apiVersion enum must still reject it, cached or not.
    assert BuiltinSchemas(version, tmp_path).get("apps", "v1", "Deployment") is not None
    assert BuiltinSchemas(version, tmp_path).get("apps.example.com", "v1", "Deployment") is None
    assert BuiltinSchemas(version, tmp_path).get("apps", "v1", "Deployment") is not None


def test_an_unwritable_cache_still_gives_schemas(tmp_path: Path, version: tuple[int, int]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory", encoding="utf-8")
    assert BuiltinSchemas(version, blocker).get("", "v1", "ConfigMap") is not None


def test_a_new_definitions_file_gets_its_own_cache_directory(
    tmp_path: Path, version: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    source = builtin.schema_root()
    copy = tmp_path / "schemas"
    name = f"v{version[0]}.{version[1]}.0-local-strict"
    (copy / name).mkdir(parents=True)
    for file in ("_definitions.json", "configmap-v1.json"):
        shutil.copy2(source / name / file, copy / name / file)
    monkeypatch.setattr(builtin, "schema_root", lambda: copy)
    cache = tmp_path / "cache"
    BuiltinSchemas(version, cache).get("", "v1", "ConfigMap")
    defs = copy / name / "_definitions.json"
    stat = defs.stat()
    os.utime(defs, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    BuiltinSchemas(version, cache).get("", "v1", "ConfigMap")
    assert len(list((cache / "builtin-schemas").iterdir())) == 2


@pytest.mark.parametrize("cached", [False, True])
def test_bundles_without_cel_rules_are_known_as_such(
    tmp_path: Path, version: tuple[int, int], monkeypatch: pytest.MonkeyPatch, cached: bool
) -> None:
    source = builtin.schema_root()
    copy = tmp_path / "schemas"
    name = f"v{version[0]}.{version[1]}.0-local-strict"
    (copy / name).mkdir(parents=True)
    for file in ("_definitions.json", "configmap-v1.json", "service-v1.json"):
        shutil.copy2(source / name / file, copy / name / file)
    service = json.loads((copy / name / "service-v1.json").read_text(encoding="utf-8"))
    service["x-kubernetes-validations"] = [{"rule": "has(self.spec)"}]
    (copy / name / "service-v1.json").write_text(json.dumps(service), encoding="utf-8")
    monkeypatch.setattr(builtin, "schema_root", lambda: copy)
    cache = tmp_path / "cache"
    if cached:
        BuiltinSchemas(version, cache).get("", "v1", "ConfigMap")
        BuiltinSchemas(version, cache).get("", "v1", "Service")
    schemas = BuiltinSchemas(version, cache)
    assert schemas.may_have_rules("", "v1", "ConfigMap")  # not read yet: unknown
    assert schemas.get("", "v1", "ConfigMap") is not None
    assert schemas.get("", "v1", "Service") is not None
    assert not schemas.may_have_rules("", "v1", "ConfigMap")
    assert schemas.may_have_rules("", "v1", "Service")


def test_a_bundle_keeps_what_validates_and_drops_the_documentation() -> None:
    schemas = BuiltinSchemas((1, 37))
    deployment = json.dumps(schemas.get("apps", "v1", "Deployment"))
    assert '"description": "' not in deployment  # the keyword, with its prose
    # A field named "description" is a property, not documentation: PriorityClass has one.
    priority = schemas.get("scheduling.k8s.io", "v1", "PriorityClass")
    assert priority is not None and priority["properties"]["description"] == {"type": ["string", "null"]}
    # Data is left alone, whatever keys it holds.
    schema = {
        "type": "object",
        "description": "doc",
        "default": {"description": "data"},
        "enum": ["description"],
    }
    assert builtin._without_docs(schema) == {
        "type": "object",
        "default": {"description": "data"},
        "enum": ["description"],
    }
