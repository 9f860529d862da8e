"""A small GitHub REST client on the standard library (``urllib``): JSON requests,
``Link`` pagination, and the error handling a CI step needs.

GitHub's rules this follows (https://docs.github.com/rest):

- ``Authorization: Bearer TOKEN``, ``Accept: application/vnd.github+json`` and an
  ``X-GitHub-Api-Version`` header on every request; a ``User-Agent`` is required.
- Lists are paginated: ``per_page`` up to 100, the next page is the ``rel="next"`` URL of
  the ``Link`` response header (followed as given, never built by hand).
- The primary rate limit answers 403 or 429 with ``X-RateLimit-Remaining: 0`` and
  ``X-RateLimit-Reset`` (epoch seconds); a secondary limit answers 403 or 429, with
  ``Retry-After`` (seconds) or without it (then wait at least a minute).  Waits are
  bounded: a reset further away than ``max_wait`` fails at once with the time it resets.
- 5xx answers and network errors are retried a bounded number of times with backoff.
- Writes (``POST``, ``PATCH``, ``DELETE``) are at least a second apart, as GitHub asks of
  clients that create content, to stay clear of the secondary rate limit.

The token is sent only in the ``Authorization`` header and never appears in a message.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple
from urllib.parse import urljoin, urlsplit

from gitops_guard.errors import ExitCode, GuardError

API_VERSION = "2022-11-28"
DEFAULT_API_URL = "https://api.github.com"


class GitHubError(GuardError):
    """A request GitHub refused or that could not be made; the message says what to fix."""

    def __init__(self, message: str, *, status: int | None = None, exit_code: ExitCode = ExitCode.INTERNAL):
        super().__init__(message)
        self.status = status
        self.exit_code = exit_code


class Response(NamedTuple):
    status: int
    headers: dict[str, str]  # lower-case names
    data: Any  # decoded JSON (None for an empty body)


class Client:
    def __init__(
        self,
        token: str,
        *,
        api_url: str = DEFAULT_API_URL,
        user_agent: str = "gitops-guard",
        timeout: float = 30.0,
        max_attempts: int = 4,
        max_wait: float = 90.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        write_interval: float = 1.0,
    ) -> None:
        if not token:
            raise GitHubError(
                "no GitHub token: set GITHUB_TOKEN (in a workflow: `env: GITHUB_TOKEN: ${{ github.token }}`)",
                exit_code=ExitCode.USAGE,
            )
        self._token = token
        self.api_url = api_url.rstrip("/") + "/"
        self._user_agent = user_agent
        self._timeout = timeout
        self._max_attempts = max(1, max_attempts)
        self._max_wait = max_wait
        self._sleep = sleep
        self._clock = clock
        self._write_interval = write_interval
        self._last_write: float | None = None
        self.requests = 0  # how many HTTP requests were sent (retries included)

    # -- the endpoints the comment uses ----------------------------------------------------

    def paginate(self, path: str, *, per_page: int = 100) -> Iterator[Any]:
        """Every item of a list endpoint, following ``Link: <...>; rel="next"``."""
        sep = "&" if "?" in path else "?"
        url: str | None = self._url(f"{path}{sep}per_page={per_page}")
        seen: set[str] = set()
        while url is not None:
            if url in seen:  # a server that links a page to itself must not loop forever
                break
            seen.add(url)
            response = self.request("GET", url)
            if not isinstance(response.data, list):
                raise GitHubError(f"GitHub answered GET {_path(url)} with something other than a list")
            yield from response.data
            url = next_link(response.headers.get("link", ""))
            if url is not None:
                url = self._same_origin(url)

    def request(self, method: str, path_or_url: str, body: Any = None) -> Response:
        url = self._url(path_or_url)
        for attempt in range(1, self._max_attempts + 1):
            last = attempt == self._max_attempts
            if method != "GET" and attempt == 1:  # a retry has waited already
                self._pace()
            try:
                response = self._send(method, url, body)
            except OSError as exc:  # connection refused, DNS, timeout, TLS
                if last:
                    raise GitHubError(
                        f"cannot reach GitHub at {self.api_url} ({method} {_path(url)}): {_reason(exc)}"
                    ) from exc
                self._sleep(min(2.0**attempt, self._max_wait))
                continue
            if response.status < 400:
                return response
            wait = self._retry_after(response)
            if wait is not None and not last:
                self._sleep(wait)
                continue
            if response.status >= 500 and not last:
                self._sleep(min(2.0**attempt, self._max_wait))
                continue
            raise self._error(method, url, response, retried=attempt > 1)
        raise AssertionError("unreachable")

    # -- internals --------------------------------------------------------------------------

    def _pace(self) -> None:
        now = self._clock()
        if self._last_write is not None and now - self._last_write < self._write_interval:
            self._sleep(self._write_interval - (now - self._last_write))
            now = self._clock()
        self._last_write = now

    def _url(self, path_or_url: str) -> str:
        if "://" in path_or_url:
            return self._same_origin(path_or_url)
        return urljoin(self.api_url, path_or_url.lstrip("/"))

    def _same_origin(self, url: str) -> str:
        # The token goes only to the API it was given for: a Link to another host is refused.
        if urlsplit(url)[:2] != urlsplit(self.api_url)[:2]:
            raise GitHubError(f"GitHub linked to another origin ({urlsplit(url).netloc}); not following it")
        return url

    def _send(self, method: str, url: str, body: Any) -> Response:
        from urllib.error import HTTPError
        from urllib.request import Request, urlopen

        data = None if body is None else json.dumps(body).encode("utf-8")
        headers = {
            "Accept": "application/vnd.github+json",
            "Authorization": f"Bearer {self._token}",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": self._user_agent,
        }
        if data is not None:
            headers["Content-Type"] = "application/json; charset=utf-8"
        request = Request(url, data=data, method=method, headers=headers)
        self.requests += 1
        try:
            with urlopen(request, timeout=self._timeout) as raw:
                return _response(raw.status, raw.headers.items(), raw.read())
        except HTTPError as err:
            return _response(err.code, err.headers.items() if err.headers else [], err.read())

    def _retry_after(self, response: Response) -> float | None:
        """Seconds to wait before retrying a rate-limited request; None: do not retry."""
        if response.status not in (403, 429):
            return None
        headers = response.headers
        retry_after = headers.get("retry-after")
        if retry_after is not None:
            try:
                seconds = max(0.0, float(retry_after))
            except ValueError:
                seconds = 60.0
            return seconds if seconds <= self._max_wait else None
        if headers.get("x-ratelimit-remaining") == "0":
            reset = _number(headers.get("x-ratelimit-reset"))
            if reset is None:
                return None
            seconds = max(0.0, reset - self._clock()) + 1.0
            return seconds if seconds <= self._max_wait else None
        if _is_secondary_limit(response):
            # GitHub: without retry-after, wait at least one minute.
            return 60.0 if self._max_wait >= 60.0 else None
        return None

    def _error(self, method: str, url: str, response: Response, *, retried: bool) -> GitHubError:
        status = response.status
        what = f"{method} {_path(url)}"
        detail = _message(response.data)
        said = f"{status} {detail}" if detail else str(status)
        usage = ExitCode.USAGE
        if status == 401:
            return GitHubError(
                f"GitHub rejected the token ({said}) on {what}: GITHUB_TOKEN is missing, expired or wrong",
                status=status,
                exit_code=usage,
            )
        if status in (403, 429) and (
            response.headers.get("x-ratelimit-remaining") == "0" or _is_secondary_limit(response)
        ):
            reset = _number(response.headers.get("x-ratelimit-reset"))
            when = ""
            if reset is not None:
                stamp = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(reset))
                when = f"; it resets at {stamp}"
            elif response.headers.get("retry-after"):
                when = f"; GitHub asks to retry after {response.headers['retry-after']} s"
            again = " (after retrying)" if retried else ""
            return GitHubError(
                f"GitHub API rate limit exceeded on {what}{again} ({said}){when}", status=status
            )
        if status == 403:
            return GitHubError(
                f"GitHub refused {what} ({said}): the token may not write pull-request comments — "
                "in a workflow, grant `permissions: pull-requests: write`",
                status=status,
                exit_code=usage,
            )
        if status == 404:
            return GitHubError(
                f"GitHub found nothing at {what} ({said}): check the repository (--repo or "
                "GITHUB_REPOSITORY) and the pull request number (--pr), and that the token can see them",
                status=status,
                exit_code=usage,
            )
        if status == 422:
            return GitHubError(f"GitHub rejected {what} ({said})", status=status, exit_code=usage)
        if status >= 500:
            return GitHubError(f"GitHub failed on {what} ({said}) after retrying", status=status)
        return GitHubError(f"GitHub refused {what} ({said})", status=status, exit_code=usage)


def next_link(header: str) -> str | None:
    """The ``rel="next"`` URL of a ``Link`` header (RFC 8288), or None."""
    for part in header.split(","):
        if ";" not in part:
            continue
        target, _, params = part.partition(";")
        target = target.strip()
        if not (target.startswith("<") and target.endswith(">")):
            continue
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "rel" and "next" in value.strip().strip('"').split():
                return target[1:-1]
    return None


def _response(status: int, headers: Any, raw: bytes) -> Response:
    names = {str(k).lower(): str(v) for k, v in headers}
    data: Any = None
    if raw.strip():
        try:
            data = json.loads(raw.decode("utf-8", "replace"))
        except ValueError:
            data = {"message": raw.decode("utf-8", "replace")[:200]}
    return Response(status, names, data)


def _message(data: Any) -> str:
    """GitHub's error text: ``message`` plus each entry of ``errors`` (422 details)."""
    if not isinstance(data, dict):
        return ""
    from gitops_guard.report.text import printable

    parts = [str(data.get("message") or "")]
    errors = data.get("errors")
    if isinstance(errors, list):
        for e in errors[:5]:
            if isinstance(e, dict):
                parts.append(str(e.get("message") or f"{e.get('field', '')} {e.get('code', '')}".strip()))
            elif isinstance(e, str):
                parts.append(e)
    text = ": ".join(p for p in parts if p)
    return printable(text[:500])


def _is_secondary_limit(response: Response) -> bool:
    return "secondary rate limit" in _message(response.data).lower()


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _reason(exc: OSError) -> str:
    reason = getattr(exc, "reason", None)
    return str(reason if reason is not None else exc) or type(exc).__name__
