"""SARIF: structure checked against the SARIF 2.1.0 rules, offline.

``SARIF_SUBSET`` transcribes the parts of the official 2.1.0 schema this
renderer uses: required properties, types, enums, minimums, and the property
names each object allows (the official schema forbids unknown properties on
these objects, so a typo here is an invalid log there too).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote, urlsplit

import jsonschema_rs
import pytest

from gitops_guard.findings import Finding, Severity
from gitops_guard.report.model import Report
from gitops_guard.report.sarif import render

_MESSAGE = {
    "type": "object",
    "required": ["text"],
    "properties": {"text": {"type": "string"}, "markdown": {"type": "string"}},
    "additionalProperties": False,
}
_PROPERTY_BAG = {
    "type": "object",
    "properties": {"tags": {"type": "array", "uniqueItems": True, "items": {"type": "string"}}},
}
_LEVEL = {"enum": ["none", "note", "warning", "error"]}

SARIF_SUBSET: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "definitions": {
        "reportingDescriptor": {
            "type": "object",
            "required": ["id"],
            "properties": {
                "id": {"type": "string"},
                "name": {"type": "string"},
                "shortDescription": _MESSAGE,
                "fullDescription": _MESSAGE,
                "help": _MESSAGE,
                "helpUri": {"type": "string"},
                "defaultConfiguration": {
                    "type": "object",
                    "properties": {"level": _LEVEL, "enabled": {"type": "boolean"}},
                    "additionalProperties": False,
                },
                "properties": _PROPERTY_BAG,
            },
            "additionalProperties": False,
        },
        "result": {
            "type": "object",
            "required": ["message"],
            "properties": {
                "ruleId": {"type": "string"},
                "ruleIndex": {"type": "integer", "minimum": -1},
                "level": _LEVEL,
                "kind": {"enum": ["notApplicable", "pass", "fail", "review", "open", "informational"]},
                "message": _MESSAGE,
                "locations": {"type": "array", "items": {"$ref": "#/definitions/location"}},
                "partialFingerprints": {"type": "object", "additionalProperties": {"type": "string"}},
                "properties": _PROPERTY_BAG,
            },
            "additionalProperties": False,
        },
        "location": {
            "type": "object",
            "properties": {
                "physicalLocation": {
                    "type": "object",
                    "required": ["artifactLocation"],
                    "properties": {
                        "artifactLocation": {
                            "type": "object",
                            "properties": {
                                "uri": {"type": "string"},
                                "uriBaseId": {"type": "string"},
                                "index": {"type": "integer", "minimum": -1},
                            },
                            "additionalProperties": False,
                        },
                        "region": {
                            "type": "object",
                            "properties": {
                                "startLine": {"type": "integer", "minimum": 1},
                                "startColumn": {"type": "integer", "minimum": 1},
                                "endLine": {"type": "integer", "minimum": 1},
                                "endColumn": {"type": "integer", "minimum": 1},
                            },
                            "additionalProperties": False,
                        },
                    },
                    "additionalProperties": False,
                },
                "logicalLocations": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "name": {"type": "string"},
                            "fullyQualifiedName": {"type": "string"},
                            "kind": {"type": "string"},
                        },
                        "additionalProperties": False,
                    },
                },
            },
            "additionalProperties": False,
        },
    },
    "type": "object",
    "required": ["version", "runs"],
    "properties": {
        "$schema": {"type": "string"},
        "version": {"enum": ["2.1.0"]},
        "runs": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["tool"],
                "properties": {
                    "tool": {
                        "type": "object",
                        "required": ["driver"],
                        "properties": {
                            "driver": {
                                "type": "object",
                                "required": ["name"],
                                "properties": {
                                    "name": {"type": "string"},
                                    "version": {"type": "string"},
                                    "semanticVersion": {"type": "string"},
                                    "informationUri": {"type": "string"},
                                    "rules": {
                                        "type": "array",
                                        "uniqueItems": True,
                                        "items": {"$ref": "#/definitions/reportingDescriptor"},
                                    },
                                },
                                "additionalProperties": False,
                            }
                        },
                        "additionalProperties": False,
                    },
                    "columnKind": {"enum": ["utf16CodeUnits", "unicodeCodePoints"]},
                    "results": {"type": "array", "items": {"$ref": "#/definitions/result"}},
                },
                "additionalProperties": False,
            },
        },
    },
    "additionalProperties": False,
}


def _validate(document: object) -> list[str]:
    validator = jsonschema_rs.Draft7Validator(SARIF_SUBSET)
    return [f"{list(error.instance_path)}: {error.message}" for error in validator.iter_errors(document)]


def test_the_subset_schema_rejects_broken_logs() -> None:
    # Guards the validator itself: a test that cannot fail proves nothing.
    assert _validate({"version": "2.1.0", "runs": [{"tool": {"driver": {}}}]})
    assert _validate({"version": "2.0.0", "runs": []})
    bad_region = {"physicalLocation": {"artifactLocation": {"uri": "a"}, "region": {"startLine": 0}}}
    log = {
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "x"}},
                "results": [{"message": {"text": "m"}, "locations": [bad_region]}],
            }
        ],
    }
    assert _validate(log)
    typo = {
        "version": "2.1.0",
        "runs": [
            {"tool": {"driver": {"name": "x"}}, "results": [{"message": {"text": "m"}, "ruleID": "a/b"}]}
        ],
    }
    assert _validate(typo)


def test_sample_is_valid(sample_report: Report) -> None:
    document = json.loads(render(sample_report))
    assert _validate(document) == []
    assert document["$schema"].endswith("sarif-2.1.0.json")
    assert len(document["runs"]) == 1


def test_empty_report_is_valid(empty_report: Report) -> None:
    document = json.loads(render(empty_report))
    assert _validate(document) == []
    assert document["runs"][0]["results"] == []
    assert len(document["runs"][0]["tool"]["driver"]["rules"]) == len(empty_report.rules)


def test_rules_cover_active_rules_and_every_rule_used(sample_report: Report) -> None:
    driver = json.loads(render(sample_report))["runs"][0]["tool"]["driver"]
    ids = [rule["id"] for rule in driver["rules"]]
    assert ids == sorted(set(ids))
    assert {r.id for r in sample_report.rules} | {f.rule for f in sample_report.findings} == set(ids)
    by_id = {rule["id"]: rule for rule in driver["rules"]}
    assert by_id["schema/violation"]["shortDescription"]["text"] == "An object breaks its schema"
    assert by_id["schema/violation"]["help"]["text"].startswith("Checks every object")
    assert by_id["schema/missing"]["defaultConfiguration"]["level"] == "warning"
    # Not in report.rules: described from its finding.
    assert by_id["policy/require-labels"]["defaultConfiguration"]["level"] == "note"
    assert by_id["sync/invalid-wave"]["name"] == "SyncInvalidWave"


def test_results_point_at_their_rule_and_location(sample_report: Report) -> None:
    run = json.loads(render(sample_report))["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert len(run["results"]) == len(sample_report.findings)
    for result, finding in zip(run["results"], sample_report.findings, strict=True):
        assert result["ruleId"] == finding.rule == rules[result["ruleIndex"]]["id"]
        assert (
            result["level"]
            == {"error": "error", "warning": "warning", "info": "note"}[finding.severity.value]
        )
        assert result["partialFingerprints"] == {"gitopsGuard/v1": finding.fingerprint}
        physical = result["locations"][0]["physicalLocation"]
        artifact = physical["artifactLocation"]
        assert artifact["uriBaseId"] == "%SRCROOT%"
        uri = artifact["uri"]
        assert " " not in uri and "\\" not in uri and not uri.startswith(("/", "./"))
        assert urlsplit(uri).scheme == "" and urlsplit(uri).fragment == ""
        assert unquote(uri) == finding.path
        region = physical.get("region")
        if finding.line is None:
            assert region is None
        else:
            expected = {"startLine": finding.line}
            if finding.column is not None:
                expected["startColumn"] = finding.column
            assert region == expected
    assert run["columnKind"] == "unicodeCodePoints"


def test_not_checked_stays_visible(sample_report: Report) -> None:
    results = json.loads(render(sample_report))["runs"][0]["results"]
    (result,) = [r for r in results if r["properties"]["outcome"] == "not-checked"]
    assert result["level"] == "warning" and "kind" not in result
    assert result["message"]["text"].startswith("(not checked) ")


@pytest.mark.parametrize(("line", "column"), [(0, 0), (-1, 5), (3, 0)])
def test_positions_that_are_not_1_based_are_left_out(
    line: int, column: int, make_report: Callable[..., Report]
) -> None:
    report = make_report([Finding("yaml/syntax", Severity.ERROR, "./a:b.yaml", line, column, "")])
    document = json.loads(render(report))
    assert _validate(document) == []
    result = document["runs"][0]["results"][0]
    physical = result["locations"][0]["physicalLocation"]
    assert physical.get("region", {}) == ({"startLine": line} if line >= 1 else {})
    assert physical["artifactLocation"]["uri"] == "a%3Ab.yaml"
    assert result["message"]["text"] == "yaml/syntax"
