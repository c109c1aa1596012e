"""How many Airbyte syncs run at once across runs: `max_concurrent_syncs` as Dagster pools.

Within one run, the executor decides (executor.py).

**Pools.** `max_concurrent_syncs` at the top of airbyte_ops.yaml limits the `airbyte` pool, which every
connection is in unless its entry has a limit (or pool) of its own; an entry's `max_concurrent_syncs`
limits a pool of the connections it selects, `airbyte/<group or name or match>` unless the entry names
it with `pool:` (entries naming the same pool share its limit). Dagster gives each step one pool, so a
connection counts against exactly one limit. Dagster keeps pool limits in the instance, not in code:
`apply_pool_limits(instance, config)` writes them, and the `airbyte_pool_limits_sensor` (RUNNING by
default) does so on each tick, so editing the file and reloading the code location is enough. Without
the daemon, `airbyte-ops pools --apply` does the same once.

Example:
    ```python
    import dagster as dg
    from dagster_airbyte_ops.execution.pools import apply_pool_limits
    from dagster_airbyte_ops.config import parse_config

    config = parse_config("max_concurrent_syncs: 4\\nconnections: [{match: '*'}]")
    apply_pool_limits(dg.DagsterInstance.get(), config)  # pool "airbyte" limited to 4
    ```
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import dagster as dg

from ..assets.built_connection import BuiltConnection
from ..assets.translator import slugify
from ..config import AirbyteOpsConfig, ConnectionEntry
from ..config.loader import config_error
from ..names import DEFAULT_POOL, POOL_SENSOR_NAME, entry_pool

POOL_SENSOR_INTERVAL_S = 60


# ---- pools --------------------------------------------------------------------------------------


def pool_for(config: AirbyteOpsConfig, entry: ConnectionEntry) -> str | None:
    """The Dagster pool of the connections `entry` selects (None: no limit configured anywhere)."""
    if entry.pool is not None:
        return entry.pool
    if entry.max_concurrent_syncs is not None:
        _, value = entry.selector
        return entry_pool(entry.instance, entry.group or slugify(value) or str(entry.index))
    if config.max_concurrent_syncs is not None:
        return DEFAULT_POOL
    return None


def pool_limits(config: AirbyteOpsConfig) -> dict[str, int]:
    """Every pool limit the configuration sets, by pool name; conflicting limits are a ConfigError."""
    limits: dict[str, int] = {}
    set_by: dict[str, str] = {}
    problems: list[str] = []
    if config.max_concurrent_syncs is not None:
        limits[DEFAULT_POOL] = config.max_concurrent_syncs
        set_by[DEFAULT_POOL] = "max_concurrent_syncs"
    for entry in config.connections:
        if entry.max_concurrent_syncs is None:
            continue
        pool = pool_for(config, entry)
        assert pool is not None
        where = f"{entry.path}.max_concurrent_syncs"
        if pool in limits and limits[pool] != entry.max_concurrent_syncs:
            problems.append(
                f"{where}: {entry.max_concurrent_syncs} conflicts with {limits[pool]} set for pool "
                f'"{pool}" by {set_by[pool]}; set the limit once, or give this entry its own pool:'
            )
            continue
        limits[pool] = entry.max_concurrent_syncs
        set_by.setdefault(pool, where)
    if problems:
        raise config_error(config.source_name, problems)
    return limits


@dataclass(frozen=True)
class PoolChange:
    """One pool whose limit in the instance differs from the configuration: before → after."""

    pool: str
    before: int | None  # None: the instance has no limit for it
    after: int

    def __str__(self) -> str:
        before = "unlimited" if self.before is None else str(self.before)
        return f"pool {self.pool}: {before} -> {self.after}"


def plan_pool_limits(instance: dg.DagsterInstance, limits: Mapping[str, int]) -> list[PoolChange]:
    """The changes `apply_pool_limits` would make (nothing for pools already at their limit)."""
    storage = instance.event_log_storage
    _require_pool_support(instance)
    known = set(storage.get_concurrency_keys())
    changes = []
    for pool, limit in sorted(limits.items()):
        current = storage.get_concurrency_info(pool).slot_count if pool in known else None
        if current != limit:
            changes.append(PoolChange(pool=pool, before=current, after=limit))
    return changes


def apply_pool_limits(
    instance: dg.DagsterInstance, config_or_limits: AirbyteOpsConfig | Mapping[str, int]
) -> list[PoolChange]:
    """Set the configured pool limits on the instance; returns what changed (idempotent).

    Pools the configuration does not mention are left alone: they may be someone else's.
    """
    limits = (
        pool_limits(config_or_limits)
        if isinstance(config_or_limits, AirbyteOpsConfig)
        else dict(config_or_limits)
    )
    changes = plan_pool_limits(instance, limits)
    for change in changes:
        instance.event_log_storage.set_concurrency_slots(change.pool, change.after)
    return changes


def _require_pool_support(instance: dg.DagsterInstance) -> None:
    if not instance.event_log_storage.supports_global_concurrency_limits:
        raise dg.DagsterInvariantViolationError(
            "This Dagster instance's storage cannot hold pool limits (an in-memory instance, or a "
            "SQLite one that needs `dagster instance migrate`); set DAGSTER_HOME to a persistent "
            "instance so max_concurrent_syncs can be enforced."
        )


def build_pool_limits_sensor(
    limits: Mapping[str, int],
    *,
    name: str = POOL_SENSOR_NAME,
    default_status: dg.DefaultSensorStatus = dg.DefaultSensorStatus.RUNNING,
) -> dg.SensorDefinition:
    """A sensor that keeps the instance's pool limits equal to `limits` (it never launches runs)."""
    wanted = dict(limits)
    summary = ", ".join(f"{pool}={limit}" for pool, limit in sorted(wanted.items()))

    @dg.sensor(
        name=name,
        minimum_interval_seconds=POOL_SENSOR_INTERVAL_S,
        default_status=default_status,
        description=f"Keeps Dagster's pool limits as airbyte_ops.yaml sets them: {summary}.",
    )
    def _pool_limits(context: dg.SensorEvaluationContext) -> dg.SkipReason:
        changes = apply_pool_limits(context.instance, wanted)
        for change in changes:
            context.log.info(f"Set {change}")
        if changes:
            return dg.SkipReason("Pool limits updated: " + "; ".join(map(str, changes)))
        return dg.SkipReason(f"Pool limits already as configured: {summary}")

    return _pool_limits


def concurrency_definitions(config: AirbyteOpsConfig, built: Sequence[BuiltConnection]) -> dg.Definitions:
    """The pool-limits sensor when airbyte_ops.yaml sets any limit (a fragment)."""
    limits = pool_limits(config)
    if not limits:
        return dg.Definitions()
    return dg.Definitions(sensors=[build_pool_limits_sensor(limits)])


# ---- `airbyte-ops pools` ------------------------------------------------------------------------


def pools_command(config: AirbyteOpsConfig, *, apply: bool, instance: dg.DagsterInstance) -> list[str]:
    """What `airbyte-ops pools [--apply]` prints: configured vs. instance limits, then the changes."""
    limits = pool_limits(config)
    if not limits:
        return [
            f"{config.source_name} sets no pool limit (max_concurrent_syncs at the top or on a "
            "connection entry); nothing to do."
        ]
    changes = {change.pool: change for change in plan_pool_limits(instance, limits)}
    lines = [f"{'pool':<32} {'configured':>10}  in the instance"]
    for pool, limit in sorted(limits.items()):
        change = changes.get(pool)
        current = limit if change is None else change.before
        lines.append(f"{pool:<32} {limit:>10}  {'unlimited' if current is None else current}")
    if not changes:
        lines.append("Pool limits already as configured.")
    elif apply:
        apply_pool_limits(instance, limits)
        lines.extend(f"Set {change}" for change in changes.values())
    else:
        lines.append(f"{len(changes)} pool limit(s) differ; run again with --apply to set them.")
    return lines
