"""Each sync's log lines land under its own step, also when several syncs run at once in one process."""

from __future__ import annotations

import re

import dagster as dg
from dagster._core.definitions.job_base import InMemoryJob
from dagster._core.execution.api import execute_run

from dagster_airbyte_ops.config import parse_config
from dagster_airbyte_ops.definitions import build_definitions

CONFIG = """
airbyte:
  url: "{url}"
  api: config
  poll_interval_s: 0.5
connections:
  - name: "PostgreSQL → MinIO"
  - name: "MSSQL → S3"
  - name: "CRM API → Postgres"
"""
JOB_LINE = re.compile(r"Airbyte job (\d+) of connection ([0-9a-f-]+): ")


def test_threaded_steps_log_their_own_syncs_only(emulator, tmp_path):
    defs = build_definitions(
        parse_config(CONFIG.format(url=emulator.url)), snapshot_dir=str(tmp_path / "snapshots")
    )
    job = defs.resolve_implicit_global_asset_job_def()
    with dg.instance_for_test(
        overrides={
            "compute_logs": {
                "module": "dagster._core.storage.noop_compute_log_manager",
                "class": "NoOpComputeLogManager",
            }
        }
    ) as instance:
        run = instance.create_run_for_job(job_def=job)
        execute_run(InMemoryJob(job), run, instance)  # the job's own executor: steps as threads
        assert instance.get_run_by_id(run.run_id).is_success

        connection_of_job = {j["jobId"]: j["connectionId"] for j in emulator.admin.jobs()}
        op_of_connection = {}
        for node in job.graph.node_defs:
            found = re.search(r"\(([0-9a-f-]{36})\)", node.description or "")
            if found:
                op_of_connection[found.group(1)] = node.name
        lines_by_step: dict[str, set[str]] = {}
        for record in instance.all_logs(run.run_id):
            matched = JOB_LINE.search(record.user_message or "")
            if matched and record.step_key:
                lines_by_step.setdefault(record.step_key, set()).add(matched.group(2))

    assert len(connection_of_job) == 3
    assert len(lines_by_step) == 3, lines_by_step
    for step_key, connections in lines_by_step.items():
        assert connections == {next(c for c, op in op_of_connection.items() if op == step_key)}
