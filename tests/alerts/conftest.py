"""A real webhook receiver on localhost, and helpers to run our syncs and tick the alert sensors."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

WAIT_TIMEOUT_S = 60.0


@dataclass
class Receiver:
    """Records every POST; answers `status` (settable per test)."""

    server: ThreadingHTTPServer
    secret_path: str
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    posts: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}{self.secret_path}"

    def bodies(self) -> list[dict[str, Any]]:
        with self.lock:
            return [body for _, body in self.posts]

    def wait_for(self, count: int, timeout_s: float = WAIT_TIMEOUT_S) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout_s
        while len(self.bodies()) < count:
            assert time.monotonic() < deadline, f"only {len(self.bodies())} of {count} posts arrived"
            time.sleep(0.05)
        return self.bodies()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook at a URL whose path is a secret (like Slack's /services/T…/B…/<token>)."""
    canary = f"/services/T0CANARY/B0CANARY/canary-{uuid.uuid4().hex}"
    holder: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            rec = holder["receiver"]
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            with rec.lock:
                rec.posts.append((self.path, body))
            self.send_response(rec.status)
            for name, value in rec.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            return  # keep the test output (and the secret path) quiet

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder["receiver"] = Receiver(server=server, secret_path=canary)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield holder["receiver"]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def closed_port_url() -> Callable[[], str]:
    """A localhost URL on which nothing listens (a webhook that is down)."""

    def make() -> str:
        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        return f"http://127.0.0.1:{port}/services/T0DOWN/B0DOWN/down-{uuid.uuid4().hex}"

    return make
