"""``check --base REV``: objects the change removes that an automated prune would delete."""

from __future__ import annotations

from collections.abc import Iterator

from gitops_guard.checks.base import CheckContext, at_file
from gitops_guard.findings import Finding, ObjectRef, Severity
from gitops_guard.rules import Rule

REMOVED = Rule(
    "prune/removed-resources",
    Severity.WARNING,
    "(with --base) objects this change removes that an automated prune would delete.",
    """
    Runs only in PR mode (`gitops-guard check --base REV`). The Applications and
    Kustomizations the change touches are rendered at REV and in the working tree (or
    `--head`); every object that disappears from one whose automated prune is on, or from
    one that is itself removed and takes its objects along (Flux `prune: true`, an Argo CD
    Application with the resources finalizer), is reported at the deployer's `prune` line.
    Deleting is sometimes the intent: the finding makes it visible in review. Objects of a
    deployer whose new revision fails to render are never reported as deleted.

    FAIL (base has apps/api/cm.yaml, the change deletes it):
        # clusters/prod/api.yaml
        spec:
          path: ./apps/api
          prune: true        # ConfigMap api/settings: removed by this change, pruned

    PASS: the same change with `prune: false` (the object is left in the cluster and
    `gitops-guard diff --base` lists it as removed, not pruned).
    """,
)


class RemovedResourcesCheck:
    name: str = "removed"
    rules: tuple[Rule, ...] = (REMOVED,)

    def run(self, ctx: CheckContext) -> Iterator[Finding]:
        base = ctx.settings.base
        if base is None:
            return
        from gitops_guard.diff.revdiff import compare

        cache_bin = ctx.settings.cache_dir / "bin" if ctx.settings.cache_dir else None
        diff = compare(ctx.settings.cwd, base, cache_bin=cache_bin, kube=ctx.settings.kubernetes_version)
        root = _display_root(ctx)
        for group in diff.groups:
            pruned = [c for c in group.changes if c.action == "delete" and c.pruned]
            for change in pruned:
                key = change.key
                verb = "removes" if group.status != "removed" else "deletes the deployer of"
                yield at_file(
                    REMOVED,
                    root + group.path if group.path else "",
                    f"this change {verb} {key}; automated prune by {group.label} deletes it from the cluster",
                    line=group.line if group.status != "removed" else None,
                    obj=ObjectRef.of_key(key, change.api_version),
                    fingerprint_key=f"removed:{group.label}:{key}",
                )


def _display_root(ctx: CheckContext) -> str:
    """Repository-relative paths, shown relative to the working directory like every finding."""
    import os

    from gitops_guard.diff.revisions import toplevel

    top = toplevel(ctx.settings.cwd)
    rel = os.path.relpath(top, ctx.settings.cwd).replace(os.sep, "/")
    return "" if rel == "." else rel + "/"
