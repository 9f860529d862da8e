#!/usr/bin/env python3
"""Schema validation of a whole repository: gitops-guard against kubeconform.

Generates a repository of --files files (3 objects each, all valid; with --custom-resources 6,
the other three a cert-manager Certificate, a ServiceMonitor and an HTTPRoute checked against
the shipped CRD catalog), then times, in the same run and on the same files:

  gitops-guard check --select schema --kubernetes-version V REPO
  kubeconform -strict -n 2 -summary -schema-location 'SCHEMAS/{{ .ResourceKind }}{{ .KindSuffix }}.json' REPO

(with --custom-resources, kubeconform also gets SCHEMAS/{{ .Group }}/{{ .ResourceKind }}_...)
SCHEMAS holds the offline standalone schemas written by `gitops-guard schemas export`, so both
tools check against the same Kubernetes version and neither touches the network. Before timing,
each command is run once and must pass and account for every object; a tool that is missing or
fails is reported and left out, and the script then exits 2.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import gen_repo
import timing

import tools

KUBECONFORM_TEMPLATE = "{{ .ResourceKind }}{{ .KindSuffix }}.json"
# Where `schemas export` puts the shipped CRDs' schemas, in kubeconform's terms.
KUBECONFORM_CRD_TEMPLATE = "{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json"


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Time gitops-guard's schema check against kubeconform.")
    parser.add_argument("--files", type=int, default=500, help="files in the generated repository")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each command")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs of each command first")
    parser.add_argument("--kubernetes-version", default="1.37")
    parser.add_argument(
        "--schema-dir",
        type=Path,
        help="use these kubeconform-style standalone schemas instead of `gitops-guard schemas export`",
    )
    parser.add_argument("--workdir", type=Path, help="where to generate (default: a temporary directory)")
    parser.add_argument(
        "--custom-resources",
        action="store_true",
        help="a repository with many CRs: a Certificate, ServiceMonitor and HTTPRoute beside each app",
    )
    parser.add_argument("--json", action="store_true", help="also write bench/out/schema.json")
    return parser.parse_args(argv)


def _export_schemas(guard: Path, dest: Path, kubernetes_version: str, workdir: Path) -> str | None:
    """Export schemas for kubeconform; returns an error message instead when that fails."""
    argv = (str(guard), "schemas", "export", str(dest), "--kubernetes-version", kubernetes_version)
    try:
        timing.run(timing.Command("schemas export", argv, workdir))
    except timing.CommandFailed as exc:
        return f"could not export schemas for kubeconform: {exc}"
    return None


def _check_guard(output: str, objects: int) -> str | None:
    report: dict[str, Any] = json.loads(output)
    documents = report.get("summary", {}).get("documents")
    if documents != objects:
        return f"gitops-guard checked {documents} documents, expected {objects}"
    return None


def _check_kubeconform(output: str, objects: int) -> str | None:
    # Summary: 1500 resources found in 500 files - Valid: 1500, Invalid: 0, Errors: 0, Skipped: 0
    match = re.search(r"Valid: (\d+), Invalid: (\d+), Errors: (\d+), Skipped: (\d+)", output)
    if match is None:
        return f"kubeconform printed no summary:\n{output[-2000:]}"
    if int(match.group(1)) != objects:
        return f"kubeconform validated {match.group(1)} resources, expected {objects}: {match.group(0)}"
    return None


class Contender(NamedTuple):
    """A command to time, the run that proves it does the work, and how to read that run."""

    command: timing.Command
    verify: timing.Command
    check: Callable[[str, int], str | None]


def _contenders(
    args: argparse.Namespace,
    workdir: Path,
    guard: Path | None,
    kubeconform: Path | None,
    schema_dir: Path | None,
) -> list[Contender]:
    contenders: list[Contender] = []
    if guard is not None:
        check = (str(guard), "check", "--select", "schema", "--kubernetes-version", args.kubernetes_version)
        command = timing.Command("gitops-guard check --select schema", (*check, "repo"), workdir)
        verify = timing.Command("gitops-guard (verify)", (*check, "--format", "json", "repo"), workdir)
        contenders.append(Contender(command, verify, _check_guard))
    if kubeconform is not None and schema_dir is not None:
        locations = [f"{schema_dir.resolve()}/{KUBECONFORM_TEMPLATE}"]
        if args.custom_resources:
            locations.append(f"{schema_dir.resolve()}/{KUBECONFORM_CRD_TEMPLATE}")
        flags = [flag for location in locations for flag in ("-schema-location", location)]
        argv = (str(kubeconform), "-strict", "-n", "2", "-summary", *flags, "repo")
        command = timing.Command("kubeconform -strict -n 2", argv, workdir)
        contenders.append(Contender(command, command, _check_kubeconform))
    return contenders


def _verify(contender: Contender, objects: int) -> str | None:
    """Why the contender cannot be timed, or None when it passed and checked every object."""
    try:
        _elapsed, output = timing.run(contender.verify)
    except timing.CommandFailed as exc:
        return str(exc)
    return contender.check(output, objects)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="gitops-guard-bench-") as tmp:
        workdir = args.workdir or Path(tmp)
        repo = workdir / "repo"
        shutil.rmtree(repo, ignore_errors=True)  # a previous, larger run must not leave files behind
        written = gen_repo.generate(args.files, repo, custom=args.custom_resources)
        objects = gen_repo.objects_per_file(custom=args.custom_resources) * len(written)
        print(f"repository: {len(written)} files, {objects} objects in {repo}")

        guard = tools.find("gitops-guard")
        kubeconform = tools.find("kubeconform")
        schema_dir: Path | None = args.schema_dir
        if guard is None:
            problems.append(tools.missing_message("gitops-guard"))
        else:
            print(tools.byte_compile_project(guard))
        if guard is not None and schema_dir is None:
            schema_dir = workdir / "schemas"
            error = _export_schemas(guard, schema_dir, args.kubernetes_version, workdir)
            if error is not None:
                problems.append(error)
                schema_dir = None
        if kubeconform is None:
            problems.append(tools.missing_message("kubeconform"))

        commands: list[timing.Command] = []
        for contender in _contenders(args, workdir, guard, kubeconform, schema_dir):
            error = _verify(contender, objects)
            if error is None:
                commands.append(contender.command)
            else:
                problems.append(error)

        if commands:
            results = timing.compare(commands, repeat=args.repeat, warmup=args.warmup)
            if args.json:
                record = _record(args, objects, results, guard, kubeconform, problems)
                print(f"\nwrote {timing.write_json('schema', record)}")

    for problem in problems:
        print(f"\nnot measured: {problem}", file=sys.stderr)
    return 2 if problems else 0


def _record(
    args: argparse.Namespace,
    objects: int,
    results: list[timing.Timing],
    guard: Path | None,
    kubeconform: Path | None,
    problems: list[str],
) -> dict[str, Any]:
    return {
        "benchmark": "schema",
        "files": args.files,
        "objects": objects,
        "custom_resources": args.custom_resources,
        "kubernetes_version": args.kubernetes_version,
        "schema_dir": str(args.schema_dir) if args.schema_dir else "gitops-guard schemas export",
        "repeat": args.repeat,
        "warmup": args.warmup,
        "versions": {
            "gitops-guard": tools.version(guard) if guard else None,
            "kubeconform": tools.version(kubeconform) if kubeconform else None,
        },
        "environment": timing.environment(),
        "results": [timing.timing_record(result) for result in results],
        "ratio_median": results[0].median / results[1].median if len(results) == 2 else None,
        "ratio_min": results[0].min / results[1].min if len(results) == 2 else None,
        "not_measured": problems,
    }


if __name__ == "__main__":
    sys.exit(main())
