"""Wall-clock timing of whole commands, and the table and JSON the benchmarks report.

Each measurement is one process run from start to exit (time.perf_counter around
subprocess.run), because that is what a user waits for: interpreter start-up, imports and
schema loading count as much as validation does.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

OUT_DIR = Path(__file__).resolve().parent / "out"


@dataclass(frozen=True)
class Command:
    label: str
    argv: tuple[str, ...]
    cwd: Path


@dataclass(frozen=True)
class Timing:
    command: Command
    samples: tuple[float, ...]

    @property
    def min(self) -> float:
        return min(self.samples)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)


class CommandFailed(Exception):
    """A benchmarked command did not exit 0: timing it would measure the wrong thing."""

    def __init__(self, command: Command, returncode: int, output: str) -> None:
        tail = "\n".join(output.splitlines()[-20:])
        super().__init__(f"{command.label}: exit {returncode}: {' '.join(command.argv)}\n{tail}")
        self.command = command
        self.returncode = returncode
        self.output = output


def run(command: Command, *, timeout: float = 1800) -> tuple[float, str]:
    """Run once; returns (wall seconds, combined output). Raises CommandFailed unless exit 0."""
    start = time.perf_counter()
    proc = subprocess.run(
        command.argv,
        cwd=command.cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise CommandFailed(command, proc.returncode, proc.stdout)
    return elapsed, proc.stdout


def measure(commands: Sequence[Command], *, repeat: int, warmup: int) -> list[Timing]:
    """Time each command `repeat` times after `warmup` untimed runs.

    The commands take turns within each round rather than running back to back, so a change
    in machine load during the benchmark affects all of them alike.
    """
    for _ in range(warmup):
        for command in commands:
            run(command)
    samples: dict[Command, list[float]] = {command: [] for command in commands}
    for _ in range(repeat):
        for command in commands:
            elapsed, _output = run(command)
            samples[command].append(elapsed)
    return [Timing(command, tuple(samples[command])) for command in commands]


def table(timings: Sequence[Timing]) -> str:
    rows = [("command", "runs", "min s", "median s", "max s")]
    rows += [
        (t.command.label, str(len(t.samples)), f"{t.min:.3f}", f"{t.median:.3f}", f"{max(t.samples):.3f}")
        for t in timings
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def ratio_line(subject: Timing, baseline: Timing) -> str:
    return (
        f"{subject.command.label} / {baseline.command.label}: "
        f"{subject.median / baseline.median:.2f}x median, {subject.min / baseline.min:.2f}x min"
    )


def compare(commands: Sequence[Command], *, repeat: int, warmup: int) -> list[Timing]:
    """Time the commands, print the table and, for a pair, the ratio of the first to the second."""
    print(f"timing: {warmup} warm-up + {repeat} timed runs each")
    results = measure(commands, repeat=repeat, warmup=warmup)
    print()
    print(table(results))
    if len(results) == 2:
        print()
        print(ratio_line(results[0], results[1]))
    return results


def environment() -> dict[str, Any]:
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def timing_record(timing: Timing) -> dict[str, Any]:
    return {
        "label": timing.command.label,
        "argv": list(timing.command.argv),
        "samples_s": list(timing.samples),
        "min_s": timing.min,
        "median_s": timing.median,
    }


def write_json(name: str, payload: dict[str, Any]) -> Path:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUT_DIR / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return path
