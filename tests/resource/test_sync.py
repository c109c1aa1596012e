"""AirbyteResource.sync over real HTTP against the emulator, both API flavours, every auth mode."""

from __future__ import annotations

import signal
import threading
import time

import pytest

from dagster_airbyte_ops import AirbyteResource, SyncConflictError, SyncFailedError, SyncTimeoutError
from dagster_airbyte_ops.client.models import JobStatus

from .conftest import connection_id, resource_for

APIS = ["config", "public"]
AUTH_MODES = ["none", "basic", "bearer", "client_credentials"]
PG = "PostgreSQL → MinIO"


def _jobs_of(emulator, conn: str) -> list[dict]:
    return [job for job in emulator.admin.jobs() if job["connectionId"] == conn]


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize(
    "emulator",
    [{"auth": mode, "default_job_duration_s": 0.6} for mode in AUTH_MODES],
    indirect=True,
    ids=AUTH_MODES,
)
def test_sync_succeeds_and_reports_what_airbyte_reports(emulator, api):
    resource = resource_for(emulator, api)
    conn = connection_id(resource, PG)

    result = resource.sync(conn)

    assert result.status is JobStatus.SUCCEEDED
    assert result.connection_id == conn
    jobs = _jobs_of(emulator, conn)
    assert [job["jobId"] for job in jobs] == [result.job_id]
    assert result.attempts == (1 if api == "config" else 0)  # the public API has no attempts
    assert (
        result.job_url and f"/connections/{conn}/" in result.job_url and str(result.job_id) in result.job_url
    )
    assert result.rows_synced and result.rows_synced > 0
    if api == "config":
        # Per-stream figures exist only on the Config API; they add up to the job's total.
        job = resource.get_client().get_job(result.job_id)
        expected = {s.stream_name: s.records_committed for s in job.stream_stats}
        assert {name: s.records_committed for name, s in result.stream_stats.items()} == expected
        assert sum(expected.values()) == result.rows_synced


@pytest.mark.parametrize("api", APIS)
def test_running_job_is_attached_not_duplicated(emulator, api):
    resource = resource_for(emulator, api)
    conn = connection_id(resource, PG)
    emulator.admin.set_behaviour(conn, duration_s=1.0)
    scheduled = emulator.admin.start_job(conn)  # Airbyte's own scheduler got there first

    result = resource.sync(conn)

    assert result.attached
    assert result.job_id == scheduled["job"]["id"]
    assert len(_jobs_of(emulator, conn)) == 1


@pytest.mark.parametrize("api", APIS)
def test_two_concurrent_syncs_make_one_airbyte_job(emulator, api):
    conn = connection_id(resource_for(emulator, api), PG)
    emulator.admin.set_behaviour(conn, duration_s=1.0)
    results = []

    def run() -> None:
        results.append(resource_for(emulator, api).sync(conn))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(results) == 2
    assert {r.job_id for r in results} == {_jobs_of(emulator, conn)[0]["jobId"]}
    assert len(_jobs_of(emulator, conn)) == 1
    assert sorted(r.attached for r in results) == [False, True]


@pytest.mark.parametrize("api", APIS)
def test_incomplete_then_succeeded_is_waited_through(emulator, api):
    resource = resource_for(emulator, api)
    conn = connection_id(resource, PG)
    emulator.admin.set_behaviour(conn, duration_s=1.0, outcome="incomplete_then_succeeded", attempts=2)
    seen: list[str] = []
    client = resource.get_client()
    original = client.get_job

    def spy(job_id):
        job = original(job_id)
        seen.append(job.status.value)
        return job

    client.get_job = spy  # type: ignore[method-assign]
    result = resource.sync(conn)

    assert result.status is JobStatus.SUCCEEDED
    assert "incomplete" in seen
    if api == "config":
        assert result.attempts == 2


@pytest.mark.parametrize("api", APIS)
def test_failed_job_raises_with_airbyte_failure_message(emulator, api):
    resource = resource_for(emulator, api)
    conn = connection_id(resource, PG)
    emulator.admin.set_behaviour(
        conn, duration_s=0.3, outcome="failed", failure_message="Connection refused: postgres:5432"
    )

    with pytest.raises(SyncFailedError) as raised:
        resource.sync(conn)

    message = str(raised.value)
    assert "failed" in message and f"connection {conn}" in message
    assert raised.value.job_id is not None and f"jobId={raised.value.job_id}" in message
    if api == "config":
        assert "Connection refused: postgres:5432" in message


@pytest.mark.parametrize("api", APIS)
def test_stuck_job_times_out_and_is_cancelled(emulator, api):
    resource = resource_for(emulator, api, sync_timeout_s=1.0)
    conn = connection_id(resource, PG)
    emulator.admin.set_behaviour(conn, outcome="stuck")

    with pytest.raises(SyncTimeoutError) as raised:
        resource.sync(conn)

    [job] = _jobs_of(emulator, conn)
    assert job["jobId"] == raised.value.job_id
    assert job["status"] == "cancelled"


def test_job_cancelled_in_airbyte_fails_clearly(emulator):
    resource = resource_for(emulator)
    conn = connection_id(resource, PG)
    emulator.admin.set_behaviour(conn, outcome="stuck")
    job_id = resource.start_sync(conn)
    threading.Timer(0.5, lambda: resource_for(emulator).cancel(job_id)).start()

    with pytest.raises(SyncFailedError, match="was cancelled in Airbyte"):
        resource.wait(job_id)


@pytest.mark.parametrize("api", APIS)
def test_on_running_sync_fail_and_skip(emulator, api):
    conn = connection_id(resource_for(emulator, api), PG)
    emulator.admin.set_behaviour(conn, duration_s=2.0)
    running = emulator.admin.start_job(conn)

    with pytest.raises(SyncConflictError, match="on_running_sync='fail'"):
        resource_for(emulator, api, on_running_sync="fail").sync(conn)
    skipped = resource_for(emulator, api, on_running_sync="skip").sync(conn)

    assert skipped.skipped and skipped.job_id == running["job"]["id"]
    assert len(_jobs_of(emulator, conn)) == 1


@pytest.mark.parametrize("api", APIS)
def test_start_sync_then_wait(emulator, api):
    resource = resource_for(emulator, api)
    conn = connection_id(resource, PG)
    emulator.admin.set_behaviour(conn, duration_s=0.5)

    job_id = resource.start_sync(conn)
    assert resource.start_sync(conn) == job_id  # a second start attaches

    result = resource.wait(job_id)
    assert result.job_id == job_id and result.succeeded
    assert len(_jobs_of(emulator, conn)) == 1


@pytest.mark.parametrize("api", APIS)
def test_lost_trigger_response_attaches_to_the_job_it_started(emulator, api):
    resource = resource_for(emulator, api, request_timeout_s=0.5)
    conn = connection_id(resource, PG)
    emulator.admin.set_behaviour(conn, duration_s=2.0)
    trigger_path = "/api/v1/connections/sync" if api == "config" else "/api/public/v1/jobs"
    emulator.admin.add_fault("lost_response", path=f"^{trigger_path}$", method="POST", count=1, delay_s=2.0)

    result = resource.sync(conn)

    assert result.succeeded
    assert len(_jobs_of(emulator, conn)) == 1


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("emulator", [{"auth": "client_credentials", "token_lifetime_s": 1.0}], indirect=True)
def test_token_expiring_mid_sync_is_refreshed(emulator, api):
    resource = resource_for(emulator, api)
    conn = connection_id(resource, PG)
    emulator.admin.set_behaviour(conn, duration_s=3.0)

    result = resource.sync(conn)

    assert result.succeeded
    token_requests = [r for r in emulator.admin.requests() if r["path"].endswith("/applications/token")]
    assert len(token_requests) >= 2


@pytest.mark.parametrize("api", APIS)
def test_5xx_burst_on_trigger_and_poll_recovered(emulator, api):
    resource = resource_for(emulator, api)
    conn = connection_id(resource, PG)
    emulator.admin.set_behaviour(conn, duration_s=0.5)
    job_path = r"^/api/v1/jobs/get$" if api == "config" else r"^/api/public/v1/jobs/\d+$"
    trigger_path = r"^/api/v1/connections/sync$" if api == "config" else r"^/api/public/v1/jobs$"
    emulator.admin.add_fault("status", path=trigger_path, method="POST", count=2, status=503)
    emulator.admin.add_fault("status", path=job_path, count=3, status=502)
    emulator.admin.add_fault("drop", path=job_path, count=1)

    result = resource.sync(conn)

    assert result.succeeded
    assert len(_jobs_of(emulator, conn)) == 1
    assert emulator.admin.faults() == []


def test_run_interrupt_cancels_the_airbyte_job(emulator):
    resource = resource_for(emulator)
    conn = connection_id(resource, PG)
    emulator.admin.set_behaviour(conn, outcome="stuck")
    main = threading.main_thread().ident
    assert threading.get_ident() == main
    # Python's own Ctrl-C behaviour, whatever an earlier test in this worker left installed.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(0.8, lambda: signal.pthread_kill(main, signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            resource.sync(conn)
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)

    [job] = _jobs_of(emulator, conn)
    assert job["status"] == "cancelled"


def test_adaptive_polling_sees_short_syncs_quickly(emulator):
    resource = resource_for(emulator, poll_interval_s=10.0)
    conn = connection_id(resource, PG)
    emulator.admin.set_behaviour(conn, duration_s=0.5)

    started = time.monotonic()
    resource.sync(conn)
    assert time.monotonic() - started < 2.5


def test_conflicting_auth_fields_are_a_clear_error(emulator):
    resource = AirbyteResource(url=emulator.url, username="u", password="p", token="t")
    with pytest.raises(Exception, match="several auth modes are set"):
        resource.get_client()
    with pytest.raises(Exception, match=r"AirbyteResource.password: missing while username is set"):
        AirbyteResource(url=emulator.url, username="u").get_client()
