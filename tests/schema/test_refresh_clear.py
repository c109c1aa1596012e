"""Refresh and clear from Dagster (run tags on the connection's assets) and from the CLI, on both APIs,
with the Local SQLite destination's rows checked."""

from __future__ import annotations

import dagster as dg
import pytest

from dagster_airbyte_ops.cli import main

from .conftest import CONFIG, defs_for, distinct_ids, materialization_metadata, materialize, rows

REFRESH = {"airbyte/job_type": "refresh"}


def _sync_twice(defs, instance):
    materialize(defs, instance, "orders", "refunds")
    materialize(defs, instance, "orders", "refunds")


def test_refresh_truncate_of_a_subset_rewrites_the_stream_from_the_run_tags(shop, tmp_path) -> None:
    server, db = shop
    defs, instance = defs_for(server, tmp_path), dg.DagsterInstance.ephemeral()
    _sync_twice(defs, instance)
    # Incremental append: changed orders came twice, so the table holds duplicates.
    assert rows(db, "orders") > distinct_ids(db, "orders")
    refunds = rows(db, "refunds")

    result = materialize(defs, instance, "orders", tags=REFRESH)

    assert result.success
    metadata = materialization_metadata(result)
    assert set(metadata) == {"orders"}  # only the selected stream is recorded
    orders = metadata["orders"]
    assert orders["airbyte/job_type"].value == "refresh"
    assert orders["airbyte/refresh_mode"].value == "truncate"
    # Truncate: the table now holds exactly the source's rows, read from scratch, and Dagster says so.
    assert orders["dagster/row_count"].value == rows(db, "orders") == distinct_ids(db, "orders")
    assert rows(db, "refunds") >= refunds
    [job] = [j for j in server.admin.jobs() if j["configType"] == "refresh"]
    assert job["status"] == "succeeded"


def test_refresh_merge_adds_the_reread_rows(shop, tmp_path) -> None:
    server, db = shop
    defs, instance = defs_for(server, tmp_path), dg.DagsterInstance.ephemeral()
    materialize(defs, instance, "orders", "refunds")
    before = rows(db, "orders")

    result = materialize(
        defs, instance, "orders", "refunds", tags={**REFRESH, "airbyte/refresh_mode": "merge"}
    )

    metadata = materialization_metadata(result)
    assert metadata["orders"]["airbyte/refresh_mode"].value == "merge"
    assert rows(db, "orders") == before + metadata["orders"]["dagster/row_count"].value


def test_every_check_result_of_a_refresh_names_the_materialization_of_its_run(shop, tmp_path) -> None:
    # A refresh records its streams as the sync step does, reading the check targets of all of them
    # at once after recording them (execution/dagster_internals.prefetch_check_targets): each must
    # be this run's own, not the sync's before it.
    server, _ = shop
    defs, instance = defs_for(server, tmp_path), dg.DagsterInstance.ephemeral()
    materialize(defs, instance, "orders", "refunds")

    result = materialize(defs, instance, "orders", "refunds", tags=REFRESH)

    assert result.success
    evaluations = result.get_asset_check_evaluations()
    assert sorted((e.asset_key.path[-1], e.check_name) for e in evaluations) == [
        ("orders", "airbyte_schema"),
        ("orders", "column_schema_change"),
        ("refunds", "airbyte_schema"),
        ("refunds", "column_schema_change"),
    ]
    for evaluation in evaluations:
        [latest] = instance.fetch_materializations(evaluation.asset_key, limit=1).records
        target = evaluation.target_materialization_data
        assert latest.run_id == result.run_id
        assert target is not None, evaluation.check_name
        assert (target.run_id, target.storage_id) == (result.run_id, latest.storage_id), evaluation.check_name


@pytest.mark.parametrize("api", ["config", "public"])
def test_clear_empties_the_tables_and_records_no_rows(shop, tmp_path, api) -> None:
    server, db = shop
    defs, instance = defs_for(server, tmp_path, api=api), dg.DagsterInstance.ephemeral()
    materialize(defs, instance, "orders", "refunds")
    assert rows(db, "orders") > 0

    result = materialize(defs, instance, "orders", "refunds", tags={"airbyte/job_type": "clear"})

    assert result.success
    assert result.get_asset_materialization_events() == []  # a clear writes no rows: no materialization
    observed = {
        e.asset_key.path[-1]: e.event_specific_data.asset_observation.metadata
        for e in result.get_asset_observation_events()
    }
    assert set(observed) == {"orders", "refunds"}
    assert observed["orders"]["airbyte/job_type"].value == "reset"
    assert "no rows written" in observed["orders"]["airbyte/cleared"].value
    assert "dagster/row_count" not in observed["orders"]
    assert rows(db, "orders") == 0 and rows(db, "refunds") == 0
    # The state was reset: the next incremental sync reads every source row again.
    again = materialization_metadata(materialize(defs, instance, "orders", "refunds"))
    assert rows(db, "orders") == distinct_ids(db, "orders") >= 240
    if api == "config":  # per-stream counts exist on the Config API only
        assert again["orders"]["dagster/row_count"].value == rows(db, "orders")


def test_clear_of_one_stream_on_the_config_api(shop, tmp_path) -> None:
    server, db = shop
    defs, instance = defs_for(server, tmp_path), dg.DagsterInstance.ephemeral()
    materialize(defs, instance, "orders", "refunds")
    refunds = rows(db, "refunds")

    result = materialize(defs, instance, "orders", tags={"airbyte/job_type": "clear"})

    assert {e.asset_key.path[-1] for e in result.get_asset_observation_events()} == {"orders"}
    assert rows(db, "orders") == 0 and rows(db, "refunds") == refunds


def test_refresh_on_the_public_api_fails_before_anything_is_triggered(shop, tmp_path) -> None:
    server, _ = shop
    defs = defs_for(server, tmp_path, api="public")
    server.admin.clear_requests()

    result = materialize(defs, dg.DagsterInstance.ephemeral(), "orders", tags=REFRESH, raise_on_error=False)

    assert not result.success
    message = result.failure_data_for_node("airbyte_sync_shop_orders_sqlite").error.message
    assert "Refreshes are not supported in the public API" in message and "Nothing was triggered" in message
    assert "api: config" in message
    assert server.admin.jobs() == []
    assert not [r for r in server.admin.requests() if r["method"] == "POST" and r["path"].endswith("/jobs")]


def test_a_bad_job_type_tag_is_a_clear_error(shop, tmp_path) -> None:
    server, _ = shop
    result = materialize(
        defs_for(server, tmp_path),
        dg.DagsterInstance.ephemeral(),
        "orders",
        tags={"airbyte/job_type": "resync"},
        raise_on_error=False,
    )
    message = result.failure_data_for_node("airbyte_sync_shop_orders_sqlite").error.message
    assert "run tag airbyte/job_type: 'resync' is not one of sync, refresh, clear" in message
    assert server.admin.jobs() == []


@pytest.fixture
def cli_env(shop, tmp_path, monkeypatch):
    server, db = shop

    def use(api: str) -> None:
        path = tmp_path / f"airbyte_ops_{api}.yaml"
        path.write_text(CONFIG.format(url=server.url, api=api, backoff=0.01))
        monkeypatch.setenv("AIRBYTE_OPS_CONFIG", str(path))

    return server, db, use


def test_cli_refresh_and_clear_on_the_config_api(cli_env, capsys) -> None:
    _, db, use = cli_env
    use("config")
    assert main(["sync", "Shop Orders → SQLite"]) == 0
    assert main(["sync", "Shop Orders → SQLite"]) == 0
    assert rows(db, "orders") > distinct_ids(db, "orders")
    capsys.readouterr()

    assert main(["refresh", "Shop Orders → SQLite", "--streams", "orders", "--mode", "truncate"]) == 0
    out = capsys.readouterr().out
    assert f"  orders: {rows(db, 'orders')} rows" in out and rows(db, "orders") == distinct_ids(db, "orders")
    assert "Shop Orders → SQLite: refresh job" in out and "succeeded" in out

    assert main(["clear", "Shop Orders → SQLite", "--streams", "orders"]) == 0
    out = capsys.readouterr().out
    assert "orders: data deleted, state reset (no rows written)" in out and "reset job" in out
    assert rows(db, "orders") == 0 and rows(db, "refunds") > 0


def test_cli_on_the_public_api_clears_all_and_refuses_a_refresh(cli_env, capsys) -> None:
    server, db, use = cli_env
    use("public")
    assert main(["sync", "Shop Orders → SQLite"]) == 0
    capsys.readouterr()

    assert main(["refresh", "Shop Orders → SQLite"]) == 1
    err = capsys.readouterr().err
    assert "Refreshes are not supported in the public API" in err and "Traceback" not in err
    assert main(["clear", "Shop Orders → SQLite", "--streams", "orders"]) == 1
    assert "Cannot clear only some streams" in capsys.readouterr().err
    assert [j["configType"] for j in server.admin.jobs()] == ["sync"]  # neither triggered anything

    assert main(["clear", "Shop Orders → SQLite"]) == 0
    assert rows(db, "orders") == 0 and rows(db, "refunds") == 0


def test_cli_refresh_names_an_unknown_stream(cli_env, capsys) -> None:
    _, _, use = cli_env
    use("config")
    assert main(["refresh", "Shop Orders → SQLite", "--streams", "order"]) == 1
    assert "--streams: order not in connection Shop Orders → SQLite (its streams: orders, refunds)" in (
        capsys.readouterr().err
    )
