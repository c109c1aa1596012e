"""Deferred mode: the step starts the sync and ends; this sensor records the outcome when the job ends.

Like Airflow's deferrable operators, a connection with `mode: deferred` holds no run worker while
Airbyte works: its op triggers (or attaches to) the job, tags the run (`run_tags.py`), records an
observation per selected stream naming the pending job, and succeeds at once. The
`airbyte_deferred_jobs` sensor then, each tick:

1. finds runs tagged `airbyte_ops/deferred` updated since its last look (one run-storage query) and
   reads which streams each deferred job was for from the observations the op wrote;
2. with pending jobs, makes one Airbyte call: the sync jobs updated since the watermark;
3. records each pending job that has ended: materializations with the op's metadata (row counts,
   bytes, job link) for the streams that run selected, or, for a failed or cancelled job, an alert
   (origin `deferred`) and a warning and nothing else; a job still running past the resource's
   `sync_timeout_s` is cancelled and alerted as timed out.

The cursor keeps the pending jobs and the ones recorded (until their run can no longer show up
again), so each job is handled exactly once. Deferred jobs are tagged on their run like every job
Dagster starts, so the observer never records them as external syncs.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import dagster as dg

from ..assets.built_connection import BuiltConnection
from ..assets.run_tags import DEFERRED_RUN_TAG, deferred_jobs_in
from ..client.models import Job, JobStatus
from ..config import AirbyteOpsConfig, Webhook
from ..metadata import AirbyteMetadataSet
from ..names import (
    DEFAULT_RESOURCE_KEY,
    DEFERRED_SENSOR_NAME,
    deferred_sensor_name,
    sensor_name_for_instance,
)
from ..resource.airbyte_resource import AirbyteResource
from ..resource.job_identity import ExpectedJob, JobIdentityError, read_checked
from .job_recording import (
    JOB_LIST_OVERLAP_S,
    WatchedConnection,
    alert,
    alert_event_of,
    failure_reason,
    job_updated_ts,
    list_jobs_since,
    materializations_for,
    utc,
    workspace_of,
)
from .webhooks import SyncAlert, send_alert

_LOG = logging.getLogger(__name__)
DEFAULT_DEFERRED_INTERVAL_S = 30
#: How far back the first tick looks for deferred runs (a cursor lost or a sensor newly turned on).
FIRST_TICK_LOOKBACK_S = 24 * 3600.0


@dataclass
class PendingJob:
    """A deferred job not yet recorded: whose it is, which streams, since when (epoch s)."""

    connection_id: str
    run_id: str
    keys: list[str]  # asset keys as user strings ("public/orders")
    started: float


@dataclass
class RecordedJob:
    """A deferred job already recorded, remembered while its run may still be listed again."""

    run_id: str
    run_finished: bool = False


@dataclass
class DeferredCursor:
    runs_after: float  # run-storage update time (epoch s) already looked at
    jobs_after: float | None = None  # Airbyte update time already listed, while jobs are pending
    pending: dict[int, PendingJob] = field(default_factory=dict)
    recorded: dict[int, RecordedJob] = field(default_factory=dict)

    def serialize(self) -> str:
        return json.dumps(
            {
                "v": 1,
                "runs_after": self.runs_after,
                "jobs_after": self.jobs_after,
                "pending": {str(k): asdict(v) for k, v in self.pending.items()},
                "recorded": {str(k): asdict(v) for k, v in self.recorded.items()},
            },
            sort_keys=True,
        )

    @classmethod
    def parse(cls, text: str | None, *, now: float) -> DeferredCursor:
        """The cursor; a missing or unreadable one starts `FIRST_TICK_LOOKBACK_S` back."""
        fresh = cls(runs_after=now - FIRST_TICK_LOOKBACK_S)
        if not text:
            return fresh
        try:
            data: dict[str, Any] = json.loads(text)
            return cls(
                runs_after=float(data["runs_after"]),
                jobs_after=None if data.get("jobs_after") is None else float(data["jobs_after"]),
                pending={int(k): PendingJob(**v) for k, v in data.get("pending", {}).items()},
                recorded={int(k): RecordedJob(**v) for k, v in data.get("recorded", {}).items()},
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            return fresh


def build_deferred_sensor(
    *,
    connections: Sequence[WatchedConnection],
    resource_key: str = DEFAULT_RESOURCE_KEY,
    webhooks: Sequence[Webhook] = (),
    minimum_interval_seconds: int = DEFAULT_DEFERRED_INTERVAL_S,
    name: str | None = None,
) -> dg.SensorDefinition:
    """The sensor that records the deferred syncs of these connections (one Airbyte instance)."""
    if not connections:
        raise ValueError("build_deferred_sensor: no connections")
    by_connection = {item.connection.id: item for item in connections}
    workspace_id = workspace_of(connections)
    webhook_list = list(webhooks)

    @dg.sensor(
        name=name or deferred_sensor_name(resource_key),
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=dg.DefaultSensorStatus.RUNNING,
        required_resource_keys={resource_key},
        description="Records the materializations (or alerts the failure) of Airbyte syncs started in "
        "deferred mode once their jobs end. Without it running, deferred syncs are never recorded.",
    )
    def _deferred(context: dg.SensorEvaluationContext) -> dg.SensorResult:
        airbyte: AirbyteResource = getattr(context.resources, resource_key)
        now = time.time()
        cursor = DeferredCursor.parse(context.cursor, now=now)
        discovered_since = _discover(context.instance, cursor, by_connection)
        for job_id, pending in list(cursor.pending.items()):
            if pending.connection_id not in by_connection:  # dropped from airbyte_ops.yaml since
                context.log.warning(
                    f"Deferred Airbyte job {job_id}: connection {pending.connection_id} is no longer "
                    "in the definitions (removed or switched to mode: sync); its outcome is not recorded."
                )
                del cursor.pending[job_id]
        events: list[dg.AssetMaterialization] = []
        if cursor.pending:
            starts = list(discovered_since)
            if cursor.jobs_after is not None:
                starts.append(cursor.jobs_after)
            else:
                starts.extend(pending.started for pending in cursor.pending.values())
            since = min(starts) - JOB_LIST_OVERLAP_S
            jobs = list_jobs_since(airbyte, workspace_id=workspace_id, since_ts=since)
            listed = {job.id: job for job in jobs}
            for job_id, pending in sorted(cursor.pending.items()):
                job = listed.get(job_id)
                item = by_connection[pending.connection_id]
                timed_out = False
                try:
                    if job is not None:
                        job = _checked(airbyte, job, pending)
                    if job is None or not job.is_terminal:
                        if airbyte.sync_timeout_s is None or now - pending.started < airbyte.sync_timeout_s:
                            continue
                        job, timed_out = _cancel_timed_out(context, airbyte, job_id, pending)
                except JobIdentityError as error:
                    _give_up(context, item, job_id, pending, webhook_list, error)
                else:
                    events.extend(_record(context, airbyte, item, job, pending, webhook_list, timed_out))
                del cursor.pending[job_id]
                cursor.recorded[job_id] = RecordedJob(run_id=pending.run_id)
            latest = max((job_updated_ts(job) for job in jobs), default=since + JOB_LIST_OVERLAP_S)
            cursor.jobs_after = max(cursor.jobs_after or latest, latest) if cursor.pending else None
        else:
            cursor.jobs_after = None
        if events:
            # A reason, or Dagster logs "Sensor function returned an empty result" for a tick that recorded.
            return dg.SensorResult(
                asset_events=events,
                skip_reason=f"recorded {len(events)} event(s) of ended deferred syncs",
                cursor=cursor.serialize(),
            )
        waiting = f"{len(cursor.pending)} deferred job(s) still running" if cursor.pending else None
        return dg.SensorResult(skip_reason=waiting or "no deferred sync pending", cursor=cursor.serialize())

    return _deferred


def _discover(
    instance: dg.DagsterInstance, cursor: DeferredCursor, by_connection: dict[str, WatchedConnection]
) -> list[float]:
    """Add the deferred jobs of runs updated since the cursor; returns their start times."""
    records = instance.get_run_records(
        dg.RunsFilter(
            tags={DEFERRED_RUN_TAG: "true"}, updated_after=utc(cursor.runs_after - JOB_LIST_OVERLAP_S)
        )
    )
    listed_runs = {record.dagster_run.run_id: record for record in records}
    started: list[float] = []
    for record in records:
        run = record.dagster_run
        cursor.runs_after = max(cursor.runs_after, _epoch(record.update_timestamp))
        jobs = {
            job_id: connection_id
            for job_id, connection_id in deferred_jobs_in(run.tags).items()
            if connection_id in by_connection
        }
        new = [job_id for job_id in jobs if job_id not in cursor.pending and job_id not in cursor.recorded]
        for job_id in jobs:
            if job_id in cursor.recorded and cursor.recorded[job_id].run_id == run.run_id:
                cursor.recorded[job_id].run_finished = run.is_finished
        # A second run that attached to a job another run started adds the streams it selected.
        joined = [j for j in jobs if j in cursor.pending and cursor.pending[j].run_id != run.run_id]
        if not new and not joined:
            continue
        keys = _observed_keys(instance, run.run_id)
        start = record.start_time or _epoch(record.create_timestamp)
        for job_id in [*new, *joined]:
            item = by_connection[jobs[job_id]]
            all_keys = [key.to_user_string() for key in item.keys_by_stream.values()]
            # No observation (a run tagged by hand, or by an older version): every stream.
            selected = [k for k in all_keys if k in keys.get(job_id, set())] or all_keys
            if job_id in cursor.pending:
                pending = cursor.pending[job_id]
                pending.keys = [k for k in all_keys if k in {*pending.keys, *selected}]
                continue
            cursor.pending[job_id] = PendingJob(
                connection_id=jobs[job_id], run_id=run.run_id, keys=selected, started=start
            )
            started.append(start)
    for job_id, recorded in list(cursor.recorded.items()):
        # A finished run that is no longer listed can only come back if someone edits its tags.
        if recorded.run_finished and recorded.run_id not in listed_runs:
            del cursor.recorded[job_id]
    return started


def _observed_keys(instance: dg.DagsterInstance, run_id: str) -> dict[int, set[str]]:
    """{job id: asset keys} from the observations the deferred op recorded in the run."""
    found: dict[int, set[str]] = {}
    connection = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ASSET_OBSERVATION)
    for record in connection.records:
        event = record.event_log_entry.dagster_event
        if event is None or event.asset_key is None:
            continue
        observation = event.event_specific_data.asset_observation  # type: ignore[union-attr]
        job_id = AirbyteMetadataSet.extract(observation.metadata).job_id
        if job_id is not None:
            found.setdefault(job_id, set()).add(event.asset_key.to_user_string())
    return found


def _checked(airbyte: AirbyteResource, listed: Job, pending: PendingJob) -> Job:
    """The listed job if it is the pending one (its connection, a sync), else read again; a job id
    that names another connection's job (Airbyte's job table wiped) raises JobIdentityError."""
    expected = ExpectedJob(listed.id, pending.connection_id)
    if not expected.mismatches(listed):
        return listed
    job, _ = read_checked(
        lambda: airbyte.get_client().get_job(listed.id), expected, log=_LOG, sleep=time.sleep
    )
    return job


def _give_up(
    context: dg.SensorEvaluationContext,
    item: WatchedConnection,
    job_id: int,
    pending: PendingJob,
    webhooks: list[Webhook],
    error: JobIdentityError,
) -> None:
    """Our job's id names another job now: its outcome is unknown; say so once, record nothing."""
    context.log.error(f"Deferred Airbyte job {job_id} of run {pending.run_id}: {error}")
    send_alert(
        webhooks,
        SyncAlert(
            event="failed",
            connection_name=item.connection.name,
            connection_id=item.connection.id,
            message=f"the outcome of this deferred sync is unknown: {error}",
            origin="deferred",
            job_id=job_id,
            run_id=pending.run_id,
        ),
    )


def _cancel_timed_out(
    context: dg.SensorEvaluationContext, airbyte: AirbyteResource, job_id: int, pending: PendingJob
) -> tuple[Job, bool]:
    """The job and whether we cancelled it (not if it ended on its own meanwhile). Only our job is
    cancelled: an id that names another connection's job raises JobIdentityError first."""
    job, _ = read_checked(
        lambda: airbyte.get_client().get_job(job_id),
        ExpectedJob(job_id, pending.connection_id),
        log=_LOG,
        sleep=time.sleep,
    )
    if job.is_terminal:
        return job, False
    context.log.warning(f"Deferred Airbyte job {job_id} ran past sync_timeout_s; cancelling it.")
    return airbyte.cancel(job_id), True


def _record(
    context: dg.SensorEvaluationContext,
    airbyte: AirbyteResource,
    item: WatchedConnection,
    job: Job,
    pending: PendingJob,
    webhooks: list[Webhook],
    timed_out: bool,
) -> list[dg.AssetMaterialization]:
    url = airbyte.job_url(item.connection.id, job.id, workspace_id=item.connection.workspace_id)
    if job.status is JobStatus.SUCCEEDED:
        keys = {dg.AssetKey.from_user_string(k) for k in pending.keys}
        events = materializations_for(
            item,
            job,
            job_url=url,
            keys=keys,
            extra=AirbyteMetadataSet(origin="deferred", deferred_run_id=pending.run_id).to_metadata(),
        )
        context.log.info(
            f"Deferred Airbyte job {job.id} of {item.connection.name} succeeded: recorded "
            f"{len(events)} stream(s) for run {pending.run_id}."
        )
        message = "synced"
    else:
        events = []
        message = (
            f"ran past the sync timeout of {airbyte.sync_timeout_s or 0:g} s and was cancelled"
            if timed_out
            else failure_reason(job)
        )
    alert(
        webhooks,
        item,
        job,
        event="timed_out" if timed_out else alert_event_of(job),
        message=message,
        origin="deferred",
        job_url=url,
        log=context.log,
        run_id=pending.run_id,
    )
    return events


def _epoch(value: dt.datetime | float) -> float:
    if isinstance(value, float | int):
        return float(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.timestamp()


def deferred_definitions(config: AirbyteOpsConfig, built: Sequence[BuiltConnection]) -> dg.Definitions:
    """The deferred fragment of `build_definitions`: the sensor, when a connection uses `mode: deferred`."""
    by_resource: dict[str, list[BuiltConnection]] = {}
    for item in built:  # one sensor per Airbyte instance (`instances:`)
        if item.entry.mode == "deferred":
            by_resource.setdefault(item.resource_key, []).append(item)
    sensors = [
        build_deferred_sensor(
            connections=[WatchedConnection.of(item) for item in items],
            resource_key=resource_key,
            webhooks=config.alerts.webhooks,
            name=sensor_name_for_instance(DEFERRED_SENSOR_NAME, items[0].instance),
        )
        for resource_key, items in by_resource.items()
    ]
    return dg.Definitions(sensors=sensors)
