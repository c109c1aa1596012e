"""Many connections in one run sync together; `max_concurrent_syncs` caps them through Dagster pools.

Real runs in a real instance (SQLite, and PostgreSQL for the tests in POSTGRES_TESTS: the storage holds
pool limits), executed by the executor the definitions carry, against the emulator; how many Airbyte
jobs run at once is read from the emulator while the run executes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import dagster as dg
import pytest
from dagster._core.definitions.job_base import InMemoryJob
from dagster._core.execution.api import execute_run

from dagster_airbyte_ops import AirbyteTranslator
from dagster_airbyte_ops.assets.translator import slugify
from dagster_airbyte_ops.config import parse_config
from dagster_airbyte_ops.definitions import build_definitions
from dagster_airbyte_ops.errors import ConfigError
from dagster_airbyte_ops.execution.executor import airbyte_sync_executor
from dagster_airbyte_ops.execution.pools import (
    DEFAULT_POOL,
    POOL_SENSOR_NAME,
    apply_pool_limits,
    pool_limits,
    pools_command,
)

CONFIG = """
airbyte:
  url: "{url}"
  api: config
  retry_backoff_s: 0.01
  poll_interval_s: 0.5
"""
RUN_TIMEOUT_S = 110.0


class PerConnection(AirbyteTranslator):
    """Generated connections all write raw/table_NNN; key them by connection."""

    def get_asset_spec(self, props):
        spec = super().get_asset_spec(props)
        return spec.replace_attributes(key=spec.key.with_prefix(slugify(props.connection.name)))


class JobWatcher(threading.Thread):
    """Polls the emulator's jobs while a run executes; keeps the peak number running at once."""

    def __init__(self, emulator) -> None:
        super().__init__(daemon=True)
        self.emulator = emulator
        self.peak = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            running = sum(1 for job in self.emulator.admin.jobs() if job["status"] == "running")
            self.peak = max(self.peak, running)
            time.sleep(0.05)

    def __enter__(self) -> JobWatcher:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.join(timeout=10)


#: Also run on PostgreSQL (the rest on SQLite only): pool limits set in the storage and the slots
#: the syncs of a run claim and free there.
POSTGRES_TESTS = {
    "test_max_concurrent_syncs_caps_the_jobs_running_at_once",
    "test_pools_command_shows_the_plan_and_applies_it",
}


@pytest.fixture
def instance(dagster_instance) -> dg.DagsterInstance:
    assert dagster_instance.event_log_storage.supports_global_concurrency_limits
    return dagster_instance


def _defs(emulator, tmp_path, extra: str) -> dg.Definitions:
    text = textwrap.dedent(CONFIG).format(url=emulator.url) + textwrap.dedent(extra)
    config = parse_config(text, "airbyte_ops.yaml")
    return build_definitions(config, translator=PerConnection(), snapshot_dir=str(tmp_path / "snapshots"))


def _run_everything(defs: dg.Definitions, instance: dg.DagsterInstance) -> dg.DagsterRun:
    """A run of every asset, executed by the job's own executor (not execute_in_process's)."""
    job = defs.resolve_implicit_global_asset_job_def()
    run = instance.create_run_for_job(job_def=job)
    execute_run(InMemoryJob(job), run, instance)
    finished = instance.get_run_by_id(run.run_id)
    assert finished is not None
    return finished


@pytest.mark.emulator(seed="generated:20:3", default_job_duration_s=8.0)
def test_twenty_connections_in_one_run_have_their_airbyte_jobs_running_at_the_same_time(
    emulator, tmp_path, instance
):
    defs = _defs(emulator, tmp_path, 'connections: [{match: "*"}]\n')
    assert defs.get_repository_def().get_job("__ASSET_JOB").executor_def is airbyte_sync_executor

    with JobWatcher(emulator) as watcher:
        run = _run_everything(defs, instance)

    assert run.status == dg.DagsterRunStatus.SUCCESS
    jobs = emulator.admin.jobs()
    assert len(jobs) == 20 and {job["status"] for job in jobs} == {"succeeded"}
    assert watcher.peak >= 15, f"at most {watcher.peak} Airbyte jobs ran at once"


@pytest.mark.emulator(seed="generated:5:1", default_job_duration_s=2.0)
def test_max_concurrent_syncs_caps_the_jobs_running_at_once(emulator, tmp_path, instance):
    defs = _defs(emulator, tmp_path, 'max_concurrent_syncs: 2\nconnections: [{match: "*"}]\n')
    config = parse_config(
        textwrap.dedent(CONFIG).format(url=emulator.url) + "max_concurrent_syncs: 2\n", "airbyte_ops.yaml"
    )
    assert [str(c) for c in apply_pool_limits(instance, config)] == ["pool airbyte: unlimited -> 2"]

    with JobWatcher(emulator) as watcher:
        run = _run_everything(defs, instance)

    assert run.status == dg.DagsterRunStatus.SUCCESS
    jobs = emulator.admin.jobs()
    assert len(jobs) == 5 and {job["status"] for job in jobs} == {"succeeded"}
    assert watcher.peak == 2  # never more than the limit, and the limit (not the executor) was binding
    assert instance.event_log_storage.get_concurrency_info(DEFAULT_POOL).claimed_slots == []


@pytest.mark.emulator(seed="generated:4:1", default_job_duration_s=2.0)
def test_an_entry_limit_applies_to_the_connections_it_selects(emulator, tmp_path, instance):
    extra = """
    connections:
      - match: "generated-0000[01]"
        max_concurrent_syncs: 1
      - match: "generated-0000[23]"
    """
    defs = _defs(emulator, tmp_path, extra)
    graph = defs.get_repository_def().asset_graph
    pools = {
        node.key.path[0]: node.pools for node in graph.asset_nodes if node.key.path[0].startswith("generated")
    }
    assert pools == {
        "generated_00000": {"airbyte/generated_0000_01"},
        "generated_00001": {"airbyte/generated_0000_01"},
        "generated_00002": set(),
        "generated_00003": set(),
    }
    sensor = defs.get_sensor_def(POOL_SENSOR_NAME)
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    first = sensor(dg.build_sensor_context(instance=instance, definitions=defs))
    assert "airbyte/generated_0000_01: unlimited -> 1" in first.skip_message
    again = sensor(dg.build_sensor_context(instance=instance, definitions=defs))
    assert "already as configured" in again.skip_message

    with JobWatcher(emulator) as watcher:
        run = _run_everything(defs, instance)

    assert run.status == dg.DagsterRunStatus.SUCCESS
    by_connection = {job["connectionId"]: job for job in emulator.admin.jobs()}
    assert len(by_connection) == 4
    assert watcher.peak == 3  # the two limited ones one at a time, the two others alongside


def test_pool_limits_from_config_and_conflicts():
    config = parse_config(
        textwrap.dedent("""
        max_concurrent_syncs: 10
        connections:
          - {name: "PostgreSQL → MinIO", max_concurrent_syncs: 2}
          - {match: "CRM*", group: crm, max_concurrent_syncs: 3}
          - {match: "Shop*", pool: warehouse, max_concurrent_syncs: 1}
          - {match: "Orders*", pool: warehouse}
        """),
        "airbyte_ops.yaml",
    )
    assert pool_limits(config) == {
        "airbyte": 10,
        "airbyte/postgresql_minio": 2,
        "airbyte/crm": 3,
        "warehouse": 1,
    }
    conflicting = parse_config(
        "connections:\n  - {match: a*, pool: w, max_concurrent_syncs: 1}\n"
        "  - {match: b*, pool: w, max_concurrent_syncs: 2}\n",
        "airbyte_ops.yaml",
    )
    with pytest.raises(ConfigError) as error:
        pool_limits(conflicting)
    assert str(error.value) == (
        'airbyte_ops.yaml: connections[1].max_concurrent_syncs: 2 conflicts with 1 set for pool "w" by '
        "connections[0].max_concurrent_syncs; set the limit once, or give this entry its own pool:"
    )


def test_pools_command_shows_the_plan_and_applies_it(instance):
    config = parse_config("max_concurrent_syncs: 4\n", "airbyte_ops.yaml")
    assert pools_command(config, apply=False, instance=instance)[-1] == (
        "1 pool limit(s) differ; run again with --apply to set them."
    )
    assert instance.event_log_storage.get_concurrency_keys() == set()
    assert pools_command(config, apply=True, instance=instance)[-1] == "Set pool airbyte: unlimited -> 4"
    assert instance.event_log_storage.get_concurrency_info("airbyte").slot_count == 4
    assert pools_command(config, apply=True, instance=instance)[-1] == "Pool limits already as configured."


def test_an_in_memory_instance_cannot_hold_pool_limits():
    with pytest.raises(dg.DagsterInvariantViolationError, match="set DAGSTER_HOME"):
        apply_pool_limits(dg.DagsterInstance.ephemeral(), {"airbyte": 2})


def test_pools_cli_applies_to_the_dagster_home_instance(tmp_path, monkeypatch, capsys):
    from dagster_airbyte_ops.cli import main

    config = tmp_path / "airbyte_ops.yaml"
    config.write_text('max_concurrent_syncs: 3\nconnections:\n  - {match: "CRM*", max_concurrent_syncs: 1}\n')
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry: {enabled: false}\n")
    monkeypatch.setenv("DAGSTER_HOME", str(home))

    assert main(["pools", "--config", str(config)]) == 0
    assert "2 pool limit(s) differ; run again with --apply" in capsys.readouterr().out
    assert main(["pools", "--config", str(config), "--apply"]) == 0
    assert capsys.readouterr().out.splitlines()[-2:] == [
        "Set pool airbyte: unlimited -> 3",
        "Set pool airbyte/crm: unlimited -> 1",
    ]
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert instance.event_log_storage.get_concurrency_info("airbyte/crm").slot_count == 1

    monkeypatch.delenv("DAGSTER_HOME")
    assert main(["pools", "--config", str(config)]) == 1
    assert "set DAGSTER_HOME" in capsys.readouterr().err


DEFS_FILE = """
from dagster_airbyte_ops import AirbyteTranslator, build_definitions, load_config
from dagster_airbyte_ops.assets.translator import slugify


class PerConnection(AirbyteTranslator):
    def get_asset_spec(self, props):
        spec = super().get_asset_spec(props)
        return spec.replace_attributes(key=spec.key.with_prefix(slugify(props.connection.name)))


defs = build_definitions(load_config(), translator=PerConnection())
"""


@pytest.mark.emulator(seed="generated:3:1")
def test_interrupting_a_run_cancels_every_running_sync(emulator, tmp_path):
    """Signals reach only the run's main thread; every step thread must still cancel its job."""
    for connection_id in _connection_slugs(emulator):
        emulator.admin.set_behaviour(connection_id, outcome="stuck")
    (tmp_path / "defs.py").write_text(DEFS_FILE)
    (tmp_path / "airbyte_ops.yaml").write_text(
        textwrap.dedent(CONFIG).format(url=emulator.url) + 'connections: [{match: "*"}]\n'
    )
    env = {
        **os.environ,
        "DAGSTER_HOME": str(tmp_path),
        "AIRBYTE_OPS_CONFIG": str(tmp_path / "airbyte_ops.yaml"),
    }
    command = [sys.executable, "-m", "dagster", "asset", "materialize", "-f", "defs.py", "--select", "*"]
    run = subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        deadline = time.monotonic() + RUN_TIMEOUT_S
        while sum(1 for j in emulator.admin.jobs() if j["status"] == "running") < 3:
            assert run.poll() is None, run.stdout.read() if run.stdout else ""
            assert time.monotonic() < deadline, "the three syncs never ran together"
            time.sleep(0.2)
        run.send_signal(signal.SIGINT)
        output, _ = run.communicate(timeout=60)
    finally:
        if run.poll() is None:
            run.kill()

    assert [job["status"] for job in emulator.admin.jobs()] == ["cancelled"] * 3, output[-3000:]


def _connection_slugs(emulator) -> dict[str, str]:
    """Connection id → the slug its assets are keyed by (PerConnection)."""
    from dagster_airbyte_ops.client import AirbyteClient

    with AirbyteClient(url=emulator.url, api="config", retry_backoff_s=0.01) as client:
        workspace = client.list_workspaces()[0].id
        return {c.id: slugify(c.name) for c in client.list_connections(workspace)}


@pytest.mark.emulator(seed="generated:3:1", default_job_duration_s=1.0)
def test_one_failing_sync_fails_only_its_own_step_and_what_depends_on_it(emulator, tmp_path, instance):
    names = _connection_slugs(emulator)
    ids = sorted(names)
    failing, *healthy = ids
    emulator.admin.set_behaviour(failing, outcome="failed", failure_message="Login failed for user 'sa'")
    airbyte_defs = _defs(emulator, tmp_path, 'connections: [{match: "*"}]\n')
    ran: list[str] = []

    def downstream(upstream_slug: str) -> dg.AssetsDefinition:
        @dg.asset(name=f"report_of_{upstream_slug}", deps=[dg.AssetKey([upstream_slug, "raw", "table_000"])])
        def _report() -> None:
            ran.append(upstream_slug)

        return _report

    defs = dg.Definitions.merge(airbyte_defs, dg.Definitions(assets=[downstream(names[i]) for i in ids]))

    run = _run_everything(defs, instance)

    assert run.status == dg.DagsterRunStatus.FAILURE
    statuses = {job["connectionId"]: job["status"] for job in emulator.admin.jobs()}
    assert statuses == {failing: "failed", **{i: "succeeded" for i in healthy}}
    assert sorted(ran) == sorted(names[i] for i in healthy)  # after their upstream, in the same run
    failures = [
        record.event_log_entry.dagster_event
        for record in instance.get_records_for_run(run.run_id).records
        if record.event_log_entry.dagster_event and record.event_log_entry.dagster_event.is_step_failure
    ]
    assert [f.step_key for f in failures] == [f"airbyte_sync_{names[failing]}"]
    assert "Login failed for user 'sa'" in failures[0].step_failure_data.error.message
    started = {
        record.event_log_entry.dagster_event.step_key
        for record in instance.get_records_for_run(run.run_id).records
        if record.event_log_entry.dagster_event and record.event_log_entry.dagster_event.is_step_start
    }
    # The schema checks run inside the sync steps: no step of their own.
    assert started == {f"airbyte_sync_{names[i]}" for i in ids} | {f"report_of_{names[i]}" for i in healthy}
