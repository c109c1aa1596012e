"""The soak's crash: a real run process (`dagster asset materialize`) killed with SIGKILL mid-sync.

The run syncs its own connection (`crash-00`, outside the soak's `soak-*` rounds) on an instance on
disk. Once its Airbyte job runs and the run has claimed it (the `airbyte_ops/job_<id>` tag), the
process is killed; the run is then marked failed the way its code server (or Dagster's run monitoring)
does for a run worker that died. The job runs on in Airbyte; the observer sensor of the same instance,
ticked as the daemon ticks it, must record it exactly once, with the job's own id, once it ends.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import dagster as dg
from observer.harness import tick

from dagster_airbyte_ops.config import parse_config
from dagster_airbyte_ops.definitions import build_definitions
from dagster_airbyte_ops.emulator import EmulatorServer

MATERIALIZE = [sys.executable, "-m", "dagster", "asset", "materialize", "-f", "definitions.py"]
NAME = "crash-00"
GROUP = "crash_00"
WAIT_S = 120.0
CONFIG = """
airbyte:
  url: "{url}"
  api: config
  auth: {{client_credentials: {{client_id: {client_id}, client_secret: {{env: SOAK_CLIENT_SECRET}}}}}}
  retry_backoff_s: 0.01
  poll_interval_s: 0.25
observer: {{enabled: true, interval_s: 10}}
connections:
  - name: "{name}"
"""


def _wait(what: str, probe: Any, timeout_s: float = WAIT_S) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"soak crash: {what} not within {timeout_s:g} s")
        time.sleep(0.2)


class KilledRun:
    """One connection, one run process killed mid-sync, one observer that must record the job."""

    def __init__(self, server: EmulatorServer, root: Path, client_id: str) -> None:
        self.server = server
        self.root = root
        self.home = root / "dagster_home"
        self.home.mkdir(parents=True)
        (self.home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
        created = server.admin.create_connection(
            NAME, streams=2, namespace="crash", namespace_definition="source"
        )
        self.connection_id: str = created["connectionId"]
        text = CONFIG.format(url=server.url, client_id=client_id, name=NAME)
        (root / "airbyte_ops.yaml").write_text(text)
        (root / "definitions.py").write_text(
            "from dagster_airbyte_ops import build_definitions, load_config\n\n"
            "defs = build_definitions(load_config())\n"
        )
        self.defs = build_definitions(parse_config(text, "airbyte_ops.yaml"), snapshot_dir=str(root / "snap"))
        self.keys = [spec.key for spec in self.defs.resolve_all_asset_specs() if spec.group_name == GROUP]
        self.instance = dg.DagsterInstance.from_config(str(self.home))
        self.cursor: str | None = None
        self.process: subprocess.Popen[str] | None = None
        self.job_id: int | None = None
        self.run: dg.DagsterRun | None = None

    def observe(self) -> list[dg.AssetMaterialization]:
        data = tick(self.defs, "airbyte_observer", self.instance, self.cursor)
        self.cursor = data.cursor
        return list(data.asset_events)

    def start(self, duration_s: float) -> None:
        """First observer tick (it watches from now), then the run process."""
        self.server.admin.set_behaviour(self.connection_id, duration_s=duration_s)
        self.observe()
        env = {
            **os.environ,
            "DAGSTER_HOME": str(self.home),
            "AIRBYTE_OPS_CONFIG": str(self.root / "airbyte_ops.yaml"),
        }
        self.process = subprocess.Popen(
            [*MATERIALIZE, "--select", f"group:{GROUP}"],
            cwd=self.root,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def wait_claimed(self) -> None:
        """Until the run's job runs in Airbyte and the run has claimed it (tagged itself)."""
        assert self.process is not None

        def running() -> int | None:
            assert self.process is not None and self.process.poll() is None, "the run ended by itself"
            jobs = [j for j in self.server.admin.jobs() if j["connectionId"] == self.connection_id]
            return next((j["jobId"] for j in jobs if j["status"] == "running"), None)

        self.job_id = _wait("the crash run's job running", running)
        tag = f"airbyte_ops/job_{self.job_id}"
        self.run = _wait(
            "the run claiming the job",
            lambda: next(
                (r for r in self.instance.get_runs() if r.tags.get(tag) == self.connection_id), None
            ),
        )

    def kill(self) -> None:
        """SIGKILL the run process; then mark the run failed, as its code server or Dagster's run
        monitoring does for a run worker that died."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)
        assert self.run is not None
        self.instance.report_run_failed(self.run)

    def settle(self) -> list[str]:
        """Tick the observer until the job has ended and been recorded; what went wrong, if anything."""
        assert self.job_id is not None
        job_id = self.job_id

        def ended() -> bool:
            return any(j["jobId"] == job_id and j["status"] == "succeeded" for j in self.server.admin.jobs())

        _wait("the crash run's job to end", ended)
        recorded: list[dg.AssetMaterialization] = []
        deadline = time.monotonic() + 30
        while not recorded and time.monotonic() < deadline:
            recorded = self.observe()
            time.sleep(0.2)
        recorded += self.observe() + self.observe()  # later ticks must not record it again
        wrong = []
        by_key = {}
        for event in recorded:
            by_key.setdefault(event.asset_key, []).append(event.metadata["airbyte/job_id"].value)
        if by_key != {key: [job_id] for key in self.keys}:
            wrong.append(f"killed run's job {job_id}: recorded {by_key}, expected once per stream")
        self.instance.dispose()
        return wrong
