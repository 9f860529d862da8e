"""The command line: thin over the library; ``main`` is the one place that maps
exceptions to exit codes (0 clean, 1 findings, 2 usage/config, 3 internal)."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from gitops_guard import __version__
from gitops_guard.errors import ConfigError, ExitCode, GuardError, exit_code_for

FORMATS = ("text", "json", "sarif", "github", "markdown", "junit")


class _Exit(Exception):
    def __init__(self, code: ExitCode) -> None:
        self.code = code


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="gitops-guard")
def cli() -> None:
    """Guard GitOps repositories (Argo CD and Flux): check them before merge, diff what a change would do."""


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    help="Report format (default: github under GitHub Actions, else text).",
)
@click.option("--output", type=click.Path(dir_okay=False, writable=True), help="Write the report to FILE.")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    help="Config file (default: .gitops-guard.yaml found upward).",
)
@click.option("--kubernetes-version", help="Kubernetes minor version of the schemas, e.g. 1.31.")
@click.option("--schema-engine", type=click.Choice(["builtin", "kubeconform"]))
@click.option("--schema-location", multiple=True, help="Directory or kubeconform-style template; repeatable.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "never"]))
@click.option("--select", multiple=True, help="Only these rules or families; repeatable.")
@click.option("--ignore", multiple=True, help="Skip these rules or families; repeatable.")
@click.option(
    "--baseline", type=click.Path(dir_okay=False), help="Findings recorded here do not fail the run."
)
@click.option("--base", help="PR mode: also compare the change against REV.")
@click.option(
    "--no-render",
    is_flag=True,
    help="Check files as written: do not build kustomizations or render local Helm charts.",
)
@click.option(
    "--kubeconfig",
    type=click.Path(dir_okay=False),
    help="Also use the CRDs this live cluster serves (above the shipped catalog).",
)
@click.option("--context", "kube_context", help="With --kubeconfig: the context to use.")
@click.option(
    "--report",
    "reports",
    multiple=True,
    metavar="FORMAT=FILE",
    help="Also write the report as FORMAT to FILE (repeatable), from the same run.",
)
def check(
    paths: tuple[str, ...],
    fmt: str | None,
    output: str | None,
    config_path: str | None,
    kubernetes_version: str | None,
    schema_engine: str | None,
    schema_location: tuple[str, ...],
    fail_on: str | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    baseline: str | None,
    base: str | None,
    no_render: bool,
    kubeconfig: str | None,
    kube_context: str | None,
    reports: tuple[str, ...],
) -> None:
    """Validate files or directories (default: the current directory)."""
    if kube_context is not None and kubeconfig is None:
        raise ConfigError("--context needs --kubeconfig")
    cluster = None
    if kubeconfig is not None:
        from gitops_guard.cachefiles import cache_dir
        from gitops_guard.schema.cluster_crds import read_cluster

        cluster = read_cluster(Path(kubeconfig), kube_context, cache_dir())
    from gitops_guard.check_command import run

    code = run(
        paths,
        echo=lambda text: click.echo(text, nl=False),
        fmt=fmt,
        output=output,
        config_path=config_path,
        kubernetes_version=kubernetes_version,
        schema_engine=schema_engine,
        schema_location=schema_location,
        fail_on=fail_on,
        select=select,
        ignore=ignore,
        baseline=baseline,
        base=base,
        no_render=no_render,
        cluster=cluster,
        reports=[_report_option(r) for r in reports],
    )
    raise _Exit(code)


def _report_option(value: str) -> tuple[str, str]:
    fmt, sep, path = value.partition("=")
    if not sep or not path or fmt not in FORMATS:
        raise click.BadParameter(
            f"{value!r}: expected FORMAT=FILE with FORMAT one of {', '.join(FORMATS)}", param_hint="--report"
        )
    return fmt, path


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--base", help="Compare against this Git revision (offline: no cluster needed).")
@click.option("--head", help="With --base: the revision to compare (default: the working tree).")
@click.option("--kubeconfig", type=click.Path(dir_okay=False), help="Compare against this live cluster.")
@click.option("--context", "kube_context", help="With --kubeconfig: the context to use.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option("--kubernetes-version", help="Kubernetes minor version for Helm rendering, e.g. 1.31.")
@click.option(
    "--color",
    "color",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Colour the text diff (auto: on a terminal, unless NO_COLOR is set).",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    help="Config file (default: .gitops-guard.yaml found upward); its diff.hide applies.",
)
def diff(
    paths: tuple[str, ...],
    base: str | None,
    head: str | None,
    kubeconfig: str | None,
    kube_context: str | None,
    fmt: str,
    kubernetes_version: str | None,
    color: str,
    config_path: str | None,
) -> None:
    """Show what a change would do: per Application/Kustomization, the objects it would
    create, update and prune.  Exit 0 when nothing differs, 1 when something does."""
    from gitops_guard.cachefiles import cache_dir
    from gitops_guard.schema.builtin import available_versions, parse_version

    kube = parse_version(kubernetes_version) if kubernetes_version else available_versions()[-1]
    if base is None and kubeconfig is None:
        raise ConfigError("diff needs --base REV (two revisions) or --kubeconfig FILE (a live cluster)")
    if base is not None and kubeconfig is not None:
        raise ConfigError("--base and --kubeconfig cannot be combined")
    if head is not None and base is None:
        raise ConfigError("--head needs --base")
    from gitops_guard.config import find_config, load_config
    from gitops_guard.diff import noise

    config = load_config(Path(config_path) if config_path else find_config(Path.cwd()))
    hide = config.diff_hide if config.diff_hide is not None else noise.DEFAULT_HIDE
    if kubeconfig is not None:
        from gitops_guard.diff.live import live_diff

        differs, text = live_diff(paths, Path(kubeconfig), kube_context, fmt=fmt, kube=kube, hide=hide)
        colour = fmt == "text" and _use_colour(color)
        if colour:
            from gitops_guard.diff.render_text import paint

            text = paint(text)
        # click strips escape sequences from what is not a terminal unless told otherwise.
        click.echo(text, nl=False, color=colour)
        raise _Exit(ExitCode.FINDINGS if differs else ExitCode.OK)
    assert base is not None
    from gitops_guard.diff import render_text
    from gitops_guard.diff.revdiff import compare

    result = compare(Path.cwd(), base, head, paths, cache_bin=cache_dir() / "bin", kube=kube, hide=hide)
    if fmt == "json":
        click.echo(render_text.as_json(result), nl=False)
    else:
        colour = _use_colour(color)
        click.echo(render_text.text(result, colour=colour), nl=False, color=colour)
    raise _Exit(ExitCode.FINDINGS if result.differs else ExitCode.OK)


def _client(kubeconfig: str | None, context: str | None) -> Any:
    from gitops_guard.cluster import Client
    from gitops_guard.cluster.in_cluster import load_config

    return Client(load_config(kubeconfig, context=context))


_HISTORY_NS = "gitops-guard"
_cluster_options = [
    click.option("--kubeconfig", type=click.Path(dir_okay=False), help="Kubeconfig (default: $KUBECONFIG)."),
    click.option("--context", "kube_context", help="The kubeconfig context to use."),
    click.option(
        "--history-namespace",
        default=_HISTORY_NS,
        show_default=True,
        help="Namespace of the history ConfigMaps.",
    ),
]


def _with_cluster_options(func: Any) -> Any:
    for option in reversed(_cluster_options):
        func = option(func)
    return func


@cli.command()
@click.argument("app_file", metavar="APP.yaml", type=click.Path(dir_okay=False))
@_with_cluster_options
@click.option("--revision", help="Sync this branch, tag or commit instead of the one the spec names.")
@click.option("--dry-run", is_flag=True, help="Print the plan per wave; write nothing.")
@click.option("--timeout", help="Give up after this long, e.g. 90s or 5m (default: the spec's, else 5m).")
@click.option(
    "--force", is_flag=True, help="Recreate objects whose immutable fields changed; sync a suspended app."
)
def sync(
    app_file: str,
    kubeconfig: str | None,
    kube_context: str | None,
    history_namespace: str,
    revision: str | None,
    dry_run: bool,
    timeout: str | None,
    force: bool,
) -> None:
    """Apply an Argo CD Application or Flux Kustomization, only if its revision passes `check`.

    Exit 0 synced (or planned, with --dry-run), 1 refused by check, 3 the sync failed."""
    from gitops_guard.sync import engine

    apps = engine.load_apps(Path(app_file))
    limit = _duration_of("--timeout", timeout)
    with _client(kubeconfig, kube_context) as client:
        results = engine.sync_apps(
            apps,
            client,
            revision=revision,
            dry_run=dry_run,
            force=force,
            history_namespace=history_namespace,
            log=lambda text: click.echo(text, err=True),
            timeout_for=lambda app: limit or app.timeout or 300.0,
        )
    for result in results:
        click.echo(result.render(), nl=False)
    raise _Exit(_sync_exit(results))


def _sync_exit(results: Sequence[Any]) -> ExitCode:
    statuses = {r.status for r in results}
    if "Failed" in statuses:
        return ExitCode.INTERNAL
    if "Refused" in statuses:
        return ExitCode.FINDINGS
    return ExitCode.OK


def _app_name(app: str) -> tuple[str, Any]:
    """APP is an app's file (its name is read from it) or an app name."""
    path = Path(app)
    if path.is_file():
        from gitops_guard.sync.app_spec import load_app

        spec = load_app(path)
        return spec.name, spec
    return app, None


@cli.command()
@click.argument("app")
@_with_cluster_options
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def history(
    app: str, kubeconfig: str | None, kube_context: str | None, history_namespace: str, fmt: str
) -> None:
    """Show an app's sync history (APP: its name or its file)."""
    from gitops_guard.sync import engine
    from gitops_guard.sync.history import HistoryStore

    name, _spec = _app_name(app)
    with _client(kubeconfig, kube_context) as client:
        state = HistoryStore(client, history_namespace).read(name)
    if fmt == "json":
        import json

        click.echo(json.dumps(engine.history_json(state), indent=2))
    else:
        click.echo(engine.history_table(state), nl=False)


@cli.command()
@click.argument("app", metavar="APP.yaml")
@click.argument("entry_id", metavar="[ID]", required=False, type=int)
@_with_cluster_options
@click.option("--force", is_flag=True, help="Roll back even though automated sync is on.")
@click.option("--timeout", help="Give up after this long (default: the spec's, else 5m).")
def rollback(
    app: str,
    entry_id: int | None,
    kubeconfig: str | None,
    kube_context: str | None,
    history_namespace: str,
    force: bool,
    timeout: str | None,
) -> None:
    """Sync the revision of history entry ID again (default: the previous synced revision)."""
    from gitops_guard.sync import engine

    _name, spec = _app_name(app)
    if spec is None:
        raise ConfigError(f"{app}: rollback needs the app's file (APP.yaml), to know its source")
    with _client(kubeconfig, kube_context) as client:
        result = engine.rollback(
            spec,
            client,
            entry_id,
            force=force,
            history_namespace=history_namespace,
            timeout=_duration_of("--timeout", timeout) or spec.timeout or 300.0,
            log=lambda text: click.echo(text, err=True),
        )
    click.echo(result.render(), nl=False)
    raise _Exit(_sync_exit([result]))


@cli.command()
@click.argument("app_files", metavar="APP.yaml...", nargs=-1, required=True, type=click.Path(dir_okay=False))
@_with_cluster_options
@click.option("--interval", help="Poll every app's source this often, e.g. 30s (default: each app's own).")
@click.option("--metrics-addr", metavar="HOST:PORT", help="Serve /metrics and /healthz here, e.g. :8080.")
@click.option(
    "--lease-duration", default="15s", show_default=True, help="How long an app's Lease outlives its holder."
)
@click.option(
    "--shutdown-grace", default="25s", show_default=True, help="How long SIGTERM waits for syncs in progress."
)
@click.option("--log-level", type=click.Choice(["debug", "info", "warning", "error"]), default="info")
def run(
    app_files: tuple[str, ...],
    kubeconfig: str | None,
    kube_context: str | None,
    history_namespace: str,
    interval: str | None,
    metrics_addr: str | None,
    lease_duration: str,
    shutdown_grace: str,
    log_level: str,
) -> None:
    """Keep apps synced: poll their sources, sync new revisions, self-heal drift, until SIGTERM.

    One Lease per app (in --history-namespace) makes sure two engines never write one app;
    several replicas share the apps. Logs are JSON lines on stderr."""
    from gitops_guard.sync.runner import RunOptions
    from gitops_guard.sync.runner import run as run_loop

    options = RunOptions(
        interval=_positive("--interval", interval),
        metrics_addr=metrics_addr,
        kubeconfig=kubeconfig,
        context=kube_context,
        namespace=history_namespace,
        lease_duration=_positive("--lease-duration", lease_duration) or 15.0,
        grace=_duration_of("--shutdown-grace", shutdown_grace) or 0.0,
        log_level=log_level,
    )
    raise _Exit(ExitCode(run_loop([Path(p) for p in app_files], options, stream=sys.stderr)))


def _duration_of(option: str, value: str | None) -> float | None:
    if value is None:
        return None
    from gitops_guard.sync.schedule import parse_duration

    return parse_duration(value, what=option)


def _positive(option: str, value: str | None) -> float | None:
    seconds = _duration_of(option, value)
    if seconds is not None and seconds <= 0:
        raise ConfigError(f"{option}: must be more than 0")
    return seconds


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--base", required=True, help="The revision the pull request merges into (e.g. its base SHA).")
@click.option("--head", help="The revision to report on (default: the working tree at HEAD).")
@click.option("--repo", help="OWNER/NAME (default: GITHUB_REPOSITORY).")
@click.option("--pr", type=click.IntRange(min=1), help="Pull request number (default: GITHUB_EVENT_PATH).")
@click.option("--dry-run", is_flag=True, help="Print the comment body (every part) instead of posting it.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Config file.")
@click.option("--kubernetes-version", help="Kubernetes minor version of the schemas, e.g. 1.31.")
@click.option(
    "--findings",
    "findings_file",
    type=click.Path(dir_okay=False),
    help="Use this `check --format json` report instead of running the checks again.",
)
@click.option(
    "--summary",
    "summary_file",
    type=click.Path(dir_okay=False),
    help="Also append the whole report (up to 1 MiB) to FILE, e.g. $GITHUB_STEP_SUMMARY.",
)
@click.option(
    "--id",
    "ident",
    default="default",
    show_default=True,
    help="Names this report, so several workflows can each keep their own comment.",
)
@click.option(
    "--max-comments",
    type=click.IntRange(min=1, max=50),
    default=10,
    show_default=True,
    help="At most this many comments for one report; the rest is cut with a note.",
)
def comment(
    paths: tuple[str, ...],
    base: str,
    head: str | None,
    repo: str | None,
    pr: int | None,
    dry_run: bool,
    config_path: str | None,
    kubernetes_version: str | None,
    findings_file: str | None,
    summary_file: str | None,
    ident: str,
    max_comments: int,
) -> None:
    """Post the report as one sticky pull-request comment, updated on every run.

    Findings, the objects the merge deletes, and the rendered diff per
    Application/Kustomization.  Exit 0 when posted (findings do not fail it: `check`
    does), 2 for a usage or permission problem (token, repository, pull request),
    3 when GitHub cannot be reached or keeps refusing (rate limit, 5xx).
    """
    import re

    from gitops_guard.github.command import Options, run

    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", ident):
        raise ConfigError(f"--id must be letters, digits, '.', '_' or '-', not {ident!r}")
    opts = Options(
        base=base,
        head=head,
        paths=paths,
        repo=repo,
        pr=pr,
        dry_run=dry_run,
        config_path=config_path,
        kubernetes_version=kubernetes_version,
        findings_file=findings_file,
        summary_file=summary_file,
        ident=ident,
        max_comments=max_comments,
    )
    result = run(opts, Path.cwd(), os.environ)
    if dry_run:
        for i, body in enumerate(result.bodies, start=1):
            if len(result.bodies) > 1:
                click.echo(f"----- comment {i} of {len(result.bodies)} -----")
            click.echo(body, nl=not body.endswith("\n"))
    click.echo(f"gitops-guard: {result.message}", err=True)
    raise _Exit(ExitCode.OK)


def _use_colour(choice: str) -> bool:
    """``--color``: ``auto`` colours only a terminal, and never when ``NO_COLOR`` is set
    (https://no-color.org: present and not empty)."""
    if choice != "auto":
        return choice == "always"
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["text", "markdown"]), default="text")
def rules(fmt: str) -> None:
    """Print the rule catalogue (from the rules' own documentation)."""
    from gitops_guard.checks import all_rules
    from gitops_guard.rules_doc import catalogue

    click.echo(catalogue(all_rules(), markdown=fmt == "markdown"), nl=False)


@cli.command("baseline")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--output",
    "-o",
    default=".gitops-guard-baseline.json",
    show_default=True,
    type=click.Path(dir_okay=False),
)
@click.option("--config", "config_path", type=click.Path(dir_okay=False))
def baseline_cmd(paths: tuple[str, ...], output: str, config_path: str | None) -> None:
    """Record the current findings so that only new ones fail later runs."""
    from gitops_guard import baseline
    from gitops_guard.config import find_config, load_config
    from gitops_guard.pipeline import CheckOptions, run_check

    cwd = Path.cwd()
    config = load_config(Path(config_path) if config_path else find_config(cwd))
    report = run_check(CheckOptions(paths=paths or (".",), config=config), cwd)
    count = baseline.write(Path(output), report.findings)
    click.echo(f"wrote {count} findings to {output}", err=True)


@cli.group()
def schemas() -> None:
    """Work with the schemas shipped with gitops-guard (built-in kinds, GitOps CRDs, the CRD catalog)."""


@schemas.command("export")
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--kubernetes-version", help="Kubernetes minor version, e.g. 1.31 (default: newest shipped).")
def schemas_export(directory: str, kubernetes_version: str | None) -> None:
    """Write standalone schemas for kubeconform (`-schema-location DIR/...`)."""
    from gitops_guard.schema.export import export

    count = export(Path(directory), kubernetes_version)
    click.echo(f"wrote {count} schemas to {directory}", err=True)


@schemas.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def schemas_list(fmt: str) -> None:
    """Every shipped schema (built-in Kubernetes versions, GitOps CRDs, the CRD catalog) with its
    source project, version and licence."""
    from gitops_guard.schema.listing import render

    click.echo(render(fmt), nl=False)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        cli.main(
            args=list(argv) if argv is not None else None, prog_name="gitops-guard", standalone_mode=False
        )
    except _Exit as done:
        return int(done.code)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return int(ExitCode.USAGE)
    except click.ClickException as exc:
        exc.show()
        return int(ExitCode.USAGE)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except GuardError as exc:
        click.echo(f"gitops-guard: error: {exc}", err=True)
        return int(exit_code_for(exc))
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the last resort: a clear line, never a traceback
        if os.environ.get("GITOPS_GUARD_DEBUG"):
            raise
        click.echo(f"gitops-guard: internal error: {type(exc).__name__}: {exc}", err=True)
        return int(ExitCode.INTERNAL)
    return int(ExitCode.OK)
