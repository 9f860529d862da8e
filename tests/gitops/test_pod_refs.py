"""The objects a pod spec needs, read directly (``sync/wave-order`` tests cover them through the check)."""

from __future__ import annotations

import yaml

from gitops_guard.gitops.pod_refs import Reference, pod_references

CRONJOB = """
kind: CronJob
spec:
  jobTemplate:
    spec:
      template:
        spec:
          serviceAccountName: backup
          imagePullSecrets: [{name: registry}]
          volumes:
            - name: data
              persistentVolumeClaim: {claimName: data}
            - name: extra
              configMap: {name: extra, optional: true}
            - name: both
              projected:
                sources:
                  - configMap: {name: proj-cm}
                  - secret: {name: proj-secret}
          containers:
            - name: run
              envFrom: [{secretRef: {name: creds}}]
              env:
                - name: MODE
                  valueFrom: {configMapKeyRef: {name: settings, key: mode}}
                - name: TOKEN
                  valueFrom: {secretKeyRef: {name: token, key: t, optional: true}}
"""


def test_every_reference_of_a_cronjob_with_where_it_is_written() -> None:
    pod = ("spec", "jobTemplate", "spec", "template", "spec")
    assert pod_references(yaml.safe_load(CRONJOB)) == [
        Reference(
            "PersistentVolumeClaim", "data", (*pod, "volumes", 0, "persistentVolumeClaim", "claimName")
        ),
        Reference(
            "ConfigMap", "proj-cm", (*pod, "volumes", 2, "projected", "sources", 0, "configMap", "name")
        ),
        Reference("Secret", "proj-secret", (*pod, "volumes", 2, "projected", "sources", 1, "secret", "name")),
        Reference("Secret", "creds", (*pod, "containers", 0, "envFrom", 0, "secretRef", "name")),
        Reference(
            "ConfigMap", "settings", (*pod, "containers", 0, "env", 0, "valueFrom", "configMapKeyRef", "name")
        ),
        Reference("ServiceAccount", "backup", (*pod, "serviceAccountName")),
        Reference("Secret", "registry", (*pod, "imagePullSecrets", 0, "name")),
    ]


def test_default_service_account_other_kinds_and_malformed_specs_need_nothing() -> None:
    assert pod_references({"kind": "Pod", "spec": {"serviceAccountName": "default"}}) == []
    assert pod_references({"kind": "ConfigMap", "data": {"a": "b"}}) == []
    assert pod_references({"kind": "Deployment", "spec": {"template": "not a mapping"}}) == []
    assert pod_references({"kind": "Pod", "spec": {"volumes": ["x", {"secret": {"secretName": "s"}}]}}) == [
        Reference("Secret", "s", ("spec", "volumes", 1, "secret", "secretName"))
    ]
