"""End to end with the real daemon: sensors, queued runs and isolated run workers against the emulator."""

from __future__ import annotations

import pytest

from .deployment import DaemonDeployment

A_JOB = "airbyte_sync_postgresql_minio_job"
B_JOB = "airbyte_sync_mssql_s3_job"

CONFIG = """\
airbyte:
  url: {env: AIRBYTE_URL}
  api: config
  poll_interval_s: 1
connections:
  - name: "PostgreSQL → MinIO"
  - name: "MSSQL → S3"
    after: ["PostgreSQL → MinIO"]
"""


def _finished(deployment: DaemonDeployment, job: str, count: int = 1):
    runs = deployment.runs_of(job)
    done = [r for r in runs if r.is_finished]
    return done if len(done) >= count else None


@pytest.fixture
def deployment(emulator, tmp_path):
    deployment = DaemonDeployment(tmp_path, config_text=CONFIG, env={"AIRBYTE_URL": emulator.url})
    yield deployment.start()
    deployment.stop()


@pytest.mark.timeout(300)
def test_chain_launches_b_once_after_a_succeeds(deployment, emulator):
    deployment.launch(A_JOB)

    [a_run] = deployment.wait_for("A's run to finish", lambda: _finished(deployment, A_JOB))
    assert a_run.status.value == "SUCCESS", deployment.log_tail()
    [b_run] = deployment.wait_for(
        "B's run, launched by the after: sensor", lambda: _finished(deployment, B_JOB)
    )
    assert b_run.status.value == "SUCCESS", deployment.log_tail()
    assert b_run.tags.get("dagster/sensor_name") == "mssql_s3_after_sensor"

    assert len(deployment.runs_of(B_JOB)) == 1
