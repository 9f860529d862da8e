"""Argo CD ignoreDifferences and Flux spec.ignore on plain objects."""

from __future__ import annotations

import copy
from typing import Any

from gitops_guard.diff import ignore

DEPLOY: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "api", "namespace": "prod", "labels": {"tier": "web"}},
    "spec": {
        "replicas": 3,
        "template": {
            "spec": {
                "containers": [
                    {"name": "api", "image": "api:1", "env": [{"name": "A", "value": "1"}]},
                    {"name": "sidecar", "image": "proxy:1"},
                ]
            }
        },
    },
}


def _apply(rules: list[ignore.IgnoreRule], obj: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    out: dict[str, Any] = copy.deepcopy(obj)
    errors: list[str] = []
    ignore.apply(rules, None, out, errors)
    return out, errors


def test_argo_json_pointer_and_jq_paths() -> None:
    rules = ignore.rules_from(
        {
            "ignoreDifferences": [
                {"group": "apps", "kind": "Deployment", "jsonPointers": ["/spec/replicas"]},
                {
                    "group": "apps",
                    "kind": "Deployment",
                    "jqPathExpressions": [
                        '.spec.template.spec.containers[] | select(.name == "sidecar") | .image'
                    ],
                },
            ]
        }
    )
    out, errors = _apply(rules, DEPLOY)
    assert errors == []
    assert "replicas" not in out["spec"]
    assert out["spec"]["template"]["spec"]["containers"][1] == {"name": "sidecar"}
    assert out["spec"]["template"]["spec"]["containers"][0]["image"] == "api:1"


def test_argo_rule_for_another_kind_or_name_does_nothing() -> None:
    other_kind = {"group": "apps", "kind": "StatefulSet", "jsonPointers": ["/spec/replicas"]}
    other_name = {"group": "apps", "kind": "Deployment", "name": "other", "jsonPointers": ["/spec"]}
    rules = ignore.rules_from({"ignoreDifferences": [other_kind, other_name]})
    assert _apply(rules, DEPLOY)[0] == DEPLOY


def test_unsupported_jq_is_reported_not_ignored() -> None:
    rules = ignore.rules_from(
        {"ignoreDifferences": [{"group": "apps", "kind": "Deployment", "jqPathExpressions": ["map(.x)"]}]}
    )
    out, errors = _apply(rules, DEPLOY)
    assert out == DEPLOY and errors == ["ignoreDifferences: jq expression not supported: map(.x)"]


def test_managed_fields_managers_take_the_live_value() -> None:
    live = copy.deepcopy(DEPLOY)
    live["spec"]["replicas"] = 7
    live["metadata"]["managedFields"] = [
        {"manager": "hpa-controller", "fieldsV1": {"f:spec": {"f:replicas": {}}}},
        {"manager": "gitops-guard", "fieldsV1": {"f:spec": {"f:template": {}}}},
    ]
    desired = copy.deepcopy(DEPLOY)
    rules = ignore.rules_from(
        {
            "ignoreDifferences": [
                {"group": "apps", "kind": "Deployment", "managedFieldsManagers": ["hpa-controller"]}
            ]
        }
    )
    ignore.apply(rules, live, desired, [])
    assert "replicas" not in live["spec"] and "replicas" not in desired["spec"]
    assert desired["spec"]["template"] == DEPLOY["spec"]["template"]


def test_flux_ignore_with_target_and_label_selector() -> None:
    spec = {
        "ignore": [
            {"paths": ["/spec/replicas"], "target": {"kind": "Deployment", "labelSelector": "tier=web"}},
            {"paths": ["/metadata/labels"], "target": {"kind": "Deployment", "labelSelector": "tier!=web"}},
        ]
    }
    out, _ = _apply(ignore.rules_from_flux(spec), DEPLOY)
    assert "replicas" not in out["spec"] and out["metadata"]["labels"] == {"tier": "web"}


def test_selectors() -> None:
    labels = {"a": "1", "b": "2"}
    assert ignore.selector_matches("", None)
    assert ignore.selector_matches("a=1,b", labels)
    assert ignore.selector_matches("a==1,!c", labels)
    assert not ignore.selector_matches("a!=1", labels)
    assert not ignore.selector_matches("c", labels)
    assert not ignore.selector_matches("!b", labels)
