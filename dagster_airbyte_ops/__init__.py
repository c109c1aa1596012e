"""Run, schedule and watch Airbyte syncs from Dagster."""

from .errors import (
    AirbyteApiError,
    AirbyteAuthError,
    AirbyteOpsError,
    ConfigError,
    SyncConflictError,
    SyncFailedError,
    SyncTimeoutError,
)
from .resource import AirbyteResource
from .sync_result import SyncResult

__all__ = [
    "AirbyteApiError",
    "AirbyteAuthError",
    "AirbyteOpsError",
    "AirbyteResource",
    "ConfigError",
    "SyncConflictError",
    "SyncFailedError",
    "SyncResult",
    "SyncTimeoutError",
]
