"""prune/allow-empty: automated prune that is allowed to sync to nothing."""

from __future__ import annotations

import pytest

from tests.prune.conftest import URL, Prune, app, cm

RULE = ("prune/allow-empty",)
BASE = {"apps/a/cm.yaml": cm("a")}


@pytest.mark.parametrize(
    ("prune_on", "allow_empty", "automated", "expected"),
    [
        (True, True, True, 1),
        (True, False, True, 0),
        (True, None, True, 0),
        (False, True, True, 0),  # allowEmpty without prune deletes nothing
        (None, True, True, 0),
        (True, True, False, 0),
    ],
)
def test_truth_table(
    prune: Prune, prune_on: bool | None, allow_empty: bool | None, automated: bool, expected: int
) -> None:
    text = app("a", "apps/a", prune=prune_on, allow_empty=allow_empty, automated=automated)
    found = prune({**BASE, "argocd/a.yaml": text}, select=RULE)
    assert len(found) == expected, found
    if expected:
        assert (found[0].path, found[0].line, found[0].column) == ("argocd/a.yaml", 17, 19)


def test_remote_source_is_reported_too(prune: Prune) -> None:
    # The danger is in the sync policy, wherever the manifests live.
    text = app("a", None, chart="redis", repo="https://charts.example.com", allow_empty=True)
    assert len(prune({"argocd/a.yaml": text}, select=RULE)) == 1


def test_application_set_template_reported_once(prune: Prune) -> None:
    appset = f"""\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: envs
  namespace: argocd
spec:
  generators:
    - list:
        elements:
          - env: dev
          - env: prod
  template:
    metadata:
      name: 'app-{{{{env}}}}'
    spec:
      project: default
      source:
        repoURL: {URL}
        path: 'envs/{{{{env}}}}'
      destination:
        server: https://kubernetes.default.svc
        namespace: '{{{{env}}}}'
      syncPolicy:
        automated:
          prune: true
          allowEmpty: true
"""
    files = {"envs/dev/cm.yaml": cm(), "envs/prod/cm.yaml": cm(), "argocd/envs.yaml": appset}
    found = prune(files, select=RULE)
    assert [(f.path, f.line) for f in found] == [("argocd/envs.yaml", 26)]
    assert "1 more like it" in found[0].message
