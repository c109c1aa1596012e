"""Run one connection's sync as schedules and `after:` sensors do: the shared job, selecting its streams.

Tests name a connection by its op (`airbyte_sync_<slug>`); the old per-connection job name
(`airbyte_sync_<slug>_job`) is accepted too, so a test reads as the connection it syncs.
"""

from __future__ import annotations

from typing import Any

import dagster as dg

SHARED_JOB = "airbyte_sync_job"


def connection_keys(defs: dg.Definitions, name: str) -> list[dg.AssetKey]:
    """The stream asset keys of the connection whose op is `name` (or `name` without `_job`)."""
    op = name.removesuffix("_job")
    for assets_def in defs.resolve_asset_graph().assets_defs:
        if assets_def.is_executable and assets_def.node_def.name == op:
            return sorted(assets_def.keys, key=lambda k: tuple(k.path))
    raise AssertionError(f"no connection op {op!r} in these definitions")


def run_connection(defs: dg.Definitions, name: str, **kwargs: Any) -> dg.ExecuteInProcessResult:
    """`execute_in_process` of the shared job, selecting the connection's streams."""
    job = defs.resolve_job_def(SHARED_JOB)
    return job.execute_in_process(asset_selection=connection_keys(defs, name), **kwargs)
