"""Schema changes reach Dagster: the `airbyte_schema` check, alerts, fast failures and the asset graph.

Real HTTP (a spec-checked emulator following Airbyte's rules, docs/schema-changes.md) and real Dagster
instances; the source's schema is changed through the emulator's admin API as a DBA would change it.
"""

from __future__ import annotations

import logging
import time

import dagster as dg
import pytest
import requests

from dagster_airbyte_ops.sensors.observer import OBSERVER_SENSOR_NAME

from .conftest import (
    check_results,
    defs_for,
    materialization_metadata,
    materialize,
    set_preference,
    shop_id,
)

ADD_COUPON = {"op": "add_column", "stream": "orders", "column": "coupon", "type": "string"}
DROP_CURSOR = {"op": "remove_column", "stream": "orders", "column": "updated_at"}


def test_schema_change_none_passes_and_records_the_column_schema(shop, tmp_path) -> None:
    server, _ = shop
    result = materialize(defs_for(server, tmp_path), dg.DagsterInstance.ephemeral(), "orders", "refunds")

    checks = check_results(result)
    assert set(checks) == {"orders", "refunds"}
    assert all(c.passed for c in checks.values())
    assert checks["orders"].metadata["airbyte/schema_change"].value == "no_change"
    schema = materialization_metadata(result)["orders"]["dagster/column_schema"].value
    assert "updated_at" in [c.name for c in schema.columns]


@pytest.mark.parametrize("preference", ["ignore", "disable", "propagate_columns", "propagate_fully"])
def test_schema_change_non_breaking_under_each_preference(shop, tmp_path, preference) -> None:
    server, _ = shop
    set_preference(server, preference)
    server.admin.change_source_schema(shop_id(server), ADD_COUPON)
    defs = defs_for(server, tmp_path)
    instance = dg.DagsterInstance.ephemeral()

    result = materialize(defs, instance, "orders", "refunds", raise_on_error=False)

    checks = check_results(result)
    if preference == "disable":
        # Airbyte's discover before the sync disabled the connection: the sync ends at once, saying so.
        assert not result.success
        message = result.failure_data_for_node("airbyte_sync_shop_orders_sqlite").error.message
        assert "is inactive; only active connections can be synced" in message
        assert "Airbyte disabled it" in message and "orders: added column coupon" in message
        assert checks["orders"].severity == dg.AssetCheckSeverity.ERROR and not checks["orders"].passed
        return
    assert result.success
    orders = checks["orders"]
    columns = [
        c.name for c in materialization_metadata(result)["orders"]["dagster/column_schema"].value.columns
    ]
    if preference == "ignore":
        assert (orders.passed, orders.severity) == (False, dg.AssetCheckSeverity.WARN)
        assert orders.metadata["airbyte/stream_diff"].value == {
            "stream": "orders",
            "namespace": "shop",
            "change": "updated",
            "added_columns": ["coupon"],
        }
        assert checks["refunds"].passed
        assert "coupon" not in columns
    else:  # propagated before the sync: nothing pending, and the new column is synced
        assert orders.passed and orders.metadata["airbyte/schema_change"].value == "no_change"
        assert "coupon" in columns


def test_schema_change_breaking_disables_the_connection_and_the_check_fails(shop, tmp_path) -> None:
    server, _ = shop
    server.admin.change_source_schema(shop_id(server), DROP_CURSOR)
    instance = dg.DagsterInstance.ephemeral()

    result = materialize(defs_for(server, tmp_path), instance, "orders", "refunds", raise_on_error=False)

    assert not result.success
    message = result.failure_data_for_node("airbyte_sync_shop_orders_sqlite").error.message
    assert "breaking schema change" in message
    assert "orders: removed column updated_at (breaking)" in message
    assert "Review changes" in message and "enable the connection" in message
    checks = check_results(result)
    assert {k: (c.passed, c.severity) for k, c in checks.items()} == {
        "orders": (False, dg.AssetCheckSeverity.ERROR),
        "refunds": (False, dg.AssetCheckSeverity.ERROR),
    }
    diff = checks["orders"].metadata["airbyte/stream_diff"].value
    assert diff["removed_columns"] == ["updated_at"] and diff["breaking_columns"] == ["updated_at"]
    assert checks["orders"].metadata["airbyte/connection_status"].value == "inactive"


@pytest.mark.parametrize("api", ["config", "public"])
def test_schema_change_sync_of_a_disabled_connection_fails_at_once(shop, tmp_path, api) -> None:
    server, _ = shop
    # Loaded while the connection was active; a retry budget that would take ~60 s: no waiting for it.
    defs = defs_for(server, tmp_path, api=api, backoff=2.0)
    _drop_cursor_and_discover(server)
    server.admin.clear_requests()

    started = time.monotonic()
    result = materialize(defs, dg.DagsterInstance.ephemeral(), "orders", raise_on_error=False)

    assert time.monotonic() - started < 15
    assert not result.success
    message = result.failure_data_for_node("airbyte_sync_shop_orders_sqlite").error.message
    if api == "config":
        assert "breaking schema change: orders: removed column updated_at (breaking)" in message
    else:
        assert "is inactive; only active connections can be synced" in message
        assert "the public API does not say which" in message
    assert "Review changes" in message
    assert server.admin.jobs() == []  # nothing ran
    triggers = [r for r in server.admin.requests() if r["path"].endswith(("/connections/sync", "/jobs"))]
    assert len([r for r in triggers if r["method"] == "POST"]) == 1  # asked once, not retried


def _drop_cursor_and_discover(server) -> None:
    """A breaking change at the source (the cursor column dropped), then the discover Airbyte runs
    (here: asked for), which finds it and, with the connection's default preference, disables it."""
    server.admin.change_source_schema(shop_id(server), DROP_CURSOR)
    source_id = requests.post(
        f"{server.url}/api/v1/connections/get", json={"connectionId": shop_id(server)}, timeout=10
    ).json()["sourceId"]
    requests.post(
        f"{server.url}/api/v1/sources/discover_schema",
        json={"sourceId": source_id, "connectionId": shop_id(server), "disable_cache": True},
        timeout=10,
    ).raise_for_status()


def _tick(defs, instance, cursor):
    from observer.harness import tick

    return tick(defs, OBSERVER_SENSOR_NAME, instance, cursor)


def test_schema_change_alert_sent_once_with_the_diff_and_checks_from_the_tick(
    shop, tmp_path, receiver, monkeypatch
) -> None:
    server, _ = shop
    monkeypatch.setenv("SCHEMA_TEST_WEBHOOK", receiver.url)
    defs = defs_for(server, tmp_path)
    instance = dg.DagsterInstance.ephemeral()
    first = _tick(defs, instance, None)
    assert first.asset_events == []  # an unchanged connection: nothing to report, nothing sent

    _drop_cursor_and_discover(server)
    server.admin.clear_requests()
    second = _tick(defs, instance, first.cursor)

    calls = [r["path"] for r in server.admin.requests()]
    assert "/api/v1/sources/discover_schema" not in calls  # never a discover per tick
    assert calls.count("/api/v1/web_backend/connections/list") == 1
    evaluations = {
        e.asset_key.path[-1]: e for e in second.asset_events if isinstance(e, dg.AssetCheckEvaluation)
    }
    assert evaluations["orders"].severity == dg.AssetCheckSeverity.ERROR and not evaluations["orders"].passed
    [alert] = receiver.wait_for(1)
    assert alert["kind"] == "schema_change" and alert["schema_change"] == "breaking"
    assert alert["connection_status"] == "inactive"
    assert alert["diff"] == [
        {
            "stream": "orders",
            "namespace": "shop",
            "change": "updated",
            "removed_columns": ["updated_at"],
            "breaking_columns": ["updated_at"],
        }
    ]
    assert receiver.secret_path not in str(alert) and "**********" not in str(alert)

    third = _tick(defs, instance, second.cursor)
    fourth = _tick(defs, instance, third.cursor)
    time.sleep(0.5)
    assert len(receiver.bodies()) == 1  # once, not at every tick
    assert [e for e in [*third.asset_events, *fourth.asset_events]] == []  # state unchanged: not re-reported


def test_schema_change_graph_follows_after_propagation(shop, tmp_path, caplog) -> None:
    server, _ = shop
    set_preference(server, "propagate_fully")
    defs = defs_for(server, tmp_path)  # the first load, as before the change
    server.admin.change_source_schema(
        shop_id(server),
        ADD_COUPON,
        {
            "op": "add_stream",
            "stream": "coupons",
            "columns": {"code": {"type": "string"}},
            "primary_key": ["code"],
        },
        {"op": "remove_stream", "stream": "refunds"},
    )
    assert materialize(
        defs, dg.DagsterInstance.ephemeral(), "orders", "refunds"
    ).success  # Airbyte propagates

    with caplog.at_level(logging.WARNING, logger="dagster_airbyte_ops"):
        reloaded = defs_for(server, tmp_path)  # the next code-location load

    graph = reloaded.resolve_asset_graph()
    keys = {key.path[-1] for key in graph.get_all_asset_keys()}
    assert {"orders", "coupons"} <= keys and "refunds" not in keys
    orders = reloaded.get_assets_def(dg.AssetKey("orders")).specs_by_key[dg.AssetKey("orders")]
    assert "coupon" in [c.name for c in orders.metadata["dagster/column_schema"].columns]
    assert "Airbyte no longer syncs stream(s) refunds (removed since the last load)" in caplog.text
    check_keys = {(k.asset_key.path[-1], k.name) for k in graph.asset_check_keys}
    assert ("coupons", "airbyte_schema") in check_keys and ("coupons", "column_schema_change") in check_keys


def test_schema_change_worked_example_fixed_then_refreshed_passes(shop, tmp_path) -> None:
    """docs/schema-changes.md's worked example: break, fail, restore and enable, refresh, pass."""
    server, db = shop
    defs, instance = defs_for(server, tmp_path), dg.DagsterInstance.ephemeral()
    materialize(defs, instance, "orders", "refunds")
    cid = shop_id(server)
    original = requests.post(
        f"{server.url}/api/v1/connections/get", json={"connectionId": cid}, timeout=10
    ).json()
    column = next(s for s in original["syncCatalog"]["streams"] if s["stream"]["name"] == "orders")["stream"][
        "jsonSchema"
    ]["properties"]["updated_at"]
    server.admin.change_source_schema(cid, DROP_CURSOR)
    assert not materialize(defs, instance, "orders", "refunds", raise_on_error=False).success

    server.admin.change_source_schema(
        cid, {"op": "add_column", "stream": "orders", "column": "updated_at", "schema": column}
    )
    requests.post(
        f"{server.url}/api/v1/connections/update", json={"connectionId": cid, "status": "active"}, timeout=10
    ).raise_for_status()
    result = materialize(defs, instance, "orders", tags={"airbyte/job_type": "refresh"})

    assert check_results(result)["orders"].passed
    metadata = materialization_metadata(result)["orders"]
    assert metadata["airbyte/job_type"].value == "refresh"
    from .conftest import rows

    assert metadata["dagster/row_count"].value == rows(db, "orders")


def test_schema_change_checks_on_every_stream_of_the_demo(emulator, tmp_path, monkeypatch) -> None:
    from pathlib import Path

    from dagster_airbyte_ops.config import load_config
    from dagster_airbyte_ops.definitions import build_definitions

    monkeypatch.setenv("AIRBYTE_URL", emulator.url)
    demo_file = Path(__file__).resolve().parents[2] / "airbyte_ops.yaml"
    defs = build_definitions(load_config(str(demo_file)), snapshot_dir=str(tmp_path / "snapshots"))
    graph = defs.resolve_asset_graph()
    streams = {key for key in graph.get_all_asset_keys() if graph.get(key).is_materializable}
    checked = {
        k.asset_key for k in graph.asset_check_keys if "schema" in k.name and k.name == "airbyte_schema"
    }
    assert len(streams) == 12 and streams <= checked
    assert {k.asset_key for k in graph.asset_check_keys if k.name == "column_schema_change"} >= streams


def test_schema_change_column_schema_change_check_compares_the_last_two_materializations(
    shop, tmp_path
) -> None:
    """Dagster's `column_schema_change` check: passes until the recorded column schema changes, then warns."""
    server, _ = shop
    set_preference(server, "propagate_columns")
    defs = defs_for(server, tmp_path)
    instance = dg.DagsterInstance.ephemeral()

    first = check_results(materialize(defs, instance, "orders", "refunds"), "column_schema_change")
    assert first["orders"].passed and first["refunds"].passed

    server.admin.change_source_schema(shop_id(server), ADD_COUPON)  # propagated by the next sync's discover
    second = check_results(materialize(defs, instance, "orders", "refunds"), "column_schema_change")

    assert (second["orders"].passed, second["orders"].severity) == (False, dg.AssetCheckSeverity.WARN)
    assert "Added columns: coupon" in (second["orders"].description or "")
    assert second["refunds"].passed
    third = check_results(materialize(defs, instance, "orders"), "column_schema_change")
    assert set(third) == {"orders"} and third["orders"].passed


def test_schema_change_checks_off_leaves_no_checks_and_the_tick_reports_none(shop, tmp_path) -> None:
    """`defaults.schema_checks: false`: no check on any stream, syncs record only materializations, and
    the observer's tick evaluates no check (a breaking change still fails the sync and alerts)."""
    import textwrap

    from dagster_airbyte_ops.config import parse_config
    from dagster_airbyte_ops.definitions import build_definitions

    from .conftest import CONFIG

    server, _ = shop
    text = textwrap.dedent(CONFIG).format(url=server.url, api="config", backoff=0.01)
    text += "defaults: {schema_checks: false}\n"
    defs = build_definitions(parse_config(text, "airbyte_ops.yaml"), snapshot_dir=str(tmp_path / "snapshots"))
    assert list(defs.resolve_asset_graph().asset_check_keys) == []
    instance = dg.DagsterInstance.ephemeral()

    result = materialize(defs, instance, "orders", "refunds")
    assert result.success and result.get_asset_check_evaluations() == []
    assert set(materialization_metadata(result)) == {"orders", "refunds"}

    first = _tick(defs, instance, None)
    _drop_cursor_and_discover(server)
    second = _tick(defs, instance, first.cursor)
    assert [e for e in second.asset_events if isinstance(e, dg.AssetCheckEvaluation)] == []
    failed = materialize(defs, instance, "orders", raise_on_error=False)
    assert not failed.success
    message = failed.failure_data_for_node("airbyte_sync_shop_orders_sqlite").error.message
    assert "breaking schema change" in message
