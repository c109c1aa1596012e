"""`airbyte-ops` with `instances:`: every command works on each Airbyte of the file."""

from __future__ import annotations

import pytest

from dagster_airbyte_ops.cli import main
from dagster_airbyte_ops.client import AirbyteClient
from dagster_airbyte_ops.client.models import ConnectionSchedule

from ._support import ENV, HUBSPOT, PG, start_two_airbytes

BODY = """
connections:
  - {name: "PostgreSQL → MinIO", instance: onprem}
  - {name: "HubSpot → Snowflake", instance: cloud, schedule: from_airbyte}
"""


@pytest.fixture
def config_file(spec_checked_emulators, tmp_path, monkeypatch):
    airbytes = start_two_airbytes(spec_checked_emulators)
    path = tmp_path / "airbyte_ops.yaml"
    path.write_text(airbytes.config_text(BODY))
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AIRBYTE_OPS_CONFIG", str(path))
    return airbytes


def test_check_reaches_every_instance(config_file, capsys):
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    assert f"onprem: Airbyte at {config_file.onprem.url}: config API" in out
    assert f"cloud: Airbyte at {config_file.cloud.url}: public API" in out
    assert "selected: 2 connections" in out


def test_connections_table_has_an_instance_column(config_file, capsys):
    assert main(["connections"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:2] == ["INSTANCE", "CONNECTION"]
    assert any(line.startswith("onprem") and PG in line for line in lines)
    assert any(line.startswith("cloud") and HUBSPOT in line and "from_airbyte" in line for line in lines)


def test_sync_finds_the_connection_on_its_instance(config_file, capsys):
    assert main(["sync", f"cloud:{HUBSPOT}"]) == 0
    assert f"{HUBSPOT}: succeeded" in capsys.readouterr().out
    assert len(config_file.cloud.admin.jobs()) == 1
    assert config_file.onprem.admin.jobs() == []


def _cloud_client(airbytes) -> AirbyteClient:
    return AirbyteClient(
        url=airbytes.cloud.url,
        api="public",
        client_id="emulator-client-id",
        client_secret=ENV["CLOUD_CLIENT_SECRET"],
        retry_backoff_s=0.01,
    )


def test_adopt_schedules_switches_the_cloud_connection_to_manual(config_file, capsys):
    with _cloud_client(config_file) as client:
        [hubspot] = client.list_connections(client.list_workspaces()[0].id)
        nightly = ConnectionSchedule(schedule_type="cron", cron_expression="0 0 2 * * ?", timezone="UTC")
        client.update_connection(hubspot.id, schedule=nightly)

    assert main(["adopt-schedules"]) == 0
    plan = capsys.readouterr().out
    assert "cloud_hubspot_snowflake_schedule" in plan and "0 2 * * *" in plan

    assert main(["adopt-schedules", "--apply"]) == 0
    assert f"{HUBSPOT}: set to manual" in capsys.readouterr().out
    with _cloud_client(config_file) as client:
        assert client.get_connection(hubspot.id).schedule.schedule_type == "manual"
