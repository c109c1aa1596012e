"""A scripted stand-in for ``requests.Session``: the transport is tested without a server."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import requests


def response(status: int = 200, body: Any = None, *, text: str | None = None, headers: dict | None = None):
    """A ``requests.Response`` with a JSON (or raw text) body."""
    r = requests.Response()
    r.status_code = status
    if text is not None:
        r._content = text.encode()
    elif body is not None:
        r._content = json.dumps(body).encode()
        r.headers["Content-Type"] = "application/json"
    else:
        r._content = b""
    r.headers.update(headers or {})
    r.reason = {
        200: "OK",
        400: "Bad Request",
        401: "Unauthorized",
        404: "Not Found",
        409: "Conflict",
        429: "Too Many Requests",
        500: "Internal Server Error",
        503: "Service Unavailable",
    }.get(status, "")
    return r


class ScriptedSession(requests.Session):
    """Answers each request with the next scripted response (or raises the next exception)."""

    def __init__(self, script: Iterable[Any]) -> None:
        super().__init__()
        self.script = list(script)
        self.calls: list[dict[str, Any]] = []

    def request(self, method, url, **kwargs):  # type: ignore[override]
        self.calls.append({"method": method, "url": url, **kwargs})
        if not self.script:
            raise AssertionError(f"unexpected request {method} {url}")
        item = self.script.pop(0)
        if callable(item) and not isinstance(item, requests.Response):
            item = item(method, url, kwargs)
        if isinstance(item, BaseException):
            raise item
        item.url = url
        return item
