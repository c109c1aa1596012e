"""The observer: records syncs that Airbyte's scheduler, UI or API ran, as if our op had run them.

Without it, a sync Dagster did not launch is invisible to Dagster: downstream sensors do not fire
and freshness checks count the table as stale although it just landed. Each tick makes one Airbyte
call for jobs: the sync jobs updated since the cursor's watermark (minus `JOB_LIST_OVERLAP_S`),
paginated; and, on the Config API, one for the schema checks (`schema_watch.py`: plus two per
connection with a pending schema change).
Every job that has ended there, belongs to a connection of these definitions and is not tagged on a
Dagster run (`run_tags.py`: our op tags its run as soon as it triggers or attaches) is recorded:

* succeeded: one `AssetMaterialization` per stream with the metadata our op records
  (`dagster/row_count`, bytes, job id and link, attempts, duration) plus `airbyte/origin`;
* failed or cancelled: an alert (`alerts.webhooks`, origin `airbyte`) and a warning; no
  materialization, exactly as a failed step records none.

The cursor holds the watermark (Airbyte's latest job update seen) and the ids of the ended jobs
handled within the overlap, so no job is recorded twice. The first tick starts from now: it only
remembers the jobs that ended before it, so enabling the observer does not replay history.

Example:
    ```python
    import dagster as dg
    from dagster_airbyte_ops.sensors.observer import build_observer_sensor

    from dagster_airbyte_ops import AirbyteResource, WatchedConnection, fetch_catalog

    airbyte = AirbyteResource(url="http://localhost:8000")
    catalog = fetch_catalog(airbyte.get_client())
    pg = next(c for c in catalog.connections if c.name == "PostgreSQL → MinIO")
    sensor = build_observer_sensor(
        connections=[WatchedConnection(pg, {"orders": dg.AssetKey(["public", "orders"])})],
        resource_key="airbyte",
        minimum_interval_seconds=60,
    )
    defs = dg.Definitions(assets=[...], sensors=[sensor], resources={"airbyte": airbyte})
    ```
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import dagster as dg

from ..assets.built_connection import BuiltConnection
from ..client.models import Job, JobStatus
from ..config import AirbyteOpsConfig, Webhook
from ..errors import AirbyteApiError
from ..metadata import AirbyteMetadataSet
from ..names import (
    DEFAULT_RESOURCE_KEY,
    OBSERVER_SENSOR_NAME,
    observer_sensor_name,
    sensor_name_for_instance,
)
from ..resource.airbyte_resource import AirbyteResource
from ..resource.job_identity import ExpectedJob, JobIdentityError, read_checked
from .job_claims import Claim, claims_of
from .job_recording import (
    JOB_LIST_OVERLAP_S,
    WatchedConnection,
    alert,
    alert_event_of,
    failure_reason,
    job_updated_ts,
    list_jobs_since,
    materializations_for,
    workspace_of,
)
from .schema_watch import SchemaEvaluations, SchemaWatchState, schema_tick

_LOG = logging.getLogger(__name__)
DEFAULT_OBSERVER_INTERVAL_S = 60
OBSERVED_ORIGIN = "observed: started outside Dagster (Airbyte's scheduler, UI or API)"


@dataclass(frozen=True)
class ObserverCursor:
    """Where the observer is: the watermark (epoch s, Airbyte's clock) and the ended jobs handled."""

    watermark: float
    handled: dict[int, float] = field(default_factory=dict)  # job id → its update time
    schema: SchemaWatchState = field(default_factory=SchemaWatchState)  # schema_watch.py
    #: Ended jobs a live run claims but has not recorded yet (job id → connection id): asked about
    #: again each tick until the run records them or dies (`job_claims.py`).
    waiting: dict[int, str] = field(default_factory=dict)

    def serialize(self) -> str:
        return json.dumps(
            {
                "v": 1,
                "watermark": self.watermark,
                "handled": {str(k): v for k, v in self.handled.items()},
                "schema": {"reported": self.schema.reported, "alerted": self.schema.alerted},
                "waiting": {str(k): v for k, v in self.waiting.items()},
            },
            sort_keys=True,
        )

    @classmethod
    def parse(cls, text: str | None) -> ObserverCursor | None:
        """The cursor, or None for a first tick (no cursor, or one this version cannot read)."""
        if not text:
            return None
        try:
            data = json.loads(text)
            schema = data.get("schema") or {}
            return cls(
                watermark=float(data["watermark"]),
                handled={int(k): float(v) for k, v in data.get("handled", {}).items()},
                schema=SchemaWatchState(
                    reported=dict(schema.get("reported") or {}), alerted=dict(schema.get("alerted") or {})
                ),
                waiting={int(k): str(v) for k, v in data.get("waiting", {}).items()},
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            return None


def build_observer_sensor(
    *,
    connections: Sequence[WatchedConnection],
    resource_key: str = DEFAULT_RESOURCE_KEY,
    webhooks: Sequence[Webhook] = (),
    minimum_interval_seconds: int = DEFAULT_OBSERVER_INTERVAL_S,
    name: str | None = None,
    default_status: dg.DefaultSensorStatus = dg.DefaultSensorStatus.RUNNING,
    schema_evaluations: SchemaEvaluations | None = None,
) -> dg.SensorDefinition:
    """The observer sensor of one Airbyte instance (the resource the connections share);
    `schema_evaluations` (checks/schema.py's `check_evaluations`) reports the schema checks."""
    if not connections:
        raise ValueError("build_observer_sensor: no connections to observe")
    by_connection = {item.connection.id: item for item in connections}
    workspace_id = workspace_of(connections)
    webhook_list = list(webhooks)

    @dg.sensor(
        name=name or observer_sensor_name(resource_key),
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=default_status,
        required_resource_keys={resource_key},
        description="Records materializations for Airbyte syncs that Dagster did not start (Airbyte's "
        "scheduler, UI or API), and alerts on the ones that failed; reports the schema checks and "
        "alerts on breaking schema changes. Two Airbyte calls per tick (Config API), plus two per "
        "connection with a pending schema change.",
    )
    def _observer(context: dg.SensorEvaluationContext) -> dg.SensorResult:
        airbyte: AirbyteResource = getattr(context.resources, resource_key)
        cursor = ObserverCursor.parse(context.cursor)
        watermark = cursor.watermark if cursor is not None else time.time()
        handled = dict(cursor.handled) if cursor is not None else {}
        jobs = list_jobs_since(airbyte, workspace_id=workspace_id, since_ts=watermark - JOB_LIST_OVERLAP_S)
        waiting = dict(cursor.waiting) if cursor is not None else {}
        ended = [job for job in jobs if job.is_terminal and job.id not in handled]
        ended += _reread(
            context, airbyte, {k: v for k, v in waiting.items() if k not in {j.id for j in jobs}}
        )
        waiting = {}
        events: list[dg.AssetMaterialization] = []
        if cursor is not None:
            ours = [j for j in ended if j.connection_id in by_connection and j.job_type == "sync"]
            claims = claims_of(context.instance, ours)
            for job in sorted(ours, key=job_updated_ts):
                claim = claims[job.id]
                if claim.state == "settled":
                    continue
                if claim.state == "live":
                    waiting[job.id] = job.connection_id
                    continue
                events.extend(
                    _observe(context, airbyte, by_connection[job.connection_id], job, claim, webhook_list)
                )
        for job in ended:
            if job.id not in waiting:
                handled[job.id] = job_updated_ts(job)
        new_watermark = max([watermark, *(job_updated_ts(job) for job in jobs)])
        keep_after = new_watermark - JOB_LIST_OVERLAP_S
        schema_state = cursor.schema if cursor is not None else SchemaWatchState()
        checks = schema_tick(
            airbyte,
            connections,
            workspace_id=workspace_id,
            webhooks=webhook_list,
            state=schema_state,
            log=context.log,
            evaluate=schema_evaluations,
        )
        new_cursor = ObserverCursor(
            watermark=new_watermark,
            handled={k: v for k, v in handled.items() if v > keep_after},
            schema=schema_state,
            waiting=waiting,
        ).serialize()
        if events or checks:
            # A reason, or Dagster logs "Sensor function returned an empty result" for a tick that recorded.
            return dg.SensorResult(
                asset_events=[*events, *checks],
                skip_reason=f"recorded {len(events)} materialization(s) of syncs started outside Dagster"
                + (f" and {len(checks)} schema check result(s)" if checks else ""),
                cursor=new_cursor,
            )
        reason = "first tick: watching syncs that end from now on" if cursor is None else None
        return dg.SensorResult(
            skip_reason=reason or "no sync started outside Dagster has ended since the last tick",
            cursor=new_cursor,
        )

    return _observer


def _observe(
    context: dg.SensorEvaluationContext,
    airbyte: AirbyteResource,
    item: WatchedConnection,
    job: Job,
    claim: Claim,
    webhooks: list[Webhook],
) -> list[dg.AssetMaterialization]:
    """Record (or alert) one ended job that no live Dagster run will record."""
    url = airbyte.job_url(job.connection_id, job.id, workspace_id=item.connection.workspace_id)
    origin = OBSERVED_ORIGIN if claim.state == "none" else lapsed_origin(claim.run_ids)
    recorded: list[dg.AssetMaterialization] = []
    if job.status is JobStatus.SUCCEEDED:
        recorded = materializations_for(
            item, job, job_url=url, extra=AirbyteMetadataSet(origin=origin).to_metadata()
        )
        context.log.info(
            f"Recorded Airbyte job {job.id} of {item.connection.name} ({origin}): {len(recorded)} stream(s)."
        )
    else:
        context.log.warning(
            f"Airbyte job {job.id} of {item.connection.name} ({origin}) {job.status.value}; nothing recorded."
        )
    alert(
        webhooks,
        item,
        job,
        event=alert_event_of(job),
        message="synced" if job.status is JobStatus.SUCCEEDED else failure_reason(job),
        origin="airbyte",
        job_url=url,
        log=context.log,
    )
    return recorded


def lapsed_origin(run_ids: Sequence[str]) -> str:
    return (
        f"observed: Dagster run(s) {', '.join(run_ids)} claimed it but ended without recording it "
        "(killed, or detached on termination)"
    )


def _reread(
    context: dg.SensorEvaluationContext, airbyte: AirbyteResource, waiting: dict[int, str]
) -> list[Job]:
    """Jobs still waiting for their claiming run that the listing no longer covers, read one by one."""
    found: list[Job] = []
    for job_id, connection_id in sorted(waiting.items()):
        try:
            job, _ = read_checked(
                lambda job_id=job_id: airbyte.get_client().get_job(job_id),  # type: ignore[misc]
                ExpectedJob(job_id, connection_id),
                log=_LOG,
                sleep=time.sleep,
            )
        except (JobIdentityError, AirbyteApiError) as error:
            context.log.error(f"Airbyte job {job_id} of connection {connection_id}: {error}; not recorded.")
            continue
        found.append(job)
    return found


def observer_definitions(
    config: AirbyteOpsConfig,
    built: Sequence[BuiltConnection],
    *,
    schema_evaluations: SchemaEvaluations | None = None,
) -> dg.Definitions:
    """The observer fragment of `build_definitions` (see `observer:` in airbyte_ops.yaml)."""
    settings = config.observer
    if not built or not settings.enabled:
        return dg.Definitions()
    by_resource: dict[str, list[BuiltConnection]] = {}
    for item in built:  # one sensor per Airbyte instance (`instances:`), each with its own cursor
        by_resource.setdefault(item.resource_key, []).append(item)
    return dg.Definitions(
        sensors=[
            build_observer_sensor(
                connections=[WatchedConnection.of(item) for item in items],
                resource_key=resource_key,
                webhooks=config.alerts.webhooks,
                minimum_interval_seconds=int(settings.interval_s),
                name=sensor_name_for_instance(OBSERVER_SENSOR_NAME, items[0].instance),
                schema_evaluations=schema_evaluations,
            )
            for resource_key, items in by_resource.items()
        ]
    )
