"""`after:` sensors against the emulator and a real instance: real syncs land (or fail), ticks decide.

Every test materializes upstream assets for real (Airbyte syncs on the emulator, or the user's asset)
and evaluates the sensor with `build_sensor_context`, carrying the cursor from tick to tick as the
daemon does.
"""

# ruff: noqa: E501  (expected messages are kept whole, one per line, to read as the user does)
from __future__ import annotations

import json
import threading
import time

import dagster as dg
import pytest

from dagster_airbyte_ops import Upstream, build_after_sensor
from dagster_airbyte_ops.errors import AirbyteOpsError, ConfigError
from tests.connection_runs import connection_keys

from ._chain_support import (
    CRM,
    MSSQL,
    ORDERS,
    ORDERS_CLEAN,
    PG,
    PG_JOB,
    SHOP,
    Ticker,
    connection_id,
    user_defs,
)

pytestmark = pytest.mark.emulator(default_job_duration_s=0.2)

CHAIN = f"""
connections:
  - name: "{PG}"
  - name: "{MSSQL}"
    after: ["{PG}"]
  - name: "{CRM}"
    after: ["{PG}", "analytics/orders_clean"]
  - name: "{SHOP}"
    after: ["{PG}", "analytics/orders_clean"]
    after_mode: any
"""

MSSQL_SENSOR = "mssql_s3_after_sensor"
CRM_SENSOR = "crm_api_postgres_after_sensor"
SHOP_SENSOR = "shop_orders_sqlite_after_sensor"


#: Also run on PostgreSQL (the rest on SQLite only): the cursor holds event storage ids, and these read
#: them back, compare them across upstreams and with the target's own, and find an upstream run in progress.
POSTGRES_TESTS = {
    "test_b_launches_exactly_once_per_a_success_and_the_cursor_carries_over",
    "test_all_waits_for_every_upstream_including_a_user_asset_key",
    "test_runless_materializations_count_like_synced_ones",
    "test_cursor_is_json_of_consumed_storage_ids",
    "test_first_tick_counts_what_landed_since_the_target_last_ran",
    "test_updates_the_target_already_has_are_consumed_without_a_launch",
    "test_a_tick_in_the_middle_of_an_upstream_run_waits_for_the_run_to_finish",
}


@pytest.fixture
def instance(dagster_instance):
    return dagster_instance


@pytest.fixture
def ticker(emulator, tmp_path, instance) -> Ticker:
    return Ticker(user_defs(emulator, tmp_path, CHAIN), instance)


def _launched(result) -> list[dg.RunRequest]:
    return list(result.run_requests or [])


def test_one_running_sensor_per_after_entry_targeting_the_connection_job(ticker):
    repo = ticker.defs.get_repository_def()
    sensors = {s.name: s for s in repo.sensor_defs}

    assert {MSSQL_SENSOR, CRM_SENSOR, SHOP_SENSOR} <= set(sensors)
    assert all(
        sensors[n].default_status == dg.DefaultSensorStatus.RUNNING for n in (MSSQL_SENSOR, SHOP_SENSOR)
    )
    assert sensors[MSSQL_SENSOR].job_name == "airbyte_sync_job"  # runs of it select MSSQL's streams
    assert sensors[MSSQL_SENSOR].description == (
        f"Launches the sync of “{MSSQL}” (job airbyte_sync_job, its streams) once each time “{PG}” "
        "(any of its 4 streams) has a new materialization since its last launch. Failed syncs record "
        "no materialization and never count; materializations reported without a run (observed or "
        "deferred syncs) do."
    )
    assert sensors[CRM_SENSOR].description.startswith(
        f"Launches the sync of “{CRM}” (job airbyte_sync_job, its streams) once each time all of "
        f"“{PG}” (any of its 4 streams) and analytics/orders_clean have new materializations"
    )
    assert "any of “PostgreSQL → MinIO” (any of its 4 streams) or analytics/orders_clean has" in (
        sensors[SHOP_SENSOR].description
    )


def test_b_launches_exactly_once_per_a_success_and_the_cursor_carries_over(ticker, emulator):
    first = ticker.tick(MSSQL_SENSOR)
    assert _launched(first) == []
    assert first.skip_message == f"waiting for “{PG}” (not yet)"

    ticker.materialize_job(PG_JOB)
    [request] = _launched(ticker.tick(MSSQL_SENSOR))
    assert _launched(ticker.tick(MSSQL_SENSOR)) == []  # the same success never counts twice
    assert _launched(ticker.tick(MSSQL_SENSOR)) == []

    ticker.materialize_job(PG_JOB)
    [second] = _launched(ticker.tick(MSSQL_SENSOR))
    assert second.run_key != request.run_key
    assert _launched(ticker.tick(MSSQL_SENSOR)) == []

    # The request runs B's job: one Airbyte sync of MSSQL → S3.
    assert ticker.launch(second, ticker.sensor(MSSQL_SENSOR).job_name).success
    mssql_id = connection_id(ticker.defs, dg.AssetKey(["mssql", "mssql_invoices"]))
    assert [j["connectionId"] for j in emulator.admin.jobs()].count(mssql_id) == 1


def test_a_failed_upstream_sync_does_not_trigger(ticker, emulator):
    ticker.tick(MSSQL_SENSOR)
    emulator.admin.set_behaviour(connection_id(ticker.defs, ORDERS), outcome="failed", duration_s=0.2)

    ticker.materialize_job(PG_JOB, succeed=False)

    failed = ticker.tick(MSSQL_SENSOR)
    assert _launched(failed) == []
    assert failed.skip_message == f"waiting for “{PG}” (not yet)"

    emulator.admin.set_behaviour(connection_id(ticker.defs, ORDERS), outcome="succeeded", duration_s=0.2)
    ticker.materialize_job(PG_JOB)
    assert len(_launched(ticker.tick(MSSQL_SENSOR))) == 1


def test_all_waits_for_every_upstream_including_a_user_asset_key(ticker):
    ticker.tick(CRM_SENSOR)

    ticker.materialize_job(PG_JOB)
    waiting = ticker.tick(CRM_SENSOR)
    assert _launched(waiting) == []
    assert waiting.skip_message == f"waiting for “{PG}” (updated) and analytics/orders_clean (not yet)"

    ticker.materialize_job(PG_JOB)  # a second PG success before the other upstream: still one launch
    assert _launched(ticker.tick(CRM_SENSOR)) == []

    ticker.materialize(ORDERS_CLEAN)
    [request] = _launched(ticker.tick(CRM_SENSOR))
    assert request.job_name in (None, "airbyte_sync_job")
    assert request.tags["airbyte/connection_name"] == CRM  # the run is found by its connection's tag
    assert set(request.asset_selection or ()) == set(
        connection_keys(ticker.defs, "airbyte_sync_crm_api_postgres")
    )
    after = ticker.tick(CRM_SENSOR)
    assert after.skip_message == f"waiting for “{PG}” (not yet) and analytics/orders_clean (not yet)"


def test_any_launches_on_each_upstream_update(ticker):
    ticker.tick(SHOP_SENSOR)

    ticker.materialize_job(PG_JOB)
    assert len(_launched(ticker.tick(SHOP_SENSOR))) == 1
    skipped = ticker.tick(SHOP_SENSOR)
    assert skipped.skip_message == (
        f"waiting for “{PG}” or analytics/orders_clean (none updated since the last launch)"
    )

    ticker.materialize(ORDERS_CLEAN)
    assert len(_launched(ticker.tick(SHOP_SENSOR))) == 1
    assert _launched(ticker.tick(SHOP_SENSOR)) == []


def test_runless_materializations_count_like_synced_ones(ticker):
    ticker.tick(MSSQL_SENSOR)

    # What the observer and deferred-mode sensors record: a materialization without a run.
    ticker.instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=ORDERS))

    assert len(_launched(ticker.tick(MSSQL_SENSOR))) == 1
    assert _launched(ticker.tick(MSSQL_SENSOR)) == []


def test_a_retried_tick_asks_for_the_same_run_key(ticker):
    ticker.tick(MSSQL_SENSOR)
    ticker.materialize_job(PG_JOB)
    before = ticker.cursors[MSSQL_SENSOR]

    [first] = _launched(ticker.tick(MSSQL_SENSOR))
    ticker.cursors[MSSQL_SENSOR] = before  # the tick's cursor was lost after its run was launched
    [retried] = _launched(ticker.tick(MSSQL_SENSOR))

    assert retried.run_key == first.run_key  # so Dagster launches it only once


def test_cursor_is_json_of_consumed_storage_ids(ticker):
    ticker.tick(MSSQL_SENSOR)
    ticker.materialize_job(PG_JOB)
    [request] = _launched(ticker.tick(MSSQL_SENSOR))

    cursor = json.loads(ticker.cursors[MSSQL_SENSOR])
    pg_streams = dg.AssetSelection.groups("postgresql_minio").resolve(
        ticker.defs.get_repository_def().asset_graph
    )
    assert len(pg_streams) == 4
    latest = max(
        r.asset_entry.last_materialization_storage_id
        for r in ticker.instance.get_asset_records(list(pg_streams))
    )
    assert cursor == {"v": 1, "consumed": {f"“{PG}”": latest}}
    assert request.run_key == str(latest)


def test_each_tick_reads_the_instance_once_whatever_the_history(ticker, monkeypatch):
    ticker.tick(MSSQL_SENSOR)
    for _ in range(200):
        ticker.instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=ORDERS))
    calls: list[str] = []
    real = ticker.instance.get_asset_records

    def counted(*args, **kwargs):
        calls.append("get_asset_records")
        return real(*args, **kwargs)

    monkeypatch.setattr(ticker.instance, "get_asset_records", counted)
    for method in ("fetch_materializations", "get_event_records", "get_run_records", "get_runs"):
        monkeypatch.setattr(ticker.instance, method, lambda *a, **k: pytest.fail("history scanned"))

    assert len(_launched(ticker.tick(MSSQL_SENSOR))) == 1  # 200 updates since the last tick: one launch
    assert calls == ["get_asset_records"]


def test_first_tick_counts_what_landed_since_the_target_last_ran(
    emulator, tmp_path, instance, another_dagster_instance
):
    defs = user_defs(emulator, tmp_path, CHAIN)
    behind = Ticker(defs, instance)
    behind.materialize_job(PG_JOB)
    assert len(_launched(behind.tick(MSSQL_SENSOR))) == 1  # MSSQL never ran since PG landed

    caught_up = Ticker(defs, another_dagster_instance())
    caught_up.materialize_job(PG_JOB)
    caught_up.materialize_job("airbyte_sync_mssql_s3_job")
    assert _launched(caught_up.tick(MSSQL_SENSOR)) == []  # MSSQL already ran after PG


def test_a_cursor_from_elsewhere_is_a_clear_error(ticker):
    ticker.cursors[MSSQL_SENSOR] = "1234"
    with pytest.raises(AirbyteOpsError) as caught:
        ticker.tick(MSSQL_SENSOR)
    assert str(caught.value) == (
        "sensor mssql_s3_after_sensor: cursor '1234' is not one this sensor wrote ('int' object is not "
        "subscriptable); clear it with `dagster sensor cursor mssql_s3_after_sensor --delete` (the next "
        "tick then counts what landed since the target last ran)"
    )


def test_build_after_sensor_from_python_waits_for_asset_keys(ticker):
    sensor = build_after_sensor(
        name="orders_then_clean",
        upstreams=[Upstream.asset("public/orders"), Upstream.asset(ORDERS_CLEAN)],
        asset_selection=dg.AssetSelection.assets(["analytics", "daily_revenue"]),
    )
    defs = dg.Definitions.merge(ticker.defs, dg.Definitions(sensors=[sensor]))
    python = Ticker(defs, ticker.instance)

    assert python.tick("orders_then_clean").skip_message == (
        "waiting for public/orders (not yet) and analytics/orders_clean (not yet)"
    )
    ticker.materialize_job(PG_JOB)
    ticker.materialize(ORDERS_CLEAN)
    [request] = _launched(python.tick("orders_then_clean"))
    assert request.asset_selection == [dg.AssetKey(["analytics", "daily_revenue"])]


# ---- configuration errors that need the catalog (stream keys) --------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param(
            f'connections:\n  - name: "{PG}"\n    after: ["public/orders"]\n',
            'airbyte_ops.yaml: connections[0].after: "PostgreSQL → MinIO" waits for itself (asset keys count as their connection); remove one of these after: entries',
            id="after-own-stream-key",
        ),
        pytest.param(
            f'connections:\n  - name: "{PG}"\n    after: ["mssql/mssql_invoices"]\n  - name: "{MSSQL}"\n    after: ["{PG}"]\n',
            'airbyte_ops.yaml: connections[0].after: cycle between connections: "PostgreSQL → MinIO" → "MSSQL → S3" → "PostgreSQL → MinIO" (asset keys count as their connection); remove one of these after: entries',
            id="after-cycle-through-stream-key",
        ),
        pytest.param(
            f'connections:\n  - name: "{PG}"\n  - name: "{MSSQL}"\n    after: ["{PG}"]\ndownstream:\n  - {{name: mssql_s3_after_sensor, when: ["{PG}"], groups: [analytics]}}\n',
            'airbyte_ops.yaml: downstream[0]: sensor name "mssql_s3_after_sensor" is already used by connections[1] (“MSSQL → S3”); rename the downstream item (or one of the connections in Airbyte)',
            id="sensor-name-taken",
        ),
    ],
)
def test_config_errors_found_with_the_catalog(emulator, tmp_path, body, message):
    with pytest.raises(ConfigError) as caught:
        user_defs(emulator, tmp_path, body)
    assert str(caught.value) == message


def test_after_unknown_connection_is_reported_at_load(emulator, tmp_path):
    body = f'connections:\n  - name: "{MSSQL}"\n    after: ["{PG}"]\n'
    with pytest.raises(ConfigError) as caught:
        user_defs(emulator, tmp_path, body)
    assert str(caught.value) == (
        'airbyte_ops.yaml: connections[0].after: "PostgreSQL → MinIO" is neither a selected connection nor '
        'an asset key; select it under connections:, or write an asset key with "/" (e.g. "analytics/orders")'
    )


def test_an_upstream_key_nobody_defines_is_named_in_the_skip_message(emulator, tmp_path, instance):
    body = (
        f'connections:\n  - name: "{PG}"\n  - name: "{MSSQL}"\n    after: ["{PG}", "analytics/orders_clen"]\n'
    )
    ticker = Ticker(user_defs(emulator, tmp_path, body), instance)
    ticker.materialize_job(PG_JOB)

    waiting = ticker.tick(MSSQL_SENSOR)

    assert _launched(waiting) == []
    assert waiting.skip_message == (
        f"waiting for “{PG}” (updated) and analytics/orders_clen (not yet: never materialized, and no "
        "asset of this code location has that key)"
    )


def test_updates_the_target_already_has_are_consumed_without_a_launch(ticker):
    ticker.tick(MSSQL_SENSOR)
    ticker.materialize_job(PG_JOB)
    ticker.materialize_job("airbyte_sync_mssql_s3_job")  # MSSQL synced on its own after PG landed

    caught_up = ticker.tick(MSSQL_SENSOR)

    assert _launched(caught_up) == []
    assert caught_up.skip_message == (
        f"“{PG}” updated, but the target has materialized since; nothing to launch"
    )
    ticker.materialize_job(PG_JOB)
    assert len(_launched(ticker.tick(MSSQL_SENSOR))) == 1


# ---- a run that records its materializations one after the other ------------------------------

FIRST, SECOND = dg.AssetKey(["raw", "first"]), dg.AssetKey(["raw", "second"])
released = threading.Event()


@dg.multi_asset(specs=[dg.AssetSpec(FIRST), dg.AssetSpec(SECOND)])
def two_tables():
    """Like a connection's multi-asset: one run, two materializations recorded some time apart."""
    yield dg.MaterializeResult(asset_key=FIRST)
    assert released.wait(timeout=60), "the test never released the second table"
    yield dg.MaterializeResult(asset_key=SECOND)


@dg.asset(deps=[FIRST, SECOND])
def report() -> None:
    """Built from both tables."""


def test_a_tick_in_the_middle_of_an_upstream_run_waits_for_the_run_to_finish(instance):
    sensor = build_after_sensor(
        name="report_after_tables",
        upstreams=[Upstream("raw tables", (FIRST, SECOND))],
        asset_selection=dg.AssetSelection.assets(report),
    )
    ticker = Ticker(dg.Definitions(assets=[two_tables, report], sensors=[sensor]), instance)
    ticker.tick("report_after_tables")
    released.clear()
    run = threading.Thread(target=lambda: dg.materialize([two_tables], instance=instance), daemon=True)
    run.start()
    deadline = time.monotonic() + 60
    while instance.get_latest_materialization_event(FIRST) is None:
        assert time.monotonic() < deadline, "the first table never materialized"
        time.sleep(0.05)

    midway = ticker.tick("report_after_tables")
    assert _launched(midway) == []
    assert midway.skip_message == "waiting for raw tables (landing: its run is still in progress)"

    released.set()
    run.join(timeout=60)
    assert not run.is_alive()
    assert len(_launched(ticker.tick("report_after_tables"))) == 1  # once for the whole run
    assert _launched(ticker.tick("report_after_tables")) == []
