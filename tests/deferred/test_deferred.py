"""Deferred mode against the emulator and a real Dagster instance: the step starts the sync and ends,
the deferred-jobs sensor records the materializations (with Airbyte's row counts) or the failure once
the job ends, exactly once, and the observer never counts a deferred job as an external sync."""

from __future__ import annotations

import time
from contextlib import nullcontext

import dagster as dg
import pytest
from observer.harness import (
    PG,
    WAIT_TIMEOUT_S,
    WebhookReceiver,
    build_defs,
    committed_by_stream,
    connection_id,
    keys_of_group,
    materializations,
    tick,
    wait_for_job_end,
    wait_until,
)

APIS = ["config", "public"]
DEFERRED = "airbyte_deferred_jobs"
OBSERVER = "airbyte_observer"
CONFIG = """
airbyte:
  url: "{url}"
  api: {api}
  retry_backoff_s: 0.01
  poll_interval_s: 0.2
  sync_timeout_s: {timeout}
connections:
  - name: "PostgreSQL → MinIO"
    mode: deferred
  - name: "MSSQL → S3"
alerts:
  webhooks:
    - url: {{env: DEFERRED_TEST_WEBHOOK}}
      on: [failed, cancelled, timed_out]
"""


def _config(timeout_s: float = 3600) -> str:
    return CONFIG.replace("{timeout}", f"{timeout_s:g}")


@pytest.fixture
def webhook(monkeypatch):
    receiver = WebhookReceiver()
    monkeypatch.setenv("DEFERRED_TEST_WEBHOOK", receiver.url)
    with receiver.running():
        yield receiver


def _materialize(defs: dg.Definitions, instance: dg.DagsterInstance, keys: list[dg.AssetKey]):
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
        instance=instance, asset_selection=keys
    )
    assert result.success
    return result


#: (api, storage): both APIs on SQLite; PostgreSQL with the Config API (storage does not depend on the API).
API_STORAGES = [("config", "sqlite"), ("public", "sqlite"), ("config", "postgres")]


@pytest.mark.parametrize(("api", "dagster_instance"), API_STORAGES, indirect=["dagster_instance"])
def test_sensor_records_the_deferred_sync_with_row_counts_once_it_ends(
    emulator, tmp_path, webhook, api, dagster_instance
):
    defs = build_defs(emulator, tmp_path, _config(), api)
    selected = keys_of_group(defs, "postgresql_minio")[:2]  # a subset: only these are recorded
    emulator.admin.set_behaviour(connection_id(emulator, PG), duration_s=3.0)
    with nullcontext(dagster_instance) as instance:
        observer_cursor = tick(defs, OBSERVER, instance, None).cursor
        result = _materialize(defs, instance, selected)

        [job] = emulator.admin.jobs()
        job_id = job["jobId"]
        assert result.asset_materializations_for_node("airbyte_sync_postgresql_minio") == []
        observations = [
            e.event_specific_data.asset_observation
            for e in result.all_events
            if e.event_type == dg.DagsterEventType.ASSET_OBSERVATION
        ]
        assert {o.asset_key for o in observations} == set(selected)
        assert {o.metadata["airbyte/job_id"].value for o in observations} == {job_id}
        tags = instance.get_run_by_id(result.run_id).tags
        assert tags[f"airbyte_ops/deferred_job_{job_id}"] == job["connectionId"]

        cursor = None
        deadline = time.monotonic() + WAIT_TIMEOUT_S
        while True:  # ticks while the job runs record nothing; the first after it ends records it
            assert time.monotonic() < deadline, "the deferred job was never recorded"
            ended = emulator.admin.jobs()[0]["status"] == "succeeded"
            data = tick(defs, DEFERRED, instance, cursor)
            cursor = data.cursor
            if data.asset_events:
                break
            assert not ended, "the job had ended but the tick recorded nothing"
            time.sleep(0.3)
        again = tick(defs, DEFERRED, instance, cursor)
        observed = tick(defs, OBSERVER, instance, observer_cursor)

        assert {e.asset_key for e in data.asset_events} == set(selected)
        committed = committed_by_stream(emulator, job_id)
        for key in selected:
            [recorded] = materializations(instance, key)
            assert recorded.metadata["airbyte/job_id"].value == job_id
            assert recorded.metadata["airbyte/deferred_run_id"].value == result.run_id
            if api == "config":
                assert recorded.metadata["dagster/row_count"].value == committed[key.path[-1]]
            else:  # the public API reports job totals only
                assert recorded.metadata["airbyte/job_rows_synced"].value == sum(committed.values())
        unselected = set(keys_of_group(defs, "postgresql_minio")) - set(selected)
        assert all(materializations(instance, key) == [] for key in unselected)
        assert again.asset_events == []
        assert observed.asset_events == []  # a deferred job is Dagster's, not an external sync
    assert webhook.bodies == []


@pytest.mark.parametrize("api", APIS)
def test_failed_deferred_sync_is_alerted_and_records_nothing(emulator, tmp_path, webhook, api):
    defs = build_defs(emulator, tmp_path, _config(), api)
    keys = keys_of_group(defs, "postgresql_minio")
    emulator.admin.set_behaviour(
        connection_id(emulator, PG), outcome="failed", duration_s=0.5, failure_message="disk full"
    )
    with dg.instance_for_test() as instance:
        result = _materialize(defs, instance, keys)  # the step succeeds: it only started the sync
        [job] = emulator.admin.jobs()
        wait_for_job_end(emulator, job["jobId"])

        data = tick(defs, DEFERRED, instance, None)
        again = tick(defs, DEFERRED, instance, data.cursor)

        assert data.asset_events == [] and again.asset_events == []
        assert all(materializations(instance, key) == [] for key in keys)
    [alert] = webhook.bodies
    assert alert["event"] == "failed"
    assert alert["origin"] == "deferred"
    assert alert["job_id"] == job["jobId"]
    assert alert["run_id"] == result.run_id
    if api == "config":
        assert "disk full" in alert["text"]


def test_step_does_not_wait_and_a_deferred_sync_past_its_timeout_is_cancelled(
    emulator, tmp_path, webhook, dagster_instance
):
    defs = build_defs(emulator, tmp_path, _config(timeout_s=1))
    keys = keys_of_group(defs, "postgresql_minio")
    emulator.admin.set_behaviour(connection_id(emulator, PG), outcome="stuck")  # never ends by itself
    with nullcontext(dagster_instance) as instance:  # SQLite and PostgreSQL: run start times
        _materialize(defs, instance, keys)  # in sync mode this would wait for (and time out on) the job
        [job] = emulator.admin.jobs()
        assert job["status"] in ("pending", "running")
        run = instance.get_run_records()[0]
        wait_until(lambda: time.time() - (run.start_time or 0) > 1.5, "the sync timeout to pass")

        data = tick(defs, DEFERRED, instance, None)
        again = tick(defs, DEFERRED, instance, data.cursor)

        assert data.asset_events == [] and again.asset_events == []
        assert all(materializations(instance, key) == [] for key in keys)
    assert emulator.admin.jobs()[0]["status"] == "cancelled"
    [alert] = webhook.bodies
    assert alert["event"] == "timed_out"
    assert alert["origin"] == "deferred"
    assert "sync timeout of 1 s" in alert["text"]


def test_no_deferred_connection_no_sensor(emulator, tmp_path):
    defs = build_defs(emulator, tmp_path, _config().replace("    mode: deferred\n", "").split("alerts:")[0])
    assert DEFERRED not in {s.name for s in defs.get_repository_def().sensor_defs}


def test_two_deferred_runs_sharing_one_job_record_each_selected_stream_once(
    emulator, tmp_path, webhook, dagster_instance
):
    defs = build_defs(emulator, tmp_path, _config())
    first_key, second_key, *others = keys_of_group(defs, "postgresql_minio")
    emulator.admin.set_behaviour(connection_id(emulator, PG), duration_s=20.0)  # outlasts both steps
    instance = dagster_instance  # SQLite and PostgreSQL: runs found by tag and update time
    _materialize(defs, instance, [first_key])
    _materialize(defs, instance, [second_key])  # attaches to the running job
    [job] = emulator.admin.jobs()
    wait_for_job_end(emulator, job["jobId"])

    data = tick(defs, DEFERRED, instance, None)
    again = tick(defs, DEFERRED, instance, data.cursor)

    assert sorted(e.asset_key for e in data.asset_events) == [first_key, second_key]
    assert again.asset_events == []
    assert all(materializations(instance, key) == [] for key in others)


@pytest.mark.dagster_instance(postgres_timezone="America/Los_Angeles")
@pytest.mark.parametrize("dagster_instance", ["postgres"], indirect=True)
def test_runs_are_found_on_a_postgresql_whose_time_zone_is_not_utc(
    emulator, tmp_path, webhook, dagster_instance
):
    """Dagster writes run update times in PostgreSQL's session time zone (8 hours behind UTC here).
    The sensor's run cursor holds those stored times, never the wall clock, so a run that starts after
    the cursor has moved is still found."""
    defs = build_defs(emulator, tmp_path, _config())
    keys = keys_of_group(defs, "postgresql_minio")
    instance = dagster_instance
    cursor = tick(defs, DEFERRED, instance, None).cursor
    job_ids = []
    for _ in range(2):  # the second run comes after the cursor holds the first run's stored time
        result = _materialize(defs, instance, keys)
        [record] = instance.get_run_records(dg.RunsFilter(run_ids=[result.run_id]))
        assert time.time() - record.update_timestamp.timestamp() > 7 * 3600  # stored in local time
        job = next(j for j in emulator.admin.jobs() if j["jobId"] not in job_ids)
        job_ids.append(job["jobId"])
        wait_for_job_end(emulator, job["jobId"])

        data = tick(defs, DEFERRED, instance, cursor)
        cursor = data.cursor

        assert {e.asset_key for e in data.asset_events} == set(keys)
    recorded = [m.metadata["airbyte/job_id"].value for m in materializations(instance, keys[0])]
    assert sorted(recorded) == sorted(job_ids)


@pytest.mark.parametrize("api", APIS)
def test_a_deferred_job_id_reused_by_another_connection_is_never_recorded_or_cancelled(
    emulator, tmp_path, webhook, api
):
    """Airbyte restarted on a wiped job table hands our pending job's id to another connection."""
    defs = build_defs(emulator, tmp_path, _config(timeout_s=1), api)
    keys = keys_of_group(defs, "postgresql_minio")
    mssql = connection_id(emulator, "MSSQL → S3")
    emulator.admin.set_behaviour(connection_id(emulator, PG), duration_s=60.0)
    emulator.admin.set_behaviour(mssql, outcome="stuck")
    with dg.instance_for_test() as instance:
        _materialize(defs, instance, keys)
        [ours] = emulator.admin.jobs()
        emulator.admin.restart(reset_ids=True)
        other = emulator.admin.start_job(mssql)["job"]["id"]
        assert other == ours["jobId"]  # precondition: the id now names MSSQL's job
        run = instance.get_run_records()[0]
        wait_until(lambda: time.time() - (run.start_time or 0) > 1.5, "the sync timeout to pass")

        data = tick(defs, DEFERRED, instance, None)
        again = tick(defs, DEFERRED, instance, data.cursor)

        assert data.asset_events == [] and again.asset_events == []
        assert all(materializations(instance, key) == [] for key in keys)
    [job] = emulator.admin.jobs()
    assert job["connectionId"] == mssql and job["status"] == "running"  # not cancelled as ours
    [alert] = webhook.bodies  # the outcome of our sync is unknown now: said once, never recorded
    assert alert["event"] == "failed" and alert["origin"] == "deferred"
    assert f"answered job {other} of connection {mssql}" in alert["text"], alert["text"]
