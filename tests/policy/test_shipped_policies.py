"""The admission policies shipped in policies/admission/: valid, documented, off by default,
and a truth table each (objects that must pass and objects that must fail)."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from gitops_guard.checks import all_rules
from gitops_guard.findings import Outcome, Severity
from gitops_guard.policy import celenv
from gitops_guard.policy.evaluate import policy_problems
from gitops_guard.policy.shipped import shipped_docs, shipped_policies
from tests.checks.conftest import Checker

SHIPPED = [
    "disallow-host-namespaces",
    "disallow-latest-tag",
    "disallow-privileged",
    "require-resource-limits",
    "require-run-as-non-root",
]
LIMITS = {"limits": {"cpu": "500m", "memory": "256Mi"}}


def test_the_shipped_set() -> None:
    assert sorted(sp.policy.name for sp in shipped_policies()) == SHIPPED
    # The rule list is read without building the policies: both reads agree.
    docs = {d.name: d.severity for d in shipped_docs()}
    assert docs == {sp.policy.name: max(b.severity for b in sp.bindings) for sp in shipped_policies()}


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_policy_is_valid_and_documented(name: str) -> None:
    sp = next(sp for sp in shipped_policies() if sp.policy.name == name)
    assert sp.bindings and all(b.policy_name == name for b in sp.bindings)
    # Every expression compiles and uses only what the library provides here.
    assert list(policy_problems(sp.policy)) == []
    # No namespaceSelector: a shipped policy must not be "could not check" for every object.
    assert sp.policy.match is not None and sp.policy.match.namespace_selector.empty
    rule = next(r for r in all_rules() if r.id == f"policy/{name}")
    assert rule.summary and "FAIL:" in rule.help and "PASS:" in rule.help
    assert rule.severity is Severity.ERROR  # bound with validationActions [Deny]


def _pod(spec: dict[str, Any], kind: str = "Pod") -> str:
    meta = {"name": "web", "namespace": "apps"}
    if kind == "Pod":
        body: dict[str, Any] = {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}
    elif kind == "CronJob":
        body = {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": meta,
            "spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": {"spec": spec}}}},
        }
    else:
        group = {"Job": "batch/v1", "ReplicationController": "v1"}.get(kind, "apps/v1")
        body = {
            "apiVersion": group,
            "kind": kind,
            "metadata": meta,
            "spec": {"selector": {"matchLabels": {"a": "b"}}, "template": {"spec": spec}},
        }
    return yaml.safe_dump(body, sort_keys=False)


def _run(check: Checker, name: str, text: str) -> list[tuple[str, Outcome]]:
    findings = check({"obj.yaml": text}, select=[f"policy/{name}"])
    return [(f.message, f.outcome) for f in findings]


def _container(image: str = "nginx:1.25", **extra: Any) -> dict[str, Any]:
    return {"name": "c", "image": image, **extra}


LATEST: list[tuple[str, dict[str, Any], bool]] = [
    ("tagged", {"containers": [_container("nginx:1.25")]}, True),
    ("digest", {"containers": [_container("nginx@sha256:" + "a" * 64)]}, True),
    ("registry port and tag", {"containers": [_container("reg:5000/team/app:2.1")]}, True),
    ("tag and digest", {"containers": [_container("nginx:latest@sha256:" + "b" * 64)]}, True),
    ("no tag", {"containers": [_container("nginx")]}, False),
    ("latest", {"containers": [_container("nginx:latest")]}, False),
    ("registry port, no tag", {"containers": [_container("reg:5000/team/app")]}, False),
    (
        "init container latest",
        {"containers": [_container()], "initContainers": [_container("busybox")]},
        False,
    ),
]


@pytest.mark.parametrize(("case", "spec", "passes"), LATEST, ids=[c[0] for c in LATEST])
@pytest.mark.parametrize("kind", ["Pod", "Deployment", "CronJob"])
def test_disallow_latest_tag(
    check: Checker, case: str, spec: dict[str, Any], passes: bool, kind: str
) -> None:
    found = _run(check, "disallow-latest-tag", _pod(spec, kind))
    if passes:
        assert found == []
    else:
        assert len(found) == 1 and found[0][1] is Outcome.VIOLATION
        assert found[0][0].startswith("container images must be pinned")


def test_disallow_latest_tag_names_the_images(check: Checker) -> None:
    spec = {"containers": [_container("nginx"), {"name": "ok", "image": "redis:7"}]}
    [(message, _)] = _run(check, "disallow-latest-tag", _pod(spec))
    assert message.endswith(": c (nginx)")


LIMIT_CASES: list[tuple[str, dict[str, Any], bool]] = [
    ("both limits", {"containers": [_container(resources=LIMITS)]}, True),
    ("no resources", {"containers": [_container()]}, False),
    (
        "requests only",
        {"containers": [_container(resources={"requests": {"cpu": "1", "memory": "1Gi"}})]},
        False,
    ),
    ("memory only", {"containers": [_container(resources={"limits": {"memory": "1Gi"}})]}, False),
    (
        "init container unlimited",
        {"containers": [_container(resources=LIMITS)], "initContainers": [_container()]},
        False,
    ),
]


@pytest.mark.parametrize(("case", "spec", "passes"), LIMIT_CASES, ids=[c[0] for c in LIMIT_CASES])
@pytest.mark.parametrize("kind", ["StatefulSet", "Job"])
def test_require_resource_limits(
    check: Checker, case: str, spec: dict[str, Any], passes: bool, kind: str
) -> None:
    found = _run(check, "require-resource-limits", _pod(spec, kind))
    assert (found == []) is passes, found


PRIVILEGED: list[tuple[str, dict[str, Any], bool]] = [
    ("no security context", {"containers": [_container()]}, True),
    ("privileged false", {"containers": [_container(securityContext={"privileged": False})]}, True),
    (
        "capabilities only",
        {"containers": [_container(securityContext={"capabilities": {"add": ["NET_ADMIN"]}})]},
        True,
    ),
    ("privileged", {"containers": [_container(securityContext={"privileged": True})]}, False),
    (
        "privileged init container",
        {"containers": [_container()], "initContainers": [_container(securityContext={"privileged": True})]},
        False,
    ),
]


@pytest.mark.parametrize(("case", "spec", "passes"), PRIVILEGED, ids=[c[0] for c in PRIVILEGED])
@pytest.mark.parametrize("kind", ["DaemonSet", "Pod"])
def test_disallow_privileged(
    check: Checker, case: str, spec: dict[str, Any], passes: bool, kind: str
) -> None:
    found = _run(check, "disallow-privileged", _pod(spec, kind))
    assert (found == []) is passes, found


NON_ROOT: list[tuple[str, dict[str, Any], int]] = [
    ("pod level", {"securityContext": {"runAsNonRoot": True}, "containers": [_container()]}, 0),
    ("every container", {"containers": [_container(securityContext={"runAsNonRoot": True})]}, 0),
    ("nothing set", {"containers": [_container()]}, 1),
    (
        "container overrides pod",
        {
            "securityContext": {"runAsNonRoot": True},
            "containers": [_container(securityContext={"runAsNonRoot": False})],
        },
        1,
    ),
    (
        "one container of two",
        {"containers": [_container(securityContext={"runAsNonRoot": True}), {"name": "b", "image": "x:1"}]},
        1,
    ),
    (
        "pod runAsUser 0",
        {"securityContext": {"runAsNonRoot": True, "runAsUser": 0}, "containers": [_container()]},
        1,
    ),
    (
        "container runAsUser 0 and may run as root",
        {"containers": [_container(securityContext={"runAsUser": 0})]},
        2,
    ),
    (
        "non-zero user",
        {"securityContext": {"runAsNonRoot": True, "runAsUser": 1000}, "containers": [_container()]},
        0,
    ),
]


@pytest.mark.parametrize(("case", "spec", "count"), NON_ROOT, ids=[c[0] for c in NON_ROOT])
def test_require_run_as_non_root(check: Checker, case: str, spec: dict[str, Any], count: int) -> None:
    found = _run(check, "require-run-as-non-root", _pod(spec, "Deployment"))
    assert len(found) == count, found
    assert all(outcome is Outcome.VIOLATION for _, outcome in found)


HOST: list[tuple[str, dict[str, Any], str | None]] = [
    ("none", {"containers": [_container()]}, None),
    (
        "all false",
        {"hostNetwork": False, "hostPID": False, "hostIPC": False, "containers": [_container()]},
        None,
    ),
    ("hostNetwork", {"hostNetwork": True, "containers": [_container()]}, "hostNetwork"),
    (
        "hostPID and hostIPC",
        {"hostPID": True, "hostIPC": True, "containers": [_container()]},
        "hostPID, hostIPC",
    ),
]


@pytest.mark.parametrize(("case", "spec", "named"), HOST, ids=[c[0] for c in HOST])
def test_disallow_host_namespaces(check: Checker, case: str, spec: dict[str, Any], named: str | None) -> None:
    found = _run(check, "disallow-host-namespaces", _pod(spec, "DaemonSet"))
    if named is None:
        assert found == []
    else:
        assert [m for m, _ in found] == [f"pods must not share the node's namespaces: {named} is set"]


def test_shipped_policies_skip_other_kinds_and_malformed_workloads(check: Checker) -> None:
    other = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: a}\ndata: {image: nginx}\n"
    # No pod template: failurePolicy Ignore lets it through (the schema check reports it).
    broken = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: a}\nspec: {}\n"
    findings = check({"a.yaml": other, "b.yaml": broken}, select=[f"policy/{n}" for n in SHIPPED])
    assert findings == []


def test_shipped_policies_are_off_by_default(check: Checker) -> None:
    text = _pod(
        {"hostNetwork": True, "containers": [_container("nginx", securityContext={"privileged": True})]}
    )
    assert [f for f in check({"p.yaml": text}) if f.rule.startswith("policy/")] == []
    selected = check({"p.yaml": text}, select=["policy"])
    assert selected == []  # a family selector does not enable rules the preset turns off
    assert sorted(f.rule for f in check({"p.yaml": text}, select=[f"policy/{n}" for n in SHIPPED])) == [
        "policy/disallow-host-namespaces",
        "policy/disallow-latest-tag",
        "policy/disallow-privileged",
        "policy/require-resource-limits",
        "policy/require-run-as-non-root",
    ]


def test_finding_points_at_the_object(check: Checker) -> None:
    text = "# leading comment\n" + _pod({"containers": [_container("nginx")]}, "Deployment")
    [f] = check({"deploy.yaml": text}, select=["policy/disallow-latest-tag"])
    assert (f.path, f.line) == ("deploy.yaml", 5)  # metadata.name
    assert f.object is not None and (f.object.kind, f.object.namespace, f.object.name) == (
        "Deployment",
        "apps",
        "web",
    )
    assert f.severity is Severity.ERROR


def test_shipped_policies_compile_once() -> None:
    celenv.compile_expression.cache_clear()
    for sp in shipped_policies():
        list(policy_problems(sp.policy))
    info = celenv.compile_expression.cache_info()
    assert info.misses == info.currsize  # each distinct expression compiled exactly once


def test_rule_docs_are_cached_and_reread_when_a_policy_file_changes(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from gitops_guard.datafiles import data_dir
    from gitops_guard.policy import shipped

    source = tmp_path / "policies" / "admission"
    source.parent.mkdir()
    shutil.copytree(data_dir("policies") / "admission", source)
    monkeypatch.setattr(shipped, "_files", lambda: sorted(source.glob("*.yaml")))
    monkeypatch.setenv("GITOPS_GUARD_CACHE", str(tmp_path / "cache"))
    fresh = shipped._read_docs(shipped._files())

    shipped.shipped_docs.cache_clear()
    assert shipped.shipped_docs() == fresh
    (entry,) = (tmp_path / "cache" / "shipped-policies").glob("*.json")
    # The second run reads the entry, not the policy files.
    monkeypatch.setattr(shipped, "_read_docs", lambda files: pytest.fail("policy files read again"))
    shipped.shipped_docs.cache_clear()
    assert shipped.shipped_docs() == fresh

    # An edited policy file is read again, whatever the entry says.
    monkeypatch.undo()
    monkeypatch.setattr(shipped, "_files", lambda: sorted(source.glob("*.yaml")))
    monkeypatch.setenv("GITOPS_GUARD_CACHE", str(tmp_path / "cache"))
    path = source / "disallow-latest-tag.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("validationActions: [Deny]", "validationActions: [Warn]"),
        encoding="utf-8",
    )
    shipped.shipped_docs.cache_clear()
    try:
        docs = {d.name: d.severity for d in shipped.shipped_docs()}
        assert docs["disallow-latest-tag"] is Severity.WARNING
        assert docs == {d.name: d.severity for d in shipped._read_docs(shipped._files())}
        # The edited set has its own entry; the first one stays for the install it belongs to.
        (edited,) = set((tmp_path / "cache" / "shipped-policies").glob("*.json")) - {entry}
        assert entry.exists()
        # A broken entry is not a failure: the files are read.
        edited.write_text("{not json", encoding="utf-8")
        shipped.shipped_docs.cache_clear()
        assert shipped.shipped_docs() == shipped._read_docs(shipped._files())
    finally:
        shipped.shipped_docs.cache_clear()
