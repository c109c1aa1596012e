"""The transport's `request` path over real HTTP, against a scripted stdlib server on loopback.

Each test scripts the answers (status, headers, body, or "stall": no answer until the test ends) and
reads back what the transport sent. Cheaper than the emulator, so mutation testing can run these for
every mutant of `client/_transport.py` (docs/testing.md); every row pins a number, a decision or the
exact words of a message a user reads.
"""

from __future__ import annotations

import json
import logging
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
import trustme

from dagster_airbyte_ops.client import Transport, deadline, parse_retry_after_s
from dagster_airbyte_ops.client._auth import Auth, ClientCredentialsAuth
from dagster_airbyte_ops.errors import AirbyteApiError, AirbyteAuthError

LOG = logging.getLogger("tests.transport_wire")
STALL = "stall"
TRICKLE = "trickle"


class _Script:
    """Answers to give in order, and the requests received."""

    def __init__(self) -> None:
        self.answers: list[Any] = []
        self.received: list[dict[str, Any]] = []
        self.release = threading.Event()


class _Handler(BaseHTTPRequestHandler):
    script: _Script  # set on the server's handler class

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.script.received.append(
            {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body}
        )
        answer = self.script.answers.pop(0) if self.script.answers else (500, {}, b"no answer scripted")
        if answer == STALL:
            self.script.release.wait(10)
            return
        if answer == TRICKLE:  # a header line every 50 ms: each read is quick, the answer never ends
            self.wfile.write(b"HTTP/1.1 200 OK\r\n")
            for _ in range(80):
                try:
                    self.wfile.write(b"X-Slow: 1\r\n")
                    self.wfile.flush()
                except OSError:
                    return
                if self.script.release.wait(0.05):
                    return
            return
        status, headers, payload = answer
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _answer


@contextmanager
def _serving(
    name: str, tls: ssl.SSLContext | None = None
) -> Iterator[tuple[ThreadingHTTPServer, type[_Handler]]]:
    """A scripted server on a free loopback port (behind `tls` when given), stopped on exit."""
    handler = type(name, (_Handler,), {"script": _Script()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server, handler
    finally:
        handler.script.release.set()
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def _server() -> Iterator[tuple[ThreadingHTTPServer, type[_Handler]]]:
    with _serving("Handler") as served:
        yield served


@pytest.fixture(scope="module")
def _tls_server() -> Iterator[tuple[ThreadingHTTPServer, type[_Handler]]]:
    """The same scripted server behind TLS, with a certificate from a throwaway CA (trustme)."""
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    with _serving("TlsHandler", tls=context) as served:
        yield served


@pytest.fixture
def script(_server) -> Iterator[_Script]:
    _, handler = _server
    handler.script = _Script()
    yield handler.script
    handler.script.release.set()


@pytest.fixture
def base_url(_server) -> str:
    server, _ = _server
    return f"http://127.0.0.1:{server.server_address[1]}"


def _transport(base_url: str, **kwargs: Any) -> tuple[Transport, list[float]]:
    slept: list[float] = []
    options: dict[str, Any] = {"max_retries": 2, "retry_backoff_s": 1.0, "sleep": slept.append, "logger": LOG}
    transport = Transport(base_url + "/api/v1/", **{**options, **kwargs})
    transport.jitter = lambda: 0.5  # type: ignore[method-assign]
    return transport, slept


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- URLs --------------------------------------------------------------------------------------------


def test_urls():
    transport = Transport("http://h:8000/api/v1/")
    assert transport.base_url == "http://h:8000/api/v1"
    assert Transport("http://BOX/").base_url == "http://BOX"  # only slashes are dropped
    assert transport.url("XYZ") == "http://h:8000/api/v1/XYZ"
    assert transport.url("/jobs/get") == "http://h:8000/api/v1/jobs/get"
    assert transport.url("jobs/get") == "http://h:8000/api/v1/jobs/get"
    assert transport.url("http://other/applications/token") == "http://other/applications/token"
    assert transport.url("https://other/applications/token") == "https://other/applications/token"


def test_what_is_sent(script, base_url):
    script.answers = [(200, {}, {"ok": 1}), (200, {}, {"ok": 2})]
    transport, _ = _transport(base_url)
    assert transport.post("/jobs/get", {"jobId": 7}) == {"ok": 1}
    assert transport.get("jobs", params={"connectionId": "c", "limit": 5}) == {"ok": 2}
    first, second = script.received
    assert (first["method"], first["path"], json.loads(first["body"])) == (
        "POST",
        "/api/v1/jobs/get",
        {"jobId": 7},
    )
    assert first["headers"]["Accept"] == "application/json"
    assert (second["method"], second["path"]) == ("GET", "/api/v1/jobs?connectionId=c&limit=5")


# -- answers -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("body", "decoded"), [(b"", None), (b"  \n", None), (b'{"a": 1}', {"a": 1})])
def test_success_bodies(script, base_url, body, decoded):
    script.answers = [(200, {}, body)]
    transport, _ = _transport(base_url)
    assert transport.request("GET", "health") == decoded


def test_a_body_that_is_not_json(script, base_url):
    page = b"<html>" + b"x" * 200
    script.answers = [(200, {}, page), (200, {}, b"plain words")]
    transport, _ = _transport(base_url)
    with pytest.raises(AirbyteApiError) as raised:
        transport.request("GET", "health")
    assert str(raised.value) == (
        f"Airbyte GET /api/v1/health: HTTP 200 but the body is not JSON ({'<html>' + 'x' * 114!r}); "
        "is the URL pointing at Airbyte's API?"
    )
    assert (raised.value.method, raised.value.path, raised.value.status) == ("GET", "/api/v1/health", 200)
    assert transport.request("GET", "health", expect_json=False) == "plain words"


def test_a_300_is_not_a_success(script, base_url):
    script.answers = [(300, {}, {"message": "pick one"})]
    transport, _ = _transport(base_url)
    with pytest.raises(
        AirbyteApiError, match=r"^Airbyte GET /api/v1/x failed: HTTP 300 Multiple Choices: pick one$"
    ):
        transport.request("GET", "x")


def test_a_400_is_not_an_auth_error(script, base_url):
    script.answers = [(400, {}, {"message": "bad"})]
    transport, _ = _transport(base_url)
    with pytest.raises(AirbyteApiError) as raised:
        transport.request("POST", "x")
    assert type(raised.value) is AirbyteApiError
    assert str(raised.value) == "Airbyte POST /api/v1/x failed: HTTP 400 Bad Request: bad"


def test_the_root_path_is_named(script, base_url):
    script.answers = [(400, {}, b"")]
    transport = Transport(base_url + "/api/v1", max_retries=0)
    with pytest.raises(AirbyteApiError, match=r"^Airbyte GET / failed: HTTP 400 Bad Request$"):
        transport.request("GET", base_url)  # an absolute URL without a path


# -- retries -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("override", "tries"), [(None, 3), (0, 1), (-1, 1), (1, 2)])
def test_the_retry_budget_of_one_call(script, base_url, override, tries):
    script.answers = [(503, {}, b"")] * 4
    transport, slept = _transport(base_url)  # max_retries=2
    with pytest.raises(AirbyteApiError, match="HTTP 503"):
        transport.request("GET", "x", max_retries=override)
    assert len(script.received) == tries
    assert len(slept) == tries - 1


def test_retry_warnings_say_what_failed_and_which_retry(script, base_url, caplog):
    script.answers = [(503, {}, b""), (502, {"Retry-After": "3"}, b""), (200, {}, {"ok": True})]
    transport, slept = _transport(base_url)
    with caplog.at_level(logging.WARNING, logger=LOG.name):
        assert transport.request("GET", "x") == {"ok": True}
    assert slept == [0.5, 3.0]  # backoff 1 s x jitter 0.5; then Airbyte's Retry-After
    assert caplog.messages == [
        "Airbyte GET /api/v1/x: HTTP 503; retrying in 0.50 s (retry 1 of 2)",
        "Airbyte GET /api/v1/x: HTTP 502; retrying in 3.00 s (retry 2 of 2)",
    ]


def test_before_retry_runs_after_a_5xx_not_after_a_429(script, base_url):
    calls: list[int] = []
    script.answers = [(429, {}, b""), (500, {}, b""), (200, {}, {})]
    transport, _ = _transport(base_url)
    transport.request("POST", "x", before_retry=lambda: calls.append(len(script.received)))
    assert calls == [2]  # after the 500 (the second try), not after the 429


def test_no_answer_is_retried_then_named(caplog):
    port = _closed_port()
    transport, slept = _transport(f"http://127.0.0.1:{port}")
    calls: list[int] = []
    with caplog.at_level(logging.WARNING, logger=LOG.name), pytest.raises(AirbyteApiError) as raised:
        transport.request("GET", "x", before_retry=lambda: calls.append(1))
    message = str(raised.value)
    assert message.startswith(
        "Airbyte GET /api/v1/x failed after 3 tries: connection failed (ConnectionError) "
        f"to 127.0.0.1:{port}: "
    )
    assert message.endswith("; check the URL, that Airbyte is running, and the network")
    assert (raised.value.method, raised.value.path, raised.value.status) == ("GET", "/api/v1/x", None)
    assert (slept, calls) == ([0.5, 1.0], [1, 1])
    assert caplog.messages == [
        "Airbyte GET /api/v1/x: connection failed (ConnectionError); retrying in 0.50 s (retry 1 of 2)",
        "Airbyte GET /api/v1/x: connection failed (ConnectionError); retrying in 1.00 s (retry 2 of 2)",
    ]


def test_a_try_without_a_complete_answer_is_cut_at_its_budget(script, base_url):
    script.answers = [STALL]
    transport, _ = _transport(base_url, request_timeout_s=0.2, max_retries=0)
    with pytest.raises(AirbyteApiError) as raised:
        transport.request("GET", "slow")
    assert str(raised.value).startswith(
        "Airbyte GET /api/v1/slow failed: timed out (TotalTimeout) to 127.0.0.1:"
    )
    assert ": no complete answer within 0.2 s; check the URL" in str(raised.value)


def test_an_error_inside_the_session_is_not_taken_for_an_answer(base_url):
    session = requests.Session()

    def broken_hook(response: requests.Response, **kwargs: Any) -> None:
        raise ValueError("hook failed")

    session.hooks["response"].append(broken_hook)
    transport = Transport(base_url, session=session, max_retries=0)
    with pytest.raises(ValueError, match="hook failed"):
        transport.request("GET", "x")


# -- the caller's deadline ---------------------------------------------------------------------------


def test_a_call_inside_a_deadline(script, base_url):
    script.answers = [(200, {}, {"ok": True})]
    transport, _ = _transport(base_url)
    with deadline(0.9):
        assert transport.request("GET", "x") == {"ok": True}


def test_a_passed_deadline_stops_before_the_first_try(script, base_url):
    transport, _ = _transport(base_url)
    with deadline(0), pytest.raises(AirbyteApiError) as raised:
        transport.request("GET", "x")
    assert str(raised.value) == (
        "Airbyte GET /api/v1/x: no answer before the caller's deadline (last: no try yet); "
        "the time limit of the operation (sync_timeout_s for a sync) has passed"
    )
    assert script.received == []


def test_a_wait_past_the_deadline_is_not_made(script, base_url):
    script.answers = [(503, {"Retry-After": "60"}, b""), (200, {}, {})]
    transport, slept = _transport(base_url)
    with deadline(30), pytest.raises(AirbyteApiError) as raised:
        transport.request("GET", "x")
    assert str(raised.value) == (
        "Airbyte GET /api/v1/x: no answer before the caller's deadline (last: HTTP 503); "
        "the time limit of the operation (sync_timeout_s for a sync) has passed"
    )
    assert (slept, len(script.received)) == ([], 1)


def test_retry_after():
    now = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)
    assert parse_retry_after_s("Mon, 05 Jan 2026 06:00:30 -0000", now=now) == 30.0  # a zone-less date is UTC
    assert parse_retry_after_s("Mon, 05 Jan 2026 06:00:30 GMT", now=now) == 30.0


# -- auth --------------------------------------------------------------------------------------------


def test_a_401_fetches_a_new_token_once(script, base_url, caplog):
    token = {"access_token": "tok-1", "expires_in": 900}
    script.answers = [
        (200, {}, token),
        (401, {}, b""),
        (200, {}, {**token, "access_token": "tok-2"}),
        (200, {}, {}),
    ]
    auth = ClientCredentialsAuth(base_url + "/api/public/v1/applications/token", "id", "secret-1")
    transport, _ = _transport(base_url, auth=auth)
    with caplog.at_level(logging.INFO, logger=LOG.name):
        assert transport.request("POST", "x") == {}
    assert caplog.messages == ["Airbyte POST /api/v1/x: HTTP 401, fetching a new token"]
    assert [r["headers"].get("Authorization") for r in script.received] == [
        None,
        "Bearer tok-1",
        None,
        "Bearer tok-2",
    ]


def test_credentials_rejected(script, base_url):
    script.answers = [(403, {}, {"message": "no"})]
    transport, _ = _transport(base_url)
    with pytest.raises(AirbyteAuthError) as raised:
        transport.request("POST", "x")
    assert str(raised.value) == (
        "Airbyte POST /api/v1/x: HTTP 403, credentials rejected: no (this Airbyte requires credentials: "
        "set username/password, token or client_id/client_secret, auth=none)"
    )


def test_the_token_endpoint_refusing(script, base_url):
    script.answers = [(400, {}, {"message": "bad client"})]
    auth = ClientCredentialsAuth(base_url + "/api/public/v1/applications/token", "id", "secret-1")
    transport, _ = _transport(base_url, auth=auth)
    with pytest.raises(AirbyteAuthError) as raised:
        transport.request("POST", "x")
    assert str(raised.value) == (
        "Airbyte POST /api/public/v1/applications/token: HTTP 400, the token endpoint refused the client "
        "credentials: bad client (check client_id/client_secret, auth=client_credentials)"
    )


class _Secrets(Auth):
    """An auth strategy holding the given secrets (what `scrub` reads)."""

    def __init__(self, *secrets: str) -> None:
        self._secrets = list(secrets)

    def secrets(self) -> list[str]:
        return self._secrets


@pytest.mark.parametrize(
    ("secrets", "text", "scrubbed"),
    [
        (("zzz", "abzzzcd"), "token abzzzcd", "token ***"),  # the longest first, whatever its letters
        (("abc",), "x abc y", "x *** y"),  # three characters are a secret
        (("", "ab"), "ab c", "ab c"),  # an empty or two-character "secret" would blank out the text
        ((), "Authorization: Bearer abc.def", "Authorization: ***"),
        ((), "{'authorization': 'Basic dXNlcjpwdw=='}", "{'authorization': '***'}"),
    ],
)
def test_scrub(secrets, text, scrubbed):
    assert Transport("http://h", auth=_Secrets(*secrets)).scrub(text) == scrubbed


def test_a_callers_own_retry_waits_like_ours(caplog):
    """`wait_to_retry` is for callers that make their tries themselves (a job read that answered 404)."""
    transport, slept = _transport("http://127.0.0.1:9")
    with caplog.at_level(logging.WARNING, logger=LOG.name):
        transport.wait_to_retry("POST", "/api/v1/jobs/get", "HTTP 404", retry=1, budget=3)
    assert slept == [1.0]  # 1 s doubled once, x jitter 0.5
    assert caplog.messages == ["Airbyte POST /api/v1/jobs/get: HTTP 404; retrying in 1.00 s (retry 2 of 3)"]


def test_the_default_logger():
    assert Transport("http://h").logger.name == "dagster_airbyte_ops.client._transport"


def test_accept_json_unless_the_callers_session_says_otherwise():
    bare = requests.Session()
    del bare.headers["Accept"]
    assert Transport("http://h", session=bare).session.headers["Accept"] == "application/json"
    csv = requests.Session()
    csv.headers["Accept"] = "text/csv"
    assert Transport("http://h", session=csv).session.headers["Accept"] == "text/csv"


def test_a_trickling_answer_is_cut_at_the_total_budget(script, base_url):
    """Headers trickling in for 4 s: each read is quick (no per-read timeout fires), the try's total
    budget of 0.3 s cuts it. Without the deadline adapter the call would last the whole 4 s."""
    script.answers = [TRICKLE]
    transport, _ = _transport(base_url, request_timeout_s=0.3, max_retries=0)
    started = time.monotonic()
    with pytest.raises(
        AirbyteApiError, match=r"timed out \(TotalTimeout\) .*no complete answer within 0\.3 s"
    ):
        transport.request("GET", "slow")
    assert time.monotonic() - started < 2.5


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_a_trickling_answer_over_tls_is_cut_at_the_total_budget(_tls_server):
    """The same total budget on an https URL (Airbyte Cloud's): the deadline adapter serves https too."""
    server, handler = _tls_server
    handler.script = _Script()
    handler.script.answers = [(200, {}, {"ok": True}), TRICKLE]
    url = f"https://127.0.0.1:{server.server_address[1]}"
    transport, _ = _transport(url, request_timeout_s=0.3, max_retries=0, verify_tls=False)
    try:
        assert transport.request("GET", "fast") == {"ok": True}
        started = time.monotonic()
        with pytest.raises(AirbyteApiError, match=r"timed out \(TotalTimeout\)"):
            transport.request("GET", "slow")
        assert time.monotonic() - started < 2.5
    finally:
        handler.script.release.set()
