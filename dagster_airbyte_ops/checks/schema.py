"""Schema checks on stream assets: what Airbyte says about its source's schema, per stream.

Airbyte already stores, per connection, whether its source's schema changed since the connection was
configured (`schemaChange`: no_change, non_breaking, breaking) and, per source, the catalog its most
recent discover found (see client/_schema.py). The check `airbyte_schema` turns that into one result per
stream asset, never by running a discover:

* passed: no change reported (or a change elsewhere in the connection that leaves this stream as is);
* WARN: a non-breaking change not yet propagated (Airbyte's preference `ignore` or `disable`; a
  propagated one shows as `no_change`, and in the asset graph at the next code-location load);
* ERROR: a breaking change (Airbyte disabled the connection: no stream of it syncs until it is fixed).

The diff (streams and columns added, removed, retyped) is the check's metadata. It is evaluated after
each sync (one to two extra requests) and at each observer tick (one request per workspace, plus two
per connection reporting a change). Config API only: the public API does not say whether a schema
changed.

Beside it, `column_schema_change` is Dagster's own column-schema change check (the name, rule, texts
and `TableSchemaDiff` of `dg.build_column_schema_change_checks`): it compares the column schema the
step records with the one the stream's previous materialization recorded, so it sees a change once
Airbyte propagated it. It is evaluated inside the sync step rather than built by Dagster's factory,
which adds an op per connection: that op doubled the asset job's snapshot and added a step to every
run (docs/performance.md). It costs one event-log query per step.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import dagster as dg

from ..client._schema import SchemaReport
from ..execution.dagster_internals import TableSchemaDiff

SCHEMA_CHECK_NAME = "airbyte_schema"
COLUMN_SCHEMA_CHECK_NAME = "column_schema_change"  # the name Dagster's factory gives its check
_SCHEMA_DESCRIPTION = (
    "Airbyte's view of the source schema: fails on a breaking change (the connection is disabled), warns "
    "on a non-breaking change Airbyte has not propagated."
)
_COLUMN_DESCRIPTION = (  # Dagster's own wording
    "Checks whether there are changes to column schema between the asset's two most recent materializations"
)


def schema_check_specs(keys: Sequence[dg.AssetKey]) -> list[dg.AssetCheckSpec]:
    """Per stream asset: `airbyte_schema` and Dagster's `column_schema_change`."""
    specs = []
    for key in keys:
        specs.append(dg.AssetCheckSpec(SCHEMA_CHECK_NAME, asset=key, description=_SCHEMA_DESCRIPTION))
        specs.append(dg.AssetCheckSpec(COLUMN_SCHEMA_CHECK_NAME, asset=key, description=_COLUMN_DESCRIPTION))
    return specs


def column_change_results(
    previous: Mapping[dg.AssetKey, dg.TableSchema | None], current: Mapping[dg.AssetKey, dg.TableSchema]
) -> list[dg.AssetCheckResult]:
    """`column_schema_change` for each key of `current` (the schemas this step records, WARN).

    `previous`: the column schema of each key's previous materialization (None: it recorded none; no
    key: never materialized). Dagster's rule and texts, with one difference: a previous
    materialization without a column schema (a sync recorded from the public API or by the observer)
    passes with nothing to compare, where Dagster's check warns.
    """
    out = []
    for key, schema in current.items():
        if key not in previous:
            passed, text = True, "The asset has been materialized fewer than 2 times"
        elif (earlier := previous[key]) is None:
            passed, text = True, "The previous materialization recorded no column schema: nothing to compare"
        else:
            passed, text = _compare(earlier, schema)
        out.append(
            dg.AssetCheckResult(
                asset_key=key,
                check_name=COLUMN_SCHEMA_CHECK_NAME,
                passed=passed,
                severity=dg.AssetCheckSeverity.WARN,
                description=text,
            )
        )
    return out


def _compare(earlier: dg.TableSchema, schema: dg.TableSchema) -> tuple[bool, str]:
    diff = TableSchemaDiff.from_table_schemas(earlier, schema)
    if not (diff.added_columns or diff.removed_columns or diff.column_type_changes):
        return True, "No changes to column schema between previous and latest materialization"
    text = "Column schema changed between previous and latest materialization."
    if diff.added_columns:
        text += f"\n\nAdded columns: {', '.join(c.name for c in diff.added_columns)}"
    if diff.removed_columns:
        text += f"\n\nRemoved columns: {', '.join(c.name for c in diff.removed_columns)}"
    if diff.column_type_changes:
        text += "\n\nColumn type changes:"
        for name, change in diff.column_type_changes.items():
            text += f"\n- {name}: {change.old_type} -> {change.new_type}"
    return False, text


def _evaluate(report: SchemaReport, stream: str) -> tuple[bool, dg.AssetCheckSeverity, str]:
    own = report.for_stream(stream)
    if report.breaking or (report.disabled and report.schema_change == "non_breaking"):
        why = own.describe() if own else f"elsewhere in the connection: {report.summary()}"
        cause = "a breaking schema change" if report.breaking else "a schema change (preference: disable)"
        return (
            False,
            dg.AssetCheckSeverity.ERROR,
            f"Airbyte disabled connection {report.connection_name} because of {cause} ({why}); "
            "this stream does not sync until it is reviewed in Airbyte and the connection enabled.",
        )
    if report.schema_change == "non_breaking" and own is not None:
        return (
            False,
            dg.AssetCheckSeverity.WARN,
            f"The source changed and Airbyte has not propagated it to this stream: {own.describe()}.",
        )
    if report.schema_change == "non_breaking":
        return True, dg.AssetCheckSeverity.WARN, f"Stream unchanged; elsewhere: {report.summary()}."
    return True, dg.AssetCheckSeverity.WARN, "Airbyte reports no schema change."


def _metadata(report: SchemaReport, stream: str) -> dict[str, Any]:
    own = report.for_stream(stream)
    return {
        "airbyte/schema_change": dg.MetadataValue.text(report.schema_change or "unknown"),
        "airbyte/connection_status": dg.MetadataValue.text(report.status),
        "airbyte/stream_diff": dg.MetadataValue.json(own.as_json() if own else {}),
        "airbyte/connection_diff": dg.MetadataValue.json(report.diff_json()),
    }


def check_results(
    report: SchemaReport,
    keys_by_stream: Mapping[str, dg.AssetKey],
    wanted: set[dg.AssetCheckKey] | None = None,
) -> list[dg.AssetCheckResult]:
    """Results for the streams' checks (those in `wanted`, if given), as a step yields them."""
    out = []
    for stream, key in keys_by_stream.items():
        if wanted is not None and dg.AssetCheckKey(key, SCHEMA_CHECK_NAME) not in wanted:
            continue
        passed, severity, text = _evaluate(report, stream)
        out.append(
            dg.AssetCheckResult(
                asset_key=key,
                check_name=SCHEMA_CHECK_NAME,
                passed=passed,
                severity=severity,
                description=text,
                metadata=_metadata(report, stream),
            )
        )
    return out


def check_evaluations(
    report: SchemaReport, keys_by_stream: Mapping[str, dg.AssetKey]
) -> list[dg.AssetCheckEvaluation]:
    """The same results as runless evaluations, for a sensor to report."""
    out = []
    for stream, key in keys_by_stream.items():
        passed, severity, text = _evaluate(report, stream)
        out.append(
            dg.AssetCheckEvaluation(
                asset_key=key,
                check_name=SCHEMA_CHECK_NAME,
                passed=passed,
                severity=severity,
                description=text,
                metadata=_metadata(report, stream),
            )
        )
    return out
