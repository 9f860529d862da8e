"""Printing a RevisionDiff: text for people (colour on a terminal), JSON for programs."""

from __future__ import annotations

import json
from typing import Any

from gitops_guard.diff.revdiff import GroupDiff, RevisionDiff

_COLOURS = {"+": "\033[32m", "-": "\033[31m", "@": "\033[36m"}
_RESET = "\033[0m"


def text(diff: RevisionDiff, *, colour: bool = False) -> str:
    head = "working tree" if diff.head == "WORKTREE" else diff.head[:12]
    title = f"base {diff.base[:12]} → {head}: {len(diff.changed_paths)} changed paths"
    empty = "no Application, Kustomization or manifest renders differently"
    return groups_text(title, diff.groups, empty=empty, colour=colour)


def groups_text(title: str, groups: list[GroupDiff], *, empty: str, colour: bool = False) -> str:
    lines = [title]
    if not groups:
        lines.append(empty)
    for group in groups:
        where = f" ({group.path}{':' + str(group.line) if group.line else ''})" if group.path else ""
        status = {"added": " [new]", "removed": " [removed]"}.get(group.status, "")
        lines.append("")
        lines.append(f"=== {group.label}{status}{where}")
        for error in group.errors:
            lines.append(f"! not rendered: {error}")
        counts = {a: sum(1 for c in group.changes if c.action == a) for a in ("create", "update", "delete")}
        pruned = sum(1 for c in group.changes if c.pruned)
        lines.append(
            f"{counts['create']} to create, {counts['update']} to update, {counts['delete']} removed"
            + (f" ({pruned} deleted by automated prune)" if pruned else "")
        )
        for change in group.changes:
            verb = {"create": "create", "update": "update", "delete": "prune" if change.pruned else "remove"}
            kept = change.action == "delete" and not change.pruned
            note = " (left in the cluster: prune is off)" if kept else ""
            lines.append(f"--- {verb[change.action]} {change.key}{note}")
            body = change.diff.rstrip("\n")
            if colour:
                body = "\n".join(_paint(line) for line in body.splitlines())
            lines.append(body)
    return "\n".join(lines) + "\n"


def paint(text: str) -> str:
    """Colour the diff lines of an already printed diff (headers stay plain)."""
    lines = text.split("\n")
    return "\n".join(_paint(line) for line in lines)


def _paint(line: str) -> str:
    if line.startswith(("+++", "---")):
        return line
    code = _COLOURS.get(line[:1])
    return f"{code}{line}{_RESET}" if code else line


def as_json(diff: RevisionDiff) -> str:
    payload: dict[str, Any] = {
        "version": 1,
        "base": diff.base,
        "head": diff.head,
        "changedPaths": diff.changed_paths,
        "groups": groups_json(diff.groups),
    }
    return json.dumps(payload, indent=2) + "\n"


def groups_json(groups: list[GroupDiff]) -> list[dict[str, Any]]:
    return [
        {
            "label": g.label,
            "path": g.path or None,
            "line": g.line,
            "status": g.status,
            "automatedPrune": g.automated_prune,
            "errors": g.errors,
            "changes": [
                {
                    "action": c.action,
                    "pruned": c.pruned,
                    "object": {
                        "group": c.key.group,
                        "kind": c.key.kind,
                        "namespace": c.key.namespace or None,
                        "name": c.key.name,
                    },
                    "diff": c.diff,
                }
                for c in g.changes
            ],
        }
        for g in groups
    ]
