"""`airbyte-ops` commands against the emulator, with the demo airbyte_ops.yaml."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ports import free_port

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


# ---- which connection a person means (issue 18: the group the UI shows, the name in any case) ----


@pytest.mark.parametrize(
    "typed",
    ["shop_orders_sqlite", "shop orders → sqlite", "SHOP ORDERS → SQLITE", "Shop Orders → SQLite"],
    ids=["ui-group", "lower-case", "upper-case", "exact"],
)
def test_sync_accepts_the_ui_group_and_the_name_in_any_case(demo_env, capsys, typed):
    assert main(["sync", typed]) == 0
    out = capsys.readouterr().out
    assert "Shop Orders → SQLite: succeeded" in out
    [job] = demo_env.admin.jobs()
    assert job["status"] == "succeeded"


def test_sync_by_id(demo_env, capsys):
    main(["connections"])
    shop = next(line.split()[-1] for line in capsys.readouterr().out.splitlines() if line.startswith("Shop"))
    assert main(["sync", shop]) == 0
    assert "Shop Orders → SQLite: succeeded" in capsys.readouterr().out


def test_an_ambiguous_name_lists_the_candidates_and_starts_nothing(demo_env, capsys):
    twin = demo_env.admin.create_connection("shop orders → SQLITE", streams=1)
    assert main(["sync", "SHOP ORDERS → SQLITE"]) == 1
    err = capsys.readouterr().err
    assert "'SHOP ORDERS → SQLITE' matches 2 connections by name in any case" in err
    assert "Shop Orders → SQLite (id " in err and f"shop orders → SQLITE (id {twin['connectionId']})" in err
    assert "pass the id" in err
    assert demo_env.admin.jobs() == []
    # The exact name still names one.
    assert main(["sync", "--no-wait", "shop orders → SQLITE"]) == 0


# ---- where the CLI looks for Airbyte (issue 18: after `make dev EMULATOR_PORT=...`) ----


def test_check_with_nothing_listening_says_so_in_one_line_within_seconds(monkeypatch, capfd):
    port = free_port()
    monkeypatch.setenv("AIRBYTE_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("AIRBYTE_OPS_CONFIG", str(DEMO_CONFIG))
    started = time.monotonic()
    assert main(["check"]) == 1
    assert time.monotonic() - started < 5
    out, err = capfd.readouterr()
    assert out.splitlines()[0] == f"looking for Airbyte at http://127.0.0.1:{port} ($AIRBYTE_URL)"
    [line] = err.splitlines()  # one line: no retry warnings, nothing cut in half
    assert line.startswith(f"airbyte-ops: no Airbyte at http://127.0.0.1:{port} (connection refused)")
    assert "AIRBYTE_URL=http://HOST:PORT" in line and "airbyte.url in" in line


def test_check_finds_the_running_dev_emulator_without_flags_or_variables(
    emulator, monkeypatch, tmp_path, capsys
):
    from dagster_airbyte_ops.commands.dev_state import write_state

    monkeypatch.delenv("AIRBYTE_URL", raising=False)
    monkeypatch.setenv("AIRBYTE_OPS_CONFIG", str(DEMO_CONFIG))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    state = write_state(tmp_path, emulator_url=emulator.url, ui_url="http://127.0.0.1:1")
    assert main(["check"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (
        f"looking for Airbyte at {emulator.url} (the emulator of the running `airbyte-ops dev` "
        f"(pid {os.getpid()}, recorded in {state}))"
    )
    assert "selected: 4 connections, 12 streams" in lines
    assert "AIRBYTE_URL" not in os.environ  # borrowed for the command only


def test_a_dev_state_of_a_process_that_is_gone_is_ignored(monkeypatch, tmp_path, capfd):
    monkeypatch.delenv("AIRBYTE_URL", raising=False)
    monkeypatch.setenv("AIRBYTE_OPS_CONFIG", str(DEMO_CONFIG))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    (tmp_path / "airbyte-ops-dev.json").write_text(
        json.dumps({"emulator_url": "http://127.0.0.1:1", "ui_url": "", "pid": int(gone.stdout)})
    )
    main(["check"])
    first = capfd.readouterr().out.splitlines()[0]
    assert first.startswith("looking for Airbyte at http://127.0.0.1:8001 (airbyte.url in ")
    assert "$AIRBYTE_URL unset, no `airbyte-ops dev` running here" in first


# ---- progress (issue 18: one line per poll, even on a terminal) ----


def test_progress_off_a_terminal_is_one_line_per_state_change(demo_env, capsys):
    main(["connections"])
    lines = capsys.readouterr().out.splitlines()
    mssql = next(line.split()[-1] for line in lines if line.startswith("MSSQL"))
    demo_env.admin.set_behaviour(mssql, duration_s=4.0)
    assert main(["sync", mssql]) == 0
    progress = [line for line in capsys.readouterr().out.splitlines() if "rows so far" in line]
    states = [line.split()[1] for line in progress]
    assert states == sorted(set(states), key=states.index)  # each state once, in order
    assert states[-1] == "succeeded" and "running" in states


def test_progress_on_a_terminal_updates_one_line_in_place(demo_env, capsys):
    """Run in a pseudo-terminal: the status line is redrawn (carriage returns), not repeated."""
    import pty

    main(["connections"])
    crm = next(line.split()[-1] for line in capsys.readouterr().out.splitlines() if line.startswith("CRM"))
    demo_env.admin.set_behaviour(crm, duration_s=5.0)  # long enough for a dozen polls
    main_fd, child_fd = pty.openpty()
    env = {**os.environ, "TERM": "xterm", "COLUMNS": "120"}
    with subprocess.Popen(
        [sys.executable, "-m", "dagster_airbyte_ops.cli", "sync", "CRM API → Postgres"],
        stdin=child_fd,
        stdout=child_fd,
        stderr=child_fd,
        env=env,
    ) as process:
        os.close(child_fd)
        chunks = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                chunk = os.read(main_fd, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert process.wait(timeout=30) == 0
    os.close(main_fd)
    screen = b"".join(chunks).decode(errors="replace")
    assert "CRM API → Postgres: succeeded" in screen
    assert "rows so far" in screen and "\r" in screen
    lines = [line for line in screen.replace("\r\n", "\n").split("\n") if line.strip()]
    assert len(lines) < 12, screen  # job line, stream totals, the final line; no line per poll


def test_retry_warnings_during_a_sync_are_whole_lines_of_their_own(demo_env, capfd):
    """Airbyte answering 503 while the sync is watched: the client retries, and says so on a line of
    its own (never cut into the progress line)."""
    demo_env.admin.add_fault(kind="status", path="/api/v1/jobs/get", status=503, count=2)
    assert main(["sync", "CRM API → Postgres"]) == 0
    out, err = capfd.readouterr()
    retries = [line for line in out.splitlines() if "retrying in" in line]
    assert len(retries) == 2, out
    assert all(line.startswith("  warning: Airbyte POST /api/v1/jobs/get: HTTP 503") for line in retries)
    assert "CRM API → Postgres: succeeded" in out
    assert "retrying" not in err
