"""Two connections whose names make the same Dagster names: a clear ConfigError, never a traceback.

"Orders → S3" and "Orders / S3" both become `orders_s3` (op `airbyte_sync_orders_s3`); Dagster
would refuse the duplicate definitions with a traceback.
Across instances the instance name keeps them apart, so the same name in two Airbytes is fine.
"""

from __future__ import annotations

import textwrap

import dagster as dg
import pytest

from dagster_airbyte_ops.config import parse_config
from dagster_airbyte_ops.definitions import build_definitions
from dagster_airbyte_ops.errors import ConfigError
from tests.connection_runs import connection_keys

from ._support import ENV, start_two_airbytes


def _defs(emulator, tmp_path, body: str) -> dg.Definitions:
    text = f'airbyte: {{url: "{emulator.url}", api: config}}\n' + textwrap.dedent(body)
    return build_definitions(parse_config(text), snapshot_dir=str(tmp_path))


def test_two_connections_named_alike_without_schedules_are_a_clear_error(emulator, tmp_path):
    emulator.admin.create_connection("Orders → S3", streams=["orders"])
    emulator.admin.create_connection("Orders / S3", streams=["order_lines"])

    with pytest.raises(ConfigError) as raised:
        _defs(emulator, tmp_path, 'connections: [{match: "Orders*"}]\n')

    assert str(raised.value) == (
        "airbyte_ops.yaml: connections[0]: connections “Orders / S3” and “Orders → S3” both become "
        '"orders_s3" in Dagster names (op "airbyte_sync_orders_s3"); '
        "rename one of them in Airbyte so their names differ in letters or digits"
    )


def test_selecting_one_of_the_two_loads(emulator, tmp_path):
    emulator.admin.create_connection("Orders → S3", streams=["orders"])
    emulator.admin.create_connection("Orders / S3", streams=["order_lines"])

    defs = _defs(emulator, tmp_path, 'connections: [{name: "Orders → S3"}]\n')

    assert connection_keys(defs, "airbyte_sync_orders_s3")


def test_alike_names_in_one_named_instance_are_a_clear_error(spec_checked_emulators, tmp_path, monkeypatch):
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    airbytes = start_two_airbytes(spec_checked_emulators)
    airbytes.cloud.admin.create_connection("Orders → S3", streams=["orders"])
    airbytes.cloud.admin.create_connection("Orders / S3", streams=["order_lines"])

    with pytest.raises(ConfigError) as raised:
        airbytes.defs(
            tmp_path, 'connections: [{match: "Orders*", instance: cloud, schedule: {cron: "0 1 * * *"}}]\n'
        )

    assert str(raised.value) == (
        "airbyte_ops.yaml: connections[0].schedule: connections “cloud:Orders / S3” and “cloud:Orders → S3” "
        'both become "cloud_orders_s3" in Dagster names (schedule "cloud_orders_s3_schedule", op '
        '"airbyte_sync_cloud_orders_s3"); rename one of them in Airbyte so their names differ in '
        "letters or digits"
    )


def test_the_same_name_in_two_instances_gets_two_sets_of_names(spec_checked_emulators, tmp_path, monkeypatch):
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    airbytes = start_two_airbytes(spec_checked_emulators)
    airbytes.cloud.admin.create_connection("PostgreSQL → MinIO", streams=["orders_copy"])
    body = """
    connections:
      - {name: "PostgreSQL → MinIO", instance: onprem, schedule: {cron: "0 1 * * *"}, mode: deferred}
      - {name: "PostgreSQL → MinIO", instance: cloud, schedule: {cron: "0 2 * * *"}, mode: deferred}
    """

    repo = airbytes.defs(tmp_path, body).get_repository_def()

    assert {"onprem_postgresql_minio_schedule", "cloud_postgresql_minio_schedule"} <= {
        s.name for s in repo.schedule_defs
    }
    assert {"airbyte_deferred_jobs_onprem", "airbyte_deferred_jobs_cloud"} <= {
        s.name for s in repo.sensor_defs
    }
    assert {"airbyte_sync_onprem_postgresql_minio", "airbyte_sync_cloud_postgresql_minio"} <= {
        a.node_def.name for a in repo.assets_defs_by_key.values()
    }
