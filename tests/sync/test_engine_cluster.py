"""The sync engine against the dev cluster: real Git repositories, real API server and controllers."""

from __future__ import annotations

import time
from pathlib import Path

from gitops_guard.cluster import Client
from gitops_guard.ownership import TRACKING_ANNOTATION
from gitops_guard.sync import engine
from gitops_guard.sync.history import HistoryStore, Result
from tests.conftest import ToolFinder
from tests.sync.engine_helpers import PRUNE, AppRepo, config_map, deployment, job


def _sync(repo: AppRepo, client: Client, history_ns: str, **options: object) -> engine.SyncResult:
    return engine.sync_app(
        repo.spec(),
        client,
        history_namespace=history_ns,
        cache=repo.cache,
        timeout=90,
        **options,  # type: ignore[arg-type]
    )


def _rv(client: Client, kind: str, name: str, ns: str) -> int:
    api = "apps/v1" if kind == "Deployment" else "batch/v1" if kind == "Job" else "v1"
    live = client.get(api, kind, name, ns)
    assert live is not None, f"{kind} {name} is not there"
    return int(live["metadata"]["resourceVersion"])


def _gone(client: Client, kind: str, name: str, ns: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while client.get("v1", kind, name, ns) is not None:
        assert time.monotonic() < deadline, f"{kind} {name} was not deleted"
        time.sleep(0.2)


def _gone_job(client: Client, name: str, ns: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while client.get("batch/v1", "Job", name, ns) is not None:
        assert time.monotonic() < deadline, f"Job {name} was not deleted"
        time.sleep(0.2)


def test_waves_are_applied_in_order_and_a_resync_writes_nothing(
    client: Client, namespace: str, history_ns: str, tmp_path: Path
) -> None:
    repo = AppRepo(tmp_path, namespace)
    commit = repo.commit(
        {
            "a.yaml": config_map("late", wave=2),
            "b.yaml": config_map("early", wave=-1),
            "c.yaml": config_map("middle"),
            "d.yaml": deployment("web", wave=1),
        }
    )
    result = _sync(repo, client, history_ns)
    assert (result.status, result.revision) == ("Synced", commit), result.render()
    assert result.health == "Healthy"
    order = [_rv(client, "ConfigMap", n, namespace) for n in ("early", "middle")]
    web = _rv(client, "Deployment", "web", namespace)
    late = _rv(client, "ConfigMap", "late", namespace)
    # Wave 2 was written after the Deployment of wave 1 had rolled out on the kwok node.
    assert order[0] < order[1] < web < late
    live = client.get("apps/v1", "Deployment", "web", namespace)
    assert live is not None and live["status"]["availableReplicas"] == 2
    assert live["metadata"]["annotations"][TRACKING_ANNOTATION] == f"web:apps/Deployment:{namespace}/web"
    assert result.counts == {"created": 4}

    before = {n: _rv(client, "ConfigMap", n, namespace) for n in ("early", "middle", "late")}
    again = _sync(repo, client, history_ns)
    assert again.status == "Synced" and again.counts == {"unchanged": 4}, again.render()
    assert {n: _rv(client, "ConfigMap", n, namespace) for n in before} == before

    state = HistoryStore(client, history_ns).read("web")
    assert [e.result for e in state.history] == [Result.SUCCEEDED, Result.SUCCEEDED]
    assert len(state.inventory) == 4


def test_dry_run_writes_nothing(client: Client, namespace: str, history_ns: str, tmp_path: Path) -> None:
    repo = AppRepo(tmp_path, namespace)
    repo.commit({"a.yaml": config_map("one"), "b.yaml": config_map("two", wave=3)})
    result = _sync(repo, client, history_ns, dry_run=True)
    assert result.status == "DryRun"
    assert "Sync wave 0: create 1, update 0, unchanged 0" in result.plan_text
    assert "Sync wave 3: create 1" in result.plan_text
    assert client.list("v1", "ConfigMap", namespace, field_selector="metadata.name=one") == []
    assert client.get("v1", "Namespace", history_ns) is None


def test_a_commit_failing_check_is_never_applied_and_the_refusal_is_recorded(
    client: Client, namespace: str, history_ns: str, tmp_path: Path
) -> None:
    repo = AppRepo(tmp_path, namespace)
    bad = deployment("web").replace("replicas: 2", "replica: 2")
    commit = repo.commit({"a.yaml": config_map("settings"), "d.yaml": bad})
    result = _sync(repo, client, history_ns)
    assert result.status == "Refused", result.render()
    assert dict(result.refused_rules) == {"schema/violation": 1}
    # Where the failing object was written, so the user can fix it without rerunning check.
    (why,) = result.message.splitlines()[1:]
    assert why.strip().startswith(f"app/d.yaml:1: schema/violation Deployment/{namespace}/web: ")
    assert why.endswith("spec.replica: unknown field (did you mean replicas?)")
    assert client.get("v1", "ConfigMap", "settings", namespace) is None
    state = HistoryStore(client, history_ns).read("web")
    entry = state.history[-1]
    assert (entry.result, entry.revision) == (Result.REFUSED, commit)
    assert entry.refusal is not None and dict(entry.refusal.rules) == {"schema/violation": 1}


def test_prune_deletes_only_what_it_owns(
    client: Client, namespace: str, history_ns: str, tmp_path: Path
) -> None:
    repo = AppRepo(tmp_path, namespace, policy=PRUNE)
    repo.commit(
        {
            "a.yaml": config_map("gone"),
            "b.yaml": config_map("kept", **{"argocd.argoproj.io/sync-options": "Prune=false"}),
            "c.yaml": config_map("stays"),
        }
    )
    assert _sync(repo, client, history_ns).status == "Synced"
    # Someone else's object with the name of one of ours, in the same namespace: never ours.
    other = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "foreign", "namespace": namespace}}
    client.apply(other)
    repo.commit({"c.yaml": config_map("stays")})
    result = _sync(repo, client, history_ns)
    assert result.status == "Synced", result.render()
    _gone(client, "ConfigMap", "gone", namespace)  # Foreground deletion: the GC finishes it
    assert client.get("v1", "ConfigMap", "kept", namespace) is not None
    assert client.get("v1", "ConfigMap", "foreign", namespace) is not None
    assert [o.key for o in result.outcomes if o.result == "pruned"] == [f"ConfigMap {namespace}/gone"]


def test_an_empty_or_incomplete_render_prunes_nothing(
    client: Client, namespace: str, history_ns: str, tmp_path: Path
) -> None:
    repo = AppRepo(tmp_path, namespace, policy=PRUNE)
    repo.commit({"a.yaml": config_map("one"), "b.yaml": config_map("two")})
    assert _sync(repo, client, history_ns).status == "Synced"
    repo.commit({"README.md": "no manifests\n"})  # an empty render
    empty = _sync(repo, client, history_ns)
    assert "nothing is desired" in empty.message
    # A kustomization that cannot build (its base is missing): incomplete.
    repo.commit({"kustomization.yaml": "resources: [one.yaml, ../missing]\n", "one.yaml": config_map("one")})
    broken = _sync(repo, client, history_ns)
    assert "incomplete" in broken.message, broken.render()
    assert client.get("v1", "ConfigMap", "two", namespace) is not None
    assert client.get("v1", "ConfigMap", "one", namespace) is not None


def test_hooks_run_by_phase_and_their_delete_policies(
    client: Client, namespace: str, history_ns: str, tmp_path: Path
) -> None:
    repo = AppRepo(tmp_path, namespace)
    repo.commit(
        {
            "pre.yaml": job("migrate", hook="PreSync", policy="HookSucceeded"),
            "post.yaml": job("notify", hook="PostSync", generate=True),
            "keep.yaml": job("smoke", hook="PostSync", policy="BeforeHookCreation"),
            "cm.yaml": config_map("settings"),
            "fail.yaml": config_map("on-failure", **{"argocd.argoproj.io/hook": "SyncFail"}),
        }
    )
    result = _sync(repo, client, history_ns)
    assert result.status == "Synced", result.render()
    hooks = [o for o in result.outcomes if o.action == "hook"]
    assert [o.result for o in hooks] == ["succeeded"] * 3
    assert hooks[0].key == f"Job.batch {namespace}/migrate"
    assert client.get("batch/v1", "Job", "migrate", namespace) is None  # HookSucceeded
    smoke = _rv(client, "Job", "smoke", namespace)
    generated = [
        j for j in client.list("batch/v1", "Job", namespace) if j["metadata"]["name"].startswith("notify-")
    ]
    assert len(generated) == 1
    settings = _rv(client, "ConfigMap", "settings", namespace)
    assert settings < smoke  # PostSync after Sync
    assert client.get("v1", "ConfigMap", "on-failure", namespace) is None  # SyncFail: only on failure

    again = _sync(repo, client, history_ns)
    assert again.status == "Synced"
    assert _rv(client, "Job", "smoke", namespace) > smoke  # BeforeHookCreation: a new one
    generated = [
        j for j in client.list("batch/v1", "Job", namespace) if j["metadata"]["name"].startswith("notify-")
    ]
    assert len(generated) == 2


def test_a_failing_job_fails_the_sync_and_runs_the_sync_fail_hooks(
    client: Client, namespace: str, history_ns: str, tmp_path: Path
) -> None:
    repo = AppRepo(tmp_path, namespace)
    # Its pod can be scheduled nowhere; the Job controller fails it at its deadline.
    repo.commit(
        {
            "job.yaml": job("broken", unschedulable=True, activeDeadlineSeconds=2),
            "hook.yaml": job(
                "check", hook="Sync", policy="HookFailed", unschedulable=True, activeDeadlineSeconds=2
            ),
            "after.yaml": config_map("after", wave=5),
            "fail.yaml": config_map("on-failure", **{"argocd.argoproj.io/hook": "SyncFail"}),
        }
    )
    result = _sync(repo, client, history_ns)
    assert result.status == "Failed", result.render()
    assert "Job.batch" in result.message and "Degraded" in result.message
    assert client.get("v1", "ConfigMap", "after", namespace) is None  # later waves never ran
    assert client.get("v1", "ConfigMap", "on-failure", namespace) is not None
    assert next(o.result for o in result.outcomes if o.action == "hook") == "failed"
    _gone_job(client, "check", namespace)  # HookFailed: deleted after it failed
    entry = HistoryStore(client, history_ns).read("web").history[-1]
    assert entry.result is Result.FAILED and "Degraded" in entry.reason


OPTIONS = """\
  syncPolicy:
    automated: {prune: true}
    syncOptions: [CreateNamespace=true, PruneLast=true]
    managedNamespaceMetadata:
      labels: {team: web}
      annotations: {owner: platform}
"""


def test_create_namespace_with_metadata_prune_last_and_replace(
    client: Client, history_ns: str, tmp_path: Path
) -> None:
    target = f"{history_ns[:50]}-new"
    repo = AppRepo(tmp_path, target, policy=OPTIONS)
    replaced = config_map("replaced", **{"argocd.argoproj.io/sync-options": "Replace=true"})
    try:
        repo.commit({"a.yaml": config_map("old"), "b.yaml": replaced, "c.yaml": config_map("late", wave=3)})
        result = _sync(repo, client, history_ns)
        assert result.status == "Synced", result.render()
        ns = client.get("v1", "Namespace", target)
        assert ns is not None
        assert (
            ns["metadata"]["labels"]["team"] == "web" and ns["metadata"]["annotations"]["owner"] == "platform"
        )
        fields = client.get("v1", "ConfigMap", "replaced", target)["metadata"]["managedFields"]  # type: ignore[index]
        assert {f["operation"] for f in fields} == {"Update"}  # written by PUT/POST, not by apply

        repo.commit({"b.yaml": replaced.replace("k: v", "k: w"), "c.yaml": config_map("late", wave=3)})
        result = _sync(repo, client, history_ns)
        assert result.status == "Synced", result.render()
        assert client.get("v1", "ConfigMap", "replaced", target)["data"] == {"k": "w"}  # type: ignore[index]
        # PruneLast: the prune comes after the last wave's writes.
        kinds = [(o.action, o.key.split("/")[-1]) for o in result.outcomes]
        assert kinds.index(("prune", "old")) > kinds.index(("unchanged", "late"))
        _gone(client, "ConfigMap", "old", target)
    finally:
        client.delete("v1", "Namespace", target)


def test_retry_then_fail_and_drift_counts_what_differs(
    client: Client, namespace: str, history_ns: str, tmp_path: Path
) -> None:
    retry = "  syncPolicy:\n    retry: {limit: 2, backoff: {duration: 1s, factor: 2}}\n"
    repo = AppRepo(tmp_path, namespace, policy=retry)
    commit = repo.commit({"a.yaml": config_map("one"), "b.yaml": config_map("two")})
    spec = repo.spec()
    assert (spec.retry.limit, spec.retry.delay(1), spec.retry.delay(2)) == (2, 1.0, 2.0)
    assert (
        engine.drift(spec, client, commit, history_namespace=history_ns, cache=repo.cache) == 2
    )  # nothing is there yet
    assert _sync(repo, client, history_ns).status == "Synced"
    assert engine.drift(spec, client, commit, history_namespace=history_ns, cache=repo.cache) == 0
    client.apply(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "one", "namespace": namespace},
            "data": {"k": "edited"},
        }
    )
    assert engine.drift(spec, client, commit, history_namespace=history_ns, cache=repo.cache) == 1

    # An object the server refuses (a ConfigMap key it does not allow) fails every attempt.
    repo.commit({"a.yaml": config_map("bad", data={"not a key!": "x"})})
    started = time.monotonic()
    result = _sync(repo, client, history_ns)
    assert result.status == "Failed", result.render()
    assert "422" in result.message and time.monotonic() - started >= 3.0  # 1 s + 2 s of backoff


CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: GROUP_NAME}
spec:
  group: GROUP
  names: {kind: Gadget, plural: gadgets, singular: gadget, listKind: GadgetList}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec: {type: object, properties: {size: {type: integer}}}
"""


def test_a_crd_and_its_custom_resources_in_one_sync(
    client: Client, namespace: str, history_ns: str, tmp_path: Path
) -> None:
    group = f"{namespace[:40]}.example.com"
    crd = CRD.replace("GROUP_NAME", f"gadgets.{group}").replace("GROUP", group)
    gadget = f"apiVersion: {group}/v1\nkind: Gadget\nmetadata: {{name: small}}\nspec: {{size: 1}}\n"
    repo = AppRepo(tmp_path, namespace)
    repo.commit({"crd.yaml": crd, "gadget.yaml": gadget})
    try:
        result = _sync(repo, client, history_ns)
        assert result.status == "Synced", result.render()
        live = client.get(f"{group}/v1", "Gadget", "small", namespace)
        assert live is not None and live["spec"] == {"size": 1}
        again = _sync(repo, client, history_ns)
        assert again.counts == {"unchanged": 2}, again.render()
    finally:
        client.delete("apiextensions.k8s.io/v1", "CustomResourceDefinition", f"gadgets.{group}")


CHART = {
    "Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
    "values.yaml": "replicas: 1\ngreeting: hello\n",
    "templates/cm.yaml": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-settings\n"
        "data:\n  greeting: {{ .Values.greeting | quote }}\n"
    ),
}


def test_a_local_helm_chart_with_the_applications_values(
    client: Client, namespace: str, history_ns: str, tmp_path: Path, tool: ToolFinder
) -> None:
    tool("helm")
    repo = AppRepo(tmp_path, namespace)
    text = repo.file.read_text(encoding="utf-8").replace(
        "    path: app\n", "    path: app\n    helm:\n      releaseName: shop\n      values: 'greeting: hi'\n"
    )
    repo.file.write_text(text, encoding="utf-8")
    repo.commit(CHART)
    result = _sync(repo, client, history_ns)
    assert result.status == "Synced", result.render()
    live = client.get("v1", "ConfigMap", "shop-settings", namespace)
    assert live is not None and live["data"] == {"greeting": "hi"}


IGNORE = """\
  ignoreDifferences:
    - {group: "", kind: ConfigMap, name: scaled, jsonPointers: [/data/replicas]}
"""


def test_ignored_differences_are_neither_written_nor_drift(
    client: Client, namespace: str, history_ns: str, tmp_path: Path
) -> None:
    repo = AppRepo(tmp_path, namespace, policy=IGNORE)
    commit = repo.commit({"a.yaml": config_map("scaled", data={"replicas": "2", "image": "v1"})})
    spec = repo.spec()
    assert _sync(repo, client, history_ns).status == "Synced"
    edited = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "scaled", "namespace": namespace}}
    client.apply({**edited, "data": {"replicas": "5"}}, field_manager="autoscaler")
    assert engine.drift(spec, client, commit, history_namespace=history_ns, cache=repo.cache) == 0
    rv = _rv(client, "ConfigMap", "scaled", namespace)
    again = _sync(repo, client, history_ns)
    assert again.counts == {"unchanged": 1}, again.render()
    assert _rv(client, "ConfigMap", "scaled", namespace) == rv
    assert client.get("v1", "ConfigMap", "scaled", namespace)["data"]["replicas"] == "5"  # type: ignore[index]
    client.apply({**edited, "data": {"image": "v0"}}, field_manager="someone")
    assert engine.drift(spec, client, commit, history_namespace=history_ns, cache=repo.cache) == 1
