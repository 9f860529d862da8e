#!/usr/bin/env python3
"""One file, the way a pre-commit hook sees it: gitops-guard against detect-secrets-hook.

A commit usually touches a file or two, so a hook's cost is dominated by start-up, not by
throughput. This times, on the same generated manifest (a Deployment, a Service and a
ConfigMap, with nothing to report):

  gitops-guard check FILE        (every check, as the pre-commit hook runs it)
  detect-secrets-hook FILE       (a hook most GitOps repositories already run)

Before timing each command must pass on the file; a tool that is missing or fails is reported
and left out, and the script then exits 2.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import gen_repo
import timing

import tools


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Time gitops-guard on one file against detect-secrets-hook.")
    parser.add_argument("--repeat", type=int, default=30, help="timed runs of each command")
    parser.add_argument("--warmup", type=int, default=3, help="untimed runs of each command first")
    parser.add_argument("--json", action="store_true", help="also write bench/out/onefile.json")
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="also count each command's instructions once under valgrind (deterministic on a busy machine)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="gitops-guard-bench-") as tmp:
        repo = Path(tmp)
        (manifest,) = gen_repo.generate(1, repo)
        # Relative, as pre-commit passes file names from the repository root.
        relative = manifest.relative_to(repo).as_posix()
        print(f"file: {relative} ({manifest.stat().st_size} bytes, 3 objects)")

        candidates = [
            ("gitops-guard", ("check", relative), "gitops-guard check FILE"),
            ("detect-secrets-hook", (relative,), "detect-secrets-hook FILE"),
        ]
        commands: list[timing.Command] = []
        found: dict[str, Path] = {}
        for name, arguments, label in candidates:
            path = tools.find(name)
            if path is None:
                problems.append(tools.missing_message(name))
                continue
            found[name] = path
            if name == "gitops-guard":
                print(tools.byte_compile_project(path))
            command = timing.Command(label, (str(path), *arguments), repo)
            try:
                timing.run(command)
            except timing.CommandFailed as exc:
                problems.append(str(exc))
                continue
            commands.append(command)

        if commands:
            results = timing.compare(commands, repeat=args.repeat, warmup=args.warmup)
            if args.instructions:
                _print_instructions(commands, problems)
            if args.json:
                record = _record(args, relative, results, found, problems)
                print(f"\nwrote {timing.write_json('onefile', record)}")

    for problem in problems:
        print(f"\nnot measured: {problem}", file=sys.stderr)
    return 2 if problems else 0


def _print_instructions(commands: list[timing.Command], problems: list[str]) -> None:
    """Instructions executed from exec to exit (callgrind's "Collected"), user space only."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        problems.append("--instructions: valgrind not found")
        return
    counts: list[int] = []
    print()
    for command in commands:
        proc = subprocess.run(
            [valgrind, "--tool=callgrind", "--callgrind-out-file=/dev/null", *command.argv],
            cwd=command.cwd,
            capture_output=True,
            text=True,
            check=False,
        )
        found = re.search(r"Collected : (\d+)", proc.stderr)
        if found is None:
            problems.append(f"--instructions: no count for {command.label}")
            return
        counts.append(int(found.group(1)))
        print(f"{command.label}: {counts[-1] / 1e6:.0f}M instructions")
    if len(counts) == 2:
        print(f"{commands[0].label} / {commands[1].label}: {counts[0] / counts[1]:.2f}x instructions")


def _record(
    args: argparse.Namespace,
    relative: str,
    results: list[timing.Timing],
    found: dict[str, Path],
    problems: list[str],
) -> dict[str, Any]:
    return {
        "benchmark": "onefile",
        "file": relative,
        "repeat": args.repeat,
        "warmup": args.warmup,
        "versions": {name: tools.version(path) for name, path in found.items()},
        "environment": timing.environment(),
        "results": [timing.timing_record(result) for result in results],
        "ratio_median": results[0].median / results[1].median if len(results) == 2 else None,
        "ratio_min": results[0].min / results[1].min if len(results) == 2 else None,
        "not_measured": problems,
    }


if __name__ == "__main__":
    sys.exit(main())
