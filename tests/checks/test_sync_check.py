"""sync/* rules through the real pipeline: one truth table per rule."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from gitops_guard.pipeline import CheckOptions, run_check
from tests.checks.conftest import Checker


def cm(annotations: str, name: str = "cfg", kind: str = "ConfigMap", extra: str = "") -> str:
    body = textwrap.indent(textwrap.dedent(annotations).strip(), "    ")
    return f"apiVersion: v1\nkind: {kind}\nmetadata:\n  name: {name}\n  annotations:\n{body}\n{extra}"


WAVE = "argocd.argoproj.io/sync-wave"


def rules(findings: list) -> list[str]:  # type: ignore[type-arg]
    return sorted(f.rule for f in findings)


# --- sync/invalid-wave -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "bad"),
    [
        ('"1"', False),
        ('"-1"', False),
        ('"+1"', False),
        ('"-0"', False),
        ('"9223372036854775807"', False),
        ('"1.0"', True),
        ('"0x10"', True),
        ('" 1"', True),
        ('""', True),
        ('"one"', True),
        ('"9223372036854775808"', True),
        ('"{{ .Values.wave }}"', False),  # templated: only known once rendered
    ],
)
def test_invalid_wave(check: Checker, value: str, bad: bool) -> None:
    findings = check({"cm.yaml": cm(f"argocd.argoproj.io/sync-wave: {value}")}, select=["sync/invalid-wave"])
    assert rules(findings) == (["sync/invalid-wave"] if bad else [])
    if bad:
        f = findings[0]
        assert (f.path, f.line, f.column) == ("cm.yaml", 6, 35)
        assert "Argo CD ignores it and applies the object in wave 0" in f.message


def test_invalid_wave_names_the_fallback_weight(check: Checker) -> None:
    text = cm('argocd.argoproj.io/sync-wave: "2.5"\nhelm.sh/hook-weight: "4"')
    [f] = check({"cm.yaml": text}, select=["sync/invalid-wave"])
    assert "wave 4" in f.message


def test_invalid_hook_weight(check: Checker) -> None:
    [f] = check({"cm.yaml": cm('helm.sh/hook-weight: "heavy"')}, select=["sync/invalid-wave"])
    assert f.message.startswith("helm.sh/hook-weight 'heavy' is not an integer")


# --- sync/invalid-hook -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("annotations", "count", "fragment"),
    [
        ("argocd.argoproj.io/hook: PreSync", 0, ""),
        ("argocd.argoproj.io/hook: PreSync,PostSync", 0, ""),
        ("argocd.argoproj.io/hook: Skip", 0, ""),
        ("argocd.argoproj.io/hook: PostDelete", 0, ""),
        ("argocd.argoproj.io/hook: PreDelete", 0, ""),
        ("argocd.argoproj.io/hook-delete-policy: HookSucceeded,BeforeHookCreation", 0, ""),
        ("helm.sh/hook: pre-install,post-upgrade", 0, ""),
        ("helm.sh/hook: test", 0, ""),
        ("helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded", 0, ""),
        ("argocd.argoproj.io/hook: Presync", 1, "did you mean 'PreSync'?"),
        ("argocd.argoproj.io/hook: presync", 1, "never applies it"),
        ("argocd.argoproj.io/hook: PreSync,PostSynk", 1, "did you mean 'PostSync'?"),
        ('argocd.argoproj.io/hook: ""', 1, "empty argocd.argoproj.io/hook annotation"),
        ("argocd.argoproj.io/hook-delete-policy: HookSucceded", 1, "did you mean 'HookSucceeded'?"),
        ("argocd.argoproj.io/hook-delete-policy: hook-succeeded", 1, "did you mean 'HookSucceeded'?"),
        ("helm.sh/hook: pre-instal", 1, "did you mean 'pre-install'?"),
        ("helm.sh/hook-delete-policy: HookSucceeded", 1, "did you mean 'hook-succeeded'?"),
    ],
)
def test_invalid_hook(check: Checker, annotations: str, count: int, fragment: str) -> None:
    findings = check({"job.yaml": cm(annotations, kind="Job")}, select=["sync/invalid-hook"])
    assert rules(findings) == ["sync/invalid-hook"] * count
    if count:
        assert fragment in findings[0].message


def test_invalid_hook_alongside_valid_is_not_never_applied(check: Checker) -> None:
    [f] = check({"job.yaml": cm("argocd.argoproj.io/hook: PreSync,Bogus", kind="Job")}, select=["sync"])
    assert "never applies" not in f.message


# --- sync/invalid-option ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "count"),
    [
        ("Prune=false", 0),
        ("Prune=confirm,Delete=false", 0),
        ("ServerSideApply=true, Validate=false", 0),  # items are trimmed
        ("SkipDryRunOnMissingResource=true", 0),
        ("Prune=False", 1),
        ("Prune=false,ServerSideApply=yes", 1),
        ("CreateNamespace=true", 1),  # only an Application option
        ("Prune=nope,Delete=nope", 2),
    ],
)
def test_invalid_option_annotation(check: Checker, value: str, count: int) -> None:
    findings = check(
        {"cm.yaml": cm(f"argocd.argoproj.io/sync-options: {value}")}, select=["sync/invalid-option"]
    )
    assert rules(findings) == ["sync/invalid-option"] * count


APP = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {{name: app, namespace: argocd}}
spec:
  project: default
  source: {{repoURL: https://example.com/repo.git, path: apps}}
  destination: {{server: https://kubernetes.default.svc, namespace: apps}}
  syncPolicy:
    syncOptions:
{options}
"""


def test_invalid_option_application(check: Checker) -> None:
    options = "\n".join(
        f"      - {o}"
        for o in [
            "CreateNamespace=true",
            "ServerSideApply=True",
            "PrunePropagationPolicy=foreground",
            "ApplyOutOfSync=true",
        ]
    )
    findings = check({"app.yaml": APP.format(options=options)}, select=["sync/invalid-option"])
    assert [(f.line, f.message) for f in findings] == [
        (
            11,
            "unknown sync option 'ServerSideApply=True', Argo CD ignores it "
            "(did you mean 'ServerSideApply=true'?)",
        ),
        (
            13,
            "unknown sync option 'ApplyOutOfSync=true', Argo CD ignores it "
            "(did you mean 'ApplyOutOfSyncOnly=true'?)",
        ),
    ]


def test_invalid_option_applicationset_template(check: Checker) -> None:
    text = """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: set}
spec:
  generators: [{list: {elements: []}}]
  template:
    metadata: {name: '{{name}}'}
    spec:
      project: default
      source: {repoURL: https://example.com/repo.git, path: '{{path}}'}
      destination: {server: https://kubernetes.default.svc}
      syncPolicy:
        syncOptions: [CreateNamespace=ture, 'Prune={{prune}}']
"""
    [f] = check({"set.yaml": text}, select=["sync/invalid-option"])
    assert "did you mean 'CreateNamespace=true'?" in f.message


# --- sync/wave-order -------------------------------------------------------------------------

DEPLOY = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  annotations: {{argocd.argoproj.io/sync-wave: "{wave}"}}
spec:
  selector: {{matchLabels: {{app: api}}}}
  template:
    metadata: {{labels: {{app: api}}}}
    spec:
      serviceAccountName: api
      imagePullSecrets: [{{name: pull}}]
      containers:
        - name: api
          image: api:1
          envFrom: [{{configMapRef: {{name: env}}}}, {{secretRef: {{name: opt, optional: true}}}}]
          env:
            - name: PASSWORD
              valueFrom: {{secretKeyRef: {{name: db, key: password}}}}
      volumes:
        - name: data
          persistentVolumeClaim: {{claimName: data}}
        - name: cfg
          configMap: {{name: files}}
        - name: proj
          projected: {{sources: [{{secret: {{name: certs}}}}]}}
"""


def provider(kind: str, name: str, wave: str) -> str:
    return f"apiVersion: v1\nkind: {kind}\nmetadata:\n  name: {name}\n  annotations: {{{WAVE}: '{wave}'}}\n"


PROVIDED = [
    ("ServiceAccount", "api", 11),
    ("Secret", "pull", 12),
    ("ConfigMap", "env", 16),
    ("Secret", "opt", None),  # optional: never reported
    ("Secret", "db", 19),
    ("PersistentVolumeClaim", "data", 22),
    ("ConfigMap", "files", 24),
    ("Secret", "certs", 26),
]


@pytest.mark.parametrize(("kind", "name", "line"), PROVIDED)
@pytest.mark.parametrize(("provider_wave", "later"), [("-1", False), ("0", False), ("1", True)])
def test_wave_order_truth_table(
    check: Checker, kind: str, name: str, line: int | None, provider_wave: str, later: bool
) -> None:
    files = {
        "app/deploy.yaml": DEPLOY.format(wave=0),
        "app/provider.yaml": provider(kind, name, provider_wave),
    }
    findings = check(files, select=["sync/wave-order"])
    if later and line is not None:
        [f] = findings
        assert (f.path, f.line) == ("app/deploy.yaml", line)
        assert f"uses {kind} {name}, which Argo CD applies later (wave 1, app/provider.yaml)" in f.message
    else:
        assert findings == []


def test_wave_order_presync_hook_needs_sync_phase_object(check: Checker) -> None:
    job = """\
apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
  annotations: {argocd.argoproj.io/hook: PreSync}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: m, image: m, envFrom: [{secretRef: {name: db}}]}]
"""
    secret = "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\n"
    [f] = check({"db/job.yaml": job, "db/secret.yaml": secret}, select=["sync/wave-order"])
    assert "Job migrate (PreSync phase, wave 0) uses Secret db" in f.message
    # The same Secret as a PreSync hook of an earlier wave is fine.
    hooked = (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  annotations:\n"
        f"    argocd.argoproj.io/hook: PreSync\n    {WAVE}: '-1'\n"
    )
    assert check({"db/secret.yaml": hooked}, select=["sync/wave-order"]) == []


def test_wave_order_namespace_and_crd_are_pulled_forward_not_reported(check: Checker) -> None:
    files = {
        "app/ns.yaml": provider("Namespace", "team", "9"),
        "app/cm.yaml": (
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: team\n"
            f"  annotations: {{{WAVE}: '1'}}\n"
        ),
    }
    assert check(files, select=["sync/wave-order"]) == []


def test_wave_order_scope_is_the_build_root(check: Checker) -> None:
    files = {
        "one/deploy.yaml": DEPLOY.format(wave=0),
        # a later ServiceAccount of the same name in another directory is another Application's
        "two/sa.yaml": provider("ServiceAccount", "api", "5"),
    }
    assert check(files, select=["sync/wave-order"]) == []
    # ... unless one kustomization builds both directories together
    files["kustomization.yaml"] = "resources: [one/deploy.yaml, two/sa.yaml]\n"
    assert rules(check(files, select=["sync/wave-order"])) == ["sync/wave-order"]


def test_wave_order_respects_namespaces(check: Checker) -> None:
    files = {
        "app/deploy.yaml": DEPLOY.format(wave=0).replace("  name: api\n", "  name: api\n  namespace: a\n", 1),
        "app/sa.yaml": provider("ServiceAccount", "api", "5").replace(
            "  name: api\n", "  name: api\n  namespace: b\n"
        ),
    }
    assert check(files, select=["sync/wave-order"]) == []


# --- sync/depends-on-* -----------------------------------------------------------------------


def ks(name: str, ns: str | None, *deps: str) -> str:
    meta = f"{{name: {name}, namespace: {ns}}}" if ns else f"{{name: {name}}}"
    dep = "\n  dependsOn:\n" + "".join(f"    - name: {d}\n" for d in deps) if deps else "\n"
    return (
        "---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
        f"metadata: {meta}\nspec:\n  interval: 10m\n  prune: true\n  path: ./x\n"
        f"  sourceRef: {{kind: GitRepository, name: flux-system}}{dep}"
    )


def test_depends_on_cycle(check: Checker) -> None:
    text = (
        ks("apps", "flux-system", "infra")
        + ks("infra", "flux-system", "crds")
        + ks("crds", "flux-system", "apps")
    )
    [f] = check({"clusters/ks.yaml": text}, select=["sync"])
    assert f.rule == "sync/depends-on-cycle"
    assert "flux-system/apps -> flux-system/infra -> flux-system/crds -> flux-system/apps" in f.message
    assert (f.line, f.column) == (11, 13)


def test_depends_on_self(check: Checker) -> None:
    [f] = check({"ks.yaml": ks("apps", "flux-system", "apps")}, select=["sync"])
    assert f.rule == "sync/depends-on-cycle"


def test_depends_on_missing_and_wrong_namespace(check: Checker) -> None:
    text = ks("apps", "flux-system", "infra", "other") + ks("other", "elsewhere")
    findings = check({"ks.yaml": text}, select=["sync"])
    assert [f.rule for f in findings] == ["sync/depends-on-missing"] * 2
    assert (
        "dependsOn Kustomization flux-system/infra, which no file in the repository defines"
        in findings[0].message
    )
    assert "(one exists in: elsewhere)" in findings[1].message


def test_depends_on_namespace_from_kustomization(check: Checker) -> None:
    files = {
        "apps/kustomization.yaml": "namespace: flux-system\nresources: [ks.yaml]\n",
        "apps/ks.yaml": ks("apps", None, "infra") + ks("infra", None),
    }
    assert check(files, select=["sync"]) == []


def test_depends_on_resolves_across_the_repository_when_given_one_file(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a/ks.yaml").write_text(ks("apps", "flux-system", "infra"))
    (tmp_path / "b/ks.yaml").write_text(ks("infra", "flux-system"))

    def only_a() -> list[str]:
        # as pre-commit runs it: only the changed file is named
        report = run_check(CheckOptions(paths=["a/ks.yaml"], select=["sync"]), tmp_path)
        return [f.rule for f in report.findings]

    assert only_a() == []
    # a cycle through a file not being checked is still found
    (tmp_path / "b/ks.yaml").write_text(ks("infra", "flux-system", "apps"))
    assert only_a() == ["sync/depends-on-cycle"]
    (tmp_path / "b/ks.yaml").unlink()
    assert only_a() == ["sync/depends-on-missing"]


def test_depends_on_templated_names_are_not_missing(check: Checker) -> None:
    text = (
        ks("apps", "flux-system", "${cluster}-infra")
        + ks("${cluster}-db", "flux-system")
        + ks("x", "flux-system", "prod-db")
    )
    assert check({"ks.yaml": text}, select=["sync"]) == []


def test_helmrelease_depends_on_helmrelease(check: Checker) -> None:
    def hr(name: str, *deps: str) -> str:
        d = "".join(f"\n    - name: {x}" for x in deps)
        return (
            "---\napiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\n"
            f"metadata: {{name: {name}, namespace: apps}}\nspec:\n  interval: 5m\n"
            "  chart: {spec: {chart: c, sourceRef: {kind: HelmRepository, name: r}}}\n"
            f"  dependsOn:{d or ' []'}\n"
        )

    findings = check({"hr.yaml": hr("web", "db") + hr("db", "web") + hr("cache", "redis")}, select=["sync"])
    assert rules(findings) == ["sync/depends-on-cycle", "sync/depends-on-missing"]


def test_malformed_sync_input_never_raises(check: Checker) -> None:
    files = {
        "odd.yaml": (
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  annotations: [1, 2]\n---\n"
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p, annotations: {argocd.argoproj.io/sync-wave: 3}}\n"
            "spec: {volumes: [1, {configMap: 2}], containers: [{envFrom: [null]}],\n"
            "  imagePullSecrets: x}\n---\n"
            "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: k}\n"
            "spec: {dependsOn: [1, {name: 2}, {namespace: x}]}\n---\n"
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: a}\n"
            "spec: {syncPolicy: {syncOptions: [1, null]}}\n"
        ),
        "kustomization.yaml": "resources: 7\nnamespace: [x]\n",
    }
    assert check(files, select=["sync"]) == []
