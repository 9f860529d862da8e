"""The REST client against the local GitHub: pagination, errors, rate limits, retries."""

from __future__ import annotations

import socket
import time

import pytest

from gitops_guard.errors import ExitCode
from gitops_guard.github.client import Client, GitHubError, next_link
from tests.github.fake_github import FakeGitHub

REPO = "acme/fleet"


@pytest.fixture
def gh() -> FakeGitHub:
    with FakeGitHub() as server:
        yield server


def _client(gh: FakeGitHub, token: str = "test-token", **kw: object) -> tuple[Client, list[float]]:
    waits: list[float] = []
    return Client(token, api_url=gh.url, sleep=waits.append, **kw), waits  # type: ignore[arg-type]


def test_next_link_follows_rel_next_only() -> None:
    header = (
        '<https://x/a?page=1>; rel="prev", <https://x/a?page=3>; rel="next", <https://x/a?page=9>; rel="last"'
    )
    assert next_link(header) == "https://x/a?page=3"
    assert next_link('<https://x/a?page=9>; rel="last"') is None
    assert next_link("") is None


def test_paginates_through_every_page(gh: FakeGitHub) -> None:
    for i in range(250):
        gh.add_comment(7, f"comment {i}")
    client, _ = _client(gh)
    bodies = [c["body"] for c in client.paginate(f"repos/{REPO}/issues/7/comments")]
    assert bodies == [f"comment {i}" for i in range(250)]
    gets = [r.path for r in gh.requests]
    assert gets == [
        f"/repos/{REPO}/issues/7/comments?per_page=100",
        f"/repos/{REPO}/issues/7/comments?per_page=100&page=2",
        f"/repos/{REPO}/issues/7/comments?per_page=100&page=3",
    ]
    seen = gh.requests[0].headers
    assert seen["authorization"] == "Bearer test-token"
    assert seen["accept"] == "application/vnd.github+json"
    assert seen["x-github-api-version"] == "2022-11-28"


def test_bad_token_is_a_usage_error_without_the_token(gh: FakeGitHub) -> None:
    client, waits = _client(gh, token="wrong-token-value")
    with pytest.raises(GitHubError) as err:
        client.request("GET", f"repos/{REPO}/issues/7/comments")
    assert err.value.status == 401 and err.value.exit_code is ExitCode.USAGE
    assert "Bad credentials" in str(err.value) and "GITHUB_TOKEN" in str(err.value)
    assert "wrong-token-value" not in str(err.value)
    assert waits == [] and len(gh.requests) == 1  # never retried


def test_missing_token_is_refused_before_any_request(gh: FakeGitHub) -> None:
    with pytest.raises(GitHubError, match="no GitHub token: set GITHUB_TOKEN"):
        Client("", api_url=gh.url)
    assert gh.requests == []


def test_read_only_token_names_the_permission(gh: FakeGitHub) -> None:
    gh.read_only_tokens.add("ro")
    client, _ = _client(gh, token="ro")
    with pytest.raises(GitHubError) as err:
        client.request("POST", f"repos/{REPO}/issues/7/comments", {"body": "x"})
    assert err.value.status == 403 and err.value.exit_code is ExitCode.USAGE
    assert "Resource not accessible by integration" in str(err.value)
    assert "pull-requests: write" in str(err.value)


def test_unknown_pull_request_is_404_with_a_hint(gh: FakeGitHub) -> None:
    client, _ = _client(gh)
    with pytest.raises(GitHubError) as err:
        client.request("POST", f"repos/{REPO}/issues/99/comments", {"body": "x"})
    assert err.value.status == 404 and "--pr" in str(err.value) and "GITHUB_REPOSITORY" in str(err.value)


def test_body_over_the_limit_is_422_with_githubs_reason(gh: FakeGitHub) -> None:
    client, _ = _client(gh)
    with pytest.raises(GitHubError) as err:
        client.request("POST", f"repos/{REPO}/issues/7/comments", {"body": "x" * 65537})
    assert err.value.status == 422
    assert "body is too long (maximum is 65536 characters)" in str(err.value)
    client.request("POST", f"repos/{REPO}/issues/7/comments", {"body": "x" * 65536})  # the limit itself fits


def test_secondary_rate_limit_waits_retry_after_then_succeeds(gh: FakeGitHub) -> None:
    gh.secondary_limit_hits = 2
    gh.retry_after = "3"
    client, waits = _client(gh)
    client.request("POST", f"repos/{REPO}/issues/7/comments", {"body": "x"})
    assert waits == [3.0, 3.0] and len(gh.bodies()) == 1


def test_primary_rate_limit_waits_until_the_reset_when_it_is_near(gh: FakeGitHub) -> None:
    gh.rate_remaining = 0
    gh.rate_reset_in = 5
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        gh.rate_remaining = 10  # the window reset while we waited

    client = Client("test-token", api_url=gh.url, sleep=sleep)
    client.request("GET", f"repos/{REPO}/issues/7/comments")
    assert len(waits) == 1 and 4 <= waits[0] <= 7


def test_primary_rate_limit_far_away_fails_at_once_with_the_reset_time(gh: FakeGitHub) -> None:
    gh.rate_remaining = 0
    gh.rate_reset_in = 1800
    client, waits = _client(gh)
    with pytest.raises(GitHubError) as err:
        client.request("GET", f"repos/{REPO}/issues/7/comments")
    reset = time.strftime("%Y-%m-%d %H:%M", time.gmtime(time.time() + 1800))
    assert "rate limit exceeded" in str(err.value) and reset in str(err.value)
    assert err.value.exit_code is ExitCode.INTERNAL and waits == []


def test_retries_are_bounded(gh: FakeGitHub) -> None:
    gh.secondary_limit_hits = 100
    client, waits = _client(gh, max_attempts=3)
    with pytest.raises(GitHubError, match="secondary rate limit"):
        client.request("GET", f"repos/{REPO}/issues/7/comments")
    assert len(gh.requests) == 3 and len(waits) == 2


def test_server_errors_are_retried_then_reported(gh: FakeGitHub) -> None:
    gh.fail_5xx = 1
    client, waits = _client(gh)
    client.request("GET", f"repos/{REPO}/issues/7/comments")
    assert len(waits) == 1
    gh.fail_5xx = 10
    with pytest.raises(GitHubError, match=r"502 Server Error\) after retrying"):
        client.request("GET", f"repos/{REPO}/issues/7/comments")


def test_unreachable_api_says_where_it_tried() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = Client("t", api_url=f"http://127.0.0.1:{port}", sleep=lambda s: None, max_attempts=2)
    with pytest.raises(GitHubError, match=rf"cannot reach GitHub at http://127.0.0.1:{port}/"):
        client.request("GET", "repos/a/b/issues/1/comments")


def test_a_link_to_another_host_is_not_followed(gh: FakeGitHub) -> None:
    client, _ = _client(gh)
    with pytest.raises(GitHubError, match="another origin"):
        client.request("GET", "https://elsewhere.example/steal")


def test_writes_are_a_second_apart(gh: FakeGitHub) -> None:
    now = [1000.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    client = Client("test-token", api_url=gh.url, sleep=sleep, clock=lambda: now[0])
    client.request("POST", f"repos/{REPO}/issues/7/comments", {"body": "a"})
    now[0] += 0.25
    client.request("POST", f"repos/{REPO}/issues/7/comments", {"body": "b"})
    client.request("GET", f"repos/{REPO}/issues/7/comments")  # reads are not paced
    assert waits == [0.75]
