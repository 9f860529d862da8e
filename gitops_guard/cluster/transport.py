"""HTTP to the API server over the standard library's ``http.client`` and ``ssl``.

Why not a client library: measured on this project's reference machine (DESIGN.md, "Cluster
client"), ``http.client`` + ``ssl`` import in ~20 ms against ~65-100 ms for httpx/urllib3,
~100-140 ms for lightkube and ~165-220 ms for the official client, and one keep-alive
connection per thread is all the request pattern (many small PATCH/GET calls to one server)
needs. This module is the only place that knows about sockets, TLS, credentials on the wire
and retries.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import ssl
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gitops_guard import __version__
from gitops_guard.cluster.errors import ApiError, ClusterError, ClusterUnreachable, KubeconfigError
from gitops_guard.cluster.kubeconfig import ClusterConfig

# Errors on a reused keep-alive connection that mean "the server closed it while idle":
# the request is sent again once on a fresh connection. kube-apiserver closes connections idle
# for 90 s; when that close races the next request, TLS reports an unexpected EOF instead.
_STALE = (
    http.client.RemoteDisconnected,
    ConnectionResetError,
    BrokenPipeError,
    http.client.CannotSendRequest,
    ssl.SSLEOFError,
)
_MAX_THROTTLE_RETRIES = 5
# How often a token file is read again: kubelet rotates projected service-account tokens well
# before they expire, and client-go re-reads the file once a minute.
_TOKEN_RELOAD = 60.0


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]
    body: bytes

    def json_object(self, what: str) -> dict[str, Any]:
        """The body as the JSON object every answer the client reads is; else a ClusterError."""
        try:
            data = json.loads(self.body)
        except ValueError:
            raise ClusterError(f"{what}: the server's answer is not JSON") from None
        if not isinstance(data, dict):
            raise ClusterError(f"{what}: unexpected answer from the server")
        return data


class Transport:
    """Requests to one server as one user; safe to share between threads (one connection each)."""

    def __init__(self, config: ClusterConfig, *, timeout: float = 30.0) -> None:
        self.config = config
        self.timeout = timeout
        url = urllib.parse.urlsplit(config.server)
        if url.scheme not in ("https", "http") or not url.hostname:
            raise ClusterUnreachable(f"{config.server}: not an http(s) URL")
        self._https = url.scheme == "https"
        self._host = url.hostname
        self._port = url.port or (443 if self._https else 80)
        self._prefix = url.path.rstrip("/")
        self._local = threading.local()
        self._lock = threading.Lock()
        # Bumped whenever the credentials change; a thread whose connection was opened with
        # older ones reconnects (a client certificate is bound to the TLS session).
        self._generation = 0
        self._expires: float | None = None
        self._ssl: ssl.SSLContext | None = None
        self._headers: dict[str, str] = {}
        self._token_read = time.monotonic()
        if config.exec_plugin is None:
            self._install(config.token, config.client_cert_pem, config.client_key_pem)

    def close(self) -> None:
        """Close this thread's connection (each thread has its own)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def _install(self, token: str | None, cert: bytes | None, key: bytes | None) -> None:
        self._ssl = _ssl_context(self.config, cert, key) if self._https else None
        headers = {"User-Agent": f"gitops-guard/{__version__}"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._headers = headers
        self._generation += 1

    def _reload_token(self, *, now: bool = False) -> None:
        """Read the token file again if a minute has passed (or ``now``); a file that cannot be
        read keeps the token already in use (kubelet replaces the file atomically)."""
        path = self.config.token_file
        if path is None or self.config.exec_plugin is not None:
            return
        with self._lock:
            if not now and time.monotonic() - self._token_read < _TOKEN_RELOAD:
                return
            self._token_read = time.monotonic()
            try:
                with open(path, encoding="utf-8") as handle:
                    token = handle.read().strip()
            except OSError:
                return
            if token:
                self._headers = dict(self._headers, Authorization=f"Bearer {token}")

    def _refresh(self, *, seen: int | None = None) -> None:
        """Run the exec plugin (again), unless another thread already did since ``seen``."""
        plugin = self.config.exec_plugin
        assert plugin is not None
        from gitops_guard.cluster.credentials import run_exec_plugin

        with self._lock:
            if seen is not None and self._generation != seen:
                return
            credential = run_exec_plugin(self.config, plugin)
            self._expires = credential.expires
            cert, key = credential.client_cert_pem, credential.client_key_pem
            if cert is None:
                cert, key = self.config.client_cert_pem, self.config.client_key_pem
            self._install(credential.token or self.config.token, cert, key)

    def _credentials_current(self) -> bool:
        if self.config.exec_plugin is None:
            return True
        if self._generation == 0:
            return False
        # Renew a little before the plugin's credential expires, as client-go does.
        return self._expires is None or time.time() < self._expires - 10

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, str] | None = None,
        body: bytes | None = None,
        content_type: str | None = None,
        accept: str = "application/json",
        what: str,
        ok: tuple[int, ...] = (200, 201),
        allow: tuple[int, ...] = (),
    ) -> Response:
        """Send one request; a status outside ``ok + allow`` raises ApiError, no answer ClusterUnreachable.

        ``what`` names the operation for messages ("apply apps/v1 Deployment web/api").
        """
        target = self._prefix + path
        if query:
            target += "?" + urllib.parse.urlencode(query)
        if not self._credentials_current():
            self._refresh(seen=self._generation)
        self._reload_token()
        throttled = 0
        reauthenticated = False
        while True:
            generation = self._generation
            headers = dict(self._headers, Accept=accept)
            if content_type is not None:
                headers["Content-Type"] = content_type
            response = self._send(method, target, body, headers, what)
            if response.status == 429 and throttled < _MAX_THROTTLE_RETRIES:
                # API Priority and Fairness asks us to come back later.
                throttled += 1
                time.sleep(_retry_after(response.headers.get("retry-after"), throttled))
                continue
            if response.status == 401 and self.config.exec_plugin is not None and not reauthenticated:
                # The plugin's credential was revoked or expired early: ask it for a new one.
                reauthenticated = True
                self._refresh(seen=generation)
                continue
            if response.status == 401 and self.config.token_file and not reauthenticated:
                # The token was rotated since it was last read.
                reauthenticated = True
                self._reload_token(now=True)
                continue
            if response.status in ok or response.status in allow:
                return response
            raise ApiError.from_response(response.status, response.body, what=what)

    def _send(
        self, method: str, target: str, body: bytes | None, headers: dict[str, str], what: str
    ) -> Response:
        for attempt in (1, 2):
            conn = getattr(self._local, "conn", None)
            if conn is not None and getattr(self._local, "generation", None) != self._generation:
                self.close()
                conn = None
            fresh = conn is None
            if conn is None:
                self._local.generation = self._generation
                conn = self._connect()
                self._local.conn = conn
            try:
                conn.request(method, target, body=body, headers=headers)
                raw = conn.getresponse()
                data = raw.read()
                result = Response(raw.status, {k.lower(): v for k, v in raw.getheaders()}, data)
                if raw.will_close:
                    self.close()
                return result
            except _STALE as exc:
                self.close()
                if fresh or attempt == 2:
                    raise self._unreachable(exc, what) from None
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                raise self._unreachable(exc, what) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _connect(self) -> http.client.HTTPConnection:
        if self._https and self.config.tls_server_name:
            return _NamedHTTPSConnection(
                self._host,
                self._port,
                timeout=self.timeout,
                context=self._ssl,
                server_name=self.config.tls_server_name,
            )
        if self._https:
            return http.client.HTTPSConnection(
                self._host, self._port, timeout=self.timeout, context=self._ssl
            )
        return http.client.HTTPConnection(self._host, self._port, timeout=self.timeout)

    def _unreachable(self, exc: BaseException, what: str) -> ClusterUnreachable:
        return ClusterUnreachable(
            f"{what}: cannot reach the Kubernetes API at {self.config.server} "
            f"(context {self.config.context}): {_describe(exc)}"
        )


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate verification failed: {exc.verify_message}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS error: {exc.reason or exc}"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timed out"
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve the host name ({exc.strerror})"
    if isinstance(exc, http.client.RemoteDisconnected):
        return "the server closed the connection without answering"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return type(exc).__name__


def _retry_after(value: str | None, attempt: int) -> float:
    try:
        return min(max(float(value or ""), 0.0), 5.0)
    except ValueError:
        return min(0.1 * 2.0**attempt, 2.0)


class _NamedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS that verifies the certificate against ``tls-server-name`` instead of the URL's host
    (a cluster reached through an IP or a tunnel whose certificate names something else)."""

    def __init__(
        self, host: str, port: int, *, timeout: float, context: ssl.SSLContext | None, server_name: str
    ) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self._tls = context or ssl.create_default_context()
        self._server_name = server_name

    def connect(self) -> None:
        http.client.HTTPConnection.connect(self)
        self.sock = self._tls.wrap_socket(self.sock, server_hostname=self._server_name)


def _ssl_context(config: ClusterConfig, cert: bytes | None, key: bytes | None) -> ssl.SSLContext:
    if config.insecure:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    elif config.ca_pem is not None:
        try:
            context = ssl.create_default_context(cadata=config.ca_pem.decode("ascii", "replace"))
        except ssl.SSLError:
            raise KubeconfigError(
                f"kubeconfig {config.source}: the cluster's certificate authority is not a PEM certificate"
            ) from None
    else:
        context = ssl.create_default_context()
    if cert is not None or key is not None:
        _load_client_certificate(context, config, cert, key)
    return context


def _load_client_certificate(
    context: ssl.SSLContext, config: ClusterConfig, cert: bytes | None, key: bytes | None
) -> None:
    """Load the client certificate and key into ``context``.

    ``ssl`` only reads them from files, so they go, for the duration of one call, to a file in a
    directory only this user can read, removed right after.
    """
    if cert is None or key is None:
        raise KubeconfigError(
            f"kubeconfig {config.source}: context {config.context} has a client certificate "
            "without its key, or a key without its certificate"
        )
    directory = tempfile.mkdtemp(prefix="gitops-guard-tls-")
    try:
        path = os.path.join(directory, "client.pem")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(cert.rstrip(b"\n") + b"\n" + key)
        try:
            context.load_cert_chain(path)
        except ssl.SSLError:
            raise KubeconfigError(
                f"kubeconfig {config.source}: context {config.context}: the client certificate and key "
                "are not a matching PEM pair"
            ) from None
    finally:
        shutil.rmtree(directory, ignore_errors=True)
