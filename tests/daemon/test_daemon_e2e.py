"""End to end with the real daemon on PostgreSQL storage, as in production.

`dagster-daemon run` with the queued run coordinator against the emulator with Airbyte's own
scheduler switched on: a run of A (submitted from the CLI) makes the `after:` sensor launch B exactly
once, and a sync that the emulator's scheduler runs on its own is recorded by the observer.
"""

from __future__ import annotations

import pytest

from dagster_airbyte_ops.client import AirbyteClient
from dagster_airbyte_ops.client.models import ConnectionSchedule

from .deployment import DaemonDeployment

A_JOB = "airbyte_sync_postgresql_minio_job"
B_JOB = "airbyte_sync_mssql_s3_job"
CRM = "CRM API → Postgres"

CONFIG = """\
airbyte:
  url: {env: AIRBYTE_URL}
  api: config
  poll_interval_s: 1
observer:
  interval_s: 10
connections:
  - name: "PostgreSQL → MinIO"
  - name: "MSSQL → S3"
    after: ["PostgreSQL → MinIO"]
  - name: "CRM API → Postgres"
"""


def _finished(deployment: DaemonDeployment, job: str):
    return [r for r in deployment.runs_of(job) if r.is_finished] or None


@pytest.fixture
def deployment(emulator, tmp_path, postgres_server, dagster_postgres_template):
    url = postgres_server.new_database(template=dagster_postgres_template)
    storage = {"postgres": {"postgres_url": url.replace("postgresql://", "postgresql+psycopg2://", 1)}}
    deployment = DaemonDeployment(
        tmp_path, config_text=CONFIG, env={"AIRBYTE_URL": emulator.url}, storage=storage
    )
    yield deployment.start()
    deployment.stop()


@pytest.mark.emulator(scheduler=True)
@pytest.mark.timeout(300)
def test_daemon_chains_a_to_b_once_and_observes_airbyte_scheduled_syncs(deployment, emulator):
    with AirbyteClient(url=emulator.url, api="config", retry_backoff_s=0.01) as client:
        workspace = client.list_workspaces()[0].id
        crm = next(c.id for c in client.list_connections(workspace) if c.name == CRM)
        # The observer's first tick starts watching from "now": wait for it before Airbyte syncs.
        deployment.wait_for(
            "the observer's first tick",
            lambda: any("jobs/list_for_workspaces" in r["path"] for r in emulator.admin.requests()),
        )
        # Airbyte's own scheduler: "every day" runs a never-synced connection at once.
        client.update_connection(
            crm, schedule=ConnectionSchedule(schedule_type="basic", basic_units=1, basic_time_unit="days")
        )

    deployment.launch(A_JOB)

    [a_run] = deployment.wait_for("A's run to finish", lambda: _finished(deployment, A_JOB))
    assert a_run.status.value == "SUCCESS", deployment.failure_text(a_run)
    [b_run] = deployment.wait_for(
        "B's run, launched by the after: sensor", lambda: _finished(deployment, B_JOB)
    )
    assert b_run.status.value == "SUCCESS", deployment.failure_text(b_run)
    assert b_run.tags.get("dagster/sensor_name") == "mssql_s3_after_sensor"

    [crm_job] = deployment.wait_for(
        "Airbyte's scheduler to run CRM",
        lambda: [j for j in emulator.admin.jobs() if j["connectionId"] == crm and j["status"] == "succeeded"],
    )
    observed = deployment.wait_for(
        "the observer to record the scheduled CRM sync",
        lambda: _materializations_of_job(deployment, crm_job["jobId"]),
    )
    assert all(not event.run_id for event in observed), [e.run_id for e in observed]  # a sensor, not a run
    assert all(
        event.asset_materialization.metadata["airbyte/origin"].value.startswith("observed")
        for event in observed
    )

    assert len(deployment.runs_of(B_JOB)) == 1
    assert deployment.runs_of("airbyte_sync_crm_api_postgres_job") == []  # Airbyte ran it, not Dagster


def _materializations_of_job(deployment: DaemonDeployment, job_id: int):
    events = []
    for record in deployment.instance.get_asset_records():
        event = record.asset_entry.last_materialization
        if event is None or event.asset_materialization is None:
            continue
        if event.asset_materialization.metadata.get("airbyte/job_id") is None:
            continue
        if event.asset_materialization.metadata["airbyte/job_id"].value == job_id:
            events.append(event)
    return events
