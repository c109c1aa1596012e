"""Dagster schedules from the `schedule:` of each connection entry in `airbyte_ops.yaml`.

Every schedule targets the code location's one shared asset job, `airbyte_sync_job`, and each of its
run requests selects exactly its connection's stream assets and carries the connection's tags
(`airbyte/connection_id`, `airbyte/connection_name`): the UI still lists one schedule per connection,
and a connection's runs are found by its tag. One job rather than one per connection because Dagster
resolves and snapshots every job against every asset: with thousands of connections, per-connection
jobs made loading quadratic and tripled the code server's snapshot (docs/performance.md).

Cron validity, ticks and time zones (including DST changes) are Dagster's: each schedule is a plain
`dg.ScheduleDefinition` with `cron_schedule` and `execution_timezone`. What this module adds is in
the tick itself: `skip:` rules, evaluated on the scheduled time in the schedule's own time zone,
turn a tick into a `dg.SkipReason` that names the rule; any other tick is a `dg.RunRequest` keyed
by its scheduled time (so a retried tick never starts a second sync) and tagged with the connection.

`schedule: from_airbyte` reads the connection's schedule in Airbyte (see `quartz.py`). Such
schedules start STOPPED: while Airbyte's own scheduler still runs the connection, turning the
Dagster one on would sync it twice.

Example:
    ```python
    import dagster as dg
    from dagster_airbyte_ops.config import parse_config
    from dagster_airbyte_ops.definitions import build_definitions

    config = parse_config('''
    connections:
      - name: "PostgreSQL → MinIO"
        schedule: {cron: "0 6-18 * * *", timezone: Europe/Paris, enabled: true}  # hourly 06:00-18:00
    ''')
    defs = build_definitions(config)
    schedule = defs.resolve_schedule_def("postgresql_minio_schedule")
    ```
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import dagster as dg

from ..assets.translator import slugify
from ..client.models import Connection
from ..config import AirbyteOpsConfig, ConnectionEntry, ScheduleSpec, SkipRule, describe_cron
from ..config.loader import config_error
from ..execution.dagster_internals import CheckError
from ..metadata import (
    CONFIG_PATH_KEY,
    TAG_CONNECTION_ID,
    TAG_CONNECTION_NAME,
    TAG_SCHEDULE_ORIGIN,
    AirbyteMetadataSet,
)
from ..names import SYNC_JOB_NAME, op_name, schedule_name
from .quartz import UnconvertibleSchedule, airbyte_schedule_to_cron

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScheduledConnection:
    """What a connection's schedules need: its entry, the Airbyte connection, and its asset keys."""

    entry: ConnectionEntry
    connection: Connection
    asset_keys: Sequence[dg.AssetKey]
    job: dg.UnresolvedAssetJobDefinition | None = None  # the shared job; made here when not given
    slug: str | None = None  # the connection's part of Dagster names; default: its slugified name


@dataclass(frozen=True)
class ConnectionSchedules:
    """The jobs and schedules `build_schedules` made, ready for `dg.Definitions(jobs=, schedules=)`."""

    jobs: list[dg.UnresolvedAssetJobDefinition]
    schedules: list[dg.ScheduleDefinition]


@dataclass(frozen=True)
class _Plan:
    """One schedule to build: the spec, where it came from in the file, and its final name."""

    spec: ScheduleSpec
    where: str  # field path, e.g. connections[0].schedule[1]
    name: str
    explicit_name: bool
    scheduled: ScheduledConnection
    origin: str | None = None  # set for from_airbyte: what Airbyte had


SHARED_JOB_NAME = SYNC_JOB_NAME


def job_name_for(connection: Connection | None = None, slug: str | None = None) -> str:
    """`airbyte_sync_job`: the one asset job every schedule and `after:` sensor launches, each run
    selecting one connection's streams (the arguments are kept for callers of the per-connection
    names this replaced)."""
    return SHARED_JOB_NAME


def build_sync_job(asset_keys: Sequence[dg.AssetKey]) -> dg.UnresolvedAssetJobDefinition:
    """The shared asset job over every connection's stream assets; runs select one connection each.

    Example:
        ```python
        import dagster as dg

        job = build_sync_job([dg.AssetKey(["public", "orders"]), dg.AssetKey(["public", "users"])])
        ```
    """
    return dg.define_asset_job(
        name=SHARED_JOB_NAME,
        selection=dg.AssetSelection.assets(*asset_keys),
        description="Runs Airbyte syncs: each run selects the streams of the connection(s) it syncs "
        "(schedules and after: sensors tag it with airbyte/connection_id and airbyte/connection_name).",
    )


def connection_run_tags(connection: Connection) -> dict[str, str]:
    """The tags of every run launched for one connection (how its runs are found in the UI)."""
    return {TAG_CONNECTION_ID: connection.id, TAG_CONNECTION_NAME: connection.name}


def build_schedules(
    *, config: AirbyteOpsConfig, scheduled: Sequence[ScheduledConnection]
) -> ConnectionSchedules:
    """One `dg.ScheduleDefinition` per schedule, each run selecting its connection's streams.

    The schedules target each item's `job` (the shared `airbyte_sync_job`); when an item has none, one
    shared job over the scheduled connections' assets is made and returned in `jobs`.

    Names: a schedule's `name:`, else `<slug>_schedule` (`_2`, `_3`, … for a connection's further
    schedules). Names that would repeat — a `name:` on an entry whose glob matches several
    connections, or two connections whose names slugify alike — are a ConfigError naming both.

    Raises:
        ConfigError: repeated schedule names, or a `from_airbyte` schedule with no cron equivalent.
    """
    plans: list[_Plan] = []
    problems: list[str] = []
    for item in scheduled:
        try:
            plans.extend(_plans_for(item, config.source_name))
        except UnconvertibleSchedule as exc:
            problems.append(_unconvertible(item, exc))
    problems.extend(_name_problems(plans))
    if problems:
        raise config_error(config.source_name, problems)

    made: list[dg.UnresolvedAssetJobDefinition] = []
    if any(item.job is None for item in scheduled):
        made.append(build_sync_job([key for item in scheduled for key in item.asset_keys]))
    schedules: list[dg.ScheduleDefinition] = []
    for plan in plans:
        schedules.append(
            build_connection_schedule(
                name=plan.name,
                spec=plan.spec,
                job=plan.scheduled.job or made[0],
                connection=plan.scheduled.connection,
                where=plan.where,
                origin=plan.origin,
                asset_keys=plan.scheduled.asset_keys,
            )
        )
    return ConnectionSchedules(jobs=made, schedules=schedules)


def build_connection_schedule(
    *,
    name: str,
    spec: ScheduleSpec,
    job: dg.UnresolvedAssetJobDefinition,
    connection: Connection,
    where: str,
    origin: str | None = None,
    asset_keys: Sequence[dg.AssetKey] | None = None,
) -> dg.ScheduleDefinition:
    """A schedule that runs `job` on `spec.cron` in `spec.timezone`, skipping ticks `spec.skip` covers.

    Each run selects `asset_keys` (the connection's streams) out of `job`; None runs the whole job.

    `where` is the spec's field path (`connections[0].schedule[1]`); skip reasons quote it so a
    person reading the tick log finds the rule in the file.

    Example:
        ```python
        import dagster as dg
        from dagster_airbyte_ops.config import ScheduleSpec

        spec = ScheduleSpec(cron="0 6 * * 1-5", timezone="Europe/Paris")  # 06:00 on weekdays
        schedule = build_connection_schedule(
            name="orders_schedule", spec=spec, job=job, connection=connection, where="connections[0].schedule"
        )
        ```
    """
    timezone = spec.timezone or "UTC"
    zone = ZoneInfo(timezone)
    tags = connection_run_tags(connection)
    selection = list(asset_keys) if asset_keys is not None else None
    if origin is not None:
        tags[TAG_SCHEDULE_ORIGIN] = "from_airbyte"
    rules = list(spec.skip)

    def evaluate(context: dg.ScheduleEvaluationContext) -> Iterator[dg.RunRequest | dg.SkipReason]:
        moment = _scheduled_time(context).astimezone(zone)
        for index, rule in enumerate(rules):
            if rule.matches(moment):
                yield dg.SkipReason(
                    f"Skipped the {moment:%Y-%m-%d %H:%M} ({timezone}) tick of "
                    f"\u201c{connection.name}\u201d: {where}.skip[{index}] ({describe_skip_rule(rule)}) "
                    "covers it."
                )
                return
        yield dg.RunRequest(run_key=moment.isoformat(), tags=tags, asset_selection=selection)

    description = f"{describe_cron(spec.cron)} ({timezone})"  # what ScheduleSpec.description says
    if origin is not None:
        description += f", from Airbyte's {origin}"
    return dg.ScheduleDefinition(
        name=name,
        cron_schedule=spec.cron,
        execution_timezone=timezone,
        job=job,
        execution_fn=evaluate,
        description=description,
        default_status=(
            dg.DefaultScheduleStatus.RUNNING if spec.enabled else dg.DefaultScheduleStatus.STOPPED
        ),
        metadata={**AirbyteMetadataSet(connection_id=connection.id).to_metadata(), CONFIG_PATH_KEY: where},
    )


def describe_skip_rule(rule: SkipRule) -> str:
    """A skip rule in words, e.g. `dates 2026-12-25; between 12:00 and 13:00`."""
    parts = []
    if rule.dates is not None:
        parts.append("dates " + ", ".join(d.isoformat() for d in rule.dates))
    if rule.weekdays is not None:
        parts.append("weekdays " + ", ".join(rule.weekdays))
    if rule.between is not None:
        start, end = rule.between
        wraps = " (past midnight)" if end < start else ""
        parts.append(f"between {start:%H:%M} and {end:%H:%M}{wraps}")
    return "; ".join(parts)


def _scheduled_time(context: dg.ScheduleEvaluationContext) -> dt.datetime:
    """The tick's scheduled time; now when there is none (a context built without one)."""
    try:
        return context.scheduled_execution_time
    except CheckError:
        return dt.datetime.now(dt.UTC)


def _plans_for(item: ScheduledConnection, source_name: str) -> list[_Plan]:
    entry, connection = item.entry, item.connection
    slug = item.slug or slugify(connection.name)
    if entry.schedule_from_airbyte:
        converted = airbyte_schedule_to_cron(connection.schedule)
        if converted is None:
            logger.warning(
                "%s: %s: schedule: from_airbyte, but Airbyte connection %r has no schedule (manual); "
                "no Dagster schedule made for it",
                source_name,
                entry.describe(),
                connection.name,
            )
            return []
        spec = ScheduleSpec(cron=converted.cron, timezone=converted.timezone, enabled=False)
        return [
            _Plan(
                spec=spec,
                where=f"{entry.path}.schedule",
                name=schedule_name(slug),
                explicit_name=False,
                scheduled=item,
                origin=converted.origin,
            )
        ]
    listed = isinstance(entry.schedule, list)
    return [
        _Plan(
            spec=spec,
            where=f"{entry.path}.schedule" + (f"[{i}]" if listed else ""),
            name=spec.name or schedule_name(slug, i),
            explicit_name=spec.name is not None,
            scheduled=item,
        )
        for i, spec in enumerate(entry.schedules)
    ]


def _name_problems(plans: Sequence[_Plan]) -> list[str]:
    first_by_name: dict[str, _Plan] = {}
    problems = []
    for plan in plans:
        first = first_by_name.setdefault(plan.name, plan)
        if first is plan:
            continue
        this, other = plan.scheduled.connection.name, first.scheduled.connection.name
        if plan.explicit_name and first.where == plan.where:
            key, value = plan.scheduled.entry.selector
            problems.append(
                f'{plan.where}.name: "{plan.name}" would name the schedules of both \u201c{other}\u201d '
                f'and \u201c{this}\u201d ({key} "{value}" selects both); remove name: so each gets '
                "<connection>_schedule, or select them in separate entries"
            )
        elif not plan.explicit_name and not first.explicit_name and slugify(this) == slugify(other):
            # Same generated name: the two connection names slugify alike ("Orders → S3", "Orders / S3").
            slug = slugify(this)
            problems.append(
                f"{plan.where}: connections \u201c{other}\u201d and \u201c{this}\u201d both become "
                f'"{slug}" in Dagster names (schedule "{plan.name}", op "{op_name(slug)}"); '
                "rename one of them in Airbyte so their names differ in letters or digits"
            )
        else:
            problems.append(
                f'{plan.where}: schedule name "{plan.name}" of \u201c{this}\u201d is already the name of '
                f"{first.where} (\u201c{other}\u201d); give one of them its own schedule name:"
            )
    return problems


def _unconvertible(item: ScheduledConnection, exc: UnconvertibleSchedule) -> str:
    return (
        f"{item.entry.path}.schedule: from_airbyte: Airbyte connection \u201c{item.connection.name}\u201d "
        f'has a schedule Dagster cannot run as cron: {exc}; write schedule: {{cron: "..."}} here '
        "instead, or change the schedule in Airbyte"
    )
