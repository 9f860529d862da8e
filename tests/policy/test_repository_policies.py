"""Policies and bindings defined in the checked repository, through the real pipeline."""

from __future__ import annotations

import textwrap

import pytest

from gitops_guard.errors import ConfigError
from gitops_guard.findings import Finding, Outcome, Severity
from tests.checks.conftest import Checker


def policy(
    name: str = "team-label",
    *,
    validations: str = """
    - expression: "has(object.metadata.labels) && 'team' in object.metadata.labels"
      message: every Deployment needs a team label
    """,
    resources: str = "[deployments]",
    extra: str = "",
    constraints: str = "",
) -> str:
    return (
        textwrap.dedent(
            f"""\
            apiVersion: admissionregistration.k8s.io/v1
            kind: ValidatingAdmissionPolicy
            metadata:
              name: {name}
            spec:
              matchConstraints:
                resourceRules:
                  - apiGroups: ["apps"]
                    apiVersions: ["v1"]
                    operations: ["CREATE", "UPDATE"]
                    resources: {resources}
            """
        )
        + textwrap.indent(textwrap.dedent(constraints), "    ")
        + textwrap.indent(textwrap.dedent(extra), "  ")
        + "  validations:\n"
        + textwrap.indent(textwrap.dedent(validations).strip("\n") + "\n", "  ")
    )


def binding(policy_name: str = "team-label", *, actions: str = "[Deny]", extra: str = "") -> str:
    return textwrap.dedent(
        f"""\
            ---
            apiVersion: admissionregistration.k8s.io/v1
            kind: ValidatingAdmissionPolicyBinding
            metadata:
              name: {policy_name}-binding
            spec:
              policyName: {policy_name}
              validationActions: {actions}
            """
    ) + textwrap.indent(textwrap.dedent(extra), "  ")


def deployment(name: str = "api", namespace: str | None = "prod", labels: str = "", replicas: int = 1) -> str:
    meta = f"  name: {name}\n"
    if namespace:
        meta += f"  namespace: {namespace}\n"
    if labels:
        meta += f"  labels: {labels}\n"
    return (
        "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n"
        + meta
        + textwrap.dedent(
            f"""\
            spec:
              replicas: {replicas}
              selector: {{matchLabels: {{app: {name}}}}}
              template:
                metadata: {{labels: {{app: {name}}}}}
                spec:
                  containers: [{{name: app, image: "nginx:1.25"}}]
            """
        )
    )


def namespace(name: str, labels: str) -> str:
    return f"---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n  labels: {labels}\n"


def config_map(name: str, ns: str, labels: str, data: str) -> str:
    meta = f"{{name: {name}, namespace: {ns}, labels: {labels}}}"
    return f"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {meta}\ndata: {data}\n"


def policy_findings(check: Checker, files: dict[str, str], **options: object) -> list[Finding]:
    options.setdefault("select", ["policy"])
    return [f for f in check(files, **options) if f.rule.startswith("policy/")]


def test_repository_policy_denies_with_its_message(check: Checker) -> None:
    files = {
        "policy.yaml": policy() + binding(),
        "apps.yaml": deployment("api") + deployment("web", labels="{team: web}"),
    }
    [f] = policy_findings(check, files)
    assert (f.rule, f.severity, f.outcome) == ("policy/team-label", Severity.ERROR, Outcome.VIOLATION)
    assert f.message == "every Deployment needs a team label"
    assert (f.path, f.line) == ("apps.yaml", 5)
    assert f.object is not None and f.object.name == "api"


def test_repository_policies_are_on_by_default(check: Checker) -> None:
    files = {"policy.yaml": policy() + binding(), "apps.yaml": deployment("api")}
    assert [f.rule for f in check(files) if f.rule.startswith("policy/")] == ["policy/team-label"]


def test_policy_without_binding_never_runs(check: Checker) -> None:
    assert policy_findings(check, {"policy.yaml": policy(), "apps.yaml": deployment("api")}) == []


def test_binding_for_another_policy_does_not_apply(check: Checker) -> None:
    files = {"policy.yaml": policy() + binding("other"), "apps.yaml": deployment("api")}
    assert policy_findings(check, files) == []


@pytest.mark.parametrize(
    ("actions", "severity"),
    [
        ("[Deny]", Severity.ERROR),
        ("[Warn]", Severity.WARNING),
        ("[Audit]", Severity.INFO),
        ("[Warn, Audit]", Severity.WARNING),
        ("[Deny, Audit]", Severity.ERROR),
    ],
)
def test_validation_actions_set_the_severity(check: Checker, actions: str, severity: Severity) -> None:
    files = {"policy.yaml": policy() + binding(actions=actions), "apps.yaml": deployment("api")}
    [f] = policy_findings(check, files)
    assert f.severity is severity


def test_config_severity_and_disable_apply_to_repository_rules(check: Checker, tmp_path: object) -> None:
    from gitops_guard.config import Config, RuleConfig

    files = {"policy.yaml": policy() + binding(), "apps.yaml": deployment("api")}
    warn = Config(rules={"policy/team-label": RuleConfig(severity=Severity.WARNING)})
    [f] = policy_findings(check, files, config=warn)
    assert f.severity is Severity.WARNING
    off = Config(rules={"policy/team-label": RuleConfig(enabled=False)})
    assert policy_findings(check, files, config=off) == []
    family_off = Config(rules={"policy": RuleConfig(enabled=False)})
    assert policy_findings(check, files, config=family_off, select=()) == []


def test_select_and_ignore_name_repository_policies(check: Checker) -> None:
    other = policy(
        "no-replicas-over-3",
        validations="""
        - expression: "object.spec.replicas <= 3"
        """,
    )
    files = {
        "policy.yaml": policy() + binding() + "---\n" + other + binding("no-replicas-over-3"),
        "apps.yaml": deployment("api", replicas=5),
    }
    both = policy_findings(check, files)
    assert sorted(f.rule for f in both) == ["policy/no-replicas-over-3", "policy/team-label"]
    assert [f.rule for f in policy_findings(check, files, select=["policy/team-label"])] == [
        "policy/team-label"
    ]
    ignored = policy_findings(check, files, select=(), ignore=["policy/team-label"])
    assert [f.rule for f in ignored] == ["policy/no-replicas-over-3"]
    assert policy_findings(check, files, select=(), ignore=["policy"]) == []
    # No message: the API server's default.
    [f] = [f for f in both if f.rule == "policy/no-replicas-over-3"]
    assert f.message == "failed expression: object.spec.replicas <= 3"


def test_unknown_selectors_are_still_refused(check: Checker) -> None:
    with pytest.raises(ConfigError):
        check({"a.yaml": deployment()}, select=["polic"])
    with pytest.raises(ConfigError):
        check({"a.yaml": deployment()}, select=["nosuchfamily/x"])


def test_params_from_the_repository(check: Checker) -> None:
    pol = policy(
        "max-replicas",
        extra="""
        paramKind: {apiVersion: v1, kind: ConfigMap}
        """,
        validations="""
        - expression: "object.spec.replicas <= int(params.data.maxReplicas)"
          messageExpression: >-
            'at most ' + params.data.maxReplicas + ' replicas, not ' + string(object.spec.replicas)
        """,
    )
    params = config_map("limits", "policy", "{}", "{maxReplicas: '3'}")
    bind = binding(
        "max-replicas", extra="paramRef: {name: limits, namespace: policy, parameterNotFoundAction: Deny}\n"
    )
    files = {
        "policy.yaml": pol + bind + params,
        "apps.yaml": deployment("small", replicas=2) + deployment("big", replicas=7),
    }
    [f] = policy_findings(check, files)
    assert f.message == "at most 3 replicas, not 7"
    assert f.object is not None and f.object.name == "big"


def test_params_in_the_objects_namespace_and_by_selector(check: Checker) -> None:
    pol = policy(
        "max-replicas",
        extra="paramKind: {apiVersion: v1, kind: ConfigMap}\n",
        validations="""
        - expression: "object.spec.replicas <= int(params.data.max)"
          messageExpression: "'limit ' + params.metadata.name"
        """,
    )
    params = (
        config_map("a", "prod", "{limit: 'yes'}", "{max: '5'}")
        + config_map("b", "prod", "{limit: 'yes'}", "{max: '2'}")
        + config_map("c", "other", "{limit: 'yes'}", "{max: '1'}")
    )
    # No namespace in paramRef: params are looked up in the object's namespace; each one is evaluated.
    bind = binding("max-replicas", extra="paramRef: {selector: {matchLabels: {limit: 'yes'}}}\n")
    files = {"policy.yaml": pol + bind + params, "apps.yaml": deployment("api", replicas=3)}
    assert [f.message for f in policy_findings(check, files)] == ["limit b"]


@pytest.mark.parametrize(("action", "expected"), [("Deny", 1), ("Allow", 0)])
def test_params_not_in_the_repository(check: Checker, action: str, expected: int) -> None:
    pol = policy(
        "max-replicas",
        extra="paramKind: {apiVersion: v1, kind: ConfigMap}\n",
        validations='- expression: "object.spec.replicas <= int(params.data.max)"\n',
    )
    bind = binding(
        "max-replicas",
        extra=f"paramRef: {{name: missing, namespace: x, parameterNotFoundAction: {action}}}\n",
    )
    findings = policy_findings(check, {"policy.yaml": pol + bind, "apps.yaml": deployment("api")})
    assert len(findings) == expected
    for f in findings:
        assert f.outcome is Outcome.NOT_CHECKED and f.severity is Severity.WARNING
        assert "params (ConfigMap missing in namespace x) are not in the repository" in f.message


def test_param_kind_without_param_ref_is_reported_on_the_binding(check: Checker) -> None:
    pol = policy(
        "p", extra="paramKind: {apiVersion: v1, kind: ConfigMap}\n", validations='- expression: "true"\n'
    )
    [f] = policy_findings(check, {"policy.yaml": pol + binding("p"), "apps.yaml": deployment()})
    assert f.outcome is Outcome.NOT_CHECKED and "has no paramRef" in f.message
    assert f.object is not None and f.object.kind == "ValidatingAdmissionPolicyBinding"


def test_match_conditions_must_all_hold(check: Checker) -> None:
    pol = policy(
        extra="""
        matchConditions:
          - name: not-system
            expression: "object.metadata.namespace != 'kube-system'"
          - name: opted-in
            expression: "has(object.metadata.labels) && object.metadata.labels['policy'] == 'on'"
        """,
    )
    files = {
        "policy.yaml": pol + binding(),
        "apps.yaml": deployment("a", "prod", "{policy: 'on'}")
        + deployment("b", "kube-system", "{policy: 'on'}")
        + deployment("c", "prod"),
    }
    assert [f.object.name for f in policy_findings(check, files) if f.object] == ["a"]


def test_match_condition_error_follows_failure_policy(check: Checker) -> None:
    for failure, expected in (("Fail", 1), ("Ignore", 0)):
        pol = policy(
            extra=f"""
            failurePolicy: {failure}
            matchConditions:
              - name: reads-missing
                expression: "object.spec.paused == false"
            """,
        )
        findings = policy_findings(check, {"policy.yaml": pol + binding(), "apps.yaml": deployment()})
        assert len(findings) == expected, failure
        for f in findings:
            assert f.outcome is Outcome.VIOLATION
            assert f.message == "matchCondition 'reads-missing' resulted in error: no such key: paused"


def test_validation_error_follows_failure_policy(check: Checker) -> None:
    for failure, expected in (("Fail", 1), ("Ignore", 0)):
        pol = policy(
            extra=f"failurePolicy: {failure}\n",
            validations="- expression: \"object.spec.strategy.type == 'Recreate'\"\n",
        )
        findings = policy_findings(check, {"policy.yaml": pol + binding(), "apps.yaml": deployment()})
        assert [f.message for f in findings] == [
            "expression \"object.spec.strategy.type == 'Recreate'\" resulted in error: no such key: strategy"
        ] * expected


SELECTOR = """
namespaceSelector:
  matchExpressions:
    - {key: environment, operator: In, values: [production]}
"""


def test_namespace_selector_with_the_namespace_in_the_repository(check: Checker) -> None:
    files = {
        "policy.yaml": policy(constraints=SELECTOR) + binding(),
        "ns.yaml": namespace("prod", "{environment: production}") + namespace("dev", "{environment: dev}"),
        "apps.yaml": deployment("a", "prod") + deployment("b", "dev"),
    }
    findings = policy_findings(check, files)
    assert [(f.object.name, f.outcome) for f in findings if f.object] == [("a", Outcome.VIOLATION)]


def test_namespace_selector_without_the_namespace_is_not_checked(check: Checker) -> None:
    files = {
        "policy.yaml": policy(constraints=SELECTOR) + binding(),
        "apps.yaml": deployment("a", "elsewhere"),
    }
    [f] = policy_findings(check, files)
    assert f.outcome is Outcome.NOT_CHECKED
    assert "namespace 'elsewhere' is not defined in the repository" in f.message
    no_ns = {"policy.yaml": policy(constraints=SELECTOR) + binding(), "apps.yaml": deployment("a", None)}
    [f] = policy_findings(check, no_ns)
    assert f.outcome is Outcome.NOT_CHECKED and "names no namespace" in f.message


def test_namespace_selector_on_the_name_label_needs_no_namespace_object(check: Checker) -> None:
    by_name = """
    namespaceSelector:
      matchLabels: {kubernetes.io/metadata.name: prod}
    """
    files = {
        "policy.yaml": policy(constraints=by_name) + binding(),
        "apps.yaml": deployment("a", "prod") + deployment("b", "dev"),
    }
    assert [(f.object.name, f.outcome) for f in policy_findings(check, files) if f.object] == [
        ("a", Outcome.VIOLATION)
    ]


def test_binding_match_resources_narrow_the_policy(check: Checker) -> None:
    narrowing = """
    matchResources:
      objectSelector:
        matchLabels: {tier: frontend}
      excludeResourceRules:
        - apiGroups: [apps]
          apiVersions: [v1]
          operations: ["*"]
          resources: [deployments]
          resourceNames: [skip]
    """
    files = {
        "policy.yaml": policy() + binding(extra=narrowing),
        "apps.yaml": deployment("a", labels="{tier: frontend}")
        + deployment("b", labels="{tier: backend}")
        + deployment("skip", labels="{tier: frontend}"),
    }
    assert [f.object.name for f in policy_findings(check, files) if f.object] == ["a"]


def test_namespace_object_variable(check: Checker) -> None:
    pol = policy(
        validations="""
        - expression: >-
            namespaceObject.metadata.labels['environment'] != 'production' || object.spec.replicas >= 2
          message: production needs two replicas
        """
    )
    files = {
        "policy.yaml": pol + binding(),
        "ns.yaml": namespace("prod", "{environment: production}"),
        "apps.yaml": deployment("a", "prod") + deployment("b", "unknown"),
    }
    found = {f.object.name: f for f in policy_findings(check, files) if f.object}
    assert found["a"].outcome is Outcome.VIOLATION and found["a"].message == "production needs two replicas"
    assert found["b"].outcome is Outcome.NOT_CHECKED and "namespaceObject" in found["b"].message


def test_request_and_variables(check: Checker) -> None:
    pol = policy(
        extra="""
        variables:
          - name: name
            expression: "object.metadata.name"
          - name: unused
            expression: "object.spec.nothere.at.all"
          - name: prefixed
            expression: "variables.name.startsWith('prod-')"
        """,
        validations="""
        - expression: >-
            request.operation == 'CREATE' && request.kind.kind == 'Deployment'
            && request.resource.resource == 'deployments'
          message: request is not what an apply sends
        - expression: "variables.prefixed"
          messageExpression: "'name ' + variables.name + ' needs the prod- prefix'"
        """,
    )
    files = {"policy.yaml": pol + binding(), "apps.yaml": deployment("api") + deployment("prod-api")}
    # The unused, failing variable is never evaluated.
    assert [f.message for f in policy_findings(check, files)] == ["name api needs the prod- prefix"]


def test_crd_plural_from_the_repository(check: Checker) -> None:
    crd = textwrap.dedent(
        """\
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata: {name: widgets.example.com}
        spec:
          group: example.com
          scope: Namespaced
          names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
          versions:
            - name: v1
              served: true
              storage: true
              schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
        """
    )
    pol = textwrap.dedent(
        """\
        apiVersion: admissionregistration.k8s.io/v1
        kind: ValidatingAdmissionPolicy
        metadata: {name: widget-size}
        spec:
          matchConstraints:
            resourceRules:
              - {apiGroups: [example.com], apiVersions: [v1], operations: [CREATE], resources: [widgets]}
          validations:
            - expression: "object.spec.size <= 10"
              message: widgets are small
        """
    )
    widget = (
        "---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: a}\nspec: {size: 11}\n"
    )
    gadget = (
        "---\napiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g, namespace: a}\nspec: {size: 11}\n"
    )
    files = {"crd.yaml": crd, "policy.yaml": pol + binding("widget-size"), "objs.yaml": widget + gadget}
    findings = {f.object.kind: f for f in policy_findings(check, files) if f.object}
    assert (
        findings["Widget"].outcome is Outcome.VIOLATION and findings["Widget"].message == "widgets are small"
    )
    # No CRD for Gadget: whether `widgets` names it is unknown.
    assert findings["Gadget"].outcome is Outcome.NOT_CHECKED
    assert "resource name of example.com/Gadget is unknown" in findings["Gadget"].message


def test_broken_and_unsupported_expressions_are_reported_once_on_the_policy(check: Checker) -> None:
    pol = policy(
        validations="""
        - expression: "object.spec.replicas <="
        - expression: "authorizer.group('apps').resource('deployments').check('create').allowed()"
        - expression: "url('https://x').getHost() == 'x'"
        - expression: "object.?spec.?replicas.orValue(1) > 0"
        - expression: "object.spec.replicas <= 5"
          message: too many
        """
    )
    files = {
        "policy.yaml": pol + binding(),
        "apps.yaml": deployment("a", replicas=9) + deployment("b", replicas=9),
    }
    findings = policy_findings(check, files)
    on_policy = [f for f in findings if f.path == "policy.yaml"]
    assert len(on_policy) == 4
    assert all(f.outcome is Outcome.NOT_CHECKED for f in on_policy)
    messages = " | ".join(f.message for f in on_policy)
    assert "does not compile" in messages
    assert "authorizer checks need a cluster" in messages
    assert "uses getHost, url, which the CEL library does not provide" in messages
    assert "optional field selection" in messages
    assert [f.line for f in on_policy] == [13, 14, 15, 16]  # each at its expression
    # The working validation still runs on both objects.
    assert [f.message for f in findings if f.path == "apps.yaml"] == ["too many", "too many"]


def test_malformed_policy_and_binding_are_reported(check: Checker) -> None:
    bad = textwrap.dedent(
        """\
        apiVersion: admissionregistration.k8s.io/v1
        kind: ValidatingAdmissionPolicy
        metadata: {name: bad}
        spec:
          matchConstraints:
            resourceRules: "deployments"
          validations:
            - message: no expression
        ---
        apiVersion: admissionregistration.k8s.io/v1
        kind: ValidatingAdmissionPolicyBinding
        metadata: {name: bad}
        spec:
          policyName: bad
          validationActions: [Deny, Warn]
        """
    )
    findings = policy_findings(check, {"policy.yaml": bad, "apps.yaml": deployment()})
    assert findings and all(f.outcome is Outcome.NOT_CHECKED for f in findings)
    text = " | ".join(f.message for f in findings)
    assert "spec.matchConstraints.resourceRules must be a list" in text
    assert "spec.validations[0].expression is required" in text
    assert "Deny and Warn cannot be used together" in text


def test_kubernetes_cel_libraries(check: Checker) -> None:
    pol = policy(
        validations=r"""
        - expression: "quantity('1') == quantity('1000m') && quantity('1Gi').isGreaterThan(quantity('1G'))"
          message: quantity
        - expression: "object.spec.template.spec.containers.all(c, c.image.find('[0-9.]+$') == '1.25')"
          message: find
        - expression: >-
            'a1b22c333'.findAll('[0-9]+') == ['1', '22', '333'] && [1, 2, 2].isSorted() && ![2, 1].isSorted()
          message: findAll
        - expression: "isQuantity('250m') && !isQuantity('1.2.3') && quantity('1.5').isInteger() == false"
          message: isQuantity
        - expression: >-
            quantity('2Gi').add(quantity('512Mi')).compareTo(quantity('2.5Gi')) == 0
            && quantity('1k').asInteger() == 1000
          message: arithmetic
        - expression: "quantity('nope').sign() == 1"
          message: bad quantity
        """
    )
    findings = policy_findings(check, {"policy.yaml": pol + binding(), "apps.yaml": deployment()})
    assert [f.message for f in findings] == [
        "expression \"quantity('nope').sign() == 1\" resulted in error: "
        "quantities must match the regular expression of a Kubernetes quantity"
    ]


def test_secret_values_never_reach_a_message(check: Checker) -> None:
    pol = textwrap.dedent(
        """\
        apiVersion: admissionregistration.k8s.io/v1
        kind: ValidatingAdmissionPolicy
        metadata: {name: short-secrets}
        spec:
          matchConstraints:
            resourceRules:
              - {apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [secrets]}
          validations:
            - expression: "size(object.stringData.password) < 5"
              message: passwords must be short
              messageExpression: "'password ' + object.stringData.password + ' is too long'"
        """
    )
    secret = "---\napiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: a}\n"
    secret += "stringData: {password: hunter2-very-secret}\n"
    [f] = policy_findings(check, {"policy.yaml": pol + binding("short-secrets") + secret})
    assert f.message == "passwords must be short"
    assert "hunter2" not in f.message


def test_size_counts_characters_as_kubernetes_does(check: Checker) -> None:
    pol = policy(
        validations="""
        - expression: "size(object.metadata.annotations.note) <= 3"
          message: note too long
        - expression: "object.metadata.annotations.note.size() == 3 && 'size(x)'.size() == 7"
          message: method form
        """
    )
    short = deployment("a").replace("  name: a\n", "  name: a\n  annotations: {note: 'ééé'}\n", 1)
    long = deployment("b").replace("  name: b\n", "  name: b\n  annotations: {note: 'éééé'}\n", 1)
    findings = policy_findings(check, {"policy.yaml": pol + binding(), "apps.yaml": short + long})
    assert [(f.object.name, f.message) for f in findings if f.object] == [
        ("b", "method form"),
        ("b", "note too long"),
    ]


def test_policies_in_lists_and_rendered_objects(check: Checker) -> None:
    as_list = "apiVersion: v1\nkind: List\nitems:\n" + textwrap.indent(
        "- " + textwrap.indent(deployment("in-list").removeprefix("---\n"), "  ").lstrip(), ""
    )
    files = {"policy.yaml": policy() + binding(), "list.yaml": as_list}
    assert [f.object.name for f in policy_findings(check, files) if f.object] == ["in-list"]


@pytest.mark.parametrize(("match_policy", "expected"), [("Equivalent", 1), ("Exact", 0)])
def test_match_policy_exact_needs_the_listed_version(
    check: Checker, match_policy: str, expected: int
) -> None:
    pol = policy().replace('apiVersions: ["v1"]', 'apiVersions: ["v1beta2"]')
    pol = pol.replace("  matchConstraints:\n", f"  matchConstraints:\n    matchPolicy: {match_policy}\n", 1)
    assert (
        len(policy_findings(check, {"policy.yaml": pol + binding(), "apps.yaml": deployment()})) == expected
    )


def test_request_namespace_of_an_object_without_one_is_not_guessed(check: Checker) -> None:
    pol = policy(
        validations="""
        - expression: "request.namespace != 'default'"
          message: not in default
        """
    )
    files = {"policy.yaml": pol + binding(), "apps.yaml": deployment("a", None) + deployment("b", "default")}
    found = {f.object.name: f for f in policy_findings(check, files) if f.object}
    assert found["a"].outcome is Outcome.NOT_CHECKED and "request.namespace" in found["a"].message
    assert found["b"].outcome is Outcome.VIOLATION and found["b"].message == "not in default"
