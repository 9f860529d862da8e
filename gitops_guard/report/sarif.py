"""SARIF 2.1.0, the format GitHub code scanning (and most other hosts) ingest."""

from __future__ import annotations

import json
import re
from urllib.parse import quote

from gitops_guard.findings import Finding, Outcome, Severity
from gitops_guard.report.model import Report
from gitops_guard.rules import Rule

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
# Key of the partial fingerprint; bump the suffix if Finding.fingerprint changes
# meaning, so code scanning does not match old alerts against new ones.
FINGERPRINT_KEY = "gitopsGuard/v1"
# Paths are relative to the directory the tool ran in; consumers (GitHub maps
# it to the checkout) resolve this base themselves, which keeps output stable.
SRCROOT = "%SRCROOT%"

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_WORD = re.compile(r"[A-Za-z0-9]+")
# RFC 3986 path characters that need no encoding. ":" is left out because in
# the first segment of a relative reference it would read as a URI scheme.
_URI_SAFE = "/!$&'()*+,;=@"

_Json = dict[str, object]


def render(report: Report, *, color: bool = False) -> str:
    rules = _driver_rules(report)
    index = {rule_id: i for i, (rule_id, _) in enumerate(rules)}
    driver: _Json = {
        "name": report.tool_name,
        "version": report.tool_version,
        "semanticVersion": report.tool_version,
        "rules": [descriptor for _, descriptor in rules],
    }
    run: _Json = {
        "tool": {"driver": driver},
        # Finding columns count characters, not the UTF-16 units SARIF assumes by default.
        "columnKind": "unicodeCodePoints",
        "results": [_result(f, index[f.rule]) for f in report.findings],
    }
    document = {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}
    return json.dumps(document, indent=2, ensure_ascii=True) + "\n"


def _driver_rules(report: Report) -> list[tuple[str, _Json]]:
    """Every active rule, plus rules that only appear in findings, sorted by ID.

    Results point at rules by index, so a finding whose rule is not in
    ``report.rules`` (for example a ``policy/<name>`` found in the repository)
    still needs a descriptor.
    """
    descriptors = {rule.id: _descriptor(rule) for rule in report.rules}
    for finding in report.findings:
        if finding.rule not in descriptors:
            descriptors[finding.rule] = _descriptor(Rule(finding.rule, finding.severity, finding.rule))
    return sorted(descriptors.items())


def _descriptor(rule: Rule) -> _Json:
    summary = rule.summary.strip() or rule.id
    help_text = rule.help or summary
    return {
        "id": rule.id,
        "name": _rule_name(rule.id),
        "shortDescription": {"text": summary},
        "fullDescription": {"text": help_text},
        "help": {"text": help_text},
        "defaultConfiguration": {"level": _LEVEL[rule.severity]},
        "properties": {"tags": [rule.family]},
    }


def _rule_name(rule_id: str) -> str:
    """``yaml/duplicate-key`` -> ``YamlDuplicateKey``: SARIF wants a readable identifier."""
    return "".join(word[:1].upper() + word[1:] for word in _WORD.findall(rule_id)) or rule_id


def _result(finding: Finding, rule_index: int) -> _Json:
    message = finding.message or finding.rule
    if finding.outcome is Outcome.NOT_CHECKED:
        # SARIF's own "could not decide" kind forces level "none", which hosts
        # hide; a check that could not run must stay as visible as its severity.
        message = f"(not checked) {message}"
    physical: _Json = {"artifactLocation": {"uri": _uri(finding.path), "uriBaseId": SRCROOT}}
    region = _region(finding)
    if region:
        physical["region"] = region
    location: _Json = {"physicalLocation": physical}
    if finding.object is not None:
        location["logicalLocations"] = [
            {
                "name": finding.object.name or finding.object.kind,
                "fullyQualifiedName": str(finding.object),
                "kind": "resource",
            }
        ]
    result: _Json = {
        "ruleId": finding.rule,
        "ruleIndex": rule_index,
        "level": _LEVEL[finding.severity],
        "message": {"text": message},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint},
        "properties": {"outcome": finding.outcome.value},
    }
    return result


def _region(finding: Finding) -> _Json:
    # SARIF lines and columns are 1-based; anything else means "unknown".
    if finding.line is None or finding.line < 1:
        return {}
    region: _Json = {"startLine": finding.line}
    if finding.column is not None and finding.column >= 1:
        region["startColumn"] = finding.column
    return region


def _uri(path: str) -> str:
    """A relative URI reference: ``/``-separated, percent-encoding only what a path may not hold."""
    path = path.replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    try:
        # Undecodable file-name bytes arrive as surrogate escapes: encode the original bytes.
        return quote(path, safe=_URI_SAFE, errors="surrogateescape")
    except UnicodeEncodeError:
        return quote(path, safe=_URI_SAFE, errors="replace")
