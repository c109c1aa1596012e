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
per connection reporting a change). Beside it, Dagster's own column-schema change check
(`dg.build_column_schema_change_checks`, named `column_schema_change`) compares the column schema
recorded on the two latest materializations: it sees a change once Airbyte propagated it. Config API
only: the public API does not say whether a schema changed.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import dagster as dg

from ..client._schema import SchemaReport

SCHEMA_CHECK_NAME = "airbyte_schema"


def schema_check_specs(keys: Sequence[dg.AssetKey]) -> list[dg.AssetCheckSpec]:
    """One `airbyte_schema` check per stream asset."""
    return [
        dg.AssetCheckSpec(
            SCHEMA_CHECK_NAME,
            asset=key,
            description="Airbyte's view of the source schema: fails on a breaking change (the connection is "
            "disabled), warns on a non-breaking change Airbyte has not propagated.",
        )
        for key in keys
    ]


def column_schema_change_checks(keys: Sequence[dg.AssetKey]) -> Sequence[dg.AssetChecksDefinition]:
    """Dagster's own check comparing the column schemas of the two latest materializations (WARN)."""
    if not keys:
        return []
    with warnings.catch_warnings():  # chosen knowingly; its BetaWarning would repeat in every load's log
        warnings.simplefilter("ignore", dg.BetaWarning)
        return dg.build_column_schema_change_checks(assets=list(keys), severity=dg.AssetCheckSeverity.WARN)


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
