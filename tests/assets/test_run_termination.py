"""A Dagster run interrupted mid-sync cancels its Airbyte job (real CLI run, real step process)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 90.0


def _connection_id(emulator, name: str) -> str:
    from dagster_airbyte_ops.client import AirbyteClient

    with AirbyteClient(url=emulator.url, api="config", retry_backoff_s=0.01) as client:
        workspace = client.list_workspaces()[0].id
        return next(c.id for c in client.list_connections(workspace) if c.name == name)


def test_interrupted_run_cancels_the_airbyte_job(emulator, tmp_path):
    emulator.admin.set_behaviour(_connection_id(emulator, "PostgreSQL → MinIO"), outcome="stuck")
    env = {**os.environ, "AIRBYTE_URL": emulator.url, "DAGSTER_HOME": str(tmp_path)}
    env.pop("AIRBYTE_OPS_CONFIG", None)
    run = subprocess.Popen(
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
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not [j for j in emulator.admin.jobs() if j["status"] == "running"]:
            assert run.poll() is None, run.stdout.read() if run.stdout else ""
            assert time.monotonic() < deadline, "the sync never started"
            time.sleep(0.2)

        run.send_signal(signal.SIGINT)  # what terminating the run delivers to its worker
        output, _ = run.communicate(timeout=60)
    finally:
        if run.poll() is None:
            run.kill()

    [job] = emulator.admin.jobs()
    assert job["status"] == "cancelled", output[-3000:]
