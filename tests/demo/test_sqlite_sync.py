"""Syncs into the Local SQLite destination move real rows: Dagster's row counts are the rows on disk.

Materialized through Dagster against the emulator (data dir = a temp folder), then read back with
sqlite3 in destination-sqlite's layout.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import textwrap
from pathlib import Path

import dagster as dg
import pytest

from dagster_airbyte_ops.config import parse_config
from dagster_airbyte_ops.definitions import build_definitions
from dagster_airbyte_ops.emulator import EmulatorSettings

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the demo package sits at the repo root
from demo import demo_definitions

CONFIG = """
airbyte: {{url: "{url}", api: {api}, retry_backoff_s: 0.01, poll_interval_s: 0.2}}
connections:
  - name: "Shop Orders → SQLite"
"""
STREAMS = ("orders", "refunds")
CONNECTION = "Shop Orders → SQLite"


@pytest.fixture
def shop(spec_checked_emulators, tmp_path):
    """An emulator writing to tmp_path/data, and the Dagster definitions of the SQLite connection."""
    data = tmp_path / "data"
    server = spec_checked_emulators(EmulatorSettings(data_dir=str(data), default_job_duration_s=0.5))
    return server, data / "airbyte.sqlite"


def _defs(server, tmp_path: Path, sqlite: Path, api: str = "config") -> dg.Definitions:
    config = parse_config(textwrap.dedent(CONFIG).format(url=server.url, api=api), "airbyte_ops.yaml")
    airbyte = build_definitions(config, snapshot_dir=str(tmp_path / "snapshots"))
    return dg.Definitions.merge(airbyte, demo_definitions(sqlite_path=str(sqlite)))


def _materialize(defs: dg.Definitions, instance: dg.DagsterInstance, *keys: str) -> dg.ExecuteInProcessResult:
    job = defs.resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(
        instance=instance, asset_selection=[dg.AssetKey(k.split("/")) for k in keys]
    )
    assert result.success
    return result


def _row_counts(result: dg.ExecuteInProcessResult) -> dict[str, int]:
    return {
        event.asset_key.to_user_string(): event.step_materialization_data.materialization.metadata[
            "dagster/row_count"
        ].value
        for event in result.get_asset_materialization_events()
    }


def _rows(sqlite: Path, stream: str) -> list[dict]:
    with sqlite3.connect(sqlite) as con:
        return [json.loads(d) for (d,) in con.execute(f"SELECT _airbyte_data FROM _airbyte_raw_{stream}")]


@pytest.mark.parametrize("api", ["config"])
def test_row_counts_match_rows_on_disk_and_incremental_appends_only_changes(shop, tmp_path, api):
    server, sqlite = shop
    defs = _defs(server, tmp_path, sqlite, api)
    instance = dg.DagsterInstance.ephemeral()

    first = _row_counts(_materialize(defs, instance, *STREAMS))
    assert first["orders"] == len(_rows(sqlite, "orders")) > 100
    assert first["refunds"] == len(_rows(sqlite, "refunds")) > 0
    with sqlite3.connect(sqlite) as con:
        columns = [row[1] for row in con.execute("PRAGMA table_info(_airbyte_raw_orders)")]
    assert columns == ["_airbyte_ab_id", "_airbyte_emitted_at", "_airbyte_data"]
    cursor = max(row["updated_at"] for row in _rows(sqlite, "orders"))

    second = _row_counts(_materialize(defs, instance, *STREAMS))
    orders = _rows(sqlite, "orders")
    appended = orders[first["orders"] :]
    # Incremental + append: only the orders created or changed since the cursor, added to the history.
    assert len(orders) == first["orders"] + second["orders"]
    assert 0 < second["orders"] < first["orders"] // 4
    assert all(row["updated_at"] > cursor for row in appended)
    known = {row["order_id"] for row in orders[: first["orders"]]}
    assert any(row["order_id"] in known for row in appended), "some changed orders come again"
    assert any(row["order_id"] not in known for row in appended), "and some are new"
    # Full refresh + overwrite: the table is replaced by the source's current refunds.
    assert len(_rows(sqlite, "refunds")) == second["refunds"] >= first["refunds"]


def test_downstream_assets_compute_on_the_synced_rows(shop, tmp_path):
    server, sqlite = shop
    defs = _defs(server, tmp_path, sqlite)
    instance = dg.DagsterInstance.ephemeral()
    _materialize(defs, instance, *STREAMS)

    result = _materialize(defs, instance, "daily_revenue", "customer_counts")

    orders = _rows(sqlite, "orders")
    live = [o for o in orders if o["status"] != "cancelled"]
    counts = _row_counts(result)
    assert counts["daily_revenue"] == len(
        {o["placed_at"][:10] for o in orders} | {r["refunded_at"][:10] for r in _rows(sqlite, "refunds")}
    )
    assert counts["customer_counts"] == len({o["shipping_country"] for o in live})
    with sqlite3.connect(sqlite) as con:
        customers = con.execute("SELECT sum(customers), sum(orders) FROM customer_counts").fetchone()
    assert customers == (len({o["customer_id"] for o in live}), len(live))


def test_downstream_asset_before_any_sync_says_what_to_do(shop, tmp_path):
    server, sqlite = shop
    defs = _defs(server, tmp_path, sqlite)
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
        instance=dg.DagsterInstance.ephemeral(),
        asset_selection=[dg.AssetKey("customer_counts")],
        raise_on_error=False,
    )
    assert not result.success
    message = result.failure_data_for_node("customer_counts").error.message
    assert "airbyte.sqlite does not exist yet" in message
    assert "has not synced yet. Materialize the shop_orders_sqlite group first" in message
