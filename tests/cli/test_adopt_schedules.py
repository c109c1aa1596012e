"""`airbyte-ops adopt-schedules` against the emulator, over both Airbyte API flavours."""

from __future__ import annotations

import textwrap
import time
from pathlib import Path

import pytest

from dagster_airbyte_ops.cli import main
from dagster_airbyte_ops.client import AirbyteClient

CONFIG = """
airbyte:
  url: {{env: AIRBYTE_URL}}
  api: {api}
  retry_backoff_s: 0.01
connections:
  - name: "PostgreSQL → MinIO"      # Quartz cron "0 0 2 * * ?" (UTC) in Airbyte
    schedule: from_airbyte
  - name: "MSSQL → S3"              # basic, every 6 hours
    schedule: from_airbyte
  - name: "CRM API → Postgres"      # manual
    schedule: from_airbyte
  - name: "Shop Orders → SQLite"    # not adopted: no from_airbyte
"""

PLAN = [
    "CONNECTION          AIRBYTE NOW                      DAGSTER SCHEDULE           CRON (TIME ZONE)   "
    "IN WORDS       ACTION",
    'PostgreSQL → MinIO  Quartz cron "0 0 2 * * ?" (UTC)  postgresql_minio_schedule  0 2 * * * (UTC)    '
    "At 02:00       set to manual in Airbyte",
    "MSSQL → S3          basic: every 6 hours             mssql_s3_schedule          0 */6 * * * (UTC)  "
    "Every 6 hours  set to manual in Airbyte",
    "CRM API → Postgres  manual                           -                          -                  "
    "-              nothing to do (manual in Airbyte)",
]


@pytest.fixture
def config_file(emulator, tmp_path, monkeypatch, request) -> Path:
    api = getattr(request, "param", "config")
    monkeypatch.setenv("AIRBYTE_URL", emulator.url)
    path = tmp_path / "airbyte_ops.yaml"
    path.write_text(textwrap.dedent(CONFIG).format(api=api))
    return path


def _schedules(emulator) -> dict[str, str]:
    """Each connection's schedule type as Airbyte reports it now."""
    with AirbyteClient(url=emulator.url, api="config", retry_backoff_s=0.01) as client:
        workspace = client.list_workspaces()[0].id
        return {c.name: c.schedule.schedule_type for c in client.list_connections(workspace)}


BEFORE = {
    "PostgreSQL → MinIO": "cron",
    "MSSQL → S3": "basic",
    "CRM API → Postgres": "manual",
    "Shop Orders → SQLite": "manual",
}


def test_the_plan_shows_what_each_connection_becomes_and_changes_nothing(emulator, config_file, capsys):
    assert main(["adopt-schedules", "--config", str(config_file)]) == 0

    out = capsys.readouterr().out.splitlines()
    assert out[:4] == PLAN
    assert (
        out[-1] == "Nothing changed yet: run again with --apply to set 2 connection(s) to manual in Airbyte."
    )
    assert _schedules(emulator) == BEFORE
    assert not [
        r for r in emulator.admin.requests() if r["path"].endswith(("/update",)) or r["method"] == "PATCH"
    ]


@pytest.mark.parametrize("config_file", ["config", "public"], indirect=True)
def test_apply_sets_the_adopted_connections_to_manual_and_is_idempotent(emulator, config_file, capsys):
    assert main(["adopt-schedules", "--config", str(config_file), "--apply"]) == 0

    out = capsys.readouterr().out
    assert 'PostgreSQL → MinIO: set to manual in Airbyte (was Quartz cron "0 0 2 * * ?" (UTC))' in out
    assert "MSSQL → S3: set to manual in Airbyte (was basic: every 6 hours)" in out
    assert "CRM API → Postgres: nothing to do: already manual in Airbyte" in out
    assert '  schedule: {cron: "0 2 * * *", timezone: UTC, enabled: true}  # At 02:00; was Airbyte' in out
    assert _schedules(emulator) == {name: "manual" for name in BEFORE}
    updates = [
        (r["method"], r["path"])
        for r in emulator.admin.requests()
        if r["path"].endswith("/connections/update") or r["method"] == "PATCH"
    ]
    if "api: public" in config_file.read_text():
        assert len(updates) == 2 and all(
            m == "PATCH" and "/api/public/v1/connections/" in p for m, p in updates
        )
    else:
        assert updates == [("POST", "/api/v1/connections/update")] * 2

    emulator.admin.clear_requests()
    assert main(["adopt-schedules", "--config", str(config_file), "--apply"]) == 0  # again: nothing to do
    out = capsys.readouterr().out
    assert out.count("nothing to do: already manual in Airbyte") == 3
    assert not [
        r for r in emulator.admin.requests() if r["path"].endswith("/update") or r["method"] == "PATCH"
    ]


def test_an_unconvertible_schedule_is_an_error_and_is_not_applied(emulator, config_file, capsys):
    emulator.admin.create_connection(
        "Billing → S3",
        schedule_type="cron",
        schedule_data={"cron": {"cronExpression": "0 0 12 L * ?", "cronTimeZone": "Europe/Paris"}},
    )
    config_file.write_text(config_file.read_text() + '  - name: "Billing → S3"\n    schedule: from_airbyte\n')

    assert main(["adopt-schedules", "--config", str(config_file), "--apply"]) == 1

    out = capsys.readouterr().out
    assert (
        'Billing → S3        Quartz cron "0 0 12 L * ?" (Europe/Paris)  -                          -     '
    ) in out
    assert "none (error, see below)" in out
    assert (
        f"  {config_file}: connections[4].schedule: from_airbyte: "
        "Airbyte connection \u201cBilling → S3\u201d has a schedule Dagster cannot run as cron: "
        'day-of-month "L": "L" (last day) has no 5-field cron equivalent; '
        'write schedule: {cron: "..."} here instead, or change the schedule in Airbyte'
    ) in out
    assert "Billing → S3: not changed: its schedule cannot be adopted (see the error)" in out
    after = _schedules(emulator)
    assert after["Billing → S3"] == "cron"
    assert after["PostgreSQL → MinIO"] == after["MSSQL → S3"] == "manual"  # the others still adopted


def test_no_from_airbyte_entries_means_nothing_to_adopt(emulator, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("AIRBYTE_URL", emulator.url)
    path = tmp_path / "airbyte_ops.yaml"
    path.write_text('airbyte: {url: {env: AIRBYTE_URL}}\nconnections: [{match: "*"}]\n')

    assert main(["adopt-schedules", "--config", str(path), "--apply"]) == 0

    assert "no connection entry has schedule: from_airbyte; nothing to adopt." in capsys.readouterr().out
    assert _schedules(emulator) == BEFORE


@pytest.mark.emulator(scheduler=True, time_scale=0.001)  # Airbyte's scheduler on; "1 minute" is 60 ms
def test_after_apply_airbyte_no_longer_starts_the_connection(emulator, tmp_path, monkeypatch, capsys):
    created = emulator.admin.create_connection(
        "Clicks → S3",
        streams=["clicks"],
        schedule_type="basic",
        schedule_data={"basicSchedule": {"timeUnit": "minutes", "units": 1}},
    )
    monkeypatch.setenv("AIRBYTE_URL", emulator.url)
    path = tmp_path / "airbyte_ops.yaml"
    path.write_text(
        "airbyte: {url: {env: AIRBYTE_URL}, retry_backoff_s: 0.01}\n"
        'connections: [{name: "Clicks → S3", schedule: from_airbyte}]\n'
    )

    def jobs() -> int:
        return len([j for j in emulator.admin.jobs() if j["connectionId"] == created["connectionId"]])

    deadline = time.monotonic() + 60
    while jobs() < 3:  # Airbyte runs it again and again
        assert time.monotonic() < deadline, "the emulator's scheduler never ran the connection"
        time.sleep(0.05)

    assert main(["adopt-schedules", "--config", str(path), "--apply"]) == 0
    assert "Clicks → S3: set to manual in Airbyte (was basic: every 1 minutes)" in capsys.readouterr().out
    after_apply = jobs()
    time.sleep(1.0)  # some sixteen periods of the old schedule

    assert jobs() == after_apply  # Airbyte's scheduler no longer starts it: only Dagster will
