"""One multi-asset per Airbyte connection: materializing it runs that connection's sync.

An Airbyte sync always moves every stream of its connection, so the op is per connection and the
assets are its streams. The op can be subset for selection in the UI, but Airbyte still syncs all
streams; the subset only decides which materializations are recorded.
"""

from collections.abc import Iterator, Mapping
from typing import Any, Literal

import dagster as dg

from ..client._schema import SchemaReport
from ..client.models import Connection
from ..errors import AirbyteApiError, SyncFailedError
from ..execution.dagster_internals import prefetch_check_targets
from ..metadata import AirbyteMetadataSet
from ..names import DEFAULT_RESOURCE_KEY, DEFERRED_SENSOR_NAME, op_name
from ..resource.airbyte_resource import AirbyteResource
from ..resource.sync_result import SyncResult
from .job_kind import (
    ColumnChanges,
    SchemaChecks,
    column_schema_metadata,
    read_schema,
    requested_job,
    run_refresh_or_clear,
    selected_check_results,
)
from .run_tags import RunJobOwnership, tag_run
from .translator import slugify

SyncMode = Literal["sync", "deferred"]


def op_name_for(connection: Connection) -> str:
    return op_name(slugify(connection.name))


def build_connection_assets(
    *,
    connection: Connection,
    specs_by_stream: Mapping[str, dg.AssetSpec],
    resource_key: str = DEFAULT_RESOURCE_KEY,
    op_name: str | None = None,
    op_tags: Mapping[str, Any] | None = None,
    pool: str | None = None,
    mode: SyncMode = "sync",
    schema_checks: SchemaChecks | None = None,
) -> dg.AssetsDefinition:
    """The multi-asset that syncs `connection` and records one materialization per stream.

    `mode="deferred"` makes the op start the sync and end at once, recording only an observation per
    stream that names the pending job; the deferred sensor (`deferred.py`) records the
    materializations when the job ends, so a long sync holds no run worker.
    """
    keys_by_stream = {stream: spec.key for stream, spec in specs_by_stream.items()}
    connection_id = connection.id

    @dg.multi_asset(
        name=op_name or op_name_for(connection),
        specs=[spec.replace_attributes(skippable=True) for spec in specs_by_stream.values()],
        check_specs=schema_checks.specs(list(keys_by_stream.values())) if schema_checks else None,
        can_subset=True,
        required_resource_keys={resource_key},
        op_tags=dict(op_tags or {}),
        pool=pool,
        description=f"Runs the Airbyte sync of connection \u201c{connection.name}\u201d ({connection_id}).",
    )
    def _sync_connection(
        context: dg.AssetExecutionContext,
    ) -> Iterator[dg.MaterializeResult | dg.AssetObservation | dg.AssetCheckResult]:
        airbyte: AirbyteResource = getattr(context.resources, resource_key)
        kind, refresh_mode = requested_job(context)
        if kind != "sync":
            yield from run_refresh_or_clear(
                context, airbyte, connection, keys_by_stream, kind, refresh_mode, schema_checks
            )
            return
        if mode == "deferred":
            yield from _start_deferred(context, airbyte, connection, keys_by_stream)
            return
        ownership = RunJobOwnership(context.instance, context.run_id)
        try:
            with airbyte.logs_to(context.log):  # lines land under this step, also beside other syncs
                result = airbyte.sync(
                    connection_id,
                    on_job=lambda job, _attached: tag_run(context, job.id, connection_id, deferred=False),
                    ownership=ownership,
                )
        except SyncFailedError as error:
            if error.job_id is not None:  # the job ended: this step's failure records it
                ownership.recorded(error.job_id, connection_id)
            if schema_checks:  # a disabled connection: say so on the checks too, then fail
                report = read_schema(context, airbyte, connection)
                yield from selected_check_results(
                    context, schema_checks, report, keys_by_stream, only_failures=True
                )
            raise
        if result.skipped:
            context.log.info(
                f"Connection {connection.name} already had job {result.job_id} running; nothing recorded."
            )
            return
        selected = context.selected_asset_keys
        synced = _streams_still_synced(context, airbyte, connection, set(keys_by_stream), result)
        report = read_schema(context, airbyte, connection) if schema_checks else None
        recorded = {s: k for s, k in keys_by_stream.items() if k in selected and s in synced}
        yield from record_synced_streams(context, result, recorded, keys_by_stream, schema_checks, report)
        if result.job_id is not None:  # after the last materialization: a run killed before it has not
            ownership.recorded(result.job_id, connection_id)

    return _sync_connection


def _streams_still_synced(
    context: dg.AssetExecutionContext,
    airbyte: AirbyteResource,
    connection: Connection,
    loaded: set[str],
    result: SyncResult,
) -> set[str]:
    """The loaded streams Airbyte still syncs; warns when its streams changed since the code loaded.

    Only the Config API reports per-stream figures; when they name exactly the loaded streams (or are
    absent, as on the public API) nothing is checked and no call is made. Otherwise the connection is
    read once to tell a removed stream from one that only reported nothing. A removed stream gets no
    materialization (it received no data); an added one is not an asset until the code location
    reloads. Never fails the step: the sync itself has succeeded.
    """
    if not result.stream_stats or set(result.stream_stats) == loaded:
        return loaded
    try:
        current = {s.name for s in airbyte.get_client().get_connection(connection.id).selected_streams}
    except AirbyteApiError as error:
        context.log.warning(f"Connection {connection.name}: could not re-read its streams: {error}")
        return loaded
    missing, added = sorted(loaded - current), sorted(current - loaded)
    if missing:
        context.log.warning(
            f"Connection {connection.name}: Airbyte no longer syncs stream(s) {', '.join(missing)}; no "
            "materialization recorded for them. Reload the code location to drop their assets."
        )
    if added:
        context.log.warning(
            f"Connection {connection.name}: Airbyte also syncs stream(s) {', '.join(added)}, added after "
            "the code location loaded; reload it to make them assets."
        )
    return loaded & current


def record_synced_streams(
    context: dg.AssetExecutionContext,
    result: SyncResult,
    recorded: Mapping[str, dg.AssetKey],
    keys_by_stream: Mapping[str, dg.AssetKey],
    schema_checks: SchemaChecks | None,
    report: SchemaReport | None,
    *,
    extra_metadata: Mapping[str, Any] | None = None,
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    """Record the job's streams and their schema checks: one materialization per `recorded` stream,
    then the step's selected check results.

    The sync step and a refresh (job_kind.py) both end this way; only what they record differs: the
    sync leaves out a stream Airbyte no longer syncs, the refresh adds its job's type and mode
    (`extra_metadata`, after the stream's counts). The check results name these materializations,
    so they are read back in one query once all are stored rather than once per stream.
    """
    columns = ColumnChanges(context, schema_checks, report)
    columns.read_previous(list(recorded.values()))
    for stream_name, key in recorded.items():
        metadata = stream_materialization_metadata(result, stream_name)
        metadata.update(extra_metadata or {})
        metadata.update(columns.record(key, column_schema_metadata(report, stream_name)))
        yield dg.MaterializeResult(asset_key=key, metadata=metadata)
    if report is not None:  # the check results below name these materializations: one read
        prefetch_check_targets(context, list(recorded.values()))
    yield from selected_check_results(context, schema_checks, report, keys_by_stream)
    yield from columns.results()


def stream_materialization_metadata(result: SyncResult, stream_name: str) -> dict[str, Any]:
    """What one stream's materialization records: its own counts where Airbyte reports them."""
    stats = result.stream_stats.get(stream_name)
    # The public API reports only job totals; say so rather than invent a per-stream figure.
    totals = stats is None
    metadata: dict[str, Any] = AirbyteMetadataSet(
        job_id=result.job_id or 0,
        attempts=result.attempts,
        job_url=result.job_url or None,
        duration_s=result.duration_s,
        attached_to_running_job=True if result.attached else None,
        bytes_committed=stats.bytes_committed if stats is not None else None,
        job_rows_synced=result.rows_synced if totals else None,
        job_bytes_synced=result.bytes_synced if totals else None,
    ).to_metadata()
    if stats is not None:
        metadata["dagster/row_count"] = dg.MetadataValue.int(stats.records_committed)
    return metadata


def _start_deferred(
    context: dg.AssetExecutionContext,
    airbyte: AirbyteResource,
    connection: Connection,
    keys_by_stream: Mapping[str, dg.AssetKey],
) -> Iterator[dg.AssetObservation]:
    """Start (or attach to) the sync, tag the run with the job and say it is pending; no waiting.

    The job tag goes on at once (the observer must never take the job for an external one); the
    deferred tags only after the observations, which tell the deferred sensor the selected streams.
    """
    with airbyte.logs_to(context.log):
        job_id = airbyte.start_sync(
            connection.id,
            on_job=lambda job, _attached: tag_run(context, job.id, connection.id, deferred=False),
        )
    url = airbyte.job_url(connection.id, job_id, workspace_id=connection.workspace_id)
    context.log.info(
        f"Connection {connection.name}: Airbyte job {job_id} started in deferred mode; the deferred-jobs "
        f"sensor ({DEFERRED_SENSOR_NAME}…) records its materializations when it ends. Job: {url}"
    )
    for key in keys_by_stream.values():
        if key in context.selected_asset_keys:
            yield dg.AssetObservation(
                asset_key=key,
                metadata=AirbyteMetadataSet(
                    job_id=job_id,
                    job_url=url,
                    deferred="pending: recorded by the deferred-jobs sensor when the job ends",
                ).to_metadata(),
            )
    tag_run(context, job_id, connection.id, deferred=True)
