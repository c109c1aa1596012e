"""Schedules declared once for many connections: `match: "*"` (all active ones), a glob, a group.

Each selected connection gets its own schedule(s) and its own job, named after it; what one tick
starts is that connection's sync alone.
"""

from __future__ import annotations

import datetime as dt
import logging
import textwrap
from pathlib import Path

import dagster as dg
import pytest

from dagster_airbyte_ops.config import parse_config
from dagster_airbyte_ops.definitions import build_definitions
from dagster_airbyte_ops.errors import ConfigError

DEMO = {
    "PostgreSQL → MinIO": "postgresql_minio",
    "MSSQL → S3": "mssql_s3",
    "CRM API → Postgres": "crm_api_postgres",
    "Shop Orders → SQLite": "shop_orders_sqlite",
}


def _defs(emulator, tmp_path: Path, connections: str) -> dg.Definitions:
    text = f'airbyte: {{url: "{emulator.url}", api: config, retry_backoff_s: 0.01}}\n' + textwrap.dedent(
        connections
    )
    return build_definitions(parse_config(text, "airbyte_ops.yaml"), snapshot_dir=str(tmp_path / "snap"))


def _schedules(defs: dg.Definitions) -> dict[str, dg.ScheduleDefinition]:
    return {s.name: s for s in defs.get_repository_def().schedule_defs}


def _keys_of(defs: dg.Definitions, connection: str) -> set[dg.AssetKey]:
    graph = defs.get_repository_def().asset_graph
    return {n.key for n in graph.asset_nodes if n.metadata.get("airbyte/connection_name") == connection}


def test_match_all_gives_every_active_connection_its_own_schedules(emulator, tmp_path, caplog):
    emulator.admin.create_connection("Legacy CRM → S3", streams=["accounts"], status="inactive")
    with caplog.at_level(logging.WARNING):
        defs = _defs(
            emulator,
            tmp_path,
            """
            connections:
              - match: "*"
                schedule:
                  - {cron: "0 6-18 * * 1-5", timezone: Europe/Paris, enabled: true}  # hourly 06-18, weekdays
                  - {cron: "0 3 * * *"}                                             # every day at 03:00 UTC
            """,
        )
    schedules = _schedules(defs)
    expected = {f"{slug}_schedule" for slug in DEMO.values()} | {
        f"{slug}_schedule_2" for slug in DEMO.values()
    }
    assert set(schedules) == expected  # 4 active connections, 2 each; the inactive one has none
    assert "skipping Airbyte connection 'Legacy CRM → S3' (status inactive)" in caplog.text

    repository = defs.get_repository_def()
    for name, slug in DEMO.items():
        first, second = schedules[f"{slug}_schedule"], schedules[f"{slug}_schedule_2"]
        assert first.job_name == second.job_name == "airbyte_sync_job"
        assert (first.cron_schedule, first.execution_timezone) == ("0 6-18 * * 1-5", "Europe/Paris")
        assert (second.cron_schedule, second.execution_timezone) == ("0 3 * * *", "UTC")
        assert first.default_status == dg.DefaultScheduleStatus.RUNNING
        for schedule, monday in ((first, dt.datetime(2026, 3, 2, 8, tzinfo=dt.UTC)), (second, None)):
            context = dg.build_schedule_context(
                instance=dg.DagsterInstance.ephemeral(),
                scheduled_execution_time=monday or dt.datetime(2026, 3, 2, 3, tzinfo=dt.UTC),
            )
            [request] = schedule.evaluate_tick(context).run_requests or []
            assert set(request.asset_selection or ()) == _keys_of(defs, name)  # its streams only
            assert set(request.asset_selection or ()) <= set(
                repository.get_job(schedule.job_name).asset_layer.selected_asset_keys
            )


def test_a_tick_of_a_glob_schedule_starts_only_its_own_connection(emulator, tmp_path):
    defs = _defs(
        emulator,
        tmp_path,
        """
        connections:
          - match: "* → S*"                     # MSSQL → S3, Shop Orders → SQLite
            group: lake_exports
            schedule: {cron: "30 1 * * *"}       # every day at 01:30
        """,
    )
    schedules = _schedules(defs)
    assert set(schedules) == {"mssql_s3_schedule", "shop_orders_sqlite_schedule"}
    groups = {n.group_name for n in defs.get_repository_def().asset_graph.asset_nodes}
    assert groups == {"lake_exports"}  # the entry is the group: its connections share it

    context = dg.build_schedule_context(
        instance=dg.DagsterInstance.ephemeral(),
        scheduled_execution_time=dt.datetime(2026, 3, 2, 1, 30, tzinfo=dt.UTC),
    )
    [request] = schedules["mssql_s3_schedule"].evaluate_tick(context).run_requests or []
    assert request.tags["airbyte/connection_name"] == "MSSQL → S3"
    assert request.run_key == "2026-03-02T01:30:00+00:00"


def test_one_schedule_shared_by_several_entries_with_a_yaml_anchor(emulator, tmp_path):
    defs = _defs(
        emulator,
        tmp_path,
        """
        connections:
          - name: "PostgreSQL → MinIO"
            group: finance
            schedule: &finance_nightly {cron: "0 2 * * *", timezone: Europe/Paris}   # 02:00 Paris
          - name: "CRM API → Postgres"
            group: finance
            schedule: *finance_nightly
        """,
    )
    schedules = _schedules(defs)
    assert set(schedules) == {"postgresql_minio_schedule", "crm_api_postgres_schedule"}
    assert {(s.cron_schedule, s.execution_timezone) for s in schedules.values()} == {
        ("0 2 * * *", "Europe/Paris")
    }


def test_two_connections_of_a_glob_whose_names_slugify_alike_is_a_clear_error(emulator, tmp_path):
    emulator.admin.create_connection("Orders → S3", streams=["orders"])
    emulator.admin.create_connection("Orders / S3", streams=["order_lines"])

    with pytest.raises(ConfigError) as raised:
        _defs(emulator, tmp_path, 'connections: [{match: "Orders*", schedule: {cron: "0 1 * * *"}}]\n')

    assert str(raised.value) == (
        "airbyte_ops.yaml: connections[0].schedule: connections \u201cOrders / S3\u201d and "
        '\u201cOrders → S3\u201d both become "orders_s3" in Dagster names (schedule "orders_s3_schedule", '
        'op "airbyte_sync_orders_s3"); rename one of them in Airbyte so their names differ in '
        "letters or digits"
    )
