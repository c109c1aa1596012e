"""A real socket server on 127.0.0.1 that answers too slowly to time out: one header line every 2 s.

requests times out each socket read, not the whole call, so a server that keeps sending a little
keeps a call alive forever. ``TrickleServer`` answers the routes given in ``answers`` at once with
JSON and every other request (or all of them) with such a trickle, up to ``max_trickle_s``.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

Answer = Callable[[dict[str, Any]], Any]  # request body -> JSON to send at once


class TrickleServer:
    def __init__(
        self,
        answers: dict[str, Answer] | None = None,
        *,
        interval_s: float = 2.0,
        max_trickle_s: float = 120.0,
    ) -> None:
        self.answers = answers or {}
        self.interval_s = interval_s
        self.max_trickle_s = max_trickle_s
        self.requests: list[tuple[str, str]] = []
        self._stop = threading.Event()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._threads: list[threading.Thread] = []
        self._conns: list[socket.socket] = []
        self._accept = threading.Thread(target=self._serve, daemon=True)
        self._accept.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                continue
            self._conns.append(conn)
            thread = threading.Thread(target=self._handle, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _handle(self, conn: socket.socket) -> None:
        conn.settimeout(self.max_trickle_s)
        with conn:
            try:
                while not self._stop.is_set():
                    request = self._read_request(conn)
                    if request is None:
                        return
                    method, path, body = request
                    self.requests.append((method, path))
                    answer = self.answers.get(path)
                    if answer is None:
                        self._trickle(conn)
                        return
                    payload = json.dumps(answer(body)).encode()
                    conn.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        + f"Content-Length: {len(payload)}\r\n\r\n".encode()
                        + payload
                    )
            except OSError:
                return

    def _read_request(self, conn: socket.socket) -> tuple[str, str, dict[str, Any]] | None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip())
        while len(rest) < length:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            rest += chunk
        body = json.loads(rest[:length] or b"{}") if length else {}
        return method, target.split("?", 1)[0], body if isinstance(body, dict) else {}

    def _trickle(self, conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\n")
        started = time.monotonic()
        line = 0
        while not self._stop.is_set() and time.monotonic() - started < self.max_trickle_s:
            if self._stop.wait(self.interval_s):
                return
            line += 1
            conn.sendall(f"X-Trickle-{line}: still thinking\r\n".encode())

    def close(self) -> None:
        self._stop.set()
        self._sock.close()
        for conn in self._conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(timeout=5)


def run_bounded(call: Callable[[], Any], limit_s: float) -> tuple[float, BaseException | None, bool]:
    """Run ``call`` in a thread: (seconds taken, what it raised, whether it ended within ``limit_s``)."""
    outcome: list[BaseException | None] = []

    def target() -> None:
        try:
            call()
        except BaseException as exc:  # handed back to the test
            outcome.append(exc)
        else:
            outcome.append(None)

    started = time.monotonic()
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout=limit_s)
    took = time.monotonic() - started
    return took, (outcome[0] if outcome else None), not thread.is_alive()
