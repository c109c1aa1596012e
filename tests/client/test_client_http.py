"""The client end to end against the Airbyte emulator: both API flavours, every auth mode, and faults.

Request counts come from the emulator's request log (``/_emulator/requests``), so "not retried" and
"one call" are measured on the wire.
"""

from __future__ import annotations

import json
import time

import pytest

from dagster_airbyte_ops.client import (
    AirbyteJobNotFoundError,
    AirbyteNotFoundError,
    ConnectionSchedule,
    JobStatus,
    outcome_unknown,
)
from dagster_airbyte_ops.errors import AirbyteApiError, AirbyteAuthError, SyncConflictError

from .conftest import APIS, AUTH_MODES, make_client

S3_DEFINITION_ID = "4816b78f-1489-44c1-9060-4b19d5fa9362"
POSTGRES_SOURCE_DEFINITION_ID = "decd338e-5647-4c0b-adf4-da0e75f5a750"

both_apis = pytest.mark.parametrize("api", APIS, ids=[f"{a}-api" for a in APIS])


def api_path(api: str, config_path: str, public_path: str) -> str:
    return f"/api/v1/{config_path}" if api == "config" else f"/api/public/v1/{public_path}"


def logged(server, path_part: str, method: str | None = None) -> list[dict]:
    return [
        r
        for r in server.admin.requests()
        if path_part in r["path"] and (method is None or r["method"] == method.upper())
    ]


def wait_for(predicate, timeout_s: float = 10.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


@both_apis
@pytest.mark.parametrize("auth", AUTH_MODES)
def test_every_operation(emulators, api, auth):
    server = emulators(auth=auth)
    with make_client(server, api) as client:
        assert client.health()
        (workspace,) = client.list_workspaces()
        assert client.get_workspace(workspace.id) == workspace

        if api == "config":  # the emulator has no public definitions route (see report)
            assert any(d.id == S3_DEFINITION_ID for d in client.list_destination_definitions(workspace.id))
            assert any(
                d.id == POSTGRES_SOURCE_DEFINITION_ID for d in client.list_source_definitions(workspace.id)
            )

        source = client.create_source(
            workspace.id,
            "it-source",
            POSTGRES_SOURCE_DEFINITION_ID,
            {"host": "db", "port": 5432, "database": "app", "username": "u", "password": "pw"},
        )
        assert source.source_type == "postgres" and source in client.list_sources(workspace.id)
        renamed = client.update_source(source.id, name="it-source-2")
        assert renamed.name == "it-source-2" and client.get_source(source.id).name == "it-source-2"

        destination = client.create_destination(
            workspace.id,
            "it-lake",
            S3_DEFINITION_ID,
            {
                "s3_bucket_name": "b",
                "s3_bucket_path": "raw",
                "s3_bucket_region": "us-east-1",
                "format": {"format_type": "JSONL"},
            },
        )
        assert destination.destination_type == "s3"
        assert destination.id in {d.id for d in client.list_destinations(workspace.id)}
        assert client.update_destination(destination.id, name="it-lake-2").name == "it-lake-2"
        assert client.get_destination(destination.id).name == "it-lake-2"

        if api == "config":
            assert client.check_source(source.id).ok
            assert client.check_destination(destination.id).ok
        else:
            with pytest.raises(AirbyteApiError, match="no connection-check endpoint"):
                client.check_source(source.id)

        streams = client.discover_schema(source.id)
        assert streams and all(s.name for s in streams)
        assert (streams[0].json_schema is not None) is (api == "config")

        connection = client.create_connection(
            source.id, destination.id, name="it-conn", streams=streams[:2], prefix="it_"
        )
        assert connection.name == "it-conn" and connection.prefix == "it_"
        assert [s.name for s in connection.streams] == [s.name for s in streams[:2]]
        updated = client.update_connection(
            connection.id, name="it-conn-2", schedule=ConnectionSchedule.cron("0 0 6 * * ?", "Europe/Paris")
        )
        assert updated.name == "it-conn-2"
        assert updated.schedule.schedule_type == "cron" and updated.schedule.timezone == "Europe/Paris"
        assert client.get_connection(connection.id).schedule.cron_expression == "0 0 6 * * ?"
        assert connection.id in {c.id for c in client.list_connections(workspace.id)}

        server.admin.set_behaviour(connection.id, outcome="stuck")
        job = client.trigger_sync(connection.id)
        assert job.connection_id == connection.id and job.job_type == "sync" and not job.is_terminal
        with pytest.raises(SyncConflictError) as conflict:
            client.trigger_sync(connection.id)
        assert conflict.value.connection_id == connection.id and conflict.value.status == 409
        running = client.find_running_job(connection.id)
        assert running is not None and running.id == job.id
        assert client.get_job(job.id).id == job.id
        assert [j.id for j in client.list_jobs(connection_id=connection.id)] == [job.id]
        cancelled = wait_for(lambda: (j := client.cancel_job(job.id)).is_terminal and j)
        assert cancelled.status is JobStatus.CANCELLED
        assert client.cancel_job(job.id).status is JobStatus.CANCELLED  # 409 "not running" -> as it is
        assert client.find_running_job(connection.id) is None

        reset = client.trigger_reset(connection.id)
        assert reset.job_type == "reset"
        assert client.list_jobs(connection_id=connection.id, job_type="reset")[0].id == reset.id

        client.delete_connection(connection.id)
        assert connection.id not in {c.id for c in client.list_connections(workspace.id)}
        client.delete_source(source.id)
        client.delete_destination(destination.id)
        with pytest.raises(AirbyteApiError) as gone:
            client.get_source(source.id)
        assert gone.value.status == 404


@both_apis
def test_sync_to_success_with_stats(emulators, api):
    server = emulators()
    with make_client(server, api) as client:
        (workspace,) = client.list_workspaces()
        connection = client.list_connections(workspace.id)[0]
        server.admin.set_behaviour(connection.id, outcome="succeeded", duration_s=0.5)
        job = client.trigger_sync(connection.id)
        done = wait_for(lambda: (j := client.get_job(job.id)).is_terminal and j)
        assert done.status is JobStatus.SUCCEEDED
        assert done.rows_synced and done.rows_synced > 0
        assert done.duration_s is not None and done.ended_at is not None
        if api == "config":
            assert done.attempt_count >= 1
            assert {s.stream_name for s in done.stream_stats} == {s.name for s in connection.selected_streams}
            assert sum(s.records_committed for s in done.stream_stats) == done.rows_synced
        else:
            assert done.stream_stats == []
        newest = client.list_jobs(connection_id=connection.id, statuses=["succeeded"], limit=1)
        assert [j.id for j in newest] == [job.id]


@both_apis
def test_failed_job_carries_failure_summary(emulators, api):
    server = emulators()
    with make_client(server, api) as client:
        (workspace,) = client.list_workspaces()
        connection = client.list_connections(workspace.id)[0]
        server.admin.set_behaviour(
            connection.id, outcome="failed", duration_s=0.3, failure_message="bucket not found"
        )
        job = client.trigger_sync(connection.id)
        done = wait_for(lambda: (j := client.get_job(job.id)).is_terminal and j)
        assert done.status is JobStatus.FAILED
        if api == "config":
            assert done.failure_summary is not None
            assert done.failure_summary.external_message == "bucket not found"


@both_apis
def test_pagination_past_250_connections(emulators, api):
    server = emulators()
    server.admin.bulk(260, 2)
    with make_client(server, api) as client:
        (workspace,) = client.list_workspaces()
        server.admin.clear_requests()
        connections = client.list_connections(workspace.id)
    assert len(connections) == 264  # 4 demo connections + 260
    assert len({c.id for c in connections}) == 264
    calls = logged(server, api_path(api, "connections/list", "connections"))
    if api == "config":
        assert len(calls) == 1  # connections/list returns every catalog in one call
    else:
        assert len(calls) == 3 and all("limit=100" in c["query"] for c in calls)


@both_apis
def test_token_expiry_in_the_middle_is_refreshed(emulators, api):
    server = emulators(auth="client_credentials")
    with make_client(server, api) as client:
        (workspace,) = client.list_workspaces()
        assert server.admin.expire_tokens() >= 1
        assert client.list_connections(workspace.id)
    token_calls = logged(server, "/applications/token")
    assert len(token_calls) == 2
    assert [r["status"] for r in server.admin.requests() if r["status"] == 401] == [401]


@both_apis
def test_token_endpoint_failing_once(emulators, api):
    server = emulators(auth="client_credentials")
    server.admin.add_fault("status", path="/applications/token", status=503, count=1)
    with make_client(server, api) as client:
        assert client.list_workspaces()
    assert [r["status"] for r in logged(server, "/applications/token")] == [503, 200]


@both_apis
def test_wrong_credentials_are_auth_errors(emulators, api):
    server = emulators(auth="client_credentials")
    with make_client(server, api, client_secret="wrong") as client, pytest.raises(AirbyteAuthError) as info:
        client.list_workspaces()
    assert "wrong" not in str(info.value)
    assert len(logged(server, "/applications/token")) == 1
    server = emulators(auth="basic")
    with make_client(server, api, password="wrong") as client, pytest.raises(AirbyteAuthError):
        client.list_workspaces()
    assert len(server.admin.requests()) == 1


@both_apis
@pytest.mark.parametrize("kind", ["status", "drop"], ids=["5xx-burst", "dropped-connections"])
def test_transient_failures_recovered(emulators, api, kind):
    server = emulators()
    path = api_path(api, "connections/list", "connections")
    with make_client(server, api) as client:
        (workspace,) = client.list_workspaces()
        server.admin.add_fault(kind, path=path + "$", status=503, count=3)
        server.admin.clear_requests()
        assert len(client.list_connections(workspace.id)) == 4
    assert len(logged(server, path)) == 4


@both_apis
def test_lost_response_on_trigger_becomes_conflict(emulators, api):
    """The trigger ran but its answer was lost: the retry gets a 409, which the caller attaches to."""
    server = emulators()
    path = api_path(api, "connections/sync", "jobs")
    with make_client(server, api) as client:
        (workspace,) = client.list_workspaces()
        connection = client.list_connections(workspace.id)[0]
        server.admin.set_behaviour(connection.id, outcome="stuck")
        server.admin.add_fault("lost_response", path=path + "$", method="POST", count=1)
        with pytest.raises(SyncConflictError):
            client.trigger_sync(connection.id)
        assert client.find_running_job(connection.id) is not None
    assert len(server.admin.jobs()) == 1


@both_apis
@pytest.mark.parametrize("retry_after", [None, 0.05], ids=["no-retry-after", "retry-after"])
def test_429_retried(emulators, api, retry_after):
    server = emulators()
    path = api_path(api, "workspaces", "workspaces")
    sleeps: list[float] = []
    with make_client(server, api) as client:
        client.transport._sleep = sleeps.append
        server.admin.add_fault("status", path=path, status=429, count=2, retry_after=retry_after)
        assert client.list_workspaces()
    assert [r["status"] for r in logged(server, path)] == [429, 429, 200]
    if retry_after is not None:
        assert sleeps == [retry_after, retry_after]
    else:
        assert len(sleeps) == 2 and all(s <= 0.02 for s in sleeps)


@both_apis
@pytest.mark.parametrize("status", [400, 404, 422])
def test_4xx_not_retried(emulators, api, status):
    server = emulators()
    path = api_path(api, "connections/get", "connections/")
    with make_client(server, api) as client:
        (workspace,) = client.list_workspaces()
        connection = client.list_connections(workspace.id)[0]
        server.admin.add_fault("status", path=path, status=status, count=5)
        server.admin.clear_requests()
        with pytest.raises(AirbyteApiError) as info:
            client.get_connection(connection.id)
    assert info.value.status == status
    assert len(server.admin.requests()) == 1


@both_apis
def test_unknown_id_is_404_once(emulators, api):
    server = emulators()
    with make_client(server, api) as client, pytest.raises(AirbyteApiError) as info:
        client.get_connection("00000000-0000-0000-0000-000000000000")
    assert info.value.status == 404
    assert len(server.admin.requests()) == 1


@both_apis
def test_409_on_trigger_is_conflict_with_one_job(emulators, api):
    server = emulators()
    with make_client(server, api) as client:
        (workspace,) = client.list_workspaces()
        connection = client.list_connections(workspace.id)[0]
        server.admin.set_behaviour(connection.id, outcome="stuck")
        client.trigger_sync(connection.id)
        server.admin.clear_requests()
        with pytest.raises(SyncConflictError) as info:
            client.trigger_sync(connection.id)
    assert info.value.connection_id == connection.id
    assert len(server.admin.requests()) == 1  # not retried
    assert len(server.admin.jobs()) == 1


@both_apis
def test_malformed_response_names_the_path(emulators, api):
    server = emulators()
    path = api_path(api, "connections/list", "connections")
    with make_client(server, api) as client:
        (workspace,) = client.list_workspaces()
        server.admin.add_fault("status", path=path + "$", status=200, count=1)  # an error body with 200
        with pytest.raises(AirbyteApiError) as info:
            client.list_connections(workspace.id)
    message = str(info.value)
    assert "connections" in message and "unexpected response" in message


@pytest.mark.parametrize("version", ["0.50", "1.6", "2.0"])
def test_workspaces_on_every_version(emulators, version):
    server = emulators(airbyte_version=version)
    with make_client(server, "config") as client:
        assert len(client.list_workspaces()) == 1
        assert len(client.list_workspaces()) == 1  # the working endpoint is remembered
    paths = [r["path"] for r in server.admin.requests()]
    assert len(paths) <= 3


def test_health_false_when_down():
    with make_client_for_dead_server() as client:
        assert client.health() is False


def make_client_for_dead_server():
    from dagster_airbyte_ops.client import AirbyteClient

    return AirbyteClient(url="http://127.0.0.1:9", retry_backoff_s=0.01, request_timeout_s=1.0)


@both_apis
def test_typed_errors_for_unknown_objects_and_jobs(emulators, api):
    """Callers tell "not found" and "job gone" apart by type, never by comparing status codes."""
    server = emulators()
    with make_client(server, api) as client:
        with pytest.raises(AirbyteNotFoundError) as missing:
            client.get_connection("00000000-0000-0000-0000-000000000000")
        assert not isinstance(missing.value, AirbyteJobNotFoundError)
        with pytest.raises(AirbyteJobNotFoundError) as gone:
            client.get_job(987654)
    assert gone.value.job_id == 987654 and gone.value.status == 404
    assert "Airbyte job 987654 no longer exists" in str(gone.value)


@pytest.mark.parametrize(
    ("status", "unknown"), [(None, True), (500, True), (502, True), (400, False), (404, False), (409, False)]
)
def test_outcome_unknown_only_without_a_clear_answer(status, unknown):
    """A trigger that failed with a 5xx or no answer may have started a job; a 4xx did not."""
    assert outcome_unknown(AirbyteApiError("x", status=status)) is unknown


@both_apis
def test_negative_row_counts_from_airbyte_are_rejected_at_the_edge(emulators, api):
    """A job answer with a negative row or byte count is a malformed answer, never recorded as such."""
    server = emulators()
    with make_client(server, api) as client:
        (workspace,) = client.list_workspaces()
        connection = client.list_connections(workspace.id)[0]
        job = client.trigger_sync(connection.id)
        if api == "config":
            body = {
                "job": {
                    "id": job.id,
                    "configId": connection.id,
                    "configType": "sync",
                    "status": "succeeded",
                    "createdAt": 1,
                    "updatedAt": 2,
                    "aggregatedStats": {"recordsEmitted": 5, "recordsCommitted": -5},
                },
                "attempts": [],
            }
            path, field = api_path(api, "jobs/get", "") + "$", "job.aggregatedStats.recordsCommitted"
        else:
            body = {
                "jobId": job.id,
                "connectionId": connection.id,
                "jobType": "sync",
                "status": "succeeded",
                "startTime": "2026-01-01T00:00:00Z",
                "rowsSynced": -5,
                "bytesSynced": 10,
            }
            path, field = api_path(api, "", f"jobs/{job.id}") + "$", "rowsSynced"
        server.admin.serve_body(json.dumps(body), path=path, count=1)
        with pytest.raises(AirbyteApiError) as info:
            client.get_job(job.id)
    message = str(info.value)
    assert field in message and "must not be negative" in message, message


@both_apis
def test_clients_with_the_same_credentials_share_one_token(emulators, api):
    """Dagster builds the resource anew per sensor tick and run step: one token serves them all until
    its refresh time; a 401 after Airbyte dropped it makes one new token, which the others adopt."""
    server = emulators(auth="client_credentials")
    with make_client(server, api) as first, make_client(server, api) as second:
        (workspace,) = first.list_workspaces()
        assert second.list_connections(workspace.id)
        assert len(logged(server, "/applications/token")) == 1

        assert server.admin.expire_tokens() >= 1
        assert first.list_connections(workspace.id)  # 401, one new token
        assert second.list_connections(workspace.id)  # 401 on the old one, adopts the new one
    assert len(logged(server, "/applications/token")) == 2
    with make_client(server, api, client_secret="wrong") as other, pytest.raises(AirbyteAuthError):
        other.list_workspaces()  # other credentials never get the shared token
    assert len(logged(server, "/applications/token")) == 3
