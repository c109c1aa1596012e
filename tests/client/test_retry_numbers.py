"""The numbers that give the retry policy its meaning, pinned one by one (issue 14, last bullet).

Mutation testing showed these survived every other test: which 5xx are not retried, the Retry-After
cap, `max_retries=0` meaning one try, the default retries and backoff. Each row below fails if one of
them changes. The wire-level rows count requests in the emulator's log.
"""

from __future__ import annotations

import pytest
import requests

from dagster_airbyte_ops.client import AirbyteClient, Transport, should_retry
from dagster_airbyte_ops.client._transport import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_REQUEST_TIMEOUT_S,
    DEFAULT_RETRY_BACKOFF_S,
    MAX_BACKOFF_S,
    MAX_RETRY_AFTER_S,
)
from dagster_airbyte_ops.errors import AirbyteApiError

from .conftest import make_client


@pytest.mark.parametrize(
    ("status", "retried"),
    [
        (400, False),
        (401, False),
        (404, False),
        (409, False),
        (422, False),
        (429, True),
        (499, False),
        (500, True),
        (501, False),  # not implemented: asking again will not implement it
        (502, True),
        (503, True),
        (504, True),
        (505, False),  # HTTP version not supported: never heals
        (599, True),
        (600, False),
        (200, False),
        (None, False),
    ],
)
def test_which_statuses_are_retried(status, retried):
    assert should_retry(status=status) is retried


@pytest.mark.parametrize(
    ("exception", "retried"),
    [
        (requests.ConnectionError(), True),
        (requests.Timeout(), True),
        (requests.exceptions.ChunkedEncodingError(), True),
        (requests.exceptions.SSLError(), False),
        (requests.exceptions.InvalidURL(), False),
        (ValueError(), False),
    ],
)
def test_which_exceptions_are_retried(exception, retried):
    assert should_retry(exception=exception) is retried


def test_default_retry_numbers():
    assert (DEFAULT_MAX_RETRIES, DEFAULT_RETRY_BACKOFF_S, MAX_BACKOFF_S) == (5, 1.0, 30.0)
    assert (DEFAULT_REQUEST_TIMEOUT_S, MAX_RETRY_AFTER_S) == (30.0, 300.0)
    client = AirbyteClient(url="http://127.0.0.1:9")
    assert client.transport.max_retries == 5 and client.transport.retry_backoff_s == 1.0
    assert client.transport.request_timeout_s == 30.0


class _FullJitter(Transport):
    def jitter(self) -> float:
        return 1.0


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        (1.0, [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]),  # doubles, capped at 30 s
        (0.5, [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0]),
        (0.0, [0.0] * 7),
    ],
)
def test_backoff_doubles_from_the_base_up_to_the_cap(base, expected):
    transport = _FullJitter("http://127.0.0.1:9", retry_backoff_s=base)
    assert [transport.backoff_s(retry) for retry in range(7)] == expected


def test_backoff_is_scaled_by_the_jitter():
    class Half(Transport):
        def jitter(self) -> float:
            return 0.5

    assert Half("http://127.0.0.1:9", retry_backoff_s=2.0).backoff_s(1) == 2.0


@pytest.mark.parametrize("max_retries", [0, 1, 3])
def test_max_retries_n_means_n_plus_one_tries(emulators, max_retries):
    server = emulators()
    with make_client(server, "config", max_retries=max_retries) as client:
        client.transport._sleep = lambda _s: None
        server.admin.add_fault("status", path="/api/v1/workspaces/", status=503, count=10)
        with pytest.raises(AirbyteApiError) as raised:
            client.list_workspaces()
    tries = [r for r in server.admin.requests() if "/workspaces/" in r["path"]]
    assert len(tries) == max_retries + 1
    assert raised.value.status == 503
    assert ("after" in str(raised.value)) is (max_retries > 0)


def test_max_retries_below_zero_is_one_try():
    assert Transport("http://127.0.0.1:9", max_retries=-3).max_retries == 0


@pytest.mark.parametrize(
    ("retry_after", "slept"),
    [("2", 2.0), ("299", 299.0), ("300", 300.0), ("301", 300.0), ("100000", 300.0)],
)
def test_retry_after_is_honoured_up_to_five_minutes(emulators, retry_after, slept):
    server = emulators()
    sleeps: list[float] = []
    with make_client(server, "config") as client:
        client.transport._sleep = sleeps.append
        server.admin.add_fault(
            "status", path="/api/v1/workspaces/", status=429, count=1, retry_after=float(retry_after)
        )
        client.list_workspaces()
    assert sleeps == [slept]
