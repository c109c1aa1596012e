"""What the `after:` and `downstream:` sensor tests share: definitions from the emulator, merged with
a user's own assets, and a ticker that evaluates a sensor in a real instance, carrying its cursor."""

from __future__ import annotations

import textwrap
from pathlib import Path

import dagster as dg

from dagster_airbyte_ops.config import parse_config
from dagster_airbyte_ops.definitions import build_definitions
from tests.connection_runs import run_connection

PG = "PostgreSQL → MinIO"
MSSQL = "MSSQL → S3"
CRM = "CRM API → Postgres"
SHOP = "Shop Orders → SQLite"
PG_JOB = "airbyte_sync_postgresql_minio_job"
ORDERS = dg.AssetKey(["public", "orders"])
ORDERS_CLEAN = dg.AssetKey(["analytics", "orders_clean"])

HEADER = """
airbyte:
  url: "{url}"
  api: config
  retry_backoff_s: 0.01
  poll_interval_s: 0.1
"""


@dg.asset(key=ORDERS_CLEAN, deps=[ORDERS], group_name="analytics")
def orders_clean() -> None:
    """A user's asset built from the synced orders table."""


@dg.asset(key=["analytics", "daily_revenue"], deps=[ORDERS_CLEAN], group_name="analytics")
def daily_revenue() -> None:
    """A user's asset further downstream."""


USER_ASSETS = [orders_clean, daily_revenue]


def user_defs(emulator, tmp_path: Path, body: str, *, assets=USER_ASSETS) -> dg.Definitions:
    """`build_definitions(config)` merged with the user's own assets, as a user's definitions.py does."""
    text = textwrap.dedent(HEADER).format(url=emulator.url) + textwrap.dedent(body)
    ours = build_definitions(parse_config(text, "airbyte_ops.yaml"), snapshot_dir=str(tmp_path / "snap"))
    return dg.Definitions.merge(ours, dg.Definitions(assets=list(assets)))


def connection_id(defs: dg.Definitions, key: dg.AssetKey) -> str:
    """The Airbyte connection id of a stream asset, from its definition metadata."""
    return defs.get_repository_def().asset_graph.get(key).metadata["airbyte/connection_id"]


class Ticker:
    """Evaluates sensors of `defs` in `instance` the way the daemon does, one tick at a time,
    keeping each sensor's cursor between ticks."""

    def __init__(self, defs: dg.Definitions, instance: dg.DagsterInstance) -> None:
        self.defs = defs
        self.instance = instance
        self.cursors: dict[str, str | None] = {}

    def sensor(self, name: str) -> dg.SensorDefinition:
        return self.defs.get_repository_def().get_sensor_def(name)

    def tick(self, name: str):
        context = dg.build_sensor_context(
            instance=self.instance, cursor=self.cursors.get(name), definitions=self.defs, sensor_name=name
        )
        result = self.sensor(name).evaluate_tick(context)
        self.cursors[name] = result.cursor
        return result

    def materialize_job(self, job_name: str, *, succeed: bool = True) -> None:
        result = run_connection(self.defs, job_name, instance=self.instance, raise_on_error=False)
        assert result.success is succeed, f"{job_name}: expected success={succeed}"

    def materialize(self, *keys: dg.AssetKey) -> None:
        job = self.defs.resolve_implicit_global_asset_job_def()
        assert job.execute_in_process(instance=self.instance, asset_selection=list(keys)).success

    def launch(self, request: dg.RunRequest, job_name: str | None = None) -> dg.ExecuteInProcessResult:
        """Run what a request asks for, as the daemon would launch it (same tags and selection)."""
        name = request.job_name if request.job_name and not job_name else job_name
        if name and not name.startswith("__"):
            job = self.defs.resolve_job_def(name)
            selection = list(request.asset_selection) if request.asset_selection is not None else None
            return job.execute_in_process(
                instance=self.instance, tags=request.tags, asset_selection=selection
            )
        job = self.defs.resolve_implicit_global_asset_job_def()
        return job.execute_in_process(
            instance=self.instance, tags=request.tags, asset_selection=list(request.asset_selection or [])
        )
