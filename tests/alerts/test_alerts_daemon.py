"""End to end: `dagster-daemon` runs the `airbyte_alerts` sensor of a real code server.

A run fails against the emulator, the daemon's sensor tick posts the alert, the webhook answers 500
(tried again, then given up): the tick still succeeds, and the webhook's secret path is nowhere in
the daemon's log, the tick records, the tick's captured log, or the run's events.
"""

from __future__ import annotations

import pytest
from daemon.deployment import DaemonDeployment
from dagster._core.scheduler.instigation import InstigatorType, TickStatus
from dagster._serdes import serialize_value

from dagster_airbyte_ops.client import AirbyteClient
from dagster_airbyte_ops.sensors.webhooks import WEBHOOK_ATTEMPTS

JOB = "airbyte_sync_postgresql_minio_job"
CONFIG = """\
airbyte:
  url: {env: AIRBYTE_URL}
  api: config
  poll_interval_s: 0.5
connections:
  - name: "PostgreSQL → MinIO"
alerts:
  webhooks:
    - url: {env: ALERT_WEBHOOK_URL}
"""


def _sensor_ticks(deployment: DaemonDeployment):
    states = [
        s
        for s in deployment.instance.all_instigator_state(instigator_type=InstigatorType.SENSOR)
        if s.name == "airbyte_alerts"
    ]
    if not states:
        return []
    [state] = states
    return deployment.instance.get_ticks(state.instigator_origin_id, state.selector_id)


@pytest.mark.timeout(300)
def test_the_daemon_alerts_a_failed_run_and_a_failing_webhook_fails_no_tick(emulator, tmp_path, receiver):
    with AirbyteClient(url=emulator.url, api="config") as client:
        workspace = client.list_workspaces()[0].id
        pg = next(c.id for c in client.list_connections(workspace) if c.name == "PostgreSQL → MinIO")
    emulator.admin.set_behaviour(pg, outcome="failed", failure_message="password authentication failed")
    receiver.status = 500
    secret = receiver.secret_path
    deployment = DaemonDeployment(
        tmp_path, config_text=CONFIG, env={"AIRBYTE_URL": emulator.url, "ALERT_WEBHOOK_URL": receiver.url}
    )
    deployment.start()
    try:
        # The sensor starts running by itself; its first tick sets its place in the run history.
        deployment.wait_for("the alert sensor's first tick", lambda: _sensor_ticks(deployment))
        deployment.launch(JOB)
        [run] = deployment.wait_for(
            "the run to fail", lambda: [r for r in deployment.runs_of(JOB) if r.is_finished] or None
        )
        assert run.status.value == "FAILURE", deployment.failure_text(run)
        deployment.wait_for("the alert", lambda: len(receiver.posts) >= WEBHOOK_ATTEMPTS, timeout_s=180)
        deployment.wait_for(
            "the tick that sent it to end",
            lambda: [t for t in _sensor_ticks(deployment) if t.status == TickStatus.SUCCESS],
        )
        ticks = _sensor_ticks(deployment)
        run_events = [serialize_value(e) for e in deployment.instance.all_logs(run.run_id)]
        tick_logs = []
        manager = deployment.instance.compute_log_manager
        for tick in ticks:
            if tick.log_key:
                data = manager.get_log_data(tick.log_key)
                tick_logs.extend(part.decode() for part in (data.stdout, data.stderr) if part)
    finally:
        deployment.stop()

    [(path, body)] = receiver.posts[:1]
    assert path == secret and body["event"] == "failed" and body["run_id"] == run.run_id
    assert "password authentication failed" in body["text"]
    assert not [t for t in ticks if t.status == TickStatus.FAILURE], [t.error for t in ticks]
    assert any(t.error is None and t.status == TickStatus.SUCCESS for t in ticks)
    tick_log = "\n".join(tick_logs)
    assert (
        "Alert not sent to alerts.webhooks[0] ($ALERT_WEBHOOK_URL): "
        "the webhook answered HTTP 500, after 2 attempts" in tick_log
    )
    surfaces = {
        "daemon log": deployment.log_path.read_text(),
        "tick records": "\n".join(serialize_value(t) for t in ticks),
        "tick logs": tick_log,
        "run events": "\n".join(run_events),
    }
    for where, text in surfaces.items():
        assert text, where
        assert secret not in text, f"the webhook's secret path is in the {where}"
