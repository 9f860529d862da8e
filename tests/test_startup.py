"""The pre-commit hook's path stays light: a one-file check of a plain manifest must not
import what only other inputs need. A behavioural guard (which modules load), not a timing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

PLAIN = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: web
data:
  mode: fast
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: web
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: nginx:1.27
          envFrom: [{configMapRef: {name: settings}}]
"""

# Each of these is needed only by some inputs: rendering (a kustomization or chart), the
# deployer model (Applications, Flux Kustomizations), admission policies, CRD validation
# rules, secret candidates, thread pools and temporary directories (rendering), gitignore
# matching (directory walks, ignore settings), and the command-line library (options).
HEAVY = (
    "click",
    "ryml",
    "detect_secrets",
    "cel",
    "pathspec",
    "concurrent.futures",
    "tempfile",
    "subprocess",
    "gitops_guard.cli",
    "gitops_guard.desired",
    "gitops_guard.render.kustomize",
    "gitops_guard.render.helm",
    "gitops_guard.policy.evaluate",
    "gitops_guard.policy.model",
    "gitops_guard.policy.celenv",
    "gitops_guard.cel_library",
    "gitops_guard.schema.cel",
    "gitops_guard.schema.crd",
    "gitops_guard.gitops.apps",
    "gitops_guard.gitops.deployers",
    "gitops_guard.gitops.evidence",
    "gitops_guard.gitops.argo_apps",
    "gitops_guard.gitops.flux_sources",
    "gitops_guard.gitops.repository",
    "gitops_guard.gitops.flux_graph",
    "gitops_guard.gitops.sync_order",
    "gitops_guard.gitops.kustomize_scope",
    "gitops_guard.cluster",
    "gitops_guard.diff",
    "gitops_guard.sync",
    "prometheus_client",
    "http.server",
    "gitops_guard.github",
    "urllib.request",
)

# Standard-library modules the hook's path does without: value types are NamedTuples or
# plain classes (a frozen dataclass costs ~4x a NamedTuple to create, and dataclasses imports
# inspect, ast and tokenize); difflib only names a close field, textwrap only shows rule
# documentation, threading only serves rendering and the terminal progress line; email.utils
# (and socket, calendar) only dates jsonschema-rs's build and decimal only types Decimal
# values for it (schema/jsonschema_import.py); ipaddress only parses IPv6 hosts in URLs.
NOT_ON_THE_HOOK_PATH = (
    "dataclasses",
    "inspect",
    "threading",
    "difflib",
    "textwrap",
    "email.utils",
    "socket",
    "decimal",
    "numbers",
    "ipaddress",
)

_PROBE = """
import json, sys
from gitops_guard.entry import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}), file=sys.stderr)
"""


def _python(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def _loaded(cwd: Path, *args: str) -> tuple[int, set[str], str]:
    proc = _python(cwd, "-c", _PROBE, *args)
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    record = json.loads(proc.stderr.strip().splitlines()[-1])
    return record["code"], set(record["modules"]), proc.stdout


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


def test_one_plain_manifest_imports_nothing_heavy(tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text(PLAIN, encoding="utf-8")
    code, modules, out = _loaded(tmp_path, "check", "app.yaml")
    assert code == 0, out
    assert "1 file (2 documents)" in out  # the check really ran, every check included
    assert {"gitops_guard.pipeline", "gitops_guard.checks.schema_check", "yaml"} <= modules
    assert _heavy(modules) == []
    assert sorted(m for m in NOT_ON_THE_HOOK_PATH if m in modules) == []


def test_a_manifest_with_a_sync_wave_builds_its_plan_without_dataclasses(tmp_path: Path) -> None:
    # Argo CD repositories annotate waves: the sync-order plan is then built, still lightly.
    wave = "  annotations: {argocd.argoproj.io/sync-wave: '2'}\n"
    waved = PLAIN.replace("  namespace: web\nspec:", f"  namespace: web\n{wave}spec:")
    assert waved != PLAIN
    (tmp_path / "app.yaml").write_text(waved, encoding="utf-8")
    code, modules, out = _loaded(tmp_path, "check", "app.yaml")
    assert code == 0, out
    assert "gitops_guard.gitops.sync_order" in modules  # the plan really was built
    assert sorted(m for m in NOT_ON_THE_HOOK_PATH if m in modules) == []


def test_the_stdlib_guard_sees_those_modules_when_the_input_needs_them(tmp_path: Path) -> None:
    # An unknown field asks difflib for a hint; the guard above would see it.
    typo = PLAIN.replace("  selector:", "  selectr: {}\n  selector:")
    (tmp_path / "app.yaml").write_text(typo, encoding="utf-8")
    code, modules, out = _loaded(tmp_path, "check", "app.yaml")
    assert code == 1 and "unknown field" in out, out
    assert "difflib" in modules


def test_the_guard_sees_heavy_imports_when_the_input_needs_them(tmp_path: Path) -> None:
    # The same probe on inputs that do need the machinery: the list above is not vacuous.
    (tmp_path / "app.yaml").write_text(
        PLAIN.replace(
            "  namespace: web\ndata:",
            "  namespace: web\n  annotations:\n    argocd.argoproj.io/sync-wave: '1'\ndata:",
        ),
        encoding="utf-8",
    )
    (tmp_path / "kustomization.yaml").write_text("resources: [app.yaml]\n", encoding="utf-8")
    (tmp_path / "policy.yaml").write_text(
        "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\n"
        "metadata: {name: p}\nspec:\n  validations: [{expression: 'true'}]\n",
        encoding="utf-8",
    )
    _, modules, _ = _loaded(tmp_path, "check", "app.yaml", "kustomization.yaml", "policy.yaml")
    heavy = _heavy(modules)
    for expected in (
        "gitops_guard.desired.stage",
        "gitops_guard.policy.evaluate",
        "gitops_guard.gitops.sync_order",
    ):
        assert expected in heavy


@pytest.mark.parametrize("args", [("check", "--format", "json", "app.yaml"), ("rules",)])
def test_options_and_other_commands_go_through_click(tmp_path: Path, args: tuple[str, ...]) -> None:
    (tmp_path / "app.yaml").write_text(PLAIN, encoding="utf-8")
    code, modules, out = _loaded(tmp_path, *args)
    assert code == 0
    assert "click" in modules and "gitops_guard.cli" in modules
    # The run loop's modules (engine, leases, metrics server) load only for `run`/`sync`.
    engine_side = ("gitops_guard.sync", "gitops_guard.cluster", "prometheus_client", "http.server")
    assert [m for m in modules if m.startswith(engine_side)] == []
    if "json" in args:
        assert json.loads(out)["summary"]["documents"] == 2


def test_plain_check_and_click_check_write_the_same_report(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(PLAIN.replace("mode: fast", "mode: [fast"), encoding="utf-8")
    (tmp_path / "app.yaml").write_text(PLAIN.replace("replicas", "replica"), encoding="utf-8")
    fast = _loaded(tmp_path, "check", "app.yaml", "bad.yaml")
    slow = _loaded(tmp_path, "check", "--fail-on", "error", "app.yaml", "bad.yaml")
    assert "gitops_guard.cli" not in fast[1] and "gitops_guard.cli" in slow[1]
    assert fast[0] == slow[0] == 1
    assert fast[2] == slow[2] and "yaml/syntax" in fast[2]


def test_plain_check_errors_exit_like_click_check(tmp_path: Path) -> None:
    proc = _python(tmp_path, "-m", "gitops_guard", "check", "missing.yaml")
    assert proc.returncode == 2
    assert proc.stderr == "gitops-guard: error: no such file or directory: missing.yaml\n"


def test_a_directory_walk_imports_pathspec_only_for_a_gitignore(tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text(PLAIN, encoding="utf-8")
    code, modules, out = _loaded(tmp_path, "check", ".")
    assert code == 0, out
    assert "pathspec" not in modules
    (tmp_path / ".gitignore").write_text("ignored.yaml\n", encoding="utf-8")
    (tmp_path / "ignored.yaml").write_text("a: [\n", encoding="utf-8")
    code, modules, out = _loaded(tmp_path, "check", ".")
    assert code == 0, out  # the broken file is ignored, so pathspec did its work
    assert "pathspec" in modules


_OPENS = """
import json, sys
opened = []
listings = ("open", "os.scandir", "os.listdir")
sys.addaudithook(lambda event, args: opened.append(str(args[0])) if event in listings else None)
from gitops_guard.entry import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "opened": opened}), file=sys.stderr)
"""


def test_a_custom_resource_reads_its_one_catalog_schema_not_the_catalog(tmp_path: Path) -> None:
    """Schemas are found by group/kind/version on disk: the hook never lists or loads the catalog."""
    monitor = (
        "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: m}\n"
        "spec:\n  selector: {matchLabels: {app: m}}\n  endpoints: [{port: http}]\n"
    )
    (tmp_path / "sm.yaml").write_text(monitor, encoding="utf-8")
    proc = _python(tmp_path, "-c", _OPENS, "check", "sm.yaml")
    record = json.loads(proc.stderr.strip().splitlines()[-1])
    assert record["code"] == 0, proc.stdout
    schemas = (Path(__file__).resolve().parents[1] / "schemas").as_posix()
    catalog = [p for p in record["opened"] if p.startswith(schemas)]
    assert catalog == [f"{schemas}/crds/monitoring.coreos.com/servicemonitor_v1.json"]


# The console script's process, with a witness of the interpreter's teardown (a module-level
# object's finaliser) and of the exit handlers.
_TEARDOWN = """
import atexit, sys, threading, time
class Witness:
    def __del__(self):
        sys.stderr.write("torn down\\n")
witness = Witness()
atexit.register(lambda: sys.stderr.write("exit handler ran\\n"))
if sys.argv[1] == "thread":
    del sys.argv[1]
    def late():
        time.sleep(0.5)
        sys.stderr.write("thread finished\\n")
    threading.Thread(target=late).start()
from gitops_guard.entry import main
raise SystemExit(main())
"""


def _console(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return _python(cwd, "-c", _TEARDOWN, *args)


def test_the_plain_check_ends_its_process_after_the_exit_handlers_without_teardown(tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text(PLAIN, encoding="utf-8")
    (tmp_path / "bad.yaml").write_text(
        PLAIN.replace("replicas", "replica").replace("  selector:", "  selectr: {}\n  selector:"),
        encoding="utf-8",
    )
    clean = _console(tmp_path, "check", "app.yaml")
    assert clean.returncode == 0, clean.stderr
    assert "0 errors, 0 warnings, 0 not checked in 1 file (2 documents)" in clean.stdout
    assert clean.stderr == "exit handler ran\n"  # and no teardown
    found = _console(tmp_path, "check", "bad.yaml")
    assert found.returncode == 1 and "unknown field" in found.stdout, found.stdout
    assert found.stderr == "exit handler ran\n"
    # Another command, or the same check with an option, exits the usual way.
    usual = _console(tmp_path, "check", "--format", "text", "app.yaml")
    assert usual.returncode == 0 and usual.stdout == clean.stdout
    assert usual.stderr == "exit handler ran\ntorn down\n"


def test_the_plain_check_exits_the_usual_way_while_another_thread_runs(tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text(PLAIN, encoding="utf-8")
    proc = _console(tmp_path, "thread", "check", "app.yaml")
    assert proc.returncode == 0, proc.stderr
    assert "1 file (2 documents)" in proc.stdout
    assert proc.stderr == "thread finished\nexit handler ran\ntorn down\n"
