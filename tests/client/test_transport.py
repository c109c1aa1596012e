"""Transport behaviour without a server: retry decisions, backoff, auth refresh, errors, secrets."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
import requests

from dagster_airbyte_ops.client import (
    AirbyteClient,
    BasicAuth,
    BearerAuth,
    ClientCredentialsAuth,
    Transport,
    parse_retry_after_s,
    should_retry,
)
from dagster_airbyte_ops.errors import AirbyteApiError, AirbyteAuthError

from .fakes import ScriptedSession, response

CANARY_PASSWORD = "canary-password-91f2"
CANARY_TOKEN = "canary-token-5c0d"
CANARY_SECRET = "canary-client-secret-e77b"
CANARY_ACCESS = "canary-access-token-0aa1"


@pytest.mark.parametrize(
    ("status", "exception", "retry"),
    [
        (None, requests.ConnectionError("refused"), True),
        (None, requests.exceptions.ChunkedEncodingError("dropped"), True),
        (None, requests.ConnectTimeout("slow"), True),
        (None, requests.ReadTimeout("slow"), True),
        (None, requests.exceptions.SSLError("bad cert"), False),
        (None, requests.exceptions.InvalidURL("nope"), False),
        (None, ValueError("bug"), False),
        (429, None, True),
        (500, None, True),
        (502, None, True),
        (503, None, True),
        (504, None, True),
        (501, None, False),
        (400, None, False),
        (401, None, False),
        (403, None, False),
        (404, None, False),
        (409, None, False),
        (422, None, False),
        (200, None, False),
        (None, None, False),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, BaseException) else str(v),
)
def test_should_retry(status, exception, retry):
    assert should_retry(status=status, exception=exception) is retry


def test_parse_retry_after():
    now = datetime(2024, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after_s("3") == 3.0
    assert parse_retry_after_s("0.5") == 0.5
    assert parse_retry_after_s("-4") == 0.0
    assert parse_retry_after_s(None) is None
    assert parse_retry_after_s("soon") is None
    date = (now + timedelta(seconds=7)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert parse_retry_after_s(date, now=now) == 7.0
    assert parse_retry_after_s("Mon, 01 Jan 2024 11:00:00 GMT", now=now) == 0.0


class PinnedTransport(Transport):
    def jitter(self) -> float:
        return 1.0


def make(script, *, auth=None, max_retries=5, backoff=1.0, logger=None):
    sleeps: list[float] = []
    session = ScriptedSession(script)
    t = PinnedTransport(
        "http://airbyte.test/api/v1",
        auth=auth,
        session=session,
        max_retries=max_retries,
        retry_backoff_s=backoff,
        sleep=sleeps.append,
        logger=logger,
    )
    return t, session, sleeps


def test_backoff_is_exponential_capped_and_jittered():
    t, _, _ = make([])
    assert [t.backoff_s(n) for n in range(7)] == [1, 2, 4, 8, 16, 30, 30]
    jittered = Transport("http://x", retry_backoff_s=1.0)
    values = [jittered.backoff_s(3) for _ in range(200)]
    assert all(0 <= v <= 8 for v in values) and len(set(values)) > 100


def test_retries_5xx_and_connection_errors_then_succeeds():
    script = [
        response(503),
        requests.ConnectionError("reset"),
        requests.exceptions.ChunkedEncodingError("dropped"),
        requests.ReadTimeout("slow"),
        response(200, {"ok": True}),
    ]
    t, session, sleeps = make(script)
    assert t.post("connections/list", {"workspaceId": "w"}) == {"ok": True}
    assert len(session.calls) == 5
    assert sleeps == [1, 2, 4, 8]
    call = session.calls[0]
    assert call["timeout"] == 30.0 and call["verify"] is True
    assert call["json"] == {"workspaceId": "w"}


def test_gives_up_after_max_retries_with_a_clear_message():
    t, session, _sleeps = make([response(502)] * 4, max_retries=3)
    with pytest.raises(AirbyteApiError) as info:
        t.post("connections/sync", {"connectionId": "c"})
    assert len(session.calls) == 4
    assert info.value.status == 502
    assert info.value.method == "POST" and info.value.path == "/api/v1/connections/sync"
    assert "after 4 tries" in str(info.value)


def test_connection_error_message_names_host_and_path():
    t, _, _ = make(
        [requests.ConnectionError("Max retries exceeded with url: /api/v1/x?secret=1")] * 2, max_retries=1
    )
    with pytest.raises(AirbyteApiError) as info:
        t.post("health")
    message = str(info.value)
    assert "airbyte.test" in message and "/api/v1/health" in message
    assert "secret=1" not in message


@pytest.mark.parametrize("status", [400, 404, 409, 422])
def test_other_4xx_not_retried(status):
    t, session, sleeps = make([response(status, {"message": "nope"})])
    with pytest.raises(AirbyteApiError) as info:
        t.post("connections/get", {"connectionId": "c"})
    assert len(session.calls) == 1 and sleeps == []
    assert info.value.status == status and info.value.airbyte_message == "nope"


def test_429_honours_retry_after_seconds_and_falls_back_to_backoff():
    script = [response(429, headers={"Retry-After": "2"}), response(429), response(200, {"x": 1})]
    t, _, sleeps = make(script, backoff=0.5)
    assert t.post("jobs/list") == {"x": 1}
    assert sleeps == [2.0, 1.0]  # Retry-After; then 0.5 * 2**1


def test_429_retry_after_http_date():
    when = (datetime.now(UTC) + timedelta(seconds=5)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    t, _, sleeps = make([response(429, headers={"Retry-After": when}), response(200, {})])
    t.post("jobs/list")
    assert 3.0 <= sleeps[0] <= 5.0


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {"message": "A sync is already running for: c1", "exceptionClassName": "X"},
            "A sync is already running",
        ),
        (
            {
                "type": "https://reference.airbyte.com/reference/errors#try-again-later",
                "title": "try-again-later",
                "status": 409,
                "detail": "A sync is already running",
                "data": {"message": "running"},
            },
            "try-again-later: A sync is already running: running",
        ),
        ("<html><head><title>502 Bad Gateway</title></head></html>", "HTML page: 502 Bad Gateway"),
        ("", None),
        ("plain words", "plain words"),
    ],
    ids=["config", "problem", "html", "empty", "text"],
)
def test_airbyte_message_extraction(body, expected):
    r = response(409, body) if isinstance(body, dict) else response(409, text=body)
    t, _, _ = make([r])
    with pytest.raises(AirbyteApiError) as info:
        t.post("connections/sync")
    assert info.value.airbyte_message == expected or (
        expected and expected in (info.value.airbyte_message or "")
    )
    assert "POST /api/v1/connections/sync" in str(info.value) and "409" in str(info.value)


def test_non_json_success_body_is_an_api_error():
    t, _, _ = make([response(200, text="<html>login</html>")])
    with pytest.raises(AirbyteApiError, match="not JSON"):
        t.post("workspaces/list")


def test_empty_success_body_is_none():
    t, _, _ = make([response(204)])
    assert t.post("connections/delete", {"connectionId": "c"}) is None


def test_basic_and_bearer_headers_and_401_is_auth_error():
    t, session, _ = make([response(200, {}), response(401, {"message": "bad"})], auth=BasicAuth("u", "p"))
    t.post("health")
    assert session.calls[0]["headers"]["Authorization"].startswith("Basic ")
    with pytest.raises(AirbyteAuthError) as info:
        t.post("health")
    assert info.value.status == 401 and len(session.calls) == 2
    t2, session2, _ = make([response(403, {"message": "no"})], auth=BearerAuth("tok"))
    with pytest.raises(AirbyteAuthError):
        t2.post("health")
    assert session2.calls[0]["headers"]["Authorization"] == "Bearer tok"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def token_response(token, expires_in=180):
    return response(200, {"access_token": token, "token_type": "Bearer", "expires_in": expires_in})


def test_client_credentials_fetch_reuse_and_proactive_refresh():
    clock = Clock()
    auth = ClientCredentialsAuth(
        "http://airbyte.test/api/public/v1/applications/token", "id", "secret", clock=clock
    )
    script = [
        token_response("t1"),
        response(200, {}),
        response(200, {}),
        token_response("t2"),
        response(200, {}),
    ]
    t, session, _ = make(script, auth=auth)
    t.post("a")
    t.post("b")
    clock.now += 145  # past 80 % of 180 s
    t.post("c")
    token_call = session.calls[0]
    assert token_call["url"].endswith("/applications/token")
    assert token_call["json"] == {
        "client_id": "id",
        "client_secret": "secret",
        "grant-type": "client_credentials",
    }
    assert "Authorization" not in token_call["headers"]
    assert [c["headers"].get("Authorization") for c in session.calls] == [
        None,
        "Bearer t1",
        "Bearer t1",
        None,
        "Bearer t2",
    ]
    assert auth.tokens_fetched == 2


def test_client_credentials_refresh_once_on_401_then_give_up():
    auth = ClientCredentialsAuth("http://airbyte.test/token", "id", "secret", clock=Clock())
    script = [token_response("t1"), response(401), token_response("t2"), response(200, {"ok": 1})]
    t, session, _ = make(script, auth=auth)
    assert t.post("x") == {"ok": 1}
    script = [response(401), token_response("t3"), response(401)]
    session.script = script
    with pytest.raises(AirbyteAuthError):
        t.post("x")


def test_token_endpoint_5xx_retried_and_400_is_auth_error():
    auth = ClientCredentialsAuth("http://airbyte.test/token", "id", "secret", clock=Clock())
    t, session, _ = make([response(500), token_response("t1"), response(200, {})], auth=auth)
    t.post("x")
    assert len(session.calls) == 3
    auth = ClientCredentialsAuth("http://airbyte.test/token", "id", "wrong", clock=Clock())
    t, session, _ = make([response(400, {"message": "invalid client"})], auth=auth)
    with pytest.raises(AirbyteAuthError, match="client_id/client_secret"):
        t.post("x")
    assert len(session.calls) == 1


def test_retry_warnings_logged(caplog):
    logger = logging.getLogger("test.airbyte")
    t, _, _ = make([response(503), response(200, {})], logger=logger)
    with caplog.at_level(logging.WARNING, logger="test.airbyte"):
        t.post("connections/list")
    assert "POST /api/v1/connections/list: HTTP 503; retrying" in caplog.text


def test_no_secret_ever_leaks(caplog):
    """Canary secrets must not appear in any message, log line or repr, whatever fails."""
    canaries = [CANARY_PASSWORD, CANARY_TOKEN, CANARY_SECRET, CANARY_ACCESS]
    logger = logging.getLogger("test.canary")
    texts: list[str] = []

    def echo_headers(method, url, kwargs):
        # a server that (badly) echoes the Authorization header and the body back in its error
        return response(500, {"message": f"echo {kwargs.get('headers')} {kwargs.get('json')}"})

    def echo_403(method, url, kwargs):
        return response(403, {"message": f"forbidden for {kwargs.get('headers')}"})

    def echo_exception(method, url, kwargs):
        return requests.ConnectionError(f"failed with {kwargs.get('headers')}")

    auths = [
        BasicAuth("user", CANARY_PASSWORD),
        BearerAuth(CANARY_TOKEN),
        ClientCredentialsAuth("http://airbyte.test/token", "id", CANARY_SECRET, clock=Clock()),
    ]
    with caplog.at_level(logging.DEBUG):
        for auth in auths:
            prefix = [token_response(CANARY_ACCESS)] if isinstance(auth, ClientCredentialsAuth) else []
            for failure in (echo_headers, echo_403, echo_exception):
                t, _session, _ = make([*prefix, failure, failure], auth=auth, max_retries=1, logger=logger)
                prefix = []
                texts.append(repr(t))
                texts.append(repr(auth))
                try:
                    t.post("sources/create", {"name": "pg"})
                except AirbyteApiError as exc:
                    texts.extend([str(exc), repr(exc), str(exc.airbyte_message), exc.description or ""])
                else:  # pragma: no cover
                    raise AssertionError("expected a failure")
        # token endpoint failing and echoing the client secret
        bad = ClientCredentialsAuth("http://airbyte.test/token", "id", CANARY_SECRET, clock=Clock())
        t, _, _ = make([echo_403], auth=bad, logger=logger)
        with pytest.raises(AirbyteAuthError) as info:
            t.post("x")
        texts.append(str(info.value))
    client = AirbyteClient(url="http://x", username="u", password=CANARY_PASSWORD)
    texts.append(repr(client))
    client2 = AirbyteClient(url="http://x", client_id="i", client_secret=CANARY_SECRET)
    texts.append(repr(client2))
    texts.append(caplog.text)
    blob = "\n".join(texts)
    for canary in canaries:
        assert canary not in blob, canary
    assert "***" in blob
