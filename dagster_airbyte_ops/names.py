"""Every Dagster name the integration makes, spelled once: ops, jobs, schedules, sensors, pools.

These names are a contract: run history, sensor cursors, schedule state and pool limits in a Dagster
instance are keyed by them, so renaming one orphans what users already have. Code that makes or
matches a name calls these functions; tests may spell the results out (that is what they check).

A connection's *slug* is its Airbyte name made Dagster-safe (`assets.translator.slugify`), prefixed
with `<instance>_` for a named instance of `instances:`.

    op         airbyte_sync_<slug>
    job        airbyte_sync_job (one for every connection; each run selects one connection's streams)
    schedules  <slug>_schedule, <slug>_schedule_2, ... (unless a schedule sets `name:`)
    sensors    <slug>_after_sensor; airbyte_observer[_<instance>]; airbyte_deferred_jobs[_<instance>];
               airbyte_alerts, airbyte_alerts_succeeded; airbyte_freshness_checks_sensor;
               airbyte_pool_limits_sensor
    checks     matches_airbyte_ops_yaml (one per stream of a declared connection, op <slug>_drift)
    pools      airbyte (max_concurrent_syncs), airbyte/[<instance>_]<group or selector slug>
    resource   airbyte, airbyte_<instance>

This module imports nothing from the package, so every folder may use it.
"""

from __future__ import annotations

#: The resource key of the single `airbyte:` section (`airbyte_<instance>` for named instances).
DEFAULT_RESOURCE_KEY = "airbyte"

OBSERVER_SENSOR_NAME = "airbyte_observer"
DEFERRED_SENSOR_NAME = "airbyte_deferred_jobs"
ALERT_SENSOR_NAME = "airbyte_alerts"
SUCCESS_SENSOR_SUFFIX = "_succeeded"
FRESHNESS_SENSOR_NAME = "airbyte_freshness_checks_sensor"
POOL_SENSOR_NAME = "airbyte_pool_limits_sensor"

#: The asset check on each stream of a connection with `declare:` (checks/drift.py).
DRIFT_CHECK_NAME = "matches_airbyte_ops_yaml"

#: The pool of every sync when only the top-level `max_concurrent_syncs` is set.
DEFAULT_POOL = "airbyte"


def op_name(slug: str) -> str:
    """`airbyte_sync_<slug>`: the op (step) that syncs one connection."""
    return f"airbyte_sync_{slug}"


#: The one asset job of a code location: schedules and `after:` sensors launch runs of it, each run
#: selecting one connection's streams and tagged with it (no job per connection: docs/performance.md).
SYNC_JOB_NAME = "airbyte_sync_job"


def schedule_name(slug: str, index: int = 0) -> str:
    """`<slug>_schedule` for a connection's first schedule, `<slug>_schedule_<n>` for the n-th."""
    return f"{slug}_schedule" if index == 0 else f"{slug}_schedule_{index + 1}"


def drift_check_op_name(slug: str) -> str:
    """`<slug>_drift`: the multi-asset check that compares a declared connection with Airbyte."""
    return f"{slug}_drift"


def after_sensor_name(slug: str) -> str:
    """`<slug>_after_sensor`: the sensor that runs a connection after its `after:` upstreams."""
    return f"{slug}_after_sensor"


def _for_resource(base: str, resource_key: str) -> str:
    return base if resource_key == DEFAULT_RESOURCE_KEY else f"{base}_{resource_key}"


def observer_sensor_name(resource_key: str) -> str:
    """`airbyte_observer` for the default resource key, `airbyte_observer_<key>` otherwise."""
    return _for_resource(OBSERVER_SENSOR_NAME, resource_key)


def deferred_sensor_name(resource_key: str) -> str:
    """`airbyte_deferred_jobs` for the default resource key, `airbyte_deferred_jobs_<key>` otherwise."""
    return _for_resource(DEFERRED_SENSOR_NAME, resource_key)


def sensor_name_for_instance(base: str, instance: str | None) -> str | None:
    """`base_<instance>` for a named instance of `instances:`; None (the builder's default) without."""
    return None if instance is None else f"{base}_{instance}"


def entry_pool(instance: str | None, part: str) -> str:
    """`airbyte/[<instance>_]<part>`: the pool of one `connections:` entry's `max_concurrent_syncs`.

    Entries of different instances may select alike ("CRM*" on each): one pool per instance.
    """
    prefix = f"{instance}_" if instance else ""
    return f"{DEFAULT_POOL}/{prefix}{part}"
