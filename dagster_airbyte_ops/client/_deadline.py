"""Total deadlines for HTTP calls: connect + headers + body, not only a timeout per socket read.

``requests`` (urllib3) times out each socket read, so a server that sends one header line every 2 s
holds a call with a 3 s timeout forever. Here each try runs under a watchdog: when the try's budget is
spent, the socket it uses is shut down, the blocked read returns at once, and the try fails as a
timeout (retried like any other timeout). The budget of a try is ``request_timeout_s``, or less when
the caller's deadline is nearer.

The caller's deadline (:func:`deadline`, a context manager; nested ones keep the earliest) bounds
everything inside it, retries and backoff included: once it has passed, a call fails with
:class:`~dagster_airbyte_ops.client.AirbyteDeadlineError` instead of trying again. It lives in a
context variable, so it applies to the thread (Dagster step) that set it and to nothing else.

The watchdog finds the sockets through the connection classes of :class:`DeadlineAdapter`, which the
transport mounts on its own session. A session passed in from outside keeps its adapters and only the
per-read timeout (documented on ``Transport``).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

__all__ = [
    "DeadlineAdapter",
    "TotalTimeout",
    "deadline",
    "remaining_s",
    "watchdog",
]

_DEADLINE: ContextVar[float | None] = ContextVar("airbyte_deadline", default=None)  # time.monotonic()
_IN_USE = threading.local()  # .connections: the urllib3 connections the current try of this thread uses


class TotalTimeout(requests.Timeout):
    """A try got no complete answer within its budget (the watchdog shut its socket down)."""


@contextmanager
def deadline(seconds: float | None) -> Iterator[None]:
    """Every Airbyte call inside must end within ``seconds`` from now (None: no new bound)."""
    if seconds is None:
        yield
        return
    at = time.monotonic() + max(seconds, 0.0)
    outer = _DEADLINE.get()
    token = _DEADLINE.set(at if outer is None else min(outer, at))
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def remaining_s() -> float | None:
    """Seconds left before the caller's deadline, or None when there is none."""
    at = _DEADLINE.get()
    return None if at is None else at - time.monotonic()


class _Watch:
    def __init__(self) -> None:
        self.fired = False
        self.done = False
        self.lock = threading.Lock()
        self.connections: list[HTTPConnection] = []

    def abort(self) -> None:
        with self.lock:
            if self.done:
                return
            self.fired = True
            for connection in self.connections:
                sock = getattr(connection, "sock", None)
                if sock is None:
                    continue
                # socket.socket.shutdown also for TLS sockets: wake the read, leave TLS state alone
                with contextlib.suppress(OSError):
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)


@contextmanager
def watchdog(budget_s: float) -> Iterator[_Watch]:
    """Shut down the sockets this thread uses for one try if the try outlives ``budget_s``."""
    watch = _Watch()
    _IN_USE.watch = watch
    timer = threading.Timer(max(budget_s, 0.0), watch.abort)
    timer.daemon = True
    timer.start()
    try:
        yield watch
    finally:
        with watch.lock:
            watch.done = True
        timer.cancel()
        _IN_USE.watch = None


def _track(connection: HTTPConnection) -> None:
    watch: _Watch | None = getattr(_IN_USE, "watch", None)
    if watch is not None:
        with watch.lock:
            if connection not in watch.connections:
                watch.connections.append(connection)
        if watch.fired:  # the budget ran out while this connection was being set up
            watch.abort()


class _TrackedHTTPConnection(HTTPConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:
        _track(self)
        super().request(*args, **kwargs)

    def getresponse(self) -> Any:
        _track(self)
        return super().getresponse()


class _TrackedHTTPSConnection(HTTPSConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:
        _track(self)
        super().request(*args, **kwargs)

    def getresponse(self) -> Any:
        _track(self)
        return super().getresponse()


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _TrackedHTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _TrackedHTTPSConnection


class DeadlineAdapter(HTTPAdapter):
    """requests' adapter whose connections the watchdog can find and cut."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}
