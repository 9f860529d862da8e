"""A local HTTP server with the GitHub REST endpoints the PR comment uses, as GitHub
documents them (https://docs.github.com/rest/issues/comments):

- every request needs ``Authorization: Bearer TOKEN`` (else 401 "Bad credentials" /
  "Requires authentication"); a read-only token gets 403 "Resource not accessible by
  integration" on writes;
- ``GET /repos/{owner}/{repo}/issues/{n}/comments``: oldest first, ``per_page`` (default 30,
  at most 100) and ``page``, with a ``Link`` header (``next``, ``last``, ``first``, ``prev``);
- ``POST`` there: 201 with the comment; ``PATCH``/``DELETE
  /repos/{owner}/{repo}/issues/comments/{id}``: 200 / 204;
- a body over 65,536 characters: 422 "Validation Failed" with GitHub's error entry;
- unknown repository, issue or comment: 404 "Not Found";
- ``X-RateLimit-*`` headers on every answer; when the budget is spent, 403 with
  ``X-RateLimit-Remaining: 0`` and ``X-RateLimit-Reset``; a secondary limit answers 403 with
  ``Retry-After`` and GitHub's message.
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple
from urllib.parse import parse_qs, urlsplit

MAX_BODY = 65536
DOCS = "https://docs.github.com/rest"


class Seen(NamedTuple):
    method: str
    path: str
    headers: dict[str, str]
    body: str


class FakeGitHub:
    def __init__(
        self, *, token: str = "test-token", repo: str = "acme/fleet", issues: tuple[int, ...] = (7,)
    ) -> None:
        self.token = token
        self.read_only_tokens: set[str] = set()
        self.repo = repo
        self.comments: dict[int, list[dict[str, Any]]] = {n: [] for n in issues}
        self.requests: list[Seen] = []
        self.rate_remaining = 5000
        self.rate_reset_in = 3600.0
        self.secondary_limit_hits = 0  # answer this many next requests with a secondary limit
        self.retry_after = "1"
        self.fail_5xx = 0  # answer this many next requests with 502
        self._next_id = 1000
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> FakeGitHub:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def add_comment(self, issue: int, body: str, *, login: str = "someone") -> dict[str, Any]:
        with self._lock:
            return self._create(issue, body, login)

    def bodies(self, issue: int = 7) -> list[str]:
        return [c["body"] for c in self.comments[issue]]

    def _create(self, issue: int, body: str, login: str) -> dict[str, Any]:
        self._next_id += 1
        cid = self._next_id
        comment = {
            "id": cid,
            "node_id": f"IC_{cid}",
            "url": f"{self.url}/repos/{self.repo}/issues/comments/{cid}",
            "html_url": f"https://github.example/{self.repo}/pull/{issue}#issuecomment-{cid}",
            "body": body,
            "user": {"login": login, "type": "Bot" if login.endswith("[bot]") else "User"},
            "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-01T00:00:00Z",
        }
        self.comments[issue].append(comment)
        return comment

    # -- the server side ----------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode("utf-8") if length else ""
                with fake._lock:
                    seen = {k.lower(): v for k, v in self.headers.items()}
                    fake.requests.append(Seen(self.command, self.path, seen, raw))
                    status, headers, payload = fake._route(self.command, self.path, self.headers, raw)
                data = b"" if payload is None else json.dumps(payload).encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_DELETE = _serve

        return Handler

    def _rate_headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": "5000",
            "X-RateLimit-Remaining": str(max(0, self.rate_remaining)),
            "X-RateLimit-Reset": str(int(time.time() + self.rate_reset_in)),
            "X-RateLimit-Resource": "core",
        }

    def _route(self, method: str, target: str, headers: Any, raw: str) -> tuple[int, dict[str, str], Any]:
        auth = headers.get("Authorization") or ""
        if not auth:
            return 401, {}, {"message": "Requires authentication", "documentation_url": DOCS}
        scheme, _, token = auth.partition(" ")
        if scheme.lower() not in ("bearer", "token") or token not in {self.token, *self.read_only_tokens}:
            return 401, {}, {"message": "Bad credentials", "documentation_url": DOCS}
        if self.fail_5xx:
            self.fail_5xx -= 1
            return 502, {}, {"message": "Server Error"}
        if self.secondary_limit_hits:
            self.secondary_limit_hits -= 1
            message = "You have exceeded a secondary rate limit. Please wait a few minutes and try again."
            return 403, {"Retry-After": self.retry_after}, {"message": message, "documentation_url": DOCS}
        rate = self._rate_headers()
        if self.rate_remaining <= 0:
            message = "API rate limit exceeded for installation."
            return 403, rate, {"message": message, "documentation_url": DOCS}
        self.rate_remaining -= 1
        rate = self._rate_headers()
        url = urlsplit(target)
        query = parse_qs(url.query)
        writes = method in ("POST", "PATCH", "DELETE")
        if writes and token in self.read_only_tokens:
            return 403, rate, {"message": "Resource not accessible by integration", "documentation_url": DOCS}
        m = re.fullmatch(r"/repos/([^/]+/[^/]+)/issues/(\d+)/comments", url.path)
        if m and m.group(1) == self.repo and int(m.group(2)) in self.comments:
            issue = int(m.group(2))
            if method == "GET":
                return self._list(issue, url.path, query, rate)
            if method == "POST":
                body, error = self._body(raw)
                if error:
                    return 422, rate, error
                return 201, rate, self._create(issue, body, "github-actions[bot]")
        m = re.fullmatch(r"/repos/([^/]+/[^/]+)/issues/comments/(\d+)", url.path)
        if m and m.group(1) == self.repo:
            cid = int(m.group(2))
            for issue, comments in self.comments.items():
                for comment in comments:
                    if comment["id"] != cid:
                        continue
                    if method == "PATCH":
                        body, error = self._body(raw)
                        if error:
                            return 422, rate, error
                        comment["body"] = body
                        comment["updated_at"] = "2026-01-02T00:00:00Z"
                        return 200, rate, comment
                    if method == "DELETE":
                        self.comments[issue].remove(comment)
                        return 204, rate, None
        return 404, rate, {"message": "Not Found", "documentation_url": DOCS, "status": "404"}

    def _body(self, raw: str) -> tuple[str, Any]:
        try:
            data = json.loads(raw)
        except ValueError:
            return "", {"message": "Problems parsing JSON", "documentation_url": DOCS}
        body = data.get("body") if isinstance(data, dict) else None
        if not isinstance(body, str):
            return "", {"message": 'Invalid request.\n\n"body" wasn\'t supplied.', "documentation_url": DOCS}
        if len(body) > MAX_BODY:
            error = {
                "resource": "IssueComment",
                "code": "custom",
                "field": "body",
                "message": f"body is too long (maximum is {MAX_BODY} characters)",
            }
            return "", {"message": "Validation Failed", "errors": [error], "documentation_url": DOCS}
        return body, None

    def _list(
        self, issue: int, path: str, query: dict[str, list[str]], rate: dict[str, str]
    ) -> tuple[int, dict[str, str], Any]:
        per_page = min(100, max(1, int(query.get("per_page", ["30"])[0])))
        page = max(1, int(query.get("page", ["1"])[0]))
        items = self.comments[issue]
        last = max(1, -(-len(items) // per_page))
        chunk = items[(page - 1) * per_page : page * per_page]

        def link(n: int, rel: str) -> str:
            return f'<{self.url}{path}?per_page={per_page}&page={n}>; rel="{rel}"'

        links = []
        if page > 1:
            links += [link(page - 1, "prev"), link(1, "first")]
        if page < last:
            links += [link(page + 1, "next"), link(last, "last")]
        headers = dict(rate)
        if links:
            headers["Link"] = ", ".join(links)
        return 200, headers, chunk
