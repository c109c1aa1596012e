"""Build the Starlette application: both Airbyte APIs, the admin API, and the middleware that adds
authentication, fault injection, the request log and the response hook around Airbyte's paths.

The middleware is plain ASGI (not Starlette's ``BaseHTTPMiddleware``) because dropping a connection
half-way through a response needs direct control over ``send``.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dagster_airbyte_ops.emulator import admin, auth, config_api, public_api, ui_pages
from dagster_airbyte_ops.emulator.faults import Fault, FaultRegistry
from dagster_airbyte_ops.emulator.http import json_response, problem
from dagster_airbyte_ops.emulator.state import EmulatorState, LoggedRequest

#: ``hook(method, path, query, request_body, status, headers, body)``, called for every response on
#: Airbyte's paths (fabricated ones included) before its last byte is sent.
ResponseHook = Callable[[str, str, str, bytes, int, dict[str, str], bytes], None]

PUBLIC_PREFIXES = ("/api/public/v1", "/v1")
CONFIG_PREFIX = "/api/v1"
ADMIN_PREFIX = "/_emulator"
#: Header marking a response the emulator fabricated (validators skip it; clients ignore it).
FAULT_HEADER = "x-emulator-fault"

log = logging.getLogger(__name__)


class DroppedConnection(Exception):
    """Raised after a partial response so the server closes the socket mid-body."""


class _DropFilter(logging.Filter):
    """Keep uvicorn from printing a traceback for every deliberately dropped connection."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, DroppedConnection)


logging.getLogger("uvicorn.error").addFilter(_DropFilter())


def is_public(path: str) -> bool:
    """Whether ``path`` belongs to the public API (OSS or Cloud-style prefix)."""
    return any(path == p or path.startswith(p + "/") for p in PUBLIC_PREFIXES)


def is_airbyte_path(path: str) -> bool:
    """Whether ``path`` is one of Airbyte's (logged, hooked, authenticated) paths."""
    return path.startswith(CONFIG_PREFIX + "/") or is_public(path)


def _error_body(path: str, status: int, message: str) -> bytes:
    if is_public(path):
        slug = {401: "invalid-api-key", 404: "resource-not-found", 409: "try-again-later"}.get(status)
        titles = {429: "rate-limited", 502: "bad-gateway", 503: "service-unavailable", 504: "gateway-timeout"}
        title = slug or titles.get(status, "unexpected-problem")
        return json.dumps(problem(status, slug, title, message)).encode()
    return json.dumps({"message": message}).encode()


_STATUS_MESSAGES = {
    401: "Unauthorized",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class EmulatorMiddleware:
    """Authentication, faults, request log and response hook for Airbyte paths."""

    def __init__(
        self, app: ASGIApp, state: EmulatorState, faults: FaultRegistry, hook: ResponseHook | None
    ) -> None:
        self.app = app
        self.state = state
        self.faults = faults
        self.hook = hook

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.state.store is not None:
            send = self._persisting(send)
        if scope["type"] != "http" or not is_airbyte_path(scope["path"]):
            await self.app(scope, receive, send)
            return
        method: str = scope["method"]
        path: str = scope["path"]
        query = scope.get("query_string", b"").decode("latin-1")

        chunks = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        request_body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": request_body, "more_body": False}
            return await receive()

        fault = self.faults.take(method, path)
        if fault is not None and fault.kind == "delay":
            await asyncio.sleep(fault.delay_s)
        if fault is not None and fault.kind == "status":
            await self._fabricated(send, method, path, query, request_body, fault)
            return
        if fault is not None and fault.kind == "body":
            await self._served_body(send, method, path, query, request_body, fault)
            return
        if fault is not None and fault.kind == "drop":
            self._log(method, path, query, 0, "drop")
            await self._drop(send)
            return

        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        if not auth.is_open_path(path) and not auth.authorized(self.state, headers.get("authorization")):
            body = _error_body(path, 401, "Unauthorized")
            extra = (
                {"www-authenticate": 'Basic realm="Airbyte"'} if self.state.settings.auth == "basic" else {}
            )
            self._finish(
                method, path, query, request_body, 401, {"content-type": "application/json", **extra}, body
            )
            await self._send_whole(send, 401, body, extra)
            return

        status_holder: dict[str, Any] = {"status": 0, "headers": {}}
        body_parts: list[bytes] = []
        lost = fault is not None and fault.kind == "lost_response"

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                status_holder["headers"] = {
                    k.decode("latin-1").lower(): v.decode("latin-1") for k, v in message.get("headers", [])
                }
                if lost:
                    return
            elif message["type"] == "http.response.body":
                body_parts.append(message.get("body", b""))
                if lost:
                    return
                if not message.get("more_body"):
                    # Log and hook before the last byte leaves: a client holding the whole response can
                    # rely on both having seen it (tests check the log and validate at teardown).
                    self._finish(
                        method,
                        path,
                        query,
                        request_body,
                        int(status_holder["status"]),
                        status_holder["headers"],
                        b"".join(body_parts),
                    )
            await send(message)

        await self.app(scope, replay, capture)
        if lost:
            self._log(method, path, query, int(status_holder["status"]), "lost_response")
            assert fault is not None
            await asyncio.sleep(fault.hold_s)  # silent: a client timeout shorter than this fires first
            await self._drop(send)

    # ------------------------------------------------------------------ helpers
    def _persisting(self, send: Send) -> Send:
        """``send`` that saves the state to its store before a response's last byte (see store.py):
        whatever a client has read (a job id) survives a kill of the emulator."""

        async def persisting_send(message: Message) -> None:
            if message["type"] == "http.response.body" and not message.get("more_body"):
                self.state.persist()
            await send(message)

        return persisting_send

    def _log(self, method: str, path: str, query: str, status: int, fault: str | None = None) -> None:
        with self.state.lock:
            self.state.request_log.append(LoggedRequest(method, path, query, status, self.state.now(), fault))

    def _finish(
        self,
        method: str,
        path: str,
        query: str,
        request_body: bytes,
        status: int,
        headers: dict[str, str],
        body: bytes,
    ) -> None:
        self._log(method, path, query, status, headers.get(FAULT_HEADER))
        if self.hook is None:
            return
        try:
            self.hook(method, path, query, request_body, status, headers, body)
        except Exception:  # a broken hook must not take the server down
            log.exception("response hook failed")

    async def _send_whole(self, send: Send, status: int, body: bytes, extra: dict[str, str]) -> None:
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        headers += [(k.encode(), v.encode()) for k, v in extra.items()]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})

    async def _fabricated(
        self, send: Send, method: str, path: str, query: str, request_body: bytes, fault: Fault
    ) -> None:
        message = _STATUS_MESSAGES.get(fault.status, "Injected failure")
        body = _error_body(path, fault.status, message)
        extra = {FAULT_HEADER: "status"}
        if fault.retry_after is not None:
            extra["retry-after"] = (
                str(int(fault.retry_after))
                if float(fault.retry_after).is_integer()
                else str(fault.retry_after)
            )
        self._finish(
            method,
            path,
            query,
            request_body,
            fault.status,
            {"content-type": "application/json", **extra},
            body,
        )
        await self._send_whole(send, fault.status, body, extra)

    async def _served_body(
        self, send: Send, method: str, path: str, query: str, request_body: bytes, fault: Fault
    ) -> None:
        body = fault.body.encode()
        headers = [
            (b"content-type", fault.content_type.encode()),
            (b"content-length", str(len(body)).encode()),
            (FAULT_HEADER.encode(), b"body"),
        ]
        self._finish(
            method,
            path,
            query,
            request_body,
            fault.status,
            {"content-type": fault.content_type, FAULT_HEADER: "body"},
            body,
        )
        await send({"type": "http.response.start", "status": fault.status, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})

    async def _drop(self, send: Send) -> None:
        """Start a response promising more bytes than ever come, then abort the connection."""
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")],
            }
        )
        await send({"type": "http.response.body", "body": b'{"', "more_body": True})
        raise DroppedConnection("connection dropped by fault injection")


async def _not_found(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 404)
    path = request.url.path
    if is_public(path):
        if status == 405:
            return json_response(problem(405, None, "method-not-allowed", "Method not allowed"), 405)
        return json_response(
            problem(404, "resource-not-found", "resource-not-found", f"No route for {path}"), status
        )
    if status == 405:
        return json_response({"message": "Method Not Allowed"}, 405)
    return json_response(config_api.micronaut_not_found(path), status)


def build_app(
    state: EmulatorState, faults: FaultRegistry, response_hook: ResponseHook | None = None
) -> ASGIApp:
    """The complete ASGI application over ``state``."""
    public_routes = public_api.routes(state)
    app = Starlette(
        routes=[
            Mount(CONFIG_PREFIX, routes=config_api.routes(state)),
            Mount("/api/public/v1", routes=public_routes),
            Mount("/v1", routes=public_routes),
            Mount(ADMIN_PREFIX, routes=admin.routes(state, faults)),
            *ui_pages.routes(state),  # the web app's pages our job links open
        ],
        exception_handlers={HTTPException: _not_found},
    )
    return EmulatorMiddleware(app, state, faults, response_hook)
