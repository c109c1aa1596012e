"""Fault matrix, part 1: transient faults and the lost response — recovered, never a second job.

Each row queues faults in the emulator, runs ``AirbyteResource.sync`` over real HTTP on both API
flavours, and checks three things: the sync succeeded, Airbyte holds exactly one job for the
connection, and every queued fault was consumed (so the row really exercised its fault).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from dagster_airbyte_ops.client._auth import SHARED_TOKENS
from dagster_airbyte_ops.emulator import EmulatorServer

from .conftest import WhileRunning, connection_id, jobs_of, poll_path, resource_for, token_path, trigger_path

Admin = Any


@dataclass(frozen=True)
class Row:
    """One transient fault: how to inject it and what else must be true once the sync is done."""

    id: str
    inject: Callable[[Admin, str], None]
    settings: dict[str, Any] = field(default_factory=dict)  # emulator settings
    resource: dict[str, Any] = field(default_factory=dict)  # AirbyteResource overrides
    duration_s: float = 0.6  # of the Airbyte job
    during: Callable[[Admin], Any] | None = None  # done once the job is running
    check: Callable[[EmulatorServer, str, Any], None] | None = None
    warm_up: bool = True  # first call (workspace look-up, token) made before the faults are queued


def statuses(server: EmulatorServer, path_regex: str, method: str | None = None) -> list[int]:
    """Statuses of the logged requests to matching paths (with `method`: the public API's GET /jobs,
    the look-up for a lost trigger's job, shares the trigger's path)."""
    import re

    return [
        r["status"]
        for r in server.admin.requests()
        if re.search(path_regex, r["path"]) and method in (None, r["method"])
    ]


def _adopted(server: EmulatorServer, api: str, result: Any) -> None:
    """The lost trigger's job is found before any retry and adopted as ours: one trigger, not attached."""
    assert not result.attached, "the lost trigger's job is this sync's own, not someone else's"
    assert len(statuses(server, trigger_path(api), "POST")) == 1, "triggered again although the job was found"


def _trigger_statuses(expected: list[int]) -> Callable[[EmulatorServer, str, Any], None]:
    def check(server: EmulatorServer, api: str, result: Any) -> None:
        # POST: on the public API, GET of the same path lists jobs (the sync reads its history)
        assert statuses(server, trigger_path(api), "POST") == expected

    return check


def _token_statuses(server: EmulatorServer, api: str, result: Any) -> None:
    assert statuses(server, token_path()) == [503, 200]


def _token_refetched(server: EmulatorServer, api: str, result: Any) -> None:
    # The warm-up fetched the first token before the log was cleared: what is logged is the refusal
    # of the expired token, one new token, and the sync going on with it.
    log = [(r["path"], r["status"]) for r in server.admin.requests()]
    refused = next(i for i, (_, status) in enumerate(log) if status == 401)
    fetched = [i for i, (path, _) in enumerate(log) if path.endswith("/applications/token")]
    assert len(fetched) == 1 and fetched[0] > refused
    assert all(status == 200 for _, status in log[fetched[0] :])


ROWS = [
    Row(
        "5xx-burst-on-trigger",
        lambda a, api: a.add_fault("status", path=trigger_path(api), method="POST", count=3, status=503),
        check=_trigger_statuses([503, 503, 503, 200]),
    ),
    Row(
        "5xx-burst-on-poll",
        lambda a, api: (
            a.add_fault("status", path=poll_path(api), count=2, status=502),
            a.add_fault("status", path=poll_path(api), count=2, status=504),
        ),
    ),
    Row(
        "dropped-connection-on-trigger",
        lambda a, api: a.add_fault("drop", path=trigger_path(api), method="POST", count=2),
        check=_trigger_statuses([0, 0, 200]),
    ),
    Row("dropped-connection-on-poll", lambda a, api: a.add_fault("drop", path=poll_path(api), count=3)),
    Row(
        # The slow request is handled after the client gave up on it: the job may be started by it or
        # by the retry, and the other one gets a 409. Either way, one job.
        "trigger-slower-than-request-timeout",
        lambda a, api: a.add_fault("delay", path=trigger_path(api), method="POST", delay_s=1.0),
        resource={"request_timeout_s": 0.5},
        duration_s=3.0,
    ),
    Row(
        "poll-slower-than-request-timeout",
        lambda a, api: a.add_fault("delay", path=poll_path(api), count=2, delay_s=1.0),
        resource={"request_timeout_s": 0.5},
    ),
    Row(
        "429-with-retry-after",
        lambda a, api: (
            a.add_fault(
                "status", path=trigger_path(api), method="POST", count=2, status=429, retry_after=0.2
            ),
            a.add_fault("status", path=poll_path(api), count=2, status=429, retry_after=0.2),
        ),
        check=_trigger_statuses([429, 429, 200]),
    ),
    Row(
        "429-without-retry-after",
        lambda a, api: (
            a.add_fault("status", path=trigger_path(api), method="POST", count=2, status=429),
            a.add_fault("status", path=poll_path(api), count=2, status=429),
        ),
        check=_trigger_statuses([429, 429, 200]),
    ),
    Row(
        "token-endpoint-failing-once",
        lambda a, api: a.add_fault("status", path=token_path(), count=1, status=503),
        settings={"auth": "client_credentials"},
        check=_token_statuses,
        warm_up=False,
    ),
    Row(
        "token-expiring-mid-sync",
        lambda a, api: None,
        settings={"auth": "client_credentials"},
        duration_s=3.0,
        during=lambda a: a.expire_tokens(),
        check=_token_refetched,
    ),
    Row(
        # The trigger is handled and its job starts, but the answer never arrives (held past the request
        # timeout, then dropped). Before retrying, the sync finds that job among the connection's jobs
        # created since the trigger and adopts it (resource/trigger.py).
        "lost-trigger-response",
        lambda a, api: a.add_fault("lost_response", path=trigger_path(api), method="POST", hold_s=1.5),
        resource={"request_timeout_s": 0.5},
        duration_s=3.0,
        check=_adopted,
    ),
]


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_transient_fault_is_recovered_with_exactly_one_job(start_emulator, api, row: Row):
    server = start_emulator(**row.settings)
    conn = connection_id(server)
    server.admin.set_behaviour(conn, duration_s=row.duration_s)
    resource = resource_for(server, api, **row.resource)
    if row.warm_up:
        resource.resolved_workspace_id()  # as a code location that loaded before the faults would have
    else:
        SHARED_TOKENS.clear()  # as a fresh run worker: no token from the set-up's own requests
    server.admin.clear_requests()
    row.inject(server.admin, api)
    during = WhileRunning(server, conn, lambda: row.during(server.admin)) if row.during else None

    result = resource.sync(conn)

    if during is not None:
        during.check()
    assert result.succeeded
    assert [job["jobId"] for job in jobs_of(server, conn)] == [result.job_id]
    assert server.admin.faults() == [], "a queued fault was never hit"
    if row.check is not None:
        row.check(server, api, result)
