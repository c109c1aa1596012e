"""Run, schedule and watch Airbyte syncs from Dagster.

Start with `build_definitions(load_config())` (assets, resource and schedules from airbyte_ops.yaml),
or use `AirbyteResource` on its own in your ops and assets.

The names below are imported on first use (PEP 562), so `import dagster_airbyte_ops.client` or
`dagster_airbyte_ops.config` loads that folder alone, not every sensor, schedule and the executor.
The folders and what each may import: docs/architecture.md.
"""

import importlib as _importlib
from typing import TYPE_CHECKING as _TYPE_CHECKING
from typing import Any as _Any

if _TYPE_CHECKING:
    from .assets.catalog import AirbyteCatalog, fetch_catalog
    from .assets.connection_assets import build_connection_assets
    from .assets.translator import AirbyteStreamProps, AirbyteTranslator
    from .checks.freshness import build_freshness_checks
    from .component import AirbyteOpsComponent
    from .config import AirbyteOpsConfig, load_config, parse_config
    from .definitions import build_definitions
    from .errors import (
        AirbyteApiError,
        AirbyteAuthError,
        AirbyteOpsError,
        ConfigError,
        SyncConflictError,
        SyncFailedError,
        SyncTimeoutError,
    )
    from .execution.executor import airbyte_sync_executor
    from .execution.pools import apply_pool_limits, pool_limits
    from .resource.airbyte_resource import AirbyteResource
    from .resource.sync_result import SyncResult
    from .schedules.adopt import apply_adoption, plan_adoption
    from .sensors.alert_sensors import build_alert_sensors
    from .sensors.deferred import build_deferred_sensor
    from .sensors.job_recording import WatchedConnection
    from .sensors.observer import build_observer_sensor
    from .sensors.upstream import Upstream, build_after_sensor
    from .sensors.webhooks import SyncAlert, send_alert

#: Public name -> the module (relative to this package) that defines it.
_EXPORTS: dict[str, str] = {
    "AirbyteApiError": ".errors",
    "AirbyteAuthError": ".errors",
    "AirbyteCatalog": ".assets.catalog",
    "AirbyteOpsComponent": ".component",
    "AirbyteOpsConfig": ".config",
    "AirbyteOpsError": ".errors",
    "AirbyteResource": ".resource.airbyte_resource",
    "AirbyteStreamProps": ".assets.translator",
    "AirbyteTranslator": ".assets.translator",
    "ConfigError": ".errors",
    "SyncAlert": ".sensors.webhooks",
    "SyncConflictError": ".errors",
    "SyncFailedError": ".errors",
    "SyncResult": ".resource.sync_result",
    "SyncTimeoutError": ".errors",
    "Upstream": ".sensors.upstream",
    "WatchedConnection": ".sensors.job_recording",
    "airbyte_sync_executor": ".execution.executor",
    "apply_adoption": ".schedules.adopt",
    "apply_pool_limits": ".execution.pools",
    "build_after_sensor": ".sensors.upstream",
    "build_alert_sensors": ".sensors.alert_sensors",
    "build_connection_assets": ".assets.connection_assets",
    "build_deferred_sensor": ".sensors.deferred",
    "build_definitions": ".definitions",
    "build_freshness_checks": ".checks.freshness",
    "build_observer_sensor": ".sensors.observer",
    "fetch_catalog": ".assets.catalog",
    "load_config": ".config",
    "parse_config": ".config",
    "plan_adoption": ".schedules.adopt",
    "pool_limits": ".execution.pools",
    "send_alert": ".sensors.webhooks",
}

__all__ = [
    "AirbyteApiError",
    "AirbyteAuthError",
    "AirbyteCatalog",
    "AirbyteOpsComponent",
    "AirbyteOpsConfig",
    "AirbyteOpsError",
    "AirbyteResource",
    "AirbyteStreamProps",
    "AirbyteTranslator",
    "ConfigError",
    "SyncAlert",
    "SyncConflictError",
    "SyncFailedError",
    "SyncResult",
    "SyncTimeoutError",
    "Upstream",
    "WatchedConnection",
    "airbyte_sync_executor",
    "apply_adoption",
    "apply_pool_limits",
    "build_after_sensor",
    "build_alert_sensors",
    "build_connection_assets",
    "build_deferred_sensor",
    "build_definitions",
    "build_freshness_checks",
    "build_observer_sensor",
    "fetch_catalog",
    "load_config",
    "parse_config",
    "plan_adoption",
    "pool_limits",
    "send_alert",
]


def __getattr__(name: str) -> _Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_importlib.import_module(module, __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
