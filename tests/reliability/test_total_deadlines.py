"""Every call to Airbyte has a total deadline, and `sync_timeout_s` bounds the whole sync (issue 14, case 2).

The server is a real socket on 127.0.0.1 sending one header line every 2 s: each read arrives well
inside `request_timeout_s`, so requests' per-read timeout never fires. Before the total deadline these
calls were still blocked after 90 s.
"""

from __future__ import annotations

import time
import uuid

import pytest

from dagster_airbyte_ops.cli import main
from dagster_airbyte_ops.client import AirbyteClient, AirbyteDeadlineError, deadline
from dagster_airbyte_ops.errors import AirbyteApiError, SyncTimeoutError
from dagster_airbyte_ops.resource import AirbyteResource

from .trickle_server import TrickleServer, run_bounded

CONNECTION = str(uuid.UUID(int=7))


def _running_job(body: dict) -> dict:
    now = int(time.time()) + 1  # Airbyte's clock may run a little ahead; never behind the trigger
    return {
        "job": {
            "id": 7,
            "configId": body.get("connectionId", CONNECTION),
            "configType": "sync",
            "status": "running",
            "createdAt": now,
            "updatedAt": now,
        },
        "attempts": [],
    }


@pytest.fixture
def trickle():
    servers: list[TrickleServer] = []

    def start(**answers) -> TrickleServer:
        server = TrickleServer({"/" + path.replace("__", "/"): answer for path, answer in answers.items()})
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.mark.parametrize("api", ["config", "public"])
def test_a_trickling_answer_times_out_after_request_timeout_per_try(trickle, api):
    server = trickle()
    client = AirbyteClient(url=server.url, api=api, request_timeout_s=3, max_retries=1, retry_backoff_s=0.1)
    took, raised, ended = run_bounded(client.list_workspaces, limit_s=30)
    assert ended, "list_workspaces still blocked on a server trickling headers"
    assert isinstance(raised, AirbyteApiError) and not isinstance(raised, AirbyteDeadlineError)
    assert "no complete answer within 3 s" in str(raised) and "after 2 tries" in str(raised)
    assert 5.5 <= took <= 8.5, took  # two tries of 3 s each, a short backoff between
    assert len(server.requests) == 2


def test_a_callers_deadline_stops_retries_and_cuts_the_try_short(trickle):
    server = trickle()
    client = AirbyteClient(url=server.url, request_timeout_s=30, max_retries=5, retry_backoff_s=0.1)

    def call() -> None:
        with deadline(2.5):
            client.list_workspaces()

    took, raised, ended = run_bounded(call, limit_s=30)
    assert ended and isinstance(raised, AirbyteDeadlineError), raised
    assert "no answer before the caller's deadline" in str(raised)
    assert took < 4.5, took
    assert len(server.requests) == 1  # the one try took the whole deadline; no retry after it


def test_sync_timeout_bounds_the_whole_sync_including_a_stuck_poll(trickle):
    server = trickle(api__v1__connections__sync=_running_job)  # every other call trickles
    resource = AirbyteResource(
        url=server.url, api="config", request_timeout_s=3, sync_timeout_s=5, retry_backoff_s=0.1
    )
    took, raised, ended = run_bounded(lambda: resource.sync(CONNECTION), limit_s=60)
    assert ended, "sync() still blocked although sync_timeout_s=5"
    assert isinstance(raised, SyncTimeoutError), raised
    assert "sync timeout of 5 s" in str(raised)
    # 5 s of sync, then at most one request_timeout_s to ask Airbyte to cancel (it trickles too).
    assert took <= 5 + 3 + 1.5, took
    assert ("POST", "/api/v1/jobs/cancel") in server.requests


def test_check_returns_within_its_timeouts_on_a_trickling_server(trickle, tmp_path, monkeypatch, capfd):
    server = trickle()
    config = tmp_path / "airbyte_ops.yaml"
    config.write_text(
        f"airbyte: {{url: '{server.url}', api: config, request_timeout_s: 2, max_retries: 1, "
        "retry_backoff_s: 0.1}\nconnections: [{match: '*'}]\n"
    )
    monkeypatch.setenv("AIRBYTE_OPS_CONFIG", str(config))
    outcome: list[int] = []
    took, raised, ended = run_bounded(lambda: outcome.append(main(["check"])), limit_s=30)
    assert ended and raised is None and outcome == [1], (raised, outcome)
    assert took <= 2 * 2 + 2, took
    err = capfd.readouterr().err
    assert "no complete answer within 2 s" in err
