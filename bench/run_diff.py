#!/usr/bin/env python3
"""`gitops-guard diff`: base→head on the largest corpus repository, and live on 1,000 objects.

base→head (no cluster): the corpus repository is committed into a temporary Git repository,
then timed in two scenarios:

  typical PR   a ConfigMap edited in two applications (working tree vs HEAD)
  everything   the base is an empty commit, so every Application/Kustomization is new and
               rendered (the worst case; no deployer is skipped as untouched)

live: a private dev cluster (scripts/dev-cluster, started and stopped here unless --kubeconfig
names one) holds 500 of 1,000 generated objects, half of those drifted; the timed command is
`gitops-guard diff DIR --kubeconfig FILE` (one dry-run apply and one read per object).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import run_cluster
import timing
from gitrepo import git

import tools

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "repos"
sys.path.insert(0, str(ROOT))


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Time gitops-guard diff, offline and live.")
    parser.add_argument("--repo", default="xunholy__k8s-gitops", help="corpus repository for base→head")
    parser.add_argument("--objects", type=int, default=1000, help="objects for the live diff")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--kubeconfig", help="a running cluster (default: start a private dev cluster)")
    parser.add_argument("--skip-live", action="store_true")
    return parser.parse_args(argv)


def _git(repo: Path, *args: str) -> None:
    # Only the bench identity, HOME and a plain PATH: no user or system Git config applies.
    git(repo, *args, env={"HOME": str(repo), "PATH": "/usr/bin:/bin:/usr/local/bin"})


def _pick_app_files(repo: Path) -> tuple[Path, Path]:
    """Two ConfigMap-bearing manifests under kustomizations, in different directories."""
    manifests = sorted(
        p
        for p in repo.rglob("*.yaml")
        if not any(part.startswith(".") for part in p.relative_to(repo).parts)
        and p.stat().st_size < 20_000
        and (p.parent / "kustomization.yaml").is_file()
        and "kind: ConfigMap" in p.read_text(errors="replace")
    )
    first = manifests[0]
    second = next((p for p in reversed(manifests) if p.parent != first.parent), first)
    return first, second


def _offline(args: argparse.Namespace, guard: Path, work: Path) -> list[timing.Timing]:
    source = CORPUS / args.repo
    repo = work / "repo"
    _git(work, "init", "-q", "-b", "main", str(repo))
    _git(repo, "commit", "-q", "--allow-empty", "-m", "empty")
    shutil.copytree(source, repo, dirs_exist_ok=True)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "corpus")
    edited = _pick_app_files(repo)
    for path in edited:
        path.write_text(path.read_text().replace("data:\n", 'data:\n  bench-added: "1"\n', 1))
    print(f"typical PR: edited {', '.join(str(p.relative_to(repo)) for p in edited)}")
    commands = [
        timing.Command("diff --base HEAD (typical PR)", (str(guard), "diff", "--base", "HEAD"), repo),
        timing.Command("diff --base HEAD~1 (everything)", (str(guard), "diff", "--base", "HEAD~1"), repo),
    ]
    for command in commands:  # exit 1 = differences: expected here
        proc = subprocess.run(command.argv, cwd=repo, capture_output=True, text=True, check=False)
        if proc.returncode != 1:
            raise SystemExit(f"{command.label}: exit {proc.returncode}\n{proc.stderr[-2000:]}")
        print(f"{command.label}: {proc.stdout.count('=== ')} groups")
    wrapped = [timing.Command(c.label, _expect_differences(c.argv), c.cwd) for c in commands]
    return timing.measure(wrapped, repeat=args.repeat, warmup=0)


def _expect_differences(argv: tuple[str, ...]) -> tuple[str, ...]:
    """diff exits 1 when it finds differences, which these inputs always have."""
    return ("bash", "-c", '"$@"; test $? -eq 1', "bash", *argv)


def _live(args: argparse.Namespace, guard: Path, work: Path) -> list[timing.Timing]:
    import yaml

    from gitops_guard.cluster import Client

    with run_cluster.cluster(args.kubeconfig) as kubeconfig:
        namespace = "bench-diff"
        objs = run_cluster.objects(args.objects, namespace)
        folder = work / "live"
        folder.mkdir()
        (folder / "ns.yaml").write_text(
            yaml.safe_dump({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
        )
        for i, obj in enumerate(objs):
            (folder / f"o{i:04d}.yaml").write_text(yaml.safe_dump(obj))
        with Client.from_kubeconfig(kubeconfig) as client:
            client.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
            for i, obj in enumerate(objs[: len(objs) // 2]):
                live = dict(obj)
                if i % 2 and obj["kind"] == "ConfigMap":
                    live = dict(obj, data={"drifted": "yes"})
                client.apply(live)
            argv = (str(guard), "diff", str(folder), "--kubeconfig", str(kubeconfig))
            command = timing.Command(f"diff DIR --kubeconfig ({len(objs)} objects)", argv, work)
            wrapped = timing.Command(command.label, _expect_differences(argv), work)
            try:
                return timing.measure([wrapped], repeat=args.repeat, warmup=1)
            finally:
                client.delete("v1", "Namespace", namespace)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    guard = tools.find("gitops-guard")
    if guard is None:
        print(tools.missing_message("gitops-guard"), file=sys.stderr)
        return 2
    results: list[timing.Timing] = []
    with tempfile.TemporaryDirectory(prefix="gitops-guard-bench-") as tmp:
        work = Path(tmp)
        results += _offline(args, guard, work)
        if not args.skip_live:
            results += _live(args, guard, work)
    print()
    print(timing.table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
