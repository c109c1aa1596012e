"""`airbyte-ops` commands against the emulator, with the demo airbyte_ops.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest

from dagster_airbyte_ops.cli import main

DEMO_CONFIG = Path(__file__).resolve().parents[2] / "airbyte_ops.yaml"


@pytest.fixture
def demo_env(emulator, monkeypatch):
    monkeypatch.setenv("AIRBYTE_URL", emulator.url)
    monkeypatch.setenv("AIRBYTE_OPS_CONFIG", str(DEMO_CONFIG))
    return emulator


def test_check_validates_and_reaches_airbyte(demo_env, capsys):
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    assert "airbyte_ops.yaml: valid (4 connection entries)" in out
    assert "selected: 4 connections, 12 streams" in out


def test_connections_table_lists_streams_and_schedules(demo_env, capsys):
    assert main(["connections"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:2] == ["CONNECTION", "STATUS"]
    postgres = next(line for line in lines if line.startswith("PostgreSQL → MinIO"))
    assert "0 6-18 * * * (Europe/Paris)" in postgres and " 4 " in postgres


def test_sync_from_the_terminal_shows_progress_and_stream_rows(demo_env, capsys):
    assert main(["sync", "MSSQL → S3"]) == 0
    out = capsys.readouterr().out
    assert "running" in out and "rows so far" in out
    assert "MSSQL → S3: succeeded" in out
    [job] = demo_env.admin.jobs()
    assert job["status"] == "succeeded"


def test_sync_of_unknown_connection_names_the_known_ones(demo_env, capsys):
    assert main(["sync", "Postgres"]) == 1
    assert "no connection named 'Postgres'; known: CRM API → Postgres" in capsys.readouterr().err


def test_failed_sync_exits_1_with_airbyte_message_and_no_traceback(demo_env, capsys):
    main(["connections"])
    conn = next(line.split()[-1] for line in capsys.readouterr().out.splitlines() if line.startswith("MSSQL"))
    demo_env.admin.set_behaviour(
        conn, outcome="failed", duration_s=0.2, failure_message="Login failed for user 'sa'"
    )
    assert main(["sync", conn]) == 1
    err = capsys.readouterr().err
    assert "Login failed for user 'sa'" in err and "Traceback" not in err


def test_bad_config_is_one_clear_line(tmp_path, capsys, monkeypatch):
    bad = tmp_path / "airbyte_ops.yaml"
    bad.write_text("airbyte:\n  urll: http://x\n")
    monkeypatch.setenv("AIRBYTE_OPS_CONFIG", str(bad))
    assert main(["check"]) == 1
    err = capsys.readouterr().err
    assert "airbyte.urll" in err and 'did you mean "url"' in err and "Traceback" not in err
