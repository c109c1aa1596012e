"""Materialize a connection's streams as a refresh or a clear instead of a sync, and the schema check.

A run tagged `airbyte/job_type: refresh` (optionally `airbyte/refresh_mode: merge`, default
`truncate`) or `airbyte/job_type: clear` runs that Airbyte job for the selected streams (all of
them: the whole connection). Set the tags in the launchpad ("Materialize" → "Open launchpad" → tags),
on a job or schedule, or let `airbyte-ops refresh|clear` set them.

* refresh: one materialization per selected stream with the rows the refresh committed
  (`dagster/row_count`) and `airbyte/job_type: refresh`;
* clear: an observation per selected stream saying its data was deleted and its state reset: a clear
  writes no rows, so it records no materialization (and no row count).

Where Airbyte's API cannot do it (a refresh on the public API; a clear of some streams there), the step
fails before anything is triggered, saying what to use instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import dagster as dg

from ..client._jobs_extra import RefreshMode
from ..client._schema import SchemaReport
from ..client.models import Connection
from ..errors import AirbyteApiError, ConfigError
from ..resource.airbyte_resource import AirbyteResource
from ..resource.refresh_clear import run_job
from ..resource.schema_guard import read_report
from ..resource.sync_result import SyncResult
from .run_tags import tag_run
from .translator import table_schema_from_json_schema


@dataclass(frozen=True)
class SchemaChecks:
    """The schema checks as the assets need them; definitions passes checks/schema.py's."""

    specs: Callable[[Sequence[dg.AssetKey]], list[dg.AssetCheckSpec]]
    results: Callable[
        [SchemaReport, Mapping[str, dg.AssetKey], set[dg.AssetCheckKey] | None], list[dg.AssetCheckResult]
    ]
    column_check_name: str
    column_results: Callable[
        [Mapping[dg.AssetKey, dg.TableSchema | None], Mapping[dg.AssetKey, dg.TableSchema]],
        list[dg.AssetCheckResult],
    ]


JOB_TYPE_TAG = "airbyte/job_type"
REFRESH_MODE_TAG = "airbyte/refresh_mode"
JOB_KINDS = ("sync", "refresh", "clear")


def requested_job(context: dg.AssetExecutionContext) -> tuple[str, RefreshMode]:
    """(`sync`|`refresh`|`clear`, refresh mode) from the run's tags; a bad value is a clear error."""
    tags = context.run.tags
    kind = tags.get(JOB_TYPE_TAG, "sync").strip().lower()
    if kind not in JOB_KINDS:
        raise ConfigError(f"run tag {JOB_TYPE_TAG}: {kind!r} is not one of sync, refresh, clear")
    mode = tags.get(REFRESH_MODE_TAG, "truncate").strip().lower()
    if mode not in ("truncate", "merge"):
        raise ConfigError(f"run tag {REFRESH_MODE_TAG}: {mode!r} is not truncate or merge")
    return kind, mode  # type: ignore[return-value]


def _selected_streams(
    context: dg.AssetExecutionContext, keys_by_stream: Mapping[str, dg.AssetKey]
) -> list[str] | None:
    """The selected streams, or None when all are selected (the whole connection)."""
    selected = [s for s, key in keys_by_stream.items() if key in context.selected_asset_keys]
    return None if len(selected) == len(keys_by_stream) else selected


def _job_metadata(result: SyncResult) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "airbyte/job_id": dg.MetadataValue.int(result.job_id or 0),
        "airbyte/job_type": dg.MetadataValue.text(result.job_type),
    }
    if result.job_url:
        metadata["airbyte/job_url"] = dg.MetadataValue.url(result.job_url)
    return metadata


def run_refresh_or_clear(
    context: dg.AssetExecutionContext,
    airbyte: AirbyteResource,
    connection: Connection,
    keys_by_stream: Mapping[str, dg.AssetKey],
    kind: str,
    mode: RefreshMode,
    schema_checks: SchemaChecks | None,
) -> Iterator[dg.MaterializeResult | dg.AssetObservation | dg.AssetCheckResult]:
    """Run the refresh or clear the run's tags ask for, and record what it did."""
    from .connection_assets import record_synced_streams

    streams = _selected_streams(context, keys_by_stream)
    scope = ", ".join(streams) if streams else "all streams"
    context.log.info(f"Connection {connection.name}: running an Airbyte {kind} ({scope}) instead of a sync.")
    with airbyte.logs_to(context.log):
        on_job = lambda job, _attached: tag_run(context, job.id, connection.id, deferred=False)  # noqa: E731
        if kind == "refresh":
            result = run_job(
                airbyte, connection.id, kind="refresh", streams=streams, mode=mode, on_job=on_job
            )
        else:
            result = run_job(airbyte, connection.id, kind="clear", streams=streams, on_job=on_job)
    report = read_schema(context, airbyte, connection) if schema_checks else None
    selected = {stream: key for stream, key in keys_by_stream.items() if key in context.selected_asset_keys}
    if kind == "clear":  # no rows written: an observation per stream, so no new column schema to compare
        for key in selected.values():
            yield dg.AssetObservation(
                asset_key=key,
                metadata={
                    **_job_metadata(result),
                    "airbyte/cleared": dg.MetadataValue.text(
                        "data deleted in the destination and sync state reset; no rows written"
                    ),
                },
            )
        yield from selected_check_results(context, schema_checks, report, keys_by_stream)
        return
    refresh = {**_job_metadata(result), "airbyte/refresh_mode": dg.MetadataValue.text(mode)}
    yield from record_synced_streams(
        context, result, selected, keys_by_stream, schema_checks, report, extra_metadata=refresh
    )


def column_schema_metadata(report: SchemaReport | None, stream: str) -> dict[str, Any]:
    """`dagster/column_schema` of the stream as Airbyte now syncs it (for Dagster's change check)."""
    if report is None:
        return {}
    configured = next((s for s in report.streams if s.name == stream), None)
    schema = table_schema_from_json_schema(
        configured.json_schema if configured else None,
        primary_key=configured.primary_key if configured else (),
    )
    return {"dagster/column_schema": schema} if schema is not None else {}


def read_schema(
    context: dg.AssetExecutionContext, airbyte: AirbyteResource, connection: Connection
) -> SchemaReport | None:
    """What Airbyte stores about the connection's schema (1-2 requests); None if it cannot be read."""
    try:
        return read_report(airbyte.get_client(), connection.id)
    except AirbyteApiError as error:  # a check must not fail a job that succeeded
        context.log.warning(f"Connection {connection.name}: schema check not evaluated: {error}")
        return None


def selected_check_results(
    context: dg.AssetExecutionContext,
    schema_checks: SchemaChecks | None,
    report: SchemaReport | None,
    keys_by_stream: Mapping[str, dg.AssetKey],
    *,
    only_failures: bool = False,
) -> list[dg.AssetCheckResult]:
    """The `airbyte_schema` results of the checks selected in this step."""
    if report is None or schema_checks is None:
        return []
    results = schema_checks.results(report, keys_by_stream, set(context.selected_asset_check_keys))
    return [r for r in results if not only_failures or not r.passed]


class ColumnChanges:
    """Dagster's `column_schema_change` check, evaluated in the step that records the new schemas.

    `read_previous` reads the streams' latest materializations (one event-log query) before the step
    records its own; `record` notes each column schema the step records; `results` compares them.
    Only for the checks selected in the step, and only when Airbyte's schema could be read.
    """

    def __init__(
        self,
        context: dg.AssetExecutionContext,
        schema_checks: SchemaChecks | None,
        report: SchemaReport | None,
    ) -> None:
        self._context = context
        self._checks = schema_checks if report is not None else None
        self._previous: dict[dg.AssetKey, dg.TableSchema | None] = {}
        self._wanted: set[dg.AssetKey] = set()
        self._current: dict[dg.AssetKey, dg.TableSchema] = {}

    def read_previous(self, keys: Sequence[dg.AssetKey]) -> None:
        if self._checks is None:
            return
        selected = self._context.selected_asset_check_keys
        self._wanted = {k for k in keys if dg.AssetCheckKey(k, self._checks.column_check_name) in selected}
        if not self._wanted:
            return
        latest = self._context.instance.get_latest_materialization_events(self._wanted)
        for key, entry in latest.items():
            materialization = entry.asset_materialization if entry is not None else None
            if materialization is not None:
                recorded = materialization.metadata.get("dagster/column_schema")
                schema = recorded.value if isinstance(recorded, dg.TableSchemaMetadataValue) else None
                self._previous[key] = schema

    def record(self, key: dg.AssetKey, metadata: dict[str, Any]) -> dict[str, Any]:
        schema = metadata.get("dagster/column_schema")
        if key in self._wanted and isinstance(schema, dg.TableSchema):
            self._current[key] = schema
        return metadata

    def results(self) -> list[dg.AssetCheckResult]:
        if self._checks is None or not self._current:
            return []
        return self._checks.column_results(self._previous, self._current)
