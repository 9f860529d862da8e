"""``gitops-guard comment``: check and diff the change, build the report, post or print it."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from gitops_guard.errors import ConfigError, ToolError
from gitops_guard.findings import Finding
from gitops_guard.github import comment as body_mod

SUMMARY_LIMIT = 1024 * 1024  # GitHub's cap on one step's job summary


class Options(NamedTuple):
    base: str
    head: str | None = None
    paths: tuple[str, ...] = ()
    repo: str | None = None
    pr: int | None = None
    dry_run: bool = False
    config_path: str | None = None
    kubernetes_version: str | None = None
    findings_file: str | None = None  # a `check --format json` report to use instead of checking
    summary_file: str | None = None  # append the whole report here (the job summary)
    ident: str = "default"
    max_comments: int = 10
    limit: int = body_mod.MAX_BODY


class Result(NamedTuple):
    bodies: tuple[str, ...]
    message: str  # what was done, for stderr


def run(opts: Options, cwd: Path, env: Mapping[str, str]) -> Result:
    from gitops_guard import __version__
    from gitops_guard.config import find_config, load_config
    from gitops_guard.diff import noise, revisions

    if opts.max_comments < 1:
        raise ConfigError("--max-comments must be at least 1")
    config = load_config(Path(opts.config_path) if opts.config_path else find_config(cwd))
    top = revisions.toplevel(cwd)
    base = revisions.resolve(top, opts.base)
    prefix = os.path.relpath(cwd.resolve(), top.resolve()).replace(os.sep, "/")
    prefix = "" if prefix == "." else prefix + "/"
    hide = config.diff_hide if config.diff_hide is not None else noise.DEFAULT_HIDE
    with _checkout(top, opts.head) as root:
        workdir = root / prefix if prefix else root
        head = revisions.resolve(root, "HEAD")
        findings = (
            _read_findings(Path(opts.findings_file))
            if opts.findings_file
            else _check(opts, config, base, workdir)
        )
        changes = _diff(workdir, base, opts, hide)
    api_url = env.get("GITHUB_API_URL") or "https://api.github.com"
    server = env.get("GITHUB_SERVER_URL") or _server_for(api_url)
    repo = opts.repo or env.get("GITHUB_REPOSITORY") or ""
    summary_url = None
    if env.get("GITHUB_RUN_ID") and repo:
        summary_url = f"{server.rstrip('/')}/{repo}/actions/runs/{env['GITHUB_RUN_ID']}"
    links = body_mod.Links(server, repo, head if repo else "", prefix)
    blocks = body_mod.build(
        findings,
        changes,
        links=links,
        base=base,
        head=head,
        summary_url=summary_url,
        tool_version=__version__,
    )
    if opts.summary_file:
        _append_summary(Path(opts.summary_file), blocks, None)
    bodies = tuple(
        body_mod.paginate(
            blocks, ident=opts.ident, limit=opts.limit, max_parts=opts.max_comments, summary_url=summary_url
        )
    )
    if opts.dry_run:
        return Result(bodies, f"dry run: {len(bodies)} comment(s), nothing posted")
    from gitops_guard.github.client import Client
    from gitops_guard.github.event import resolve_target
    from gitops_guard.github.sticky import upsert

    target = resolve_target(opts.repo, opts.pr, env)
    client = Client(env.get("GITHUB_TOKEN", ""), api_url=api_url, user_agent=f"gitops-guard/{__version__}")
    posted = upsert(client, target.repo, target.pr, bodies, ident=opts.ident)
    done = (
        f"{target.repo}#{target.pr}: {posted.created} created, {posted.updated} updated, "
        f"{posted.unchanged} unchanged, {posted.deleted} deleted"
    )
    if posted.urls and posted.urls[0]:
        done += f" ({posted.urls[0]})"
    return Result(bodies, done)


@contextlib.contextmanager
def _checkout(top: Path, head: str | None) -> Iterator[Path]:
    """The tree to report on: the working tree, or ``head`` in a temporary worktree."""
    if head is None:
        yield top
        return
    from gitops_guard.diff import revisions

    commit = revisions.resolve(top, head)
    with tempfile.TemporaryDirectory(prefix="gitops-guard-head-") as tmp:
        tree = Path(tmp) / "head"
        add = revisions.git(top, "worktree", "add", "--detach", "--quiet", str(tree), commit)
        if add.returncode != 0:
            error = add.stderr.decode(errors="replace").strip()[:300]
            raise ToolError(f"git worktree add {commit[:12]} failed: {error}")
        try:
            yield tree
        finally:
            revisions.git(top, "worktree", "remove", "--force", str(tree))


def _check(opts: Options, config: Any, base: str, workdir: Path) -> list[Finding]:
    from gitops_guard.pipeline import CheckOptions, run_check

    check_opts = CheckOptions(
        paths=opts.paths or (".",),
        config=config,
        kubernetes_version=opts.kubernetes_version,
        base=base,
    )
    return list(run_check(check_opts, workdir).findings)


def _diff(workdir: Path, base: str, opts: Options, hide: Sequence[str]) -> list[body_mod.Change]:
    from gitops_guard.cachefiles import cache_dir
    from gitops_guard.diff.revdiff import compare
    from gitops_guard.schema.builtin import available_versions, parse_version

    version = opts.kubernetes_version
    kube = parse_version(version) if version else available_versions()[-1]
    result = compare(workdir, base, None, opts.paths, cache_bin=cache_dir() / "bin", kube=kube, hide=hide)
    out = []
    for g in result.groups:
        out.append(
            body_mod.Change(
                label=g.label,
                path=g.path,
                line=g.line,
                status=g.status,
                creates=sum(1 for c in g.changes if c.action == "create"),
                updates=sum(1 for c in g.changes if c.action == "update"),
                deletes=sum(1 for c in g.changes if c.action == "delete"),
                pruned=sum(1 for c in g.changes if c.pruned),
                diff="".join(c.diff for c in g.changes),
                errors=tuple(g.errors),
            )
        )
    return out


def _read_findings(path: Path) -> list[Finding]:
    """Findings from a ``check --format json`` report (version 1)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"--findings {path}: cannot read it ({exc.strerror})") from exc
    except ValueError as exc:
        raise ConfigError(f"--findings {path}: not a JSON report ({exc})") from exc
    if not isinstance(data, dict) or data.get("version") != 1 or not isinstance(data.get("findings"), list):
        raise ConfigError(f"--findings {path}: not a version-1 `check --format json` report")
    out = []
    for i, f in enumerate(data["findings"]):
        try:
            out.append(Finding.from_json(f))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ConfigError(f"--findings {path}: finding {i} is malformed ({exc})") from exc
    return out


def _server_for(api_url: str) -> str:
    """The web host of an API: api.github.com -> github.com, HOST/api/v3 -> HOST."""
    url = api_url.rstrip("/")
    if url == "https://api.github.com":
        return "https://github.com"
    return url.removesuffix("/api/v3")


def _append_summary(path: Path, blocks: Sequence[body_mod.Block], summary_url: str | None) -> None:
    """Append the whole report, cut to GitHub's 1 MiB per step (with a note) when longer."""
    (text,) = body_mod.paginate(
        blocks,
        ident="summary",
        limit=SUMMARY_LIMIT,
        max_parts=1,
        measure=lambda s: len(s.encode("utf-8", "surrogateescape")),
        overflow="The report is longer than the 1 MiB a job summary holds, so it stops here; "
        "`gitops-guard diff --base REV` shows every change.",
    )
    try:
        with path.open("a", encoding="utf-8", errors="surrogateescape") as out:
            out.write(text + "\n")
    except OSError as exc:
        raise ConfigError(f"--summary {path}: cannot write it ({exc.strerror})") from exc
