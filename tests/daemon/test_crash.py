"""Crash consistency (issue 14, case 4): a run worker killed with SIGKILL mid-sync loses no sync.

A real deployment (`dagster-daemon run`, its code server, the default run launcher: every run in its
own worker process) against the emulator. The run worker is killed with SIGKILL while its Airbyte job
runs; its code server marks the run failed (Dagster's crash detection; run monitoring is on too). Its
job is then recorded exactly once when it ends:

* no rerun: the observer sees that the claiming run died without recording the job and records it;
* a rerun while the job still runs: it attaches to the job and records it; the observer does not.
"""

from __future__ import annotations

import os
import signal
from collections import Counter

import dagster as dg
import pytest

from .deployment import DaemonDeployment

PG_JOB = "airbyte_sync_postgresql_minio_job"
CONFIG = """\
airbyte:
  url: {env: AIRBYTE_URL}
  api: config
  poll_interval_s: 1
observer:
  interval_s: 10
connections:
  - name: "PostgreSQL → MinIO"
"""


@pytest.fixture
def deployment(emulator, tmp_path):
    deployment = DaemonDeployment(
        tmp_path, config_text=CONFIG, env={"AIRBYTE_URL": emulator.url}, run_monitoring=True
    )
    yield deployment.start()
    deployment.stop()


def _pg(emulator) -> str:
    from dagster_airbyte_ops.client import AirbyteClient

    with AirbyteClient(url=emulator.url, api="config", retry_backoff_s=0.01) as client:
        workspace = client.list_workspaces()[0].id
        return next(c.id for c in client.list_connections(workspace) if c.name == "PostgreSQL → MinIO")


def _worker_pid(deployment: DaemonDeployment, run_id: str) -> int | None:
    """The process that executes the run: the one that logged its RUN_START."""
    for record in deployment.instance.all_logs(run_id):
        if (
            record.dagster_event is not None
            and record.dagster_event.event_type == dg.DagsterEventType.RUN_START
        ):
            return record.dagster_event.pid
    return None


def _materializations_by_job(deployment: DaemonDeployment) -> Counter[tuple[str, int]]:
    """(asset key, Airbyte job id) → how many materializations carry it."""
    counts: Counter[tuple[str, int]] = Counter()
    records = deployment.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey(["public", "customers"])), limit=100
    ).records
    for record in records:
        materialization = record.asset_materialization
        assert materialization is not None
        counts[
            (materialization.asset_key.to_user_string(), materialization.metadata["airbyte/job_id"].value)
        ] += 1
    return counts


def _new_run(deployment: DaemonDeployment, known: set[str]) -> dg.DagsterRun | None:
    return next((r for r in deployment.runs_of(PG_JOB) if r.run_id not in known), None)


def _kill_mid_sync(deployment: DaemonDeployment, emulator, known: set[str]) -> tuple[dg.DagsterRun, int]:
    """Launch a run, wait until its Airbyte job runs, SIGKILL its worker; (the run, the job id)."""
    deployment.launch(PG_JOB)
    run = deployment.wait_for("the run to start", lambda: _new_run(deployment, known))
    job_id = deployment.wait_for(
        "its Airbyte job to run",
        lambda: next((j["jobId"] for j in emulator.admin.jobs() if j["status"] == "running"), None),
    )
    deployment.wait_for(
        "the run to claim the job",
        lambda: deployment.instance.get_run_by_id(run.run_id).tags.get(f"airbyte_ops/job_{job_id}"),  # type: ignore[union-attr]
    )
    pid = deployment.wait_for("the run worker's pid", lambda: _worker_pid(deployment, run.run_id))
    os.kill(pid, signal.SIGKILL)
    deployment.wait_for(
        "the killed run to be marked failed",
        lambda: deployment.instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.FAILURE,  # type: ignore[union-attr]
        timeout_s=120,
    )
    return run, job_id


def _observer_ticks(emulator) -> int:
    return sum("jobs/list_for_workspaces" in r["path"] for r in emulator.admin.requests())


@pytest.mark.timeout(600)
def test_a_sync_whose_run_was_killed_is_recorded_exactly_once(deployment, emulator):
    pg = _pg(emulator)
    deployment.wait_for("the observer's first tick", lambda: _observer_ticks(emulator))
    emulator.admin.set_behaviour(pg, duration_s=25.0)

    # 1. Killed, no rerun: the observer records the job once it ends.
    killed, job_id = _kill_mid_sync(deployment, emulator, set())
    [still] = [j for j in emulator.admin.jobs() if j["jobId"] == job_id]
    assert still["status"] == "running"  # SIGKILL cancels nothing
    deployment.wait_for(
        "the observer to record the job of the killed run",
        lambda: _materializations_by_job(deployment).get(("public/customers", job_id)),
        timeout_s=180,
    )

    # 2. Killed, then rerun while the job runs: the rerun attaches and records it; nobody else does.
    emulator.admin.set_behaviour(pg, duration_s=90.0)  # long enough for a rerun to be launched
    second_killed, second_job = _kill_mid_sync(deployment, emulator, {killed.run_id})
    assert second_job != job_id
    deployment.launch(PG_JOB)
    seen = {killed.run_id, second_killed.run_id}
    rerun = deployment.wait_for(
        "the rerun to finish",
        lambda: (run := _new_run(deployment, seen)) and run.is_finished and run,
        timeout_s=180,
    )
    assert rerun.status == dg.DagsterRunStatus.SUCCESS, deployment.failure_text(rerun)
    assert rerun.tags.get(f"airbyte_ops/job_{second_job}") == pg  # it attached, not a new job
    assert len(emulator.admin.jobs()) == 2
    # Give the observer two more ticks to (wrongly) record the rerun's job.
    requests_before = sum("jobs/list_for_workspaces" in r["path"] for r in emulator.admin.requests())
    deployment.wait_for(
        "two more observer ticks",
        lambda: (
            sum("jobs/list_for_workspaces" in r["path"] for r in emulator.admin.requests())
            >= requests_before + 2
        ),
        timeout_s=60,
    )

    counts = _materializations_by_job(deployment)
    assert counts == Counter({("public/customers", job_id): 1, ("public/customers", second_job): 1}), counts
