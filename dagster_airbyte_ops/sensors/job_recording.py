"""What a sensor records for an Airbyte job that ended outside a Dagster step.

The observer (syncs Dagster did not start) and the deferred-jobs sensor (syncs a deferred step
started) both turn an ended job into the same thing our op records: a materialization per stream
with `stream_materialization_metadata`, or, for a failed, cancelled or timed-out job, an alert and a
log line and nothing else. Both also read Airbyte's job list the same way: one call per tick for
the jobs updated since a watermark, minus an overlap that absorbs clock skew and rows committed late.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import dagster as dg

from ..assets.built_connection import BuiltConnection
from ..assets.connection_assets import stream_materialization_metadata
from ..client.models import Connection, Job, JobStatus
from ..config import Webhook
from ..resource.airbyte_resource import AirbyteResource
from ..resource.sync_result import SyncResult
from .webhooks import AlertEventName, AlertOrigin, SyncAlert, send_alert

#: Each listing re-reads this much before the watermark: jobs whose update landed late, or whose
#: clock (Airbyte's) runs behind Dagster's, are still seen. Ids already handled are remembered for it.
JOB_LIST_OVERLAP_S = 300.0


def job_updated_ts(job: Job) -> float:
    """When Airbyte last changed the job (epoch seconds); what the listing filters on."""
    return (job.updated_at or job.created_at).timestamp()


def utc(ts: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, dt.UTC)


@dataclass(frozen=True)
class WatchedConnection:
    """What the observer and deferred sensors need of a connection: Airbyte's record of it (from
    `fetch_catalog`) and the asset key of each stream they should record."""

    connection: Connection
    keys_by_stream: Mapping[str, dg.AssetKey]

    @classmethod
    def of(cls, built: BuiltConnection) -> WatchedConnection:
        """The connection as `build_definitions` made it (its stream specs' keys)."""
        return cls(built.connection, {stream: spec.key for stream, spec in built.specs.items()})


def workspace_of(connections: Sequence[WatchedConnection]) -> str | None:
    """The one workspace of these connections (known from the catalog, so no call to find it)."""
    workspaces = {item.connection.workspace_id for item in connections}
    return workspaces.pop() if len(workspaces) == 1 else None


def list_jobs_since(airbyte: AirbyteResource, *, workspace_id: str | None, since_ts: float) -> list[Job]:
    """Sync jobs Airbyte updated after `since_ts`: one paginated call (jobs/list_for_workspaces or
    GET /jobs with updatedAtStart)."""
    return airbyte.get_client().list_jobs(
        workspace_id=workspace_id or airbyte.resolved_workspace_id(),
        job_type="sync",
        updated_after=utc(since_ts),
    )


def streams_to_record(item: WatchedConnection, job: Job, keys: Collection[dg.AssetKey] | None) -> list[str]:
    """The connection's loaded streams (restricted to `keys`) the job moved.

    Where Airbyte reports per-stream figures (Config API), a stream it no longer syncs got no data
    and gets no materialization; the public API reports only totals, so every stream counts.
    """
    synced = {stats.stream_name for stats in job.stream_stats}
    return [
        stream
        for stream, key in item.keys_by_stream.items()
        if (keys is None or key in keys) and (not synced or stream in synced)
    ]


def materializations_for(
    item: WatchedConnection,
    job: Job,
    *,
    job_url: str,
    keys: Collection[dg.AssetKey] | None = None,
    extra: dict[str, Any] | None = None,
) -> list[dg.AssetMaterialization]:
    """One materialization per stream, with the metadata our op records plus `extra`."""
    result = SyncResult.from_job(job, job_url=job_url)
    return [
        dg.AssetMaterialization(
            asset_key=item.keys_by_stream[stream],
            metadata={**stream_materialization_metadata(result, stream), **(extra or {})},
        )
        for stream in streams_to_record(item, job, keys)
    ]


def failure_reason(job: Job) -> str:
    """Airbyte's own account of why the job did not succeed, in one line."""
    if job.status is JobStatus.CANCELLED:
        return "cancelled in Airbyte"
    return job.failure_reason()


def alert_event_of(job: Job) -> AlertEventName:
    return {JobStatus.SUCCEEDED: "succeeded", JobStatus.CANCELLED: "cancelled"}.get(job.status, "failed")  # type: ignore[return-value]


def alert(
    webhooks: Sequence[Webhook],
    item: WatchedConnection,
    job: Job,
    *,
    event: AlertEventName,
    message: str,
    origin: AlertOrigin,
    job_url: str,
    log: logging.Logger | dg.DagsterLogManager,
    run_id: str | None = None,
) -> None:
    """Log the outcome and post it to the webhooks subscribed to `event` (never raises)."""
    sync_alert = SyncAlert(
        event=event,
        connection_name=item.connection.name,
        connection_id=item.connection.id,
        message=message,
        origin=origin,
        job_id=job.id,
        job_url=job_url,
        run_id=run_id,
    )
    if event == "succeeded":
        if any("succeeded" in webhook.on for webhook in webhooks):
            send_alert(webhooks, sync_alert)
        return
    log.warning(sync_alert.text())
    send_alert(webhooks, sync_alert)
