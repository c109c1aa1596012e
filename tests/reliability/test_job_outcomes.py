"""Fault matrix, part 2: how an Airbyte job ends, seen through a real Dagster run on both API flavours.

A materialization runs ``AirbyteResource.sync`` inside the connection's multi-asset; the rows check
the run's outcome, the message a Dagster user reads, and Airbyte's job table (one job, in the right
state). A terminated run cancelling its job is proven with a real ``dagster asset materialize``
process in tests/assets/test_run_termination.py (and in-process in tests/resource/test_sync.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import dagster as dg
import pytest

from .conftest import WhileRunning, connection_id, definitions_for, jobs_of, resource_for, run_messages
from .conftest import trigger_path as trigger_regex

FAILURE_MESSAGE = 'ERROR: relation "public.orders" does not exist'


@dataclass(frozen=True)
class Row:
    id: str
    behaviour: dict[str, Any]
    success: bool
    job_status: str  # in Airbyte's job table afterwards
    messages: tuple[str, ...] = ()  # in the Dagster error (failure) or the run's log (success)
    config_only_messages: tuple[str, ...] = ()  # the public API has no failure summary or attempts
    airbyte: dict[str, Any] = field(default_factory=dict)
    cancel_elsewhere: bool = False
    attempts: int = 1  # recorded on the materializations (Config API; the public API reports none)


ROWS = [
    Row(
        "incomplete-then-succeeded",
        {"outcome": "incomplete_then_succeeded", "attempts": 2, "duration_s": 1.0},
        success=True,
        job_status="succeeded",
        messages=(": succeeded",),
        attempts=2,
    ),
    Row(
        "failed-after-attempts",
        {"outcome": "failed", "attempts": 3, "duration_s": 0.6, "failure_message": FAILURE_MESSAGE},
        success=False,
        job_status="failed",
        messages=("failed",),
        config_only_messages=(FAILURE_MESSAGE, "failed after 3 attempt(s)"),
    ),
    Row(
        "cancelled-in-airbyte-by-someone-else",
        {"outcome": "stuck"},
        success=False,
        job_status="cancelled",
        messages=("was cancelled in Airbyte",),
        cancel_elsewhere=True,
    ),
    Row(
        "stuck-past-sync-timeout",
        {"outcome": "stuck"},
        success=False,
        job_status="cancelled",
        messages=("ran past the sync timeout of 1.5 s and was cancelled",),
        airbyte={"sync_timeout_s": 1.5},
    ),
]


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_job_outcome_through_dagster(start_emulator, api, tmp_path, row: Row):
    server = start_emulator()
    conn = connection_id(server)
    server.admin.set_behaviour(conn, **row.behaviour)
    defs = definitions_for(server, api, str(tmp_path), **row.airbyte)
    server.admin.clear_requests()
    someone_else = resource_for(server, api)
    cancel = (
        WhileRunning(server, conn, lambda: someone_else.cancel(jobs_of(server, conn)[0]["jobId"]))
        if row.cancel_elsewhere
        else None
    )
    instance = dg.DagsterInstance.ephemeral()

    result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
        instance=instance, raise_on_error=False
    )

    if cancel is not None:
        cancel.check()
    assert result.success is row.success
    [job] = jobs_of(server, conn)
    assert job["status"] == row.job_status
    # Nothing retried a finished job: one trigger, whatever the outcome.
    triggers = [r for r in server.admin.requests() if re.search(trigger_regex(api), r["path"])]
    assert sum(1 for r in triggers if r["method"] == "POST") == 1  # GET of the public path lists jobs
    expected = row.messages + (row.config_only_messages if api == "config" else ())
    if row.success:
        text = "\n".join(run_messages(instance, result.run_id))
        materialized = result.asset_materializations_for_node("airbyte_sync_postgresql_minio")
        assert {m.metadata["airbyte/job_id"].value for m in materialized} == {job["jobId"]}
        # The failed first attempt left the job `incomplete` between attempts (a window too short to
        # be sure a poll lands in it); waiting through it is what makes the second attempt's success
        # the sync's result.
        expected_attempts = row.attempts if api == "config" else 0
        assert {m.metadata["airbyte/attempts"].value for m in materialized} == {expected_attempts}
    else:
        failure = result.failure_data_for_node("airbyte_sync_postgresql_minio")
        assert failure is not None
        text = failure.error.message
        assert f"Airbyte job {job['jobId']} of connection {conn}" in text
        assert f"jobId={job['jobId']}" in text  # the link to the job in Airbyte's UI
    for fragment in expected:
        assert fragment in text, f"{fragment!r} not in {text!r}"


def test_dagster_retry_of_a_failed_step_attaches_to_the_running_job(start_emulator, api, tmp_path):
    """A step that fails while its Airbyte job still runs is retried by Dagster: no second job."""
    server = start_emulator()
    conn = connection_id(server)
    server.admin.set_behaviour(conn, duration_s=3.0)
    defs = definitions_for(server, api, str(tmp_path), max_retries=1)
    retrying = dg.define_asset_job(
        "retrying_sync",
        selection=dg.AssetSelection.groups("postgresql_minio"),
        op_retry_policy=dg.RetryPolicy(max_retries=2),
    )
    defs = dg.Definitions.merge(defs, dg.Definitions(jobs=[retrying]))
    poll = r"^/api/v1/jobs/get$" if api == "config" else r"^/api/public/v1/jobs/\d+$"
    # Two 500s exhaust the resource's single retry: the first step attempt fails mid-sync.
    server.admin.add_fault("status", path=poll, count=2, status=500)
    instance = dg.DagsterInstance.ephemeral()

    result = defs.resolve_job_def("retrying_sync").execute_in_process(instance=instance, raise_on_error=False)

    assert result.success
    events = [e.event_type_value for e in result.all_events]
    assert events.count("STEP_UP_FOR_RETRY") == 1
    [job] = jobs_of(server, conn)
    materialized = result.asset_materializations_for_node("airbyte_sync_postgresql_minio")
    assert len(materialized) == 4
    for m in materialized:
        assert m.metadata["airbyte/job_id"].value == job["jobId"]
        assert m.metadata["airbyte/attached_to_running_job"].value is True
    assert any("attaching to it" in message for message in run_messages(instance, result.run_id))
