"""`downstream:` sensors and the declarative-automation alternative, against the emulator in a real instance.

The user's assets live in their own `Definitions`, merged with `build_definitions(config)`, and depend on
stream assets with plain `deps=`; syncs really run on the emulator before each tick.
"""

# ruff: noqa: E501  (expected messages are kept whole, one per line, to read as the user does)
from __future__ import annotations

import dagster as dg
import pytest

from dagster_airbyte_ops.errors import ConfigError

from ._chain_support import (
    MSSQL,
    ORDERS,
    ORDERS_CLEAN,
    PG,
    PG_JOB,
    Ticker,
    connection_id,
    user_defs,
)

pytestmark = pytest.mark.emulator(default_job_duration_s=0.2)

MSSQL_JOB = "airbyte_sync_mssql_s3_job"
DAILY_REVENUE = dg.AssetKey(["analytics", "daily_revenue"])

DOWNSTREAM = f"""
connections:
  - name: "{PG}"
  - name: "{MSSQL}"
downstream:
  - name: revenue_after_orders
    when: ["{PG}", "{MSSQL}"]
    groups: [analytics]
  - name: clean_orders
    when: ["{PG}"]
    assets: ["analytics/orders_clean"]
  - name: revenue_chain
    when: ["{PG}"]
    select: "key:analytics/orders_clean+"
"""


#: Also run on PostgreSQL (the rest on SQLite only): launches decided from stored materializations,
#: failed runs, runless events, and Dagster's own automation cursor over the same storage.
POSTGRES_TESTS = {
    "test_selection_launches_when_every_connection_has_landed",
    "test_a_runless_materialization_of_the_streams_counts",
    "test_eager_automation_requests_the_user_asset_after_a_stream_lands",
}


@pytest.fixture
def instance(dagster_instance):
    return dagster_instance


@pytest.fixture
def ticker(emulator, tmp_path, instance) -> Ticker:
    return Ticker(user_defs(emulator, tmp_path, DOWNSTREAM), instance)


def _launched(result) -> list[dg.RunRequest]:
    return list(result.run_requests or [])


def test_user_assets_with_deps_show_lineage_from_stream_assets(ticker):
    graph = ticker.defs.get_repository_def().asset_graph

    assert graph.get(ORDERS_CLEAN).parent_keys == {ORDERS}
    assert ORDERS_CLEAN in graph.get(ORDERS).child_keys


def test_one_running_sensor_per_downstream_item_with_its_target(ticker):
    sensors = {s.name: s for s in ticker.defs.get_repository_def().sensor_defs}

    revenue = sensors["revenue_after_orders"]
    assert revenue.default_status == dg.DefaultSensorStatus.RUNNING
    assert revenue.description == (
        f"Launches downstream[0] (groups analytics) once each time all of “{PG}” (any of its 4 streams) "
        f"and “{MSSQL}” (any of its 3 streams) have new materializations since its last launch. Failed "
        "syncs record no materialization and never count; materializations reported without a run "
        "(observed or deferred syncs) do."
    )
    assert revenue.asset_selection == dg.AssetSelection.groups("analytics")


def test_selection_launches_when_every_connection_has_landed(ticker, emulator):
    first = ticker.tick("revenue_after_orders")
    assert _launched(first) == []
    assert first.skip_message == f"waiting for “{PG}” (not yet) and “{MSSQL}” (not yet)"

    ticker.materialize_job(PG_JOB)
    assert ticker.tick("revenue_after_orders").skip_message == (
        f"waiting for “{PG}” (updated) and “{MSSQL}” (not yet)"
    )

    emulator.admin.set_behaviour(
        connection_id(ticker.defs, dg.AssetKey(["mssql", "mssql_invoices"])), outcome="failed", duration_s=0.2
    )
    ticker.materialize_job(MSSQL_JOB, succeed=False)  # a failed sync has not landed
    assert _launched(ticker.tick("revenue_after_orders")) == []

    emulator.admin.set_behaviour(
        connection_id(ticker.defs, dg.AssetKey(["mssql", "mssql_invoices"])),
        outcome="succeeded",
        duration_s=0.2,
    )
    ticker.materialize_job(MSSQL_JOB)
    [request] = _launched(ticker.tick("revenue_after_orders"))
    assert request.asset_selection == [DAILY_REVENUE, ORDERS_CLEAN]
    assert _launched(ticker.tick("revenue_after_orders")) == []

    run = ticker.launch(request)  # what the daemon launches materializes exactly the selection
    assert run.success
    assert {e.asset_key for e in run.get_asset_materialization_events()} == {ORDERS_CLEAN, DAILY_REVENUE}


@pytest.mark.parametrize(
    ("sensor", "selected"),
    [("clean_orders", [ORDERS_CLEAN]), ("revenue_chain", [DAILY_REVENUE, ORDERS_CLEAN])],
    ids=["assets", "select"],
)
def test_assets_and_select_targets(ticker, sensor, selected):
    ticker.tick(sensor)
    ticker.materialize_job(PG_JOB)

    [request] = _launched(ticker.tick(sensor))

    assert request.asset_selection == selected


def test_a_runless_materialization_of_the_streams_counts(ticker):
    ticker.tick("clean_orders")
    ticker.instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=ORDERS))

    assert len(_launched(ticker.tick("clean_orders"))) == 1


BAD_TARGETS = [
    pytest.param(
        'assets: ["analytics/orders_clen", "reports/weekly"]',
        'airbyte_ops.yaml: downstream[0].assets: "analytics/orders_clen" is not an asset of this code location; did you mean "analytics/orders_clean"?\n'
        'airbyte_ops.yaml: downstream[0].assets: "reports/weekly" is not an asset of this code location; define it in the Definitions you merge with build_definitions(...), or fix the name',
        id="unknown-keys",
    ),
    pytest.param(
        "groups: [analytcs]",
        'airbyte_ops.yaml: downstream[0].groups: no asset of this code location is in group "analytcs"; did you mean "analytics"?',
        id="unknown-group",
    ),
    pytest.param(
        'select: "key:analytics/orders_clean or group:finance"',
        'airbyte_ops.yaml: downstream[0].select: no asset of this code location is in group "finance"; define it in the Definitions you merge with build_definitions(...), or fix the name',
        id="unknown-group-in-select",
    ),
    pytest.param(
        'select: "tag:team=finance"',
        'airbyte_ops.yaml: downstream[0].select: selects no asset that Dagster can run in this code location; define the assets in the Definitions you merge with build_definitions(...), or fix the selection (the UI\'s asset filter shows what a selection like "group:analytics" matches)',
        id="empty-select",
    ),
    pytest.param(
        'select: "key:public/orders+"',
        'airbyte_ops.yaml: downstream[0].select: selects "public/orders", which the sensor also waits for, so each run would trigger the next; narrow the selection to the assets downstream of the syncs',
        id="selection-includes-a-when-stream",
    ),
]


@pytest.mark.parametrize(("target", "message"), BAD_TARGETS)
def test_a_target_the_code_location_cannot_run_fails_the_tick_clearly(
    emulator, tmp_path, instance, target, message
):
    body = f'connections: [{{name: "{PG}"}}]\ndownstream:\n  - {{name: revenue, when: ["{PG}"], {target}}}\n'
    ticker = Ticker(user_defs(emulator, tmp_path, body), instance)

    with pytest.raises(ConfigError) as caught:
        ticker.tick("revenue")

    assert str(caught.value) == message


def test_an_unknown_when_connection_is_a_load_error(emulator, tmp_path):
    body = f'connections: [{{name: "{PG}"}}]\ndownstream:\n  - {{name: revenue, when: ["{MSSQL}"], groups: [analytics]}}\n'

    with pytest.raises(ConfigError) as caught:
        user_defs(emulator, tmp_path, body)

    assert str(caught.value) == (
        'airbyte_ops.yaml: downstream[0].when: "MSSQL → S3" is not a selected connection; list it under connections: first'
    )


# ---- the declarative alternative: AutomationCondition on the user's assets ----------------------


@dg.asset(
    key=["analytics", "orders_eager"],
    deps=[ORDERS],
    group_name="analytics",
    automation_condition=dg.AutomationCondition.eager(),
)
def orders_eager() -> None:
    """Rebuilt whenever the synced orders table lands (Dagster's automation sensor requests it)."""


@pytest.mark.filterwarnings("ignore::dagster.BetaWarning")  # raised inside Dagster's own tester
def test_eager_automation_requests_the_user_asset_after_a_stream_lands(emulator, tmp_path, instance):
    defs = user_defs(emulator, tmp_path, f'connections: [{{name: "{PG}"}}]\n', assets=[orders_eager])
    eager = dg.AssetKey(["analytics", "orders_eager"])

    quiet = dg.evaluate_automation_conditions(defs=defs, instance=instance)
    assert quiet.get_num_requested(eager) == 0  # the stream has never landed

    Ticker(defs, instance).materialize_job(PG_JOB)
    landed = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=quiet.cursor)
    assert landed.get_num_requested(eager) == 1

    again = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=landed.cursor)
    assert again.get_num_requested(eager) == 0  # requested once per landing, not on every tick
