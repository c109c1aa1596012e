"""Job ownership (issue 14, case 3): a terminated run cancels only a job it started and that no other
live run is attached to; a run that attached detaches. Two real `dagster asset materialize` processes
on one DAGSTER_HOME, one Airbyte job between them, SIGINT (what terminating a run delivers) to one.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 120.0
PG = "PostgreSQL → MinIO"


def _connection_id(emulator, name: str) -> str:
    from dagster_airbyte_ops.client import AirbyteClient

    with AirbyteClient(url=emulator.url, api="config", retry_backoff_s=0.01) as client:
        workspace = client.list_workspaces()[0].id
        return next(c.id for c in client.list_connections(workspace) if c.name == name)


def _materialize(emulator, home: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "AIRBYTE_URL": emulator.url, "DAGSTER_HOME": str(home)}
    env.pop("AIRBYTE_OPS_CONFIG", None)
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dagster",
            "asset",
            "materialize",
            "-f",
            "definitions.py",
            "--select",
            "public/customers",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait(what: str, probe, processes, timeout_s: float = START_TIMEOUT_S):
    deadline = time.monotonic() + timeout_s
    while True:
        value = probe()
        if value:
            return value
        for process in processes:
            assert process.poll() is None, f"{what}: a run exited early:\n{process.stdout.read()[-3000:]}"
        assert time.monotonic() < deadline, f"{what}: not within {timeout_s:g} s"
        time.sleep(0.3)


def _tagged_runs(home: Path, job_id: int, connection: str) -> list[dg.DagsterRun]:
    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = instance.get_runs()
        return [r for r in runs if r.tags.get(f"airbyte_ops/job_{job_id}") == connection]


@pytest.mark.timeout(300)
@pytest.mark.parametrize("terminated", ["attached", "starter"])
def test_a_terminated_run_never_cancels_a_job_another_live_run_waits_for(emulator, tmp_path, terminated):
    """B attaches to A's job. Terminating B (attached) or A (the starter, with B still attached) leaves
    the job running; the other run succeeds with it."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    conn = _connection_id(emulator, PG)
    emulator.admin.set_behaviour(conn, duration_s=45.0)
    a = _materialize(emulator, home)
    processes = [a]
    try:
        [job] = _wait(
            "A's job running",
            lambda: [j for j in emulator.admin.jobs() if j["status"] == "running"],
            processes,
        )
        b = _materialize(emulator, home)
        processes.append(b)
        _wait("B attached", lambda: len(_tagged_runs(home, job["jobId"], conn)) == 2, processes)

        victim, survivor = (b, a) if terminated == "attached" else (a, b)
        victim.send_signal(signal.SIGINT)
        victim_output, _ = victim.communicate(timeout=90)
        [still] = emulator.admin.jobs()
        assert still["status"] == "running", victim_output[-3000:]
        assert "detach" in victim_output.lower(), victim_output[-3000:]

        survivor_output, _ = survivor.communicate(timeout=150)
        assert survivor.returncode == 0, survivor_output[-3000:]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
    [done] = emulator.admin.jobs()
    assert done["jobId"] == job["jobId"] and done["status"] == "succeeded"
