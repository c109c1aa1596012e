"""Dagster's own scheduler ticks a connection's schedule and keeps its ticks and runs in the instance.

The other schedule tests evaluate a schedule's function; here Dagster's scheduler iteration (what the
daemon runs) loads the code location, decides which cron times are due, stores each tick and submits
the run, on SQLite and on PostgreSQL. Runs are queued (QueuedRunCoordinator), not executed: the
storage is what is under test, and the sync a scheduled run makes is tested in test_schedules.py.
"""

from __future__ import annotations

import datetime as dt
import logging
import textwrap
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.definitions.definitions_load_context import DefinitionsLoadContext
from dagster._core.remote_origin import InProcessCodeLocationOrigin
from dagster._core.scheduler.instigation import InstigatorType, TickStatus
from dagster._core.test_utils import freeze_time
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
from dagster._core.workspace.context import WorkspaceProcessContext
from dagster._core.workspace.load_target import InProcessWorkspaceLoadTarget
from dagster._scheduler.scheduler import launch_scheduled_runs

pytestmark = pytest.mark.dagster_instance(
    run_coordinator={"module": "dagster._core.run_coordinator", "class": "QueuedRunCoordinator"}
)

CONFIG = """
airbyte:
  url: "{url}"
  api: config
  retry_backoff_s: 0.01
connections:
  - name: "PostgreSQL → MinIO"
    schedule: {{cron: "0 * * * *", enabled: true}}   # every hour on the hour (UTC)
"""

DEFINITIONS_PY = """
from dagster_airbyte_ops.config import parse_config
from dagster_airbyte_ops.definitions import build_definitions

defs = build_definitions(parse_config({text!r}, "airbyte_ops.yaml"), snapshot_dir={snapshots!r})
"""

SCHEDULE = "postgresql_minio_schedule"
UTC = dt.UTC


def _workspace(emulator, tmp_path: Path, instance: dg.DagsterInstance) -> WorkspaceProcessContext:
    text = textwrap.dedent(CONFIG).format(url=emulator.url)
    source = tmp_path / "definitions.py"
    source.write_text(DEFINITIONS_PY.format(text=text, snapshots=str(tmp_path / "snapshots")))
    origin = LoadableTargetOrigin(python_file=str(source), attribute="defs", working_directory=str(tmp_path))
    target = InProcessWorkspaceLoadTarget(InProcessCodeLocationOrigin(origin))
    return WorkspaceProcessContext(instance, target)


def _iterate(workspace: WorkspaceProcessContext, at: dt.datetime) -> None:
    """One scheduler iteration at wall-clock time `at`, as the daemon runs it."""
    with freeze_time(at):
        list(launch_scheduled_runs(workspace, logging.getLogger("scheduler"), at, iteration_times={}))


def test_the_scheduler_stores_one_tick_and_one_run_per_cron_time(emulator, tmp_path, dagster_instance):
    instance = dagster_instance
    # Loading a code location in-process sets Dagster's process-wide definitions load context (with
    # the loaded catalog as reconstruction data); scoped, so later tests in this process never see it.
    with (
        DefinitionsLoadContext.scoped(DefinitionsLoadContext.get()),
        _workspace(emulator, tmp_path, instance) as workspace,
    ):
        _iterate(workspace, dt.datetime(2026, 3, 2, 9, 59, 30, tzinfo=UTC))  # starts the schedule
        assert instance.get_runs() == []

        _iterate(workspace, dt.datetime(2026, 3, 2, 10, 0, 30, tzinfo=UTC))
        _iterate(workspace, dt.datetime(2026, 3, 2, 10, 0, 50, tzinfo=UTC))  # 10:00 again: already done
        _iterate(workspace, dt.datetime(2026, 3, 2, 11, 0, 20, tzinfo=UTC))

    [state] = instance.all_instigator_state(instigator_type=InstigatorType.SCHEDULE)
    assert state.name == SCHEDULE
    ticks = instance.get_ticks(state.instigator_origin_id, state.selector_id)
    launched = [t for t in ticks if t.status == TickStatus.SUCCESS]
    assert [dt.datetime.fromtimestamp(t.timestamp, UTC).hour for t in launched] == [11, 10]  # newest first
    assert all(len(t.run_ids) == 1 for t in launched)

    runs = instance.get_runs()  # newest first, in both storages
    assert [r.run_id for r in runs] == [t.run_ids[0] for t in launched]
    assert [r.tags["dagster/run_key"] for r in runs] == [
        "2026-03-02T11:00:00+00:00",
        "2026-03-02T10:00:00+00:00",
    ]
    assert {r.status for r in runs} == {dg.DagsterRunStatus.QUEUED}
    assert {r.job_name for r in runs} == {"airbyte_sync_job"}  # the shared job, one connection's streams
    assert {r.tags["airbyte/connection_name"] for r in runs} == {"PostgreSQL → MinIO"}
    connection_id = runs[0].tags["airbyte/connection_id"]
    by_tag = instance.get_runs(
        dg.RunsFilter(tags={"airbyte/connection_id": connection_id, "dagster/schedule_name": SCHEDULE})
    )
    assert [r.run_id for r in by_tag] == [r.run_id for r in runs]
    assert emulator.admin.jobs() == []  # queued, not run: no sync started
