"""Run, schedule and watch Airbyte syncs from Dagster.

Start with `build_definitions(load_config())` (assets, resource and schedules from airbyte_ops.yaml),
or use `AirbyteResource` on its own in your ops and assets.
"""

from .adopt import apply_adoption, plan_adoption
from .alerting import build_alert_sensors
from .alerts import SyncAlert, send_alert
from .assets import build_connection_assets
from .catalog import AirbyteCatalog, fetch_catalog
from .chain import Upstream, build_after_sensor
from .checks import build_freshness_checks
from .component import AirbyteOpsComponent
from .concurrency import apply_pool_limits, pool_limits
from .config import AirbyteOpsConfig, load_config, parse_config
from .deferred import build_deferred_sensor
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
from .executor import airbyte_sync_executor
from .job_events import WatchedConnection
from .observer import build_observer_sensor
from .resource import AirbyteResource
from .sync_result import SyncResult
from .translator import AirbyteStreamProps, AirbyteTranslator

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
