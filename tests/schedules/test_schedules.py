"""Schedules from airbyte_ops.yaml, built over HTTP against the emulator and ticked in a real instance.

Tick instants come from Dagster's own iterator for the schedule's cron and execution time zone, and
are asserted in UTC, so a DST change that moved a run by an hour would show as a wrong instant.
"""

from __future__ import annotations

import datetime as dt
import logging
import textwrap
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
from dagster._utils.schedules import cron_string_iterator

from dagster_airbyte_ops.client import AirbyteClient
from dagster_airbyte_ops.client.models import ConnectionSchedule
from dagster_airbyte_ops.config import parse_config
from dagster_airbyte_ops.definitions import build_definitions
from dagster_airbyte_ops.errors import ConfigError

UTC = dt.UTC

SCHEDULED_CONFIG = """
airbyte:
  url: "{url}"
  api: config
  retry_backoff_s: 0.01
  poll_interval_s: 0.2
connections:
  - name: "PostgreSQL → MinIO"
    schedule:
      - cron: "0 6-18 * * *"            # every hour on the hour, 06:00-18:00
        timezone: Europe/Paris
        enabled: true
        skip:
          - dates: ["2026-12-25"]
          - weekdays: [sat, sun]
            between: ["12:00", "14:00"]
      - cron: "30 2 * * *"              # every day at 02:30
        timezone: Europe/Paris
        name: pg_nightly
  - name: "MSSQL → S3"
  - name: "CRM API → Postgres"
    schedule: {{cron: "0 */6 * * *"}}   # every 6 hours (00:00, 06:00, 12:00, 18:00 UTC)
  - name: "Shop Orders → SQLite"
"""

PG_HOURLY = "postgresql_minio_schedule"

#: Also run on PostgreSQL (the tick-by-tick tests evaluate schedules, which store nothing: SQLite only):
#: a scheduled run stored and found again by the tags the schedule gave it.
POSTGRES_TESTS = {"test_a_scheduled_run_syncs_that_connection_and_materializes_its_streams"}


def _defs(emulator, tmp_path: Path, text: str = SCHEDULED_CONFIG) -> dg.Definitions:
    config = parse_config(textwrap.dedent(text).format(url=emulator.url), "airbyte_ops.yaml")
    return build_definitions(config, snapshot_dir=str(tmp_path / "snapshots"))


def _schedules(defs: dg.Definitions) -> dict[str, dg.ScheduleDefinition]:
    return {s.name: s for s in defs.get_repository_def().schedule_defs}


def _ticks(schedule: dg.ScheduleDefinition, start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    """Every tick in [start, end), in UTC, as Dagster's scheduler iterates them."""
    ticks: Iterator[dt.datetime] = cron_string_iterator(
        start.timestamp(), str(schedule.cron_schedule), schedule.execution_timezone
    )
    found = []
    for tick in ticks:
        if tick >= end:
            return found
        found.append(tick.astimezone(UTC))
    raise AssertionError("unreachable")


def _utc(day: str, *hours: int, minute: int = 0) -> list[dt.datetime]:
    date = dt.date.fromisoformat(day)
    return [dt.datetime(date.year, date.month, date.day, h, minute, tzinfo=UTC) for h in hours]


def _tick(
    schedule: dg.ScheduleDefinition, defs: dg.Definitions, when: dt.datetime, instance: dg.DagsterInstance
):
    context = dg.build_schedule_context(
        instance=instance,
        scheduled_execution_time=when,
        repository_def=defs.get_repository_def(),
    )
    return schedule.evaluate_tick(context)


@pytest.fixture
def defs(emulator, tmp_path) -> dg.Definitions:
    return _defs(emulator, tmp_path)


def test_one_schedule_per_spec_with_unique_names_descriptions_and_status(defs):
    schedules = _schedules(defs)

    assert set(schedules) == {PG_HOURLY, "pg_nightly", "crm_api_postgres_schedule"}
    hourly, nightly, crm = (
        schedules[PG_HOURLY],
        schedules["pg_nightly"],
        schedules["crm_api_postgres_schedule"],
    )
    assert hourly.description == "At 0 minutes past the hour, between 06:00 and 18:59 (Europe/Paris)"
    assert nightly.description == "At 02:30 (Europe/Paris)"
    assert crm.description == "Every 6 hours (UTC)"  # defaults.timezone applies when none is given
    assert hourly.default_status == dg.DefaultScheduleStatus.RUNNING  # enabled: true
    assert nightly.default_status == dg.DefaultScheduleStatus.STOPPED  # enabled defaults to false
    assert crm.default_status == dg.DefaultScheduleStatus.STOPPED
    assert (hourly.execution_timezone, crm.execution_timezone) == ("Europe/Paris", "UTC")


def test_every_schedule_targets_the_one_shared_job(defs):
    schedules = _schedules(defs)

    assert {s.job_name for s in schedules.values()} == {"airbyte_sync_job"}
    # One asset job for every connection, however many there are (not one job per connection).
    assert {job.name for job in defs.resolve_all_job_defs()} == {"__ASSET_JOB", "airbyte_sync_job"}


def test_each_run_request_selects_exactly_the_connections_stream_assets(defs, dagster_instance):
    graph = defs.get_repository_def().asset_graph
    when = dt.datetime(2026, 3, 30, 9, 0, tzinfo=UTC)  # a Monday: both schedules tick
    for schedule, group in [
        (PG_HOURLY, "postgresql_minio"),
        ("crm_api_postgres_schedule", "crm_api_postgres"),
    ]:
        [request] = _tick(_schedules(defs)[schedule], defs, when, dagster_instance).run_requests
        expected = {key for key in graph.get_all_asset_keys() if graph.get(key).group_name == group}
        assert expected
        assert set(request.asset_selection or ()) == expected
        assert request.tags["airbyte/connection_name"] in ("PostgreSQL → MinIO", "CRM API → Postgres")


def test_spring_forward_ticks_keep_paris_wall_clock(defs):
    schedules = _schedules(defs)
    hourly, nightly = schedules[PG_HOURLY], schedules["pg_nightly"]

    # 2026-03-29 02:00 CET becomes 03:00 CEST: 06:00-18:00 Paris is 05-17 UTC the day before, 04-16 UTC on it.
    assert _ticks(hourly, dt.datetime(2026, 3, 28, tzinfo=UTC), dt.datetime(2026, 3, 30, tzinfo=UTC)) == (
        _utc("2026-03-28", *range(5, 18)) + _utc("2026-03-29", *range(4, 17))
    )
    # 02:30 does not exist on the 29th: Dagster runs it at 03:00 CEST (01:00 UTC), once.
    assert _ticks(nightly, dt.datetime(2026, 3, 28, tzinfo=UTC), dt.datetime(2026, 3, 31, tzinfo=UTC)) == [
        dt.datetime(2026, 3, 28, 1, 30, tzinfo=UTC),
        dt.datetime(2026, 3, 29, 1, 0, tzinfo=UTC),
        dt.datetime(2026, 3, 30, 0, 30, tzinfo=UTC),
    ]


def test_fall_back_ticks_keep_paris_wall_clock(defs):
    schedules = _schedules(defs)
    hourly, nightly = schedules[PG_HOURLY], schedules["pg_nightly"]

    # 2026-10-25 03:00 CEST becomes 02:00 CET: 06:00-18:00 Paris is 04-16 UTC the day before, 05-17 UTC on it.
    assert _ticks(hourly, dt.datetime(2026, 10, 24, tzinfo=UTC), dt.datetime(2026, 10, 26, tzinfo=UTC)) == (
        _utc("2026-10-24", *range(4, 17)) + _utc("2026-10-25", *range(5, 18))
    )
    # 02:30 happens twice on the 25th; Dagster runs it once, at the second (CET) one.
    assert _ticks(nightly, dt.datetime(2026, 10, 24, tzinfo=UTC), dt.datetime(2026, 10, 27, tzinfo=UTC)) == [
        dt.datetime(2026, 10, 24, 0, 30, tzinfo=UTC),
        dt.datetime(2026, 10, 25, 1, 30, tzinfo=UTC),
        dt.datetime(2026, 10, 26, 1, 30, tzinfo=UTC),
    ]


def test_every_tick_of_the_dst_day_runs_or_skips_on_paris_time(defs, dagster_instance):
    hourly = _schedules(defs)[PG_HOURLY]
    ticks = _ticks(hourly, dt.datetime(2026, 3, 29, tzinfo=UTC), dt.datetime(2026, 3, 30, tzinfo=UTC))

    run_keys, skipped = [], []
    for tick in ticks:
        result = _tick(hourly, defs, tick, dagster_instance)
        if result.skip_message:
            assert result.run_requests == []
            skipped.append(tick)
            continue
        [request] = result.run_requests
        assert request.tags["airbyte/connection_name"] == "PostgreSQL → MinIO"
        assert request.tags["dagster/schedule_name"] == PG_HOURLY
        assert request.tags["airbyte/connection_id"]
        run_keys.append(request.run_key)

    # A Sunday: the weekend rule skips 12:00 and 13:00 Paris (10:00 and 11:00 UTC after the change).
    assert skipped == _utc("2026-03-29", 10, 11)
    assert run_keys == [f"2026-03-29T{h:02d}:00:00+02:00" for h in [*range(6, 12), *range(14, 19)]]


def test_skip_rules_skip_with_the_rule_in_words(defs, dagster_instance):
    hourly = _schedules(defs)[PG_HOURLY]

    christmas = _tick(hourly, defs, dt.datetime(2026, 12, 25, 9, 0, tzinfo=UTC), dagster_instance)
    assert christmas.run_requests == []
    assert christmas.skip_message == (
        "Skipped the 2026-12-25 10:00 (Europe/Paris) tick of “PostgreSQL → MinIO”: "
        "connections[0].schedule[0].skip[0] (dates 2026-12-25) covers it."
    )

    # Saturday 12:00 in Paris is 11:00 UTC: the window is read on the schedule's clock, not UTC's.
    saturday_noon = _tick(hourly, defs, dt.datetime(2026, 3, 28, 11, 0, tzinfo=UTC), dagster_instance)
    assert saturday_noon.skip_message == (
        "Skipped the 2026-03-28 12:00 (Europe/Paris) tick of “PostgreSQL → MinIO”: "
        "connections[0].schedule[0].skip[1] (weekdays sat, sun; between 12:00 and 14:00) covers it."
    )
    # The window excludes its end (14:00 Paris runs), and weekdays elsewhere are not skipped.
    for when in [dt.datetime(2026, 3, 28, 13, 0, tzinfo=UTC), dt.datetime(2026, 3, 27, 11, 0, tzinfo=UTC)]:
        result = _tick(hourly, defs, when, dagster_instance)
        assert result.skip_message is None
        assert len(result.run_requests) == 1


def test_a_scheduled_run_syncs_that_connection_and_materializes_its_streams(defs, emulator, dagster_instance):
    schedule = _schedules(defs)["crm_api_postgres_schedule"]
    when = dt.datetime(2026, 3, 29, 12, 0, tzinfo=UTC)
    [request] = _tick(schedule, defs, when, dagster_instance).run_requests
    job = defs.resolve_job_def(schedule.job_name)

    result = job.execute_in_process(
        instance=dagster_instance, tags=request.tags, asset_selection=list(request.asset_selection or ())
    )

    assert result.success
    [airbyte_job] = emulator.admin.jobs()
    with AirbyteClient(url=emulator.url, api="config", retry_backoff_s=0.01) as client:
        workspace = client.list_workspaces()[0].id
        crm_id = next(c.id for c in client.list_connections(workspace) if c.name == "CRM API → Postgres")
    assert airbyte_job["connectionId"] == crm_id
    materialized = {event.asset_key for event in result.get_asset_materialization_events()}
    assert materialized == set(request.asset_selection or ())  # the connection's streams, no other
    # The stored run is found by the tags the schedule set, as the UI's connection and schedule pages do.
    found = dagster_instance.get_run_records(
        dg.RunsFilter(tags={"airbyte/connection_id": crm_id, "dagster/schedule_name": schedule.name})
    )
    assert [r.dagster_run.run_id for r in found] == [result.run_id]
    stored = {k for k in materialized if dagster_instance.get_latest_materialization_event(k) is not None}
    assert stored == materialized


GLOB_NAMED_CONFIG = """
airbyte: {{url: "{url}", api: config, retry_backoff_s: 0.01}}
connections:
  - match: "* → S*"                    # MSSQL → S3 and Shop Orders → SQLite
    schedule: {{cron: "0 1 * * *", name: nightly}}  # every day at 01:00
"""

GENERATED_NAME_TAKEN_CONFIG = """
airbyte: {{url: "{url}", api: config, retry_backoff_s: 0.01}}
connections:
  - name: "MSSQL → S3"
    schedule: {{cron: "0 1 * * *", name: postgresql_minio_schedule}}  # every day at 01:00
  - name: "PostgreSQL → MinIO"
    schedule: {{cron: "0 2 * * *"}}     # every day at 02:00
"""


def test_a_name_on_a_glob_matching_two_connections_is_a_clear_error(emulator, tmp_path):
    with pytest.raises(ConfigError) as raised:
        _defs(emulator, tmp_path, GLOB_NAMED_CONFIG)

    assert str(raised.value) == (
        'airbyte_ops.yaml: connections[0].schedule.name: "nightly" would name the schedules of both '
        '\u201cMSSQL → S3\u201d and \u201cShop Orders → SQLite\u201d (match "* → S*" selects both); remove '
        "name: so each gets <connection>_schedule, or select them in separate entries"
    )


def test_a_name_that_another_connection_generates_is_a_clear_error(emulator, tmp_path):
    with pytest.raises(ConfigError) as raised:
        _defs(emulator, tmp_path, GENERATED_NAME_TAKEN_CONFIG)

    assert str(raised.value) == (
        'airbyte_ops.yaml: connections[1].schedule: schedule name "postgresql_minio_schedule" of '
        "\u201cPostgreSQL → MinIO\u201d is already the name of connections[0].schedule "
        "(\u201cMSSQL → S3\u201d); give one of them its own schedule name:"
    )


FROM_AIRBYTE_CONFIG = """
airbyte: {{url: "{url}", api: {api}, retry_backoff_s: 0.01}}
connections:
  - name: "PostgreSQL → MinIO"      # Airbyte: Quartz "0 0 2 * * ?" (02:00 daily) in UTC
    schedule: from_airbyte
  - name: "MSSQL → S3"              # Airbyte: basic, every 6 hours
    schedule: from_airbyte
  - name: "CRM API → Postgres"      # Airbyte: manual
    schedule: from_airbyte
"""


@pytest.mark.parametrize("api", ["config", "public"])
def test_from_airbyte_converts_airbyte_schedules_and_starts_stopped(emulator, tmp_path, caplog, api):
    with caplog.at_level(logging.WARNING):
        schedules = _schedules(_defs(emulator, tmp_path, FROM_AIRBYTE_CONFIG.replace("{api}", api)))

    pg = schedules["postgresql_minio_schedule"]
    assert (pg.cron_schedule, pg.execution_timezone) == ("0 2 * * *", "UTC")
    assert pg.description == 'At 02:00 (UTC), from Airbyte\'s Quartz cron "0 0 2 * * ?"'
    assert pg.default_status == dg.DefaultScheduleStatus.STOPPED  # Airbyte's scheduler may still run it
    mssql = schedules["mssql_s3_schedule"]  # the public API words it "6 hours"; same result
    assert (mssql.cron_schedule, mssql.execution_timezone) == ("0 */6 * * *", "UTC")
    assert mssql.description == "Every 6 hours (UTC), from Airbyte's basic schedule every 6 hours"
    assert "crm_api_postgres_schedule" not in schedules
    assert (
        'airbyte_ops.yaml: connections[2] (name "CRM API → Postgres"): schedule: from_airbyte, but '
        "Airbyte connection 'CRM API → Postgres' has no schedule (manual)"
    ) in caplog.text


def test_from_airbyte_with_a_quartz_only_feature_is_a_clear_error(emulator, tmp_path):
    with AirbyteClient(url=emulator.url, api="config", retry_backoff_s=0.01) as client:
        workspace = client.list_workspaces()[0].id
        crm = next(c for c in client.list_connections(workspace) if c.name == "CRM API → Postgres")
        # 02:00 on the last day of every month: Quartz "L" has no 5-field form.
        client.update_connection(crm.id, schedule=ConnectionSchedule.cron("0 0 2 L * ?", "Europe/Paris"))

    with pytest.raises(ConfigError) as raised:
        _defs(emulator, tmp_path, FROM_AIRBYTE_CONFIG.replace("{api}", "config"))

    assert str(raised.value) == (
        "airbyte_ops.yaml: connections[2].schedule: from_airbyte: Airbyte connection "
        '\u201cCRM API → Postgres\u201d has a schedule Dagster cannot run as cron: day-of-month "L": '
        '"L" (last day) has no 5-field cron equivalent; write schedule: {cron: "..."} here instead, '
        "or change the schedule in Airbyte"
    )
