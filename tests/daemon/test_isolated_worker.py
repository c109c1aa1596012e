"""Run workers rebuild the definitions from Dagster's reconstruction metadata alone.

Production topology: a separate code server (`dagster api grpc`, a user-code deployment on
Kubernetes), the daemon, and each run in its own worker process. Once the code server has loaded,
Airbyte's catalog endpoints fail for good and the code server's snapshot folder is gone; the run
must still sync, with no catalog request reaching Airbyte from the worker.
"""

from __future__ import annotations

import shutil

import pytest
from ports import free_port

from .deployment import DaemonDeployment

JOB = "airbyte_sync_postgresql_minio_job"
CATALOG_PATHS = r"/api/v1/(workspaces/|connections/list|destinations/list|sources/list)"
CONFIG = """\
airbyte:
  url: {env: AIRBYTE_URL}
  api: config
  poll_interval_s: 1
connections:
  - name: "PostgreSQL → MinIO"
"""


@pytest.mark.timeout(300)
def test_run_worker_syncs_with_catalog_endpoints_down_and_no_snapshot(emulator, tmp_path):
    deployment = DaemonDeployment(
        tmp_path, config_text=CONFIG, env={"AIRBYTE_URL": emulator.url}, code_server_port=free_port()
    )
    try:
        deployment.start_code_server()
        catalog_calls_at_load = [r for r in emulator.admin.requests() if "connections/list" in r["path"]]
        assert catalog_calls_at_load, "the code server should have fetched the catalog once"

        emulator.admin.add_fault(kind="status", path=CATALOG_PATHS, status=500, count=100_000)
        shutil.rmtree(tmp_path / ".airbyte_ops")
        emulator.admin.clear_requests()
        deployment.start()
        deployment.launch(JOB)

        [run] = deployment.wait_for(
            "the run to finish", lambda: [r for r in deployment.runs_of(JOB) if r.is_finished] or None
        )
        assert run.status.value == "SUCCESS", deployment.failure_text(run)
        [job] = emulator.admin.jobs()
        assert job["status"] == "succeeded"
        # The daemon's observer tick reads schema changes with web_backend/connections/list (what
        # Airbyte stores, not the catalog): that is the sensor's call, not the run worker's.
        catalog_requests = [
            r
            for r in emulator.admin.requests()
            if ("connections/list" in r["path"] and "web_backend" not in r["path"])
            or "destinations/list" in r["path"]
        ]
        assert catalog_requests == []
    finally:
        deployment.stop()
