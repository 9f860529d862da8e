#!/usr/bin/env python3
"""The whole pipeline against the chain of tools it replaces.

For each repository size in --files (default 200 and 500 generated files, 3 objects each),
times in the same run and on the same files:

  gitops-guard check REPO                     (every check enabled by default, one process)
  the chain: detect-secrets-hook FILES; yamllint FILES; kubernetes-validate --strict FILES

and each link of the chain on its own, so the note can say where the chain's time goes.
Before timing, every command runs once: gitops-guard must account for every document, and each
link must exit 0 (the generated files hold no secrets, valid YAML and valid objects), so nothing
is timed that skipped its work. A missing tool is reported and the script exits 2.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import gen_repo
import timing

import tools

# yamllint's "relaxed" preset: what teams run on Kubernetes YAML (no line-length errors).
YAMLLINT = ("-d", "relaxed", "-f", "parsable")


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Time gitops-guard against the tool chain it replaces.")
    parser.add_argument("--files", type=int, nargs="+", default=[200, 500], help="repository sizes")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each command")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs of each command first")
    parser.add_argument("--kubernetes-version", default="1.37")
    parser.add_argument("--json", action="store_true", help="also write bench/out/chain.json")
    return parser.parse_args(argv)


def _commands(
    workdir: Path, files: list[str], found: dict[str, Path], version: str
) -> tuple[timing.Command, list[timing.Command]]:
    guard = timing.Command(
        "gitops-guard check",
        (str(found["gitops-guard"]), "check", "--kubernetes-version", version, "repo"),
        workdir,
    )
    links = [
        ("detect-secrets-hook", (str(found["detect-secrets-hook"]), *files)),
        ("yamllint", (str(found["yamllint"]), *YAMLLINT, *files)),
        (
            "kubernetes-validate --strict",
            (str(found["kubernetes-validate"]), "--strict", "--quiet", "-k", f"{version}.0", *files),
        ),
    ]
    # One shell runs the links in turn and fails if any of them fails.
    chain_script = " && ".join(_quoted(argv) for _label, argv in links)
    chain = timing.Command("chain (all three)", ("bash", "-c", chain_script), workdir)
    return guard, [chain, *(timing.Command(label, argv, workdir) for label, argv in links)]


def _quoted(argv: tuple[str, ...]) -> str:
    import shlex

    return " ".join(shlex.quote(a) for a in argv)


def _verify_guard(command: timing.Command, objects: int) -> str | None:
    argv = (*command.argv[:-1], "--format", "json", "--fail-on", "never", command.argv[-1])
    try:
        _elapsed, output = timing.run(timing.Command(command.label, argv, command.cwd))
    except timing.CommandFailed as exc:
        return str(exc)
    report: dict[str, Any] = json.loads(output)
    documents = report["summary"]["documents"]
    if documents != objects:
        return f"gitops-guard checked {documents} documents, expected {objects}"
    if report["findings"]:
        rules = sorted({f["rule"] for f in report["findings"]})
        return f"gitops-guard reported findings on the generated repository: {rules}"
    return None


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    problems: list[str] = []
    found: dict[str, Path] = {}
    for name in ("gitops-guard", "detect-secrets-hook", "yamllint", "kubernetes-validate"):
        path = tools.find(name)
        if path is None:
            problems.append(tools.missing_message(name))
        else:
            found[name] = path
            if name == "gitops-guard":
                print(tools.byte_compile_project(path))
    records: list[dict[str, Any]] = []
    if not problems:
        for size in args.files:
            with tempfile.TemporaryDirectory(prefix="gitops-guard-bench-") as tmp:
                workdir = Path(tmp)
                repo = workdir / "repo"
                shutil.rmtree(repo, ignore_errors=True)
                written = gen_repo.generate(size, repo)
                objects = gen_repo.objects_per_file() * len(written)
                files = sorted(p.relative_to(workdir).as_posix() for p in written)
                print(f"\nrepository: {len(written)} files, {objects} objects")
                guard, chain = _commands(workdir, files, found, args.kubernetes_version)
                error = _verify_guard(guard, objects)
                for command in chain:
                    try:
                        timing.run(command)
                    except timing.CommandFailed as exc:
                        error = error or str(exc)
                if error is not None:
                    problems.append(error)
                    continue
                results = timing.compare([guard, chain[0]], repeat=args.repeat, warmup=args.warmup)
                parts = timing.measure(chain[1:], repeat=1, warmup=0)
                print("\nlinks of the chain, one run each:")
                print(timing.table(parts))
                records.append(
                    {
                        "files": len(written),
                        "objects": objects,
                        "results": [timing.timing_record(r) for r in (*results, *parts)],
                        "speedup_median": results[1].median / results[0].median,
                    }
                )
    if args.json and records:
        payload = {
            "benchmark": "chain",
            "kubernetes_version": args.kubernetes_version,
            "repeat": args.repeat,
            "warmup": args.warmup,
            "versions": {name: tools.version(path) for name, path in found.items()},
            "environment": timing.environment(),
            "sizes": records,
            "not_measured": problems,
        }
        print(f"\nwrote {timing.write_json('chain', payload)}")
    for problem in problems:
        print(f"\nnot measured: {problem}", file=sys.stderr)
    return 2 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
