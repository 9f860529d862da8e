"""One report per pull request, kept up to date: find the earlier comments by their hidden
marker, update them in place, add parts the report grew, delete parts it no longer needs.

GitHub endpoints (pull requests are issues for comments):
``GET /repos/{owner}/{repo}/issues/{number}/comments`` (paginated, oldest first),
``POST`` to the same path (201), ``PATCH /repos/{owner}/{repo}/issues/comments/{id}`` (200),
``DELETE /repos/{owner}/{repo}/issues/comments/{id}`` (204).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from gitops_guard.github.client import Client, GitHubError
from gitops_guard.github.comment import parse_marker


class Posted(NamedTuple):
    created: int
    updated: int
    unchanged: int
    deleted: int
    urls: tuple[str, ...]


def upsert(client: Client, repo: str, pr: int, bodies: Sequence[str], *, ident: str = "default") -> Posted:
    comments = f"repos/{repo}/issues/{pr}/comments"
    ours: dict[int, list[dict[str, Any]]] = {}
    for comment in client.paginate(comments):
        if not isinstance(comment, dict) or not isinstance(comment.get("body"), str):
            continue
        found = parse_marker(comment["body"])
        if found is not None and found[0] == ident:
            ours.setdefault(found[1], []).append(comment)
    created = updated = unchanged = deleted = 0
    urls: list[str] = []
    for part, body in enumerate(bodies, start=1):
        earlier = ours.pop(part, [])
        if earlier:
            keep, extra = earlier[0], earlier[1:]
            if keep.get("body") == body:
                unchanged += 1
                urls.append(str(keep.get("html_url") or ""))
            else:
                response = client.request(
                    "PATCH", f"repos/{repo}/issues/comments/{_id(keep)}", {"body": body}
                )
                updated += 1
                urls.append(_url(response.data))
            for duplicate in extra:  # left by a concurrent run: one report, never two
                client.request("DELETE", f"repos/{repo}/issues/comments/{_id(duplicate)}")
                deleted += 1
        else:
            response = client.request("POST", comments, {"body": body})
            created += 1
            urls.append(_url(response.data))
    for stale in ours.values():  # parts an earlier, longer report had
        for comment in stale:
            client.request("DELETE", f"repos/{repo}/issues/comments/{_id(comment)}")
            deleted += 1
    return Posted(created, updated, unchanged, deleted, tuple(urls))


def _id(comment: dict[str, Any]) -> int:
    value = comment.get("id")
    if not isinstance(value, int):
        raise GitHubError("GitHub listed a comment without a numeric id")
    return value


def _url(data: Any) -> str:
    return str(data.get("html_url") or "") if isinstance(data, dict) else ""
