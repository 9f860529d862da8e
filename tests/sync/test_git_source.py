"""Git sources resolved against real repositories built in temporary directories."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from gitops_guard.errors import ConfigError
from gitops_guard.sync.git_source import (
    GitCache,
    GitRef,
    RefNotFound,
    Source,
    SourceError,
    redact_url,
)
from tests.helpers import git, write_files


def _commit(repo: Path, files: dict[str, str], message: str) -> str:
    write_files(repo, files)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture
def upstream(tmp_path: Path) -> Path:
    """A repository whose default branch is `trunk`, with tags v1.0.0, v1.4.0, v2.0.0-rc.1."""
    repo = tmp_path / "upstream"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "trunk")
    _commit(repo, {"apps/web/cm.yaml": "v: 1\n"}, "one")
    git(repo, "tag", "v1.0.0")
    _commit(repo, {"apps/web/cm.yaml": "v: 2\n"}, "two")
    git(repo, "tag", "-a", "v1.4.0", "-m", "annotated")
    _commit(repo, {"apps/web/cm.yaml": "v: 3\n"}, "three")
    git(repo, "tag", "v2.0.0-rc.1")
    git(repo, "branch", "stable", "v1.0.0")
    return repo


@pytest.fixture
def cache(tmp_path: Path) -> GitCache:
    return GitCache(tmp_path / "cache")


def _flux(url: str | Path, ref: Any = None) -> Source:
    spec: dict[str, Any] = {"url": str(url)}
    if ref is not None:
        spec["ref"] = ref
    return Source.from_git_repository({"kind": "GitRepository", "spec": spec})


def _argo(url: str | Path, revision: str | None = None, path: str = "") -> Source:
    source: dict[str, Any] = {"repoURL": str(url), "path": path}
    if revision is not None:
        source["targetRevision"] = revision
    return Source.from_application({"kind": "Application", "spec": {"source": source}})


def _rev(repo: Path, name: str) -> str:
    return git(repo, "rev-parse", f"{name}^{{commit}}")


@pytest.mark.parametrize(
    ("ref", "expected", "resolved"),
    [
        ({"branch": "trunk"}, "trunk", "branch trunk"),
        ({"branch": "stable"}, "stable", "branch stable"),
        ({"tag": "v1.4.0"}, "v1.4.0", "tag v1.4.0"),  # annotated: the commit, not the tag object
        ({"semver": ">=1.0.0"}, "v1.4.0", "tag v1.4.0"),  # the pre-release is not picked
        ({"semver": ">=2.0.0-0"}, "v2.0.0-rc.1", "tag v2.0.0-rc.1"),
        ({"semver": "~1.0"}, "v1.0.0", "tag v1.0.0"),
        # precedence: commit > name > semver > tag > branch
        ({"tag": "v1.0.0", "branch": "trunk"}, "v1.0.0", "tag v1.0.0"),
        ({"semver": "1.4.x", "tag": "v1.0.0"}, "v1.4.0", "tag v1.4.0"),
        ({"name": "refs/tags/v1.0.0", "semver": "*"}, "v1.0.0", "ref refs/tags/v1.0.0"),
    ],
)
def test_flux_refs_resolve_through_a_file_url(
    upstream: Path, cache: GitCache, ref: dict[str, str], expected: str, resolved: str
) -> None:
    revision = cache.resolve(_flux(f"file://{upstream}", ref))
    assert revision.commit == _rev(upstream, expected)
    assert revision.resolved == resolved
    assert revision.git_dir.parent == cache.root  # a mirror, not the upstream itself


def test_no_ref_is_branch_master(upstream: Path, cache: GitCache) -> None:
    with pytest.raises(RefNotFound, match="no branch 'master'"):
        cache.resolve(_flux(f"file://{upstream}"))
    git(upstream, "branch", "master", "stable")
    assert cache.resolve(_flux(f"file://{upstream}")).commit == _rev(upstream, "stable")


def test_commit_ref_and_its_branch(upstream: Path, cache: GitCache) -> None:
    first = _rev(upstream, "v1.0.0")
    url = f"file://{upstream}"
    assert cache.resolve(_flux(url, {"commit": first})).commit == first
    assert cache.resolve(_flux(url, {"commit": first, "branch": "stable"})).commit == first
    head = _rev(upstream, "trunk")
    with pytest.raises(RefNotFound, match="is not on branch 'stable'"):
        cache.resolve(_flux(url, {"commit": head, "branch": "stable"}))
    with pytest.raises(RefNotFound, match="no commit"):
        cache.resolve(_flux(url, {"commit": "0" * 40}))


def test_a_named_ref_outside_branches_and_tags_is_fetched(upstream: Path, cache: GitCache) -> None:
    git(upstream, "update-ref", "refs/pull/7/head", "stable")
    revision = cache.resolve(_flux(f"file://{upstream}", {"name": "refs/pull/7/head"}))
    assert revision.commit == _rev(upstream, "stable")
    with pytest.raises(RefNotFound):
        cache.resolve(_flux(f"file://{upstream}", {"name": "refs/pull/8/head"}))


def test_a_moved_branch_is_fetched_again_and_a_deleted_one_is_pruned(upstream: Path, cache: GitCache) -> None:
    source = _flux(f"file://{upstream}", {"branch": "stable"})
    before = cache.resolve(source)
    git(upstream, "checkout", "-q", "stable")
    moved = _commit(upstream, {"apps/web/cm.yaml": "v: stable-2\n"}, "stable moves")
    assert cache.resolve(source, fetch=False).commit == before.commit  # the mirror as it was
    after = cache.resolve(source)
    assert after.commit == moved and after.git_dir == before.git_dir
    git(upstream, "checkout", "-q", "trunk")
    git(upstream, "branch", "-D", "stable")
    with pytest.raises(RefNotFound, match="no branch 'stable'"):
        cache.resolve(source)


def test_semver_follows_new_tags(upstream: Path, cache: GitCache) -> None:
    source = _flux(f"file://{upstream}", {"semver": "^1"})
    assert cache.resolve(source).resolved == "tag v1.4.0"
    git(upstream, "tag", "v1.10.0", "stable")
    assert cache.resolve(source).resolved == "tag v1.10.0"
    with pytest.raises(RefNotFound, match=r"no tag matches semver '\^3'"):
        cache.resolve(_flux(f"file://{upstream}", {"semver": "^3"}))


@pytest.mark.parametrize(
    ("revision", "expected", "resolved"),
    [
        (None, "trunk", "HEAD"),  # the remote's default branch, whatever it is called
        ("HEAD", "trunk", "HEAD"),
        ("stable", "stable", "branch stable"),
        ("v1.4.0", "v1.4.0", "tag v1.4.0"),
        ("v1.*", "v1.4.0", "tag v1.4.0"),  # a semver constraint over the tags
        (">=1.0.0 <1.4.0", "v1.0.0", "tag v1.0.0"),
        ("1.4.0", "v1.4.0", "tag v1.4.0"),  # no ref `1.4.0`: the constraint finds v1.4.0
    ],
)
def test_argo_target_revisions(
    upstream: Path, cache: GitCache, revision: str | None, expected: str, resolved: str
) -> None:
    found = cache.resolve(_argo(f"file://{upstream}", revision))
    assert (found.commit, found.resolved) == (_rev(upstream, expected), resolved)


def test_argo_commit_ids_full_and_short(upstream: Path, cache: GitCache) -> None:
    first = _rev(upstream, "v1.0.0")
    for given in (first, first[:10]):
        assert cache.resolve(_argo(f"file://{upstream}", given)).commit == first
    with pytest.raises(RefNotFound, match="no branch, tag or commit 'nope'"):
        cache.resolve(_argo(f"file://{upstream}", "nope"))


def test_a_local_path_is_read_in_place_and_exported(upstream: Path, cache: GitCache, tmp_path: Path) -> None:
    revision = cache.resolve(_argo("upstream", "v1.0.0", path="apps/web"), base=tmp_path)
    assert revision.git_dir == upstream / ".git"
    assert not cache.root.exists()  # nothing mirrored or fetched
    (upstream / "apps/web/cm.yaml").write_text("uncommitted\n")
    tree = revision.export(tmp_path / "out")
    assert tree == tmp_path / "out" / "apps/web"
    assert (tree / "cm.yaml").read_text() == "v: 1\n"  # the commit, not the working tree
    assert (upstream / "apps/web/cm.yaml").read_text() == "uncommitted\n"  # left alone


def test_export_of_a_missing_path_is_clear(upstream: Path, cache: GitCache, tmp_path: Path) -> None:
    revision = cache.resolve(_argo(f"file://{upstream}", "trunk", path="apps/api"))
    with pytest.raises(RefNotFound, match="path 'apps/api' is not a directory"):
        revision.export(tmp_path / "out")


def test_a_mirror_export_matches_the_commit(upstream: Path, cache: GitCache, tmp_path: Path) -> None:
    revision = cache.resolve(_flux(f"file://{upstream}", {"tag": "v1.4.0"}))
    assert (revision.export(tmp_path / "out") / "apps/web/cm.yaml").read_text() == "v: 2\n"


def test_a_local_directory_that_is_not_a_repository(tmp_path: Path, cache: GitCache) -> None:
    (tmp_path / "plain").mkdir()
    with pytest.raises(SourceError, match="not a Git repository"):
        cache.resolve(_argo(tmp_path / "plain"))
    with pytest.raises(SourceError, match="no such directory"):
        cache.resolve(_argo(tmp_path / "absent"))


def test_an_unreachable_url_is_a_clear_error_without_credentials(cache: GitCache) -> None:
    url = "https://deploy:s3cret-token@127.0.0.1:9/org/fleet.git"
    with pytest.raises(SourceError) as caught:
        cache.resolve(_flux(url, {"branch": "main"}))
    message = str(caught.value)
    assert message.startswith("fetch https://127.0.0.1:9/org/fleet.git: ")
    assert "s3cret" not in message and "deploy" not in message
    mirror = cache.mirror_dir(url)
    assert "s3cret" not in (mirror / "config").read_text()  # the URL is never stored


def test_a_missing_file_url_is_a_clear_error(tmp_path: Path, cache: GitCache) -> None:
    with pytest.raises(SourceError, match=r"fetch file://.*/nowhere: fatal: .*"):
        cache.resolve(_flux(f"file://{tmp_path}/nowhere", {"branch": "main"}))


def test_the_mirror_lock_excludes_a_second_fetch(upstream: Path, tmp_path: Path) -> None:
    impatient = GitCache(tmp_path / "cache", lock_timeout=0.2)
    source = _flux(f"file://{upstream}", {"branch": "trunk"})
    with impatient._locked(impatient.mirror_dir(source.url)), pytest.raises(SourceError, match="lock"):
        impatient.resolve(source)
    assert impatient.resolve(source).commit == _rev(upstream, "trunk")  # released afterwards


def test_two_processes_fetching_one_mirror_both_succeed(upstream: Path, tmp_path: Path) -> None:
    script = (
        "import sys; from pathlib import Path; from gitops_guard.sync.git_source import GitCache, Source;"
        "s = Source.from_git_repository({'spec': {'url': sys.argv[1], 'ref': {'branch': 'trunk'}}});"
        "print(GitCache(Path(sys.argv[2])).resolve(s).commit)"
    )
    argv = [sys.executable, "-c", script, f"file://{upstream}", str(tmp_path / "cache")]
    procs = [subprocess.Popen(argv, stdout=subprocess.PIPE, text=True) for _ in range(3)]
    outs = [p.communicate(timeout=60)[0].strip() for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0]
    assert outs == [_rev(upstream, "trunk")] * 3


def test_threads_share_a_mirror(upstream: Path, cache: GitCache) -> None:
    source = _flux(f"file://{upstream}", {"branch": "trunk"})
    results: list[str] = []
    threads = [
        threading.Thread(target=lambda: results.append(cache.resolve(source).commit)) for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [_rev(upstream, "trunk")] * 4


@pytest.mark.parametrize(
    ("ref", "complaint"),
    [
        ("main", "spec.ref must be a mapping"),
        ({"branch": ""}, "spec.ref.branch must be a non-empty string"),
        ({"tag": 1}, "spec.ref.tag must be a non-empty string"),
    ],
)
def test_bad_flux_refs(ref: Any, complaint: str) -> None:
    with pytest.raises(ConfigError, match=complaint):
        _flux("file:///x", ref)


def test_bad_flux_and_argo_specs() -> None:
    with pytest.raises(ConfigError, match=r"spec\.url"):
        Source.from_git_repository({"spec": {}})
    with pytest.raises(ConfigError, match=r"no spec\.source"):
        Source.from_application({"spec": {}})
    with pytest.raises(ConfigError, match="Helm chart repository"):
        Source.from_application({"spec": {"source": {"repoURL": "https://charts.example", "chart": "x"}}})
    with pytest.raises(ConfigError, match="more than one source"):
        Source.from_application({"spec": {"sources": [{"repoURL": "a"}, {"repoURL": "b"}]}})
    with pytest.raises(ConfigError, match="stay inside the repository"):
        _argo("file:///x", path="../secrets")


def test_an_invalid_semver_constraint_is_a_usage_error(upstream: Path, cache: GitCache) -> None:
    with pytest.raises(ConfigError, match="invalid semver constraint 'banana'"):
        cache.resolve(_flux(f"file://{upstream}", {"semver": "banana"}))


def test_one_source_in_spec_sources_is_read() -> None:
    source = Source.from_application({"spec": {"sources": [{"repoURL": "https://g/x.git", "path": "./a/"}]}})
    assert (source.url, source.path, source.ref) == ("https://g/x.git", "a", GitRef(head=True))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://u:p@host/x.git", "https://host/x.git"),
        ("fetch ssh://git@host:22/x and https://tok@h/y", "fetch ssh://host:22/x and https://h/y"),
        ("git@github.com:org/repo.git", "git@github.com:org/repo.git"),  # scp-like: no secret part
        ("https://host/x.git", "https://host/x.git"),
    ],
)
def test_redact_url(text: str, expected: str) -> None:
    assert redact_url(text) == expected
