"""Every job read is checked against the job we asked for (issue 14, case 1): over real HTTP.

The emulator answers our poll with another, real job's answer (its own JSON, served through the
``body`` fault), or forgets its jobs and hands our job id to another connection (``/_emulator/restart``
with ``reset_ids``, as an Airbyte restarted on a wiped job table does). A mismatch is never recorded:
the read is retried, then the sync fails with an error that says what Airbyte answered.
"""

from __future__ import annotations

import json
import time

import pytest

from dagster_airbyte_ops import AirbyteApiError
from dagster_airbyte_ops.resource.job_identity import JobIdentityError

from .conftest import connection_id, resource_for

APIS = ["config", "public"]
PG = "PostgreSQL → MinIO"
CRM = "CRM API → Postgres"


def _poll_path(api: str) -> str:
    return r"^/api/v1/jobs/get$" if api == "config" else r"^/api/public/v1/jobs/\d+$"


def _raw_job(resource, api: str, job_id: int) -> str:
    """Airbyte's own answer about `job_id`, as the emulator serves it on the poll path."""
    transport = resource.get_client().transport
    if api == "config":
        return json.dumps(transport.request("POST", "jobs/get", json={"id": job_id}))
    return json.dumps(transport.request("GET", f"jobs/{job_id}"))


def _finished_job_of(resource, conn: str) -> int:
    result = resource.sync(conn)
    assert result.succeeded
    assert result.job_id is not None
    return result.job_id


@pytest.mark.parametrize("api", APIS)
def test_a_poll_answered_with_another_job_fails_saying_what_airbyte_answered(emulator, api):
    resource = resource_for(emulator, api)
    pg, crm = connection_id(resource, PG), connection_id(resource, CRM)
    emulator.admin.set_behaviour(crm, duration_s=0.2)
    other = _finished_job_of(resource, crm)
    emulator.admin.set_behaviour(pg, duration_s=3.0)
    emulator.admin.serve_body(_raw_job(resource, api, other), path=_poll_path(api), count=20)

    with pytest.raises(JobIdentityError) as caught:
        resource.sync(pg)

    message = str(caught.value)
    assert f"answered job {other} of connection {crm}" in message, message
    assert "nothing was recorded" in message
    [ours] = [j for j in emulator.admin.jobs() if j["connectionId"] == pg]
    assert f"job {ours['jobId']} of connection {pg}" in message


@pytest.mark.parametrize("api", APIS)
def test_one_wrong_answer_is_read_again_and_the_sync_records_its_own_job(emulator, api):
    resource = resource_for(emulator, api)
    pg, crm = connection_id(resource, PG), connection_id(resource, CRM)
    emulator.admin.set_behaviour(crm, duration_s=0.2)
    other = _finished_job_of(resource, crm)
    emulator.admin.set_behaviour(pg, duration_s=1.5)
    emulator.admin.serve_body(_raw_job(resource, api, other), path=_poll_path(api), count=1)

    result = resource.sync(pg)

    [ours] = [j for j in emulator.admin.jobs() if j["connectionId"] == pg]
    assert result.succeeded and result.job_id == ours["jobId"] != other
    assert result.connection_id == pg
    assert emulator.admin.faults() == []


@pytest.mark.parametrize("api", APIS)
def test_our_job_id_reused_by_another_connection_after_a_restart_is_not_taken_for_ours(emulator, api):
    resource = resource_for(emulator, api)
    pg, crm = connection_id(resource, PG), connection_id(resource, CRM)
    emulator.admin.set_behaviour(pg, duration_s=30.0)
    emulator.admin.set_behaviour(crm, duration_s=0.1)
    job_id = resource.start_sync(pg)
    emulator.admin.restart(reset_ids=True)  # Airbyte's job table wiped: ids start again
    reused = emulator.admin.start_job(crm)["job"]["id"]
    assert reused == job_id  # precondition: the id now names CRM's job

    with pytest.raises(JobIdentityError) as caught:
        resource.wait(job_id, connection_id=pg)

    assert f"answered job {job_id} of connection {crm}" in str(caught.value)


@pytest.mark.parametrize("api", APIS)
def test_a_new_job_of_our_connection_under_our_id_is_not_taken_for_ours(emulator, api):
    """Same id, same connection, created after ours: the creation time tells them apart."""
    resource = resource_for(emulator, api)
    pg = connection_id(resource, PG)
    emulator.admin.set_behaviour(pg, duration_s=2.5)
    job_id = resource.start_sync(pg)
    first = resource.get_client().get_job(job_id)
    emulator.admin.restart(reset_ids=True)
    emulator.admin.set_behaviour(pg, duration_s=0.1)
    time.sleep(2.1)  # Airbyte's creation times have whole seconds
    assert emulator.admin.start_job(pg)["job"]["id"] == job_id

    with pytest.raises(AirbyteApiError) as caught:
        resource.wait(job_id, connection_id=pg, created_at=first.created_at)

    assert "answered job" in str(caught.value) and "created" in str(caught.value)
