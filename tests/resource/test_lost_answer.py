"""The lost answer (issue 14, case 5): the trigger reached Airbyte and started a job, but its answer
never reached us. Before triggering again, the sync looks for a job of the connection created since
the trigger, running or already ended, and adopts it: never a second job. Real HTTP to the emulator,
whose ``lost_response`` fault runs the trigger and then drops the connection."""

from __future__ import annotations

import pytest

from .conftest import connection_id, resource_for

APIS = ["config", "public"]
PG = "PostgreSQL → MinIO"


def _trigger_path(api: str) -> str:
    return r"^/api/v1/connections/sync$" if api == "config" else r"^/api/public/v1/jobs$"


@pytest.mark.parametrize("api", APIS)
def test_a_job_that_ended_before_the_retry_is_adopted_not_started_again(emulator, api):
    resource = resource_for(emulator, api, request_timeout_s=0.8)
    conn = connection_id(resource, PG)
    emulator.admin.set_behaviour(conn, duration_s=0.1)  # over long before the client gives up
    emulator.admin.add_fault("lost_response", path=_trigger_path(api), method="POST", hold_s=2.0)

    result = resource.sync(conn)

    jobs = [j for j in emulator.admin.jobs() if j["connectionId"] == conn]
    assert len(jobs) == 1, jobs  # never a second job
    assert result.succeeded and result.job_id == jobs[0]["jobId"]
    assert not result.attached  # our own trigger's job: this run started it
    assert emulator.admin.faults() == []


@pytest.mark.parametrize("api", APIS)
def test_a_trigger_that_never_arrived_is_retried_and_runs_once(emulator, api):
    """A dropped connection before Airbyte handled the trigger: nothing to adopt, the retry starts it."""
    resource = resource_for(emulator, api)
    conn = connection_id(resource, PG)
    emulator.admin.set_behaviour(conn, duration_s=0.1)
    emulator.admin.add_fault("drop", path=_trigger_path(api), method="POST", count=2)

    result = resource.sync(conn)

    jobs = [j for j in emulator.admin.jobs() if j["connectionId"] == conn]
    assert len(jobs) == 1 and result.succeeded and result.job_id == jobs[0]["jobId"]
