"""The `airbyte_alerts` sensor: real failed runs against the emulator, real ticks, a real webhook receiver.

Each test ticks the sensor once before the run (a run status sensor starts from "now") and once
after, in one `DagsterInstance`, exactly as the daemon would, then reads what the receiver got.
"""

from __future__ import annotations

import logging
import textwrap
import threading
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from dagster._core.events import DagsterEventType
from dagster._serdes import serialize_value

from dagster_airbyte_ops.client import AirbyteClient
from dagster_airbyte_ops.config import parse_config
from dagster_airbyte_ops.definitions import build_definitions

PG = "PostgreSQL → MinIO"
MSSQL = "MSSQL → S3"
CONFIG = """
airbyte:
  url: "{url}"
  api: config
  retry_backoff_s: 0.01
  poll_interval_s: 0.2
  sync_timeout_s: {timeout}
connections:
  - name: "PostgreSQL → MinIO"
  - name: "MSSQL → S3"
alerts:
  webhooks:
    - url: {{env: ALERT_WEBHOOK_URL}}
      on: {on}
"""


#: Also run on PostgreSQL (the rest on SQLite only): the run status sensors' cursor and their reading of
#: failed and successful runs' event logs, from the first tick that starts at "now" onwards.
POSTGRES_TESTS = {
    "test_a_failed_sync_posts_one_alert_with_airbyte_message_and_logs_it",
    "test_succeeded_on_request_for_successful_runs_and_successful_syncs_of_failed_runs",
}


def _connection_id(emulator, name: str) -> str:
    with AirbyteClient(url=emulator.url, api="config", retry_backoff_s=0.01) as client:
        workspace = client.list_workspaces()[0].id
        return next(c.id for c in client.list_connections(workspace) if c.name == name)


def _defs(
    emulator,
    tmp_path: Path,
    monkeypatch,
    url: str,
    *,
    on: str = "[failed, cancelled, timed_out]",
    timeout: float = 600,
) -> dg.Definitions:
    monkeypatch.setenv("ALERT_WEBHOOK_URL", url)
    text = textwrap.dedent(CONFIG).format(url=emulator.url, on=on, timeout=timeout)
    return build_definitions(parse_config(text, "airbyte_ops.yaml"), snapshot_dir=str(tmp_path / "snap"))


class Ticker:
    """Evaluates one sensor in one instance, carrying its cursor from tick to tick."""

    def __init__(self, defs: dg.Definitions, name: str, instance: dg.DagsterInstance) -> None:
        self.sensor = defs.resolve_sensor_def(name)
        self.instance = instance
        self.cursor: str | None = None
        self.outputs: list[Any] = []

    def tick(self) -> Any:
        context = dg.build_sensor_context(instance=self.instance, cursor=self.cursor)
        data = self.sensor.evaluate_tick(context)
        self.cursor = data.cursor
        self.outputs.append(data)
        for reaction in data.dagster_run_reactions or []:
            assert reaction.error is None, reaction.error
        return data


def _materialize(
    defs: dg.Definitions, instance: dg.DagsterInstance, *names: str
) -> dg.ExecuteInProcessResult:
    keys = [
        node.key
        for node in defs.get_repository_def().asset_graph.asset_nodes
        if node.metadata.get("airbyte/connection_name") in names
    ]
    job = defs.resolve_implicit_global_asset_job_def()
    return job.execute_in_process(instance=instance, asset_selection=keys, raise_on_error=False)


def test_a_failed_sync_posts_one_alert_with_airbyte_message_and_logs_it(
    emulator, tmp_path, monkeypatch, receiver, caplog, dagster_instance
):
    emulator.admin.set_behaviour(
        _connection_id(emulator, PG), outcome="failed", failure_message="password authentication failed"
    )
    defs = _defs(emulator, tmp_path, monkeypatch, receiver.url)
    with nullcontext(dagster_instance) as instance:
        ticker = Ticker(defs, "airbyte_alerts", instance)
        ticker.tick()  # starts the cursor at "now"
        result = _materialize(defs, instance, PG, MSSQL)  # one run: PG fails, MSSQL succeeds
        assert not result.success
        ticker.tick()
        [alert] = receiver.wait_for(1)
        ticker.tick()
        assert len(receiver.bodies()) == 1  # a run is announced once

    [job] = [j for j in emulator.admin.jobs() if j["connectionId"] == _connection_id(emulator, PG)]
    assert alert["event"] == "failed" and alert["origin"] == "dagster"
    assert alert["connection_name"] == PG and alert["job_id"] == job["jobId"]
    assert alert["run_id"] == result.run_id
    assert alert["text"].startswith(f"Airbyte sync of \u201c{PG}\u201d job {job['jobId']} failed: ")
    assert "password authentication failed" in alert["text"]
    assert f"jobId={job['jobId']}" in alert["job_url"]
    assert any(
        r.name == "dagster_airbyte_ops.sensors.webhooks"
        and "password authentication failed" in r.getMessage()
        for r in caplog.records
    )


def test_a_timed_out_sync_is_announced_as_timed_out(
    emulator, tmp_path, monkeypatch, receiver, dagster_instance
):
    emulator.admin.set_behaviour(_connection_id(emulator, MSSQL), outcome="stuck")
    defs = _defs(emulator, tmp_path, monkeypatch, receiver.url, timeout=1)
    with nullcontext(dagster_instance) as instance:
        ticker = Ticker(defs, "airbyte_alerts", instance)
        ticker.tick()
        assert not _materialize(defs, instance, MSSQL).success
        ticker.tick()

    [alert] = receiver.wait_for(1)
    assert alert["event"] == "timed_out" and alert["connection_name"] == MSSQL
    assert "timed out: ran past the sync timeout of 1 s and was cancelled" in alert["text"]
    assert [j["status"] for j in emulator.admin.jobs()] == ["cancelled"]


def test_a_sync_cancelled_in_airbyte_is_announced_as_cancelled(
    emulator, tmp_path, monkeypatch, receiver, dagster_instance
):
    emulator.admin.set_behaviour(_connection_id(emulator, MSSQL), outcome="stuck")
    defs = _defs(emulator, tmp_path, monkeypatch, receiver.url)
    with nullcontext(dagster_instance) as instance:
        ticker = Ticker(defs, "airbyte_alerts", instance)
        ticker.tick()
        results: list[dg.ExecuteInProcessResult] = []
        run = threading.Thread(target=lambda: results.append(_materialize(defs, instance, MSSQL)))
        run.start()
        deadline = time.monotonic() + 60
        while not [j for j in emulator.admin.jobs() if j["status"] == "running"]:
            assert time.monotonic() < deadline, "the sync never started"
            time.sleep(0.1)
        with AirbyteClient(url=emulator.url, api="config") as client:  # someone presses Cancel in Airbyte
            client.cancel_job(emulator.admin.jobs()[0]["jobId"])
        run.join(timeout=60)
        assert results and not results[0].success
        ticker.tick()

    [alert] = receiver.wait_for(1)
    assert alert["event"] == "cancelled"
    assert alert["text"].endswith(f"was cancelled: cancelled in Airbyte <{alert['job_url']}|open in Airbyte>")


def test_succeeded_on_request_for_successful_runs_and_successful_syncs_of_failed_runs(
    emulator, tmp_path, monkeypatch, receiver, dagster_instance
):
    emulator.admin.set_behaviour(_connection_id(emulator, PG), outcome="failed", failure_message="boom")
    defs = _defs(emulator, tmp_path, monkeypatch, receiver.url, on="[succeeded, failed]")
    with nullcontext(dagster_instance) as instance:
        failures = Ticker(defs, "airbyte_alerts", instance)
        successes = Ticker(defs, "airbyte_alerts_succeeded", instance)
        failures.tick()
        successes.tick()
        assert not _materialize(defs, instance, PG, MSSQL).success
        assert _materialize(defs, instance, MSSQL).success
        failures.tick()
        successes.tick()

    bodies = receiver.wait_for(3)
    seen = sorted((b["connection_name"], b["event"]) for b in bodies)
    assert seen == [(MSSQL, "succeeded"), (MSSQL, "succeeded"), (PG, "failed")]
    rows = [b["text"] for b in bodies if b["event"] == "succeeded"]
    assert all(" rows in 3 stream(s) recorded" in text for text in rows), rows


def test_no_success_sensor_unless_asked_and_no_sensor_without_webhooks(
    emulator, tmp_path, monkeypatch, receiver
):
    defs = _defs(emulator, tmp_path, monkeypatch, receiver.url)
    names = {s.name for s in defs.get_repository_def().sensor_defs}
    assert "airbyte_alerts" in names and "airbyte_alerts_succeeded" not in names
    sensor = defs.resolve_sensor_def("airbyte_alerts")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert "$ALERT_WEBHOOK_URL" in (sensor.description or "")

    text = textwrap.dedent(CONFIG).split("alerts:")[0].format(url=emulator.url, timeout=600)
    plain = build_definitions(parse_config(text, "airbyte_ops.yaml"), snapshot_dir=str(tmp_path / "snap2"))
    assert not [s for s in plain.get_repository_def().sensor_defs if s.name.startswith("airbyte_alerts")]


@pytest.mark.parametrize("webhook", ["answers_500", "down"])
def test_webhook_url_never_appears_and_a_failing_webhook_does_not_fail_the_tick(
    emulator, tmp_path, monkeypatch, receiver, closed_port_url, caplog, webhook, dagster_instance
):
    caplog.set_level(logging.DEBUG)
    emulator.admin.set_behaviour(_connection_id(emulator, PG), outcome="failed", failure_message="boom")
    if webhook == "answers_500":
        receiver.status = 500
        url = receiver.url
    else:
        url = closed_port_url()
    secret = url.split("/", 3)[-1]  # the path: what makes a Slack webhook URL a credential
    defs = _defs(emulator, tmp_path, monkeypatch, url, on="[succeeded, failed, cancelled, timed_out]")
    with nullcontext(dagster_instance) as instance:
        tickers = [Ticker(defs, name, instance) for name in ("airbyte_alerts", "airbyte_alerts_succeeded")]
        for ticker in tickers:
            ticker.tick()
        _materialize(defs, instance, PG, MSSQL)
        _materialize(defs, instance, MSSQL)
        for ticker in tickers:
            ticker.tick()  # raises if the tick failed (see Ticker.tick)

        records = instance.get_run_records()
        events = [
            serialize_value(entry)
            for record in records
            for entry in instance.all_logs(record.dagster_run.run_id)
        ]
        assert any(
            e.dagster_event and e.dagster_event.event_type == DagsterEventType.STEP_FAILURE
            for record in records
            for e in instance.all_logs(record.dagster_run.run_id)
        )
        runs = [serialize_value(record.dagster_run) for record in records]

    logged = "\n".join(f"{r.name} {r.getMessage()}" for r in caplog.records)
    reason = "the webhook answered HTTP 500" if webhook == "answers_500" else "ConnectionError"
    assert f"Alert not sent to alerts.webhooks[0] ($ALERT_WEBHOOK_URL): {reason}" in logged
    assert logged.count("Alert not sent") == 3  # PG failed, MSSQL succeeded twice
    sensors = [s for s in defs.get_repository_def().sensor_defs if s.name.startswith("airbyte_alerts")]
    surfaces = {
        "logs": logged,
        "event log": "\n".join(events),
        "runs": "\n".join(runs),
        "ticks": "\n".join(repr(out) for t in tickers for out in t.outputs),
        "sensors": "\n".join(f"{s.name} {s.description} {s.metadata}" for s in sensors),
    }
    for where, text in surfaces.items():
        assert text, where
        assert secret not in text, f"the webhook's secret path is in the {where}"
