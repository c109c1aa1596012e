"""The emulator's own scheduler (off by default) runs basic and cron schedules as Airbyte does, and
the observer records what it ran exactly once."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import dagster as dg
import pytest

from dagster_airbyte_ops.client.models import ConnectionSchedule
from dagster_airbyte_ops.emulator.scheduler import next_cron_fire

from .harness import (
    MSSQL,
    PG,
    build_defs,
    client_for,
    committed_by_stream,
    connection_id,
    keys_of_group,
    materializations,
    tick,
    wait_for_job_end,
    wait_until,
)

TIME_SCALE = 0.002  # "every 1 hours" → every 7.2 s; default job durations → milliseconds


def _every(units: int, unit: str) -> ConnectionSchedule:
    return ConnectionSchedule(schedule_type="basic", basic_units=units, basic_time_unit=unit)


def _jobs_of(emulator, connection: str) -> list[dict]:
    return sorted(
        (j for j in emulator.admin.jobs() if j["connectionId"] == connection), key=lambda j: j["createdAt"]
    )


def test_scheduler_is_off_by_default(emulator):
    time.sleep(1.0)  # several scheduler ticks, were it on
    assert emulator.admin.jobs() == []  # the demo seed's basic and cron schedules ran nothing


@pytest.mark.emulator(scheduler=True, time_scale=TIME_SCALE)
def test_basic_schedule_runs_at_once_then_every_period_scaled(emulator):
    mssql = connection_id(emulator, MSSQL)  # seeded with "every 6 hours" and never synced
    wait_until(lambda: _jobs_of(emulator, mssql), "the never-synced basic connection to run at once")
    pg = connection_id(emulator, PG)
    with client_for(emulator) as client:
        client.update_connection(pg, schedule=_every(1, "hours"))

    two = wait_until(lambda: (jobs := _jobs_of(emulator, pg))[1:] and jobs, "the second scheduled run")

    period_s = 3600 * TIME_SCALE
    assert two[1]["createdAt"] - two[0]["createdAt"] >= period_s
    assert [j["configType"] for j in two] == ["sync", "sync"]
    manual = [connection_id(emulator, "CRM API → Postgres")]
    assert all(_jobs_of(emulator, c) == [] for c in manual)


def test_quartz_cron_fire_times_follow_the_time_zone():
    summer = datetime(2026, 7, 1, 12, 0, tzinfo=UTC).timestamp()
    winter = datetime(2026, 1, 10, 12, 0, tzinfo=UTC).timestamp()
    daily_0230 = "0 30 2 * * ?"  # every day at 02:30 (Quartz: seconds first)

    first = next_cron_fire(daily_0230, "Europe/Paris", summer)
    second = next_cron_fire(daily_0230, "Europe/Paris", first)  # strictly after the previous one

    assert datetime.fromtimestamp(first, UTC) == datetime(2026, 7, 2, 0, 30, tzinfo=UTC)  # CEST
    assert second - first == 86400
    assert datetime.fromtimestamp(next_cron_fire(daily_0230, "Europe/Paris", winter), UTC) == datetime(
        2026, 1, 11, 1, 30, tzinfo=UTC
    )  # CET


@pytest.mark.emulator(scheduler=True, time_scale=0.01)
def test_observer_records_a_sync_the_emulator_scheduler_ran_once(emulator, tmp_path):
    defs = build_defs(
        emulator,
        tmp_path,
        """
        airbyte:
          url: "{url}"
          api: {api}
          retry_backoff_s: 0.01
        connections:
          - name: "PostgreSQL → MinIO"
        """,
    )
    pg = connection_id(emulator, PG)
    with dg.instance_for_test() as instance:
        cursor = tick(defs, "airbyte_observer", instance, None).cursor
        with client_for(emulator) as client:
            client.update_connection(pg, schedule=_every(1, "days"))  # runs at once, then in 864 s
        job = wait_until(lambda: _jobs_of(emulator, pg), "the scheduled sync")[0]
        wait_for_job_end(emulator, job["jobId"])

        recorded = tick(defs, "airbyte_observer", instance, cursor)
        again = tick(defs, "airbyte_observer", instance, recorded.cursor)

        keys = keys_of_group(defs, "postgresql_minio")
        assert {e.asset_key for e in recorded.asset_events} == set(keys)
        assert again.asset_events == []
        committed = committed_by_stream(emulator, job["jobId"])
        for key in keys:
            [materialization] = materializations(instance, key)
            assert materialization.metadata["airbyte/job_id"].value == job["jobId"]
            assert materialization.metadata["dagster/row_count"].value == committed[key.path[-1]]
