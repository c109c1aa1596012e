"""Alert sensors for the syncs Dagster runs: one `SyncAlert` per failed (or, on request, succeeded) sync.

A run can hold many steps besides ours, and one of our steps can fail for reasons that are not the
sync's (Airbyte unreachable). The sensor reads the run's own event log: each failed step whose
outputs are a connection's stream assets is that connection's failed sync, and the error it raised
says which kind — `SyncTimeoutError` is a time-out, a `SyncFailedError` whose job status is
`cancelled` a cancellation, anything else a failure — while its metadata carries the Airbyte job id,
link and failure reason. Steps are matched by their asset keys rather than by op name, so renaming
ops or putting several connections in one step does not silence alerts.

`alerts.webhooks` in `airbyte_ops.yaml` makes the fragment: a run failure sensor `airbyte_alerts`,
and a run success sensor `airbyte_alerts_succeeded` when a webhook asks for `succeeded`. Both start
running. Syncs Dagster did not run (observed, deferred) are alerted by their own sensors through
`send_alert`; these sensors see only runs.

Example (without airbyte_ops.yaml's connections):
    ```python
    import dagster as dg
    from dagster_airbyte_ops.sensors.alert_sensors import build_alert_sensors
    from dagster_airbyte_ops.config import load_config

    pg = "4a501211-a0e4-535d-8b0b-a4322ba47b01"  # the connection's id
    sensors = build_alert_sensors(
        load_config().alerts.webhooks,
        connections={pg: "PostgreSQL → MinIO"},
        asset_keys={dg.AssetKey(["public", "orders"]): pg},
    )
    defs = dg.Definitions(assets=[...], sensors=sensors)
    ```
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import dagster as dg

from ..assets.built_connection import BuiltConnection
from ..config import AirbyteOpsConfig, Webhook
from ..metadata import AirbyteMetadataSet
from ..names import ALERT_SENSOR_NAME, SUCCESS_SENSOR_SUFFIX
from .webhooks import AlertEventName, SyncAlert, describe_webhook, redact, send_alert

logger = logging.getLogger(__name__)

DEFAULT_MINIMUM_INTERVAL_S = 30
_FAILURE_EVENTS = ("failed", "cancelled", "timed_out")


def alert_definitions(config: AirbyteOpsConfig, built: Sequence[BuiltConnection]) -> dg.Definitions:
    """The fragment for `definitions_from_catalog`: alert sensors when `alerts.webhooks` is set."""
    webhooks = config.alerts.webhooks
    if not webhooks:
        return dg.Definitions()
    return dg.Definitions(
        sensors=build_alert_sensors(
            webhooks,
            connections={item.connection.id: item.connection.name for item in built},
            asset_keys={key: item.connection.id for item in built for key in item.asset_keys},
        )
    )


def build_alert_sensors(
    webhooks: Sequence[Webhook],
    *,
    connections: Mapping[str, str],
    asset_keys: Mapping[dg.AssetKey, str],
    name: str = ALERT_SENSOR_NAME,
    minimum_interval_seconds: int = DEFAULT_MINIMUM_INTERVAL_S,
    default_status: dg.DefaultSensorStatus = dg.DefaultSensorStatus.RUNNING,
) -> list[dg.SensorDefinition]:
    """A run failure sensor (and a run success sensor if a webhook wants `succeeded`) for our syncs.

    `connections` maps connection id → name, `asset_keys` each stream asset → its connection id:
    a step counts as a connection's sync when it materializes (or was to materialize) its assets.
    """
    hooks = list(webhooks)
    wants_success = any("succeeded" in hook.on for hook in hooks)
    targets = ", ".join(f"{describe_webhook(i, hook)} on {'/'.join(hook.on)}" for i, hook in enumerate(hooks))
    index = _SyncIndex(connections=dict(connections), asset_keys=dict(asset_keys))

    def handle(context: dg.RunStatusSensorContext, events: Sequence[str]) -> None:
        run = context.dagster_run
        try:
            alerts = sync_alerts_for_run(context.instance, run, index)
        except Exception as exc:  # a tick must not fail over one unreadable run
            context.log.error(
                "Could not read run %s for alerts: %s", run.run_id, redact(f"{type(exc).__name__}: {exc}")
            )
            return
        unreachable: set[int] = set()  # webhooks found down while announcing this run
        for alert in alerts:
            if alert.event in events and (alert.event in _FAILURE_EVENTS or wants_success):
                send_alert(hooks, alert, log=context.log, unreachable=unreachable)

    def on_failure(context: dg.RunFailureSensorContext) -> None:
        handle(context, ("succeeded", *_FAILURE_EVENTS))

    def on_success(context: dg.RunStatusSensorContext) -> None:
        handle(context, ("succeeded",))

    failure_sensor = dg.run_failure_sensor(
        name=name,
        description=(
            "Posts each failed, cancelled or timed-out Airbyte sync of a failed run to the alert "
            f"webhooks ({targets}) and logs it."
        ),
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=default_status,
    )(on_failure)
    sensors: list[dg.SensorDefinition] = [failure_sensor]
    if wants_success:
        success_sensor = dg.run_status_sensor(
            run_status=dg.DagsterRunStatus.SUCCESS,
            name=name + SUCCESS_SENSOR_SUFFIX,
            description=f"Posts each succeeded Airbyte sync to the webhooks that ask for it ({targets}).",
            minimum_interval_seconds=minimum_interval_seconds,
            default_status=default_status,
        )(on_success)
        sensors.append(success_sensor)
    return sensors


class _SyncIndex:
    """Which connection a step's assets or a failure's metadata belong to."""

    def __init__(self, *, connections: dict[str, str], asset_keys: dict[dg.AssetKey, str]) -> None:
        self.connections = connections
        self.asset_keys = asset_keys

    def of_keys(self, keys: Sequence[dg.AssetKey]) -> list[str]:
        found = (self.asset_keys.get(key) for key in keys)
        return list(dict.fromkeys(c for c in found if c is not None))


def sync_alerts_for_run(
    instance: dg.DagsterInstance, run: dg.DagsterRun, index: _SyncIndex
) -> list[SyncAlert]:
    """One alert per sync step of `run` that ended: failed, cancelled, timed out or succeeded.

    Succeeded means the step recorded materializations carrying an Airbyte job id (a skipped sync,
    `on_running_sync: skip`, recorded none and is not announced).
    """
    step_keys = _asset_keys_by_step(instance, run)
    wanted = {
        dg.DagsterEventType.STEP_FAILURE,
        dg.DagsterEventType.STEP_SUCCESS,
        dg.DagsterEventType.ASSET_MATERIALIZATION,
    }
    events = [e.dagster_event for e in instance.all_logs(run.run_id, of_type=wanted) if e.dagster_event]
    alerts: list[SyncAlert] = []
    for event in events:
        keys = step_keys.get(event.step_key or "", [])
        if event.event_type == dg.DagsterEventType.STEP_FAILURE:
            alerts.extend(_failure_alerts(event, keys, index, run.run_id))
        elif event.event_type == dg.DagsterEventType.STEP_SUCCESS:
            alerts.extend(_success_alerts(event.step_key, events, index, run.run_id))
    return alerts


def _asset_keys_by_step(instance: dg.DagsterInstance, run: dg.DagsterRun) -> dict[str, list[dg.AssetKey]]:
    if not run.execution_plan_snapshot_id:
        return {}
    snapshot = instance.get_execution_plan_snapshot(run.execution_plan_snapshot_id)
    return {
        step.key: [
            output.properties.asset_key
            for output in step.outputs
            if output.properties is not None and output.properties.asset_key is not None
        ]
        for step in snapshot.steps
    }


def _failure_alerts(
    event: dg.DagsterEvent, keys: Sequence[dg.AssetKey], index: _SyncIndex, run_id: str
) -> list[SyncAlert]:
    data = event.step_failure_data
    failure = data.user_failure_data if data is not None else None
    recorded = AirbyteMetadataSet.extract(failure.metadata if failure is not None else {})
    named = recorded.connection_id
    connection_ids = [named] if named in index.connections else index.of_keys(keys)
    if not connection_ids:
        return []  # not one of our sync steps
    error_class = data.error.cls_name if data is not None and data.error is not None else None
    status = recorded.job_status
    kind: AlertEventName
    if error_class == "SyncTimeoutError":
        kind = "timed_out"
    elif error_class == "SyncFailedError" and status == "cancelled":
        kind = "cancelled"
    else:
        kind = "failed"
    reason = recorded.failure_reason
    if not reason:
        text = failure.description if failure is not None and failure.description else None
        if text is None and data is not None and data.error is not None:
            text = data.error.message.strip()
        reason = (text or "the step failed without a message").split(" Job: http")[0]
    return [
        SyncAlert(
            event=kind,
            connection_name=index.connections[connection_id],
            connection_id=connection_id,
            message=str(reason),
            job_id=recorded.job_id,
            job_url=recorded.job_url or None,
            run_id=run_id,
        )
        for connection_id in connection_ids
    ]


def _success_alerts(
    step_key: str | None, events: Sequence[dg.DagsterEvent], index: _SyncIndex, run_id: str
) -> list[SyncAlert]:
    by_connection: dict[str, dict[str, Any]] = {}
    for event in events:
        if event.event_type != dg.DagsterEventType.ASSET_MATERIALIZATION or event.step_key != step_key:
            continue
        materialization = event.step_materialization_data.materialization
        connection_id = index.asset_keys.get(materialization.asset_key)
        metadata = materialization.metadata
        recorded = AirbyteMetadataSet.extract(metadata)
        if connection_id is None or recorded.job_id is None:
            continue
        seen = by_connection.setdefault(
            connection_id,
            {"job_id": recorded.job_id, "job_url": recorded.job_url, "streams": 0, "rows": 0},
        )
        seen["streams"] += 1
        rows = _value(metadata.get("dagster/row_count")) or recorded.job_rows_synced
        seen["rows"] += int(rows or 0)
    return [
        SyncAlert(
            event="succeeded",
            connection_name=index.connections[connection_id],
            connection_id=connection_id,
            message=f"{seen['rows']} rows in {seen['streams']} stream(s) recorded",
            job_id=int(seen["job_id"]) if seen["job_id"] is not None else None,
            job_url=str(seen["job_url"]) if seen["job_url"] else None,
            run_id=run_id,
        )
        for connection_id, seen in by_connection.items()
    ]


def _value(entry: Any) -> Any:
    """The plain value of a metadata entry (`MetadataValue.value`), or the entry itself."""
    return getattr(entry, "value", entry)
