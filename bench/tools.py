"""Finding the programs the benchmarks compare, and what version each one is."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

# What to tell a user when a program is missing, by program name.
INSTALL_HINTS = {
    "gitops-guard": "install the project (scripts/test does, into ~/.cache/gitops-guard/venv) "
    "and run this script with that venv's python",
    "detect-secrets-hook": "pip install -e '.[dev]' (the dev extras pin detect-secrets)",
    "kubeconform": "run scripts/install-tools",
}


def cache_dir() -> Path:
    configured = os.environ.get("GITOPS_GUARD_CACHE")
    return Path(configured) if configured else Path.home() / ".cache" / "gitops-guard"


def find(name: str) -> Path | None:
    """The pinned binary from scripts/install-tools, else the one beside this interpreter, else PATH.

    Beside the interpreter comes before PATH so that running a benchmark with the venv's python
    measures that venv's gitops-guard even when the venv is not activated.
    """
    candidates = [cache_dir() / "bin" / name, Path(sys.executable).parent / name]
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which(name)
    return Path(found) if found else None


def missing_message(name: str) -> str:
    hint = INSTALL_HINTS.get(name, "install it or put it on PATH")
    return f"{name} not found in {cache_dir() / 'bin'}, beside {sys.executable} or on PATH: {hint}"


def version(path: Path) -> str | None:
    """Best-effort version string of a program, for the record of a run."""
    # Go binaries built with `go install` carry the module version in their build info even
    # when their own version flag says "development" (kubeconform does).
    go = shutil.which("go")
    if go is not None:
        info = _output([go, "version", "-m", str(path)])
        for line in (info or "").splitlines():
            fields = line.split()
            if len(fields) >= 3 and fields[0] == "mod":
                return f"{fields[1]} {fields[2]}"
    text = _output([str(path), "--version"])
    return text.strip().splitlines()[0] if text and text.strip() else None


def _output(argv: list[str]) -> str | None:
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    except OSError:
        return None
    return proc.stdout + proc.stderr if proc.returncode == 0 else None


def byte_compile_project(program: Path) -> str:
    """Byte-compile the gitops_guard package that ``program`` runs, as ``pip install`` does.

    An installed wheel has its ``.pyc`` files; an editable checkout under
    ``PYTHONDONTWRITEBYTECODE=1`` never writes them and recompiles every module of every
    run (~30 ms for a one-file check). Timing that would measure the development setup,
    not the tool. Stale ``.pyc`` files are harmless: Python checks each one against its
    source's mtime. Returns a line for the benchmark's output.
    """
    python = _interpreter(program) or sys.executable
    find_package = (
        "import importlib.util as u; print(u.find_spec('gitops_guard').submodule_search_locations[0])"
    )
    package = _output([python, "-c", find_package])
    if not package or not package.strip():
        return f"bytecode: gitops_guard not importable by {python}; not compiled"
    directory = package.strip()
    proc = subprocess.run(
        [python, "-m", "compileall", "-q", directory],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        return f"bytecode: compileall failed on {directory}: {proc.stdout.strip()[-200:]}"
    return f"bytecode: compiled {directory} (as an installed package has it)"


def _interpreter(program: Path) -> str | None:
    """The interpreter of a console script (its ``#!`` line), if it is one."""
    try:
        with open(program, "rb") as fh:
            first = fh.readline(4096)
    except OSError:
        return None
    if not first.startswith(b"#!"):
        return None
    words = first[2:].decode("utf-8", "replace").split()
    return words[0] if words else None
