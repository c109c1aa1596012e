"""Freshness checks from `freshness: {max_lag: 2h}` on a connection entry.

A connection's stream tables are only as fresh as its last successful sync, so each entry with
`freshness:` gets Dagster's own last-update freshness check over its stream assets: the check
passes while every stream was materialized within `max_lag` of now and fails once one of them is
older, with severity WARN (Dagster's default) or ERROR (`severity: error`). Dagster's factory and
sensor are used as they are: they already know how to evaluate "now", how to describe the check in
the UI and when a check is due again, and they count every materialization of the asset, including
the ones the observer records for syncs Airbyte ran on its own.

One sensor, `airbyte_freshness_checks_sensor`, starts the evaluation of the checks that are due;
it is RUNNING by default, since a check nobody evaluates would silently show nothing. Each sync run
also evaluates its connection's checks right after the materializations (the checks target the
stream assets, so the connection's job includes them).

Dagster 1.13 marks these factories "superseded" by `FreshnessPolicy` on the asset specs. Checks are
kept on purpose: they record pass/fail evaluations that show in the asset's Checks tab, work on any
instance (a `FreshnessPolicy` is only evaluated when `freshness: enabled` is set in dagster.yaml
and the daemon runs), and can be evaluated at a chosen time in tests. The warning is silenced here.

Example:
    ```python
    import datetime as dt
    import dagster as dg
    from dagster_airbyte_ops.checks import build_freshness_checks

    checks = build_freshness_checks([dg.AssetKey(["public", "orders"])], max_lag=dt.timedelta(hours=2))
    ```
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Sequence

import dagster as dg

from ..assets.built_connection import BuiltConnection
from ..config import AirbyteOpsConfig
from ..names import FRESHNESS_SENSOR_NAME

#: How often the sensor looks for due checks; Dagster only starts runs for checks that are due.
FRESHNESS_SENSOR_INTERVAL_S = 60


def build_freshness_checks(
    asset_keys: Sequence[dg.AssetKey],
    *,
    max_lag: dt.timedelta,
    severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.WARN,
) -> list[dg.AssetChecksDefinition]:
    """Checks that fail when any of `asset_keys` was last materialized more than `max_lag` ago."""
    if max_lag <= dt.timedelta(0):
        raise ValueError(f"max_lag must be longer than 0, got {max_lag}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.SupersessionWarning)
        return list(
            dg.build_last_update_freshness_checks(
                assets=list(asset_keys), lower_bound_delta=max_lag, severity=severity
            )
        )


def build_freshness_sensor(
    checks: Sequence[dg.AssetChecksDefinition],
    *,
    name: str = FRESHNESS_SENSOR_NAME,
    default_status: dg.DefaultSensorStatus = dg.DefaultSensorStatus.RUNNING,
) -> dg.SensorDefinition:
    """The sensor that launches evaluations of the due `checks`: Dagster's own, minus the checks of
    assets never materialized.

    Dagster's sensor evaluates a check that never ran at once, and a never-synced asset fails it
    ("never observed/materialized"): a new deployment's first screen would show failing checks nobody
    caused. A check here waits for its asset's first materialization (from our run, the observer or a
    deferred sync); the run that brings it evaluates the check, and from then on Dagster's rules apply.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.SupersessionWarning)
        dagsters = dg.build_sensor_for_freshness_checks(
            freshness_checks=list(checks),
            name=name,
            minimum_interval_seconds=FRESHNESS_SENSOR_INTERVAL_S,
            default_status=default_status,
        )
    asset_keys = sorted({spec.asset_key for c in checks for spec in c.check_specs}, key=str)

    @dg.sensor(
        name=name,
        minimum_interval_seconds=FRESHNESS_SENSOR_INTERVAL_S,
        asset_selection=dg.AssetSelection.checks(*checks),
        default_status=default_status,
        description=(dagsters.description or "")
        + " A check waits for its asset's first materialization (never synced is not stale).",
    )
    def _freshness(context: dg.SensorEvaluationContext) -> dg.RunRequest | dg.SkipReason:
        never = {k for k in asset_keys if context.instance.get_latest_materialization_event(k) is None}
        if len(never) < len(asset_keys):  # (else Dagster's sensor would only log what we drop)
            result = dagsters(context)
            if not isinstance(result, dg.RunRequest):
                return result if isinstance(result, dg.SkipReason) else dg.SkipReason("no check is due")
            due = [key for key in result.asset_check_keys or [] if key.asset_key not in never]
            if due:
                return dg.RunRequest(asset_check_keys=due, tags=result.tags)
        waiting = ", ".join(k.to_user_string() for k in sorted(never, key=str)[:5])
        more = f" and {len(never) - 5} more" if len(never) > 5 else ""
        return dg.SkipReason(
            f"waiting for the first materialization of {len(never)} asset(s) before checking their "
            f"freshness: {waiting}{more}"
        )

    return _freshness


def freshness_definitions(config: AirbyteOpsConfig, built: Sequence[BuiltConnection]) -> dg.Definitions:
    """The checks of every entry with `freshness:` and one sensor evaluating them (a fragment)."""
    checks: list[dg.AssetChecksDefinition] = []
    for item in built:
        freshness = item.entry.freshness
        if freshness is None or not item.asset_keys:
            continue
        severity = (
            dg.AssetCheckSeverity.ERROR if freshness.severity == "error" else dg.AssetCheckSeverity.WARN
        )
        checks.extend(build_freshness_checks(item.asset_keys, max_lag=freshness.max_lag, severity=severity))
    if not checks:
        return dg.Definitions()
    return dg.Definitions(asset_checks=checks, sensors=[build_freshness_sensor(checks)])
