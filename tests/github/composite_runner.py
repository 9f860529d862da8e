"""Run a composite action's ``run:`` steps the way the GitHub runner does, for tests.

What it reproduces (https://docs.github.com/actions/sharing-automations/creating-actions/
metadata-syntax-for-github-actions and the workflow-commands reference):

- ``${{ ... }}`` in input defaults, ``env:`` and ``run:`` is evaluated; this runner knows the
  expressions the action uses: ``inputs.*``, ``steps.<id>.outputs.*``, ``github.*`` (including
  ``github.event.*`` from the event payload), ``runner.*``;
- ``shell: bash`` runs ``bash --noprofile --norc -eo pipefail FILE`` in ``GITHUB_WORKSPACE``;
- every step gets fresh ``GITHUB_OUTPUT``, ``GITHUB_STEP_SUMMARY`` and ``GITHUB_PATH`` files;
  ``name=value`` and ``name<<DELIM`` outputs are read back, paths added to ``GITHUB_PATH`` go
  in front of ``PATH`` for the later steps, and the step summaries are collected;
- a failing step stops the action.

``uses:`` steps are not run; the caller gives their outputs (``setup-python``'s
``python-path``), as the real actions would have set them.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any, NamedTuple

import yaml

_EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


class StepRun(NamedTuple):
    name: str
    returncode: int
    stdout: str
    stderr: str
    summary: str
    outputs: dict[str, str]


class ActionRun(NamedTuple):
    steps: list[StepRun]
    returncode: int

    @property
    def summary(self) -> str:
        return "".join(s.summary for s in self.steps)

    def step(self, name: str) -> StepRun:
        return next(s for s in self.steps if s.name == name)


def run_action(
    action_dir: Path,
    *,
    inputs: dict[str, str],
    github: dict[str, Any],
    env: dict[str, str],
    runner_temp: Path,
    uses_outputs: dict[str, dict[str, str]],
    timeout: float = 600,
    stop_after: str | None = None,
) -> ActionRun:
    action = yaml.safe_load((action_dir / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    context: dict[str, Any] = {
        "github": github,
        "runner": {"temp": str(runner_temp), "os": "Linux"},
        "steps": {},
        "inputs": {},
    }
    for name, spec in action.get("inputs", {}).items():
        default = str(spec.get("default", ""))
        context["inputs"][name] = inputs[name] if name in inputs else _evaluate(default, context)
    unknown = set(inputs) - set(action.get("inputs", {}))
    assert not unknown, f"not inputs of the action: {unknown}"
    extra_path: list[str] = []
    runs: list[StepRun] = []
    for index, step in enumerate(action["runs"]["steps"]):
        name = step.get("name", f"step {index}")
        if "uses" in step:
            outputs = uses_outputs.get(step["uses"].split("@")[0], {})
            if step.get("id"):
                context["steps"][step["id"]] = {"outputs": outputs, "outcome": "success"}
            continue
        assert step.get("shell") == "bash", f"{name}: shell must be bash"
        assert "if" not in step, f"{name}: this runner does not evaluate if:"
        files = runner_temp / "_runner" / str(index)
        files.mkdir(parents=True)
        paths = {k: files / k for k in ("output", "summary", "path", "env")}
        for p in paths.values():
            p.touch()
        script = files / "script.sh"
        script.write_text(_evaluate(step["run"], context))
        step_env = {
            **env,
            "PATH": ":".join([*reversed(extra_path), env["PATH"]]),
            "GITHUB_ACTION_PATH": str(action_dir),
            "RUNNER_TEMP": str(runner_temp),
            "GITHUB_OUTPUT": str(paths["output"]),
            "GITHUB_STEP_SUMMARY": str(paths["summary"]),
            "GITHUB_PATH": str(paths["path"]),
            "GITHUB_ENV": str(paths["env"]),
        }
        for key, value in (step.get("env") or {}).items():
            step_env[key] = _evaluate(str(value), context)
        proc = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=env["GITHUB_WORKSPACE"],
            env=step_env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        outputs = _outputs(paths["output"].read_text())
        if step.get("id"):
            context["steps"][step["id"]] = {"outputs": outputs}
        extra_path += [line for line in paths["path"].read_text().splitlines() if line]
        runs.append(
            StepRun(name, proc.returncode, proc.stdout, proc.stderr, paths["summary"].read_text(), outputs)
        )
        if proc.returncode != 0:
            return ActionRun(runs, proc.returncode)
        if name == stop_after:
            break
    return ActionRun(runs, 0)


def _evaluate(text: str, context: dict[str, Any]) -> str:
    def one(match: re.Match[str]) -> str:
        expr = match.group(1)
        assert re.fullmatch(r"[A-Za-z_][\w-]*(\.[\w-]+)*", expr), f"unsupported expression {expr!r}"
        value: Any = context
        for part in expr.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    return _EXPR.sub(one, text)


def _outputs(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            key, _, delimiter = line.partition("<<")
            value = []
            for inner in lines:
                if inner == delimiter:
                    break
                value.append(inner)
            out[key] = "\n".join(value)
        elif "=" in line:
            key, _, value_ = line.partition("=")
            out[key] = value_
    return out
