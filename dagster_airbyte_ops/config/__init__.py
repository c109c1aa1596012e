"""`airbyte_ops.yaml`: its models, `load_config()`, and selection against Airbyte's catalog.

Modules, one question each:

    _yaml.py      YAML text → data (YAML 1.2 scalars, no duplicate keys), syntax errors with line:column
    envrefs.py    `{env: NAME, default: ...}`: resolved at load, or kept as `EnvRef` for secrets
    values.py     field types that validate one value (URL, time zone, duration, cron, names, tags)
    cron.py       cron validity (Dagster's rule, with the reason in words) and `describe_cron`
    instances.py  `airbyte:` and `instances:`: where each Airbyte is and how to reach it
    connections.py  `connections:` entries, and how `after:`/`when:` items name a connection
    models.py     `AirbyteOpsConfig` (the file) and `defaults:`, `downstream:`, `alerts:`, `observer:`
    schedule.py   `schedule:` of a connection: cron, time zone, skip rules
    _render.py    pydantic errors → `field.path: problem; fix`
    loader.py     `load_config`, `parse_config`, checks across entries
    selection.py  `resolve_connections`: entries matched against the workspace's connections

Example:
    ```python
    import dagster as dg
    from dagster_airbyte_ops.config import load_config

    config = load_config()  # argument → $AIRBYTE_OPS_CONFIG → ./airbyte_ops.yaml
    for entry in config.connections:
        print(entry.describe(), [s.description for s in entry.schedules])
    ```
"""

from .connections import ConnectionEntry, Freshness
from .cron import cron_problem, describe_cron
from .envrefs import EnvRef
from .instances import (
    AirbyteInstance,
    AirbyteSettings,
    AuthSettings,
    BasicAuth,
    BearerAuth,
    ClientCredentialsAuth,
    InstanceSettings,
    NoAuth,
)
from .loader import (
    CONFIG_ENV_VAR,
    DEFAULT_CONFIG_FILENAME,
    config_from_data,
    find_config_path,
    load_config,
    parse_config,
)
from .models import AirbyteOpsConfig, Alerts, Defaults, DownstreamSpec, Webhook
from .schedule import ScheduleSpec, SkipRule
from .selection import CatalogConnection, resolve_connections, resolve_instance_connections
from .values import parse_duration

__all__ = [
    "CONFIG_ENV_VAR",
    "DEFAULT_CONFIG_FILENAME",
    "AirbyteInstance",
    "AirbyteOpsConfig",
    "AirbyteSettings",
    "Alerts",
    "AuthSettings",
    "BasicAuth",
    "BearerAuth",
    "CatalogConnection",
    "ClientCredentialsAuth",
    "ConnectionEntry",
    "Defaults",
    "DownstreamSpec",
    "EnvRef",
    "Freshness",
    "InstanceSettings",
    "NoAuth",
    "ScheduleSpec",
    "SkipRule",
    "Webhook",
    "config_from_data",
    "cron_problem",
    "describe_cron",
    "find_config_path",
    "load_config",
    "parse_config",
    "parse_duration",
    "resolve_connections",
    "resolve_instance_connections",
]
