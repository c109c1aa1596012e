"""`max_concurrent_syncs` holds across runs under the real daemon: several runs queue, one syncs at a time."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

from .deployment import DaemonDeployment

JOBS = [
    "airbyte_sync_postgresql_minio_job",
    "airbyte_sync_mssql_s3_job",
    "airbyte_sync_crm_api_postgres_job",
]
CONFIG = """\
airbyte:
  url: {env: AIRBYTE_URL}
  api: config
  poll_interval_s: 1
observer: {enabled: false}
max_concurrent_syncs: 1
connections:
  - name: "PostgreSQL → MinIO"
  - name: "MSSQL → S3"
  - name: "CRM API → Postgres"
"""


class PeakWatcher:
    """Samples the emulator's running jobs in a thread; keeps the largest number seen at once."""

    def __init__(self, emulator) -> None:
        self.emulator = emulator
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._stop.is_set():
            running = sum(1 for job in self.emulator.admin.jobs() if job["status"] == "running")
            self.peak = max(self.peak, running)
            self._stop.wait(0.1)

    def __enter__(self) -> PeakWatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def _all_finished(deployment: DaemonDeployment):
    finished = [run for job in JOBS for run in deployment.runs_of(job) if run.is_finished]
    return finished if len(finished) == len(JOBS) else None


@pytest.mark.emulator(default_job_duration_s=3.0)
@pytest.mark.timeout(300)
def test_pool_limit_holds_while_runs_queue(emulator, tmp_path):
    deployment = DaemonDeployment(
        tmp_path, config_text=CONFIG, env={"AIRBYTE_URL": emulator.url}, max_concurrent_runs=10
    )
    try:
        applied = subprocess.run(
            [sys.executable, "-m", "dagster_airbyte_ops.cli", "pools", "--apply"],
            cwd=tmp_path,
            env=deployment.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert applied.returncode == 0, applied.stderr
        assert deployment.instance.event_log_storage.get_concurrency_info("airbyte").slot_count == 1

        with PeakWatcher(emulator) as watcher:
            for job in JOBS:
                deployment.launch(job)  # queued; the daemon launches all three at once
            deployment.start()
            runs = deployment.wait_for("all three runs to finish", lambda: _all_finished(deployment), 240)
        assert all(run.status.value == "SUCCESS" for run in runs), [deployment.failure_text(r) for r in runs]
        assert len(emulator.admin.jobs()) == 3
        assert watcher.peak == 1, f"{watcher.peak} Airbyte jobs ran at once under a limit of 1"
    finally:
        deployment.stop()
