"""The kind → resource table against the sources of truth it was written from."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from gitops_guard.policy.kinds import _TABLE, KindInfo, KindMap
from gitops_guard.schema.builtin import available_versions, schema_root
from tests.conftest import require_corpus

_CRD_GROUPS = {
    g for g, _ in _TABLE if "." in g and not g.endswith("k8s.io") and g != "apiregistration.k8s.io"
}


def _official_crds() -> list[dict[str, object]]:
    crds = []
    for path in sorted((require_corpus() / "crds").rglob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition":
                crds.append(doc)
    return crds


def test_shipped_crd_rows_match_the_official_crds() -> None:
    crds = _official_crds()
    assert crds
    seen = set()
    for crd in crds:
        spec = crd["spec"]
        assert isinstance(spec, dict)
        key = (spec["group"], spec["names"]["kind"])
        seen.add(key)
        assert KindMap().get(*key) == KindInfo(spec["names"]["plural"], spec["scope"] == "Namespaced"), key
    # Every CRD row of the table is one of those CRDs (PushSecret's CRD is not in the corpus).
    rows = {k for k in _TABLE if k[0] in _CRD_GROUPS}
    assert rows - seen == {("external-secrets.io", "PushSecret")}


@pytest.mark.parametrize("key", sorted(k for k in _TABLE if k[0] not in _CRD_GROUPS))
def test_builtin_rows_name_real_kinds(key: tuple[str, str]) -> None:
    group, kind = key
    label = group.split(".")[0] if group else ""
    names: set[str] = set()
    for major, minor in available_versions():
        directory = Path(schema_root()) / f"v{major}.{minor}.0-local-strict"
        names.update(p.name for p in directory.glob(f"{kind.lower()}-*.json"))
    prefix = f"{kind.lower()}-{label}-" if label else f"{kind.lower()}-v"
    assert any(n.startswith(prefix) for n in names), (key, sorted(names))


def test_repository_crds_come_first() -> None:
    crd = {
        "spec": {"group": "apps", "scope": "Cluster", "names": {"kind": "Deployment", "plural": "deploys"}}
    }
    assert KindMap([crd]).get("apps", "Deployment") == KindInfo("deploys", False)
    assert KindMap().get("apps", "Deployment") == KindInfo("deployments", True)
    assert KindMap([{"spec": "broken"}, {}]).get("example.com", "Widget") is None
