"""Helpers for the loop tests: Git repositories in temporary directories, a small real
reconciler (plain manifests, server-side apply through the real client), a TCP relay that can
cut the way to the API server, and a log that keeps its JSON lines."""

from __future__ import annotations

import contextlib
import io
import json
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from gitops_guard.ownership import stamp
from gitops_guard.sync.git_source import GitCache, Revision, Source
from gitops_guard.sync.jsonlog import JsonLog
from gitops_guard.sync.loop import LoadedApp
from gitops_guard.sync.plan import is_subset
from gitops_guard.sync.schedule import Schedule
from tests.helpers import git


def make_repo(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    return root


def commit(repo: Path, files: dict[str, str | None], message: str = "change") -> str:
    """Write (or, for None, delete) ``files`` and commit; returns the commit id."""
    for name, text in files.items():
        path = repo / name
        if text is None:
            path.unlink(missing_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def configmap(name: str, namespace: str, **data: str) -> str:
    return yaml.safe_dump(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": namespace},
            "data": data,
        }
    )


def application(
    name: str,
    repo: Path,
    namespace: str,
    *,
    path: str = "manifests",
    self_heal: bool = True,
    prune: bool = True,
    automated: bool = True,
) -> str:
    policy = {"automated": {"prune": prune, "selfHeal": self_heal}} if automated else {}
    return yaml.safe_dump(
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Application",
            "metadata": {"name": name, "namespace": "argocd"},
            "spec": {
                "project": "default",
                "source": {"repoURL": f"file://{repo}", "targetRevision": "main", "path": path},
                "destination": {"server": "https://kubernetes.default.svc", "namespace": namespace},
                "syncPolicy": policy,
            },
        }
    )


class PlainSpec(NamedTuple):
    source: Source
    base: Path
    namespace: str


class Result(NamedTuple):
    status: str
    revision: str
    health: str
    message: str = ""


class PlainReconciler:
    """A real, deliberately small reconciler: the YAML files of the source's path at a commit,
    stamped with the app's tracking id and server-side applied one by one. No prune."""

    def __init__(self, cache_root: Path) -> None:
        self.cache = GitCache(cache_root)
        self.synced: list[tuple[str, str]] = []  # (app, revision), in order
        self.lock = threading.Lock()

    def load(self, path: Path) -> LoadedApp:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        spec = PlainSpec(
            Source.from_application(doc), path.parent, doc["spec"]["destination"].get("namespace", "default")
        )
        return LoadedApp(doc["metadata"]["name"], path, Schedule.of(doc), spec)

    def resolve(self, app: LoadedApp) -> str:
        return self.cache.resolve(app.spec.source, base=app.spec.base).commit

    def desired(self, app: LoadedApp, revision: str) -> list[dict[str, Any]]:
        current = self.cache.resolve(app.spec.source, base=app.spec.base, fetch=False)
        at = Revision(app.spec.source, revision, f"commit {revision}", current.git_dir)
        with tempfile.TemporaryDirectory() as tmp:
            root = at.export(Path(tmp))
            docs = [
                d
                for f in sorted(root.rglob("*.yaml"))
                for d in yaml.safe_load_all(f.read_text(encoding="utf-8"))
                if isinstance(d, dict)
            ]
        out = []
        for doc in docs:
            doc.setdefault("metadata", {}).setdefault("namespace", app.spec.namespace)
            out.append(stamp(doc, app.name))
        return out

    def sync(self, app: LoadedApp, client: Any, *, revision: str, log: Callable[[str], None]) -> Result:
        for obj in self.desired(app, revision):
            log(f"apply {obj['kind']} {obj['metadata']['name']}")
            client.apply(obj)
        with self.lock:
            self.synced.append((app.name, revision))
        return Result("Synced", revision, "Healthy")

    def ready(self, app: LoadedApp, client: Any) -> bool:
        with self.lock:
            return any(name == app.name for name, _ in self.synced)

    def drift(self, app: LoadedApp, client: Any, revision: str) -> int:
        count = 0
        for obj in self.desired(app, revision):
            meta = obj["metadata"]
            live = client.get(obj["apiVersion"], obj["kind"], meta["name"], meta.get("namespace"))
            if live is None or not is_subset(obj, live):
                count += 1
        return count


class CapturedLog(JsonLog):
    """A JsonLog that keeps its lines, for assertions."""

    def __init__(self) -> None:
        self.buffer = io.StringIO()
        super().__init__(self.buffer, level="debug")

    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.buffer.getvalue().splitlines()]

    def events(self, event: str, **match: Any) -> list[dict[str, Any]]:
        return [
            r for r in self.records() if r["event"] == event and all(r.get(k) == v for k, v in match.items())
        ]


def wait_for(what: str, condition: Callable[[], Any], timeout: float = 30.0, every: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(every)


class Relay:
    """A TCP relay on 127.0.0.1 to ``target``; ``cut()`` refuses and drops connections (the API
    server becomes unreachable for its clients), ``restore()`` listens again on the same port."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self._conns: list[socket.socket] = []
        self._listener: socket.socket | None = None
        self._lock = threading.Lock()
        self.restore()

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            conns, self._conns = self._conns, []
        if listener is not None:
            # shutdown() wakes the thread blocked in accept(); close() alone would not.
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                downstream, _ = listener.accept()
            except OSError:
                return
            with self._lock:
                if self._listener is not listener:
                    downstream.close()
                    return
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                downstream.close()
                continue
            with self._lock:
                self._conns += [downstream, upstream]
            for a, b in ((downstream, upstream), (upstream, downstream)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)


def relayed_kubeconfig(kubeconfig: Path, port: int, dest: Path) -> Path:
    """A copy of ``kubeconfig`` whose server is 127.0.0.1:``port`` (the relay)."""
    config = yaml.safe_load(kubeconfig.read_text(encoding="utf-8"))
    for cluster in config["clusters"]:
        cluster["cluster"]["server"] = f"https://127.0.0.1:{port}"
        for key in ("certificate-authority",):
            if key in cluster["cluster"] and not Path(cluster["cluster"][key]).is_absolute():
                cluster["cluster"][key] = str(kubeconfig.parent / cluster["cluster"][key])
    for user in config.get("users", []):
        for key in ("client-certificate", "client-key"):
            if key in user["user"] and not Path(user["user"][key]).is_absolute():
                user["user"][key] = str(kubeconfig.parent / user["user"][key])
    dest.write_text(yaml.safe_dump(config), encoding="utf-8")
    return dest


def server_address(kubeconfig: Path) -> tuple[str, int]:
    config = yaml.safe_load(kubeconfig.read_text(encoding="utf-8"))
    server = config["clusters"][0]["cluster"]["server"]
    host, port = server.split("://", 1)[1].rstrip("/").rsplit(":", 1)
    return host, int(port)


def iter_lines(stream: Any) -> Iterator[dict[str, Any]]:
    for line in stream:
        line = line.strip()
        if line.startswith("{"):
            yield json.loads(line)
