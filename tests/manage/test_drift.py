"""Drift checks: after a change made in Airbyte behind the file's back, the declared connection's
check fails naming what differs, with no secret in its metadata."""

from __future__ import annotations

import dagster as dg
import pytest

from dagster_airbyte_ops.config import load_config
from dagster_airbyte_ops.definitions import build_definitions
from tests.emulator.helpers import config_post
from tests.manage.helpers import PG_PASSWORD, declarations


def _run_checks(config_path):
    defs = build_definitions(load_config(config_path))
    job = dg.define_asset_job("drift_only", selection=dg.AssetSelection.all_asset_checks())
    defs = dg.Definitions.merge(defs, dg.Definitions(jobs=[job]))
    result = defs.resolve_job_def("drift_only").execute_in_process(raise_on_error=False)
    evaluations = [
        e.event_specific_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
        and e.event_specific_data.check_name == "matches_airbyte_ops_yaml"
    ]
    return evaluations


@pytest.mark.parametrize("managed", ["config", "public"], indirect=True)
def test_drift_check_passes_then_fails_after_a_change_behind_the_files_back(managed):
    server, runner = managed
    data = declarations()
    data["connections"][0]["declare"]["streams"] = [
        {"name": "customers", "sync_mode": "full_refresh_overwrite"}
    ]
    runner.write(data)
    assert runner.run("apply", "--yes")[0] == 0
    (before,) = _run_checks(runner.path)
    assert before.passed

    (conn,) = server.state.live_connections()
    read = config_post(server.url, "connections/get", {"connectionId": conn.connection_id}).json()
    read["syncCatalog"]["streams"][0]["config"]["destinationSyncMode"] = "append"
    body = {"connectionId": conn.connection_id, "prefix": "ui_", "syncCatalog": read["syncCatalog"]}
    assert config_post(server.url, "connections/update", body).ok
    source = next(a for a in server.state.actors.values() if a.kind == "source")
    patch = {"sourceId": source.actor_id, "connectionConfiguration": {"host": "changed.internal"}}
    assert config_post(server.url, "sources/partial_update", patch).ok

    (after,) = _run_checks(runner.path)
    assert not after.passed
    text = after.metadata["differences"].value
    assert 'connection "Shop → SQLite": prefix: "ui_" -> "shop_"' in text
    assert (
        'connection "Shop → SQLite": streams.customers.sync_mode: '
        '"full_refresh_append" -> "full_refresh_overwrite"' in text
    )
    assert 'source "Shop Postgres": host: "changed.internal" -> "db.internal"' in text
    assert PG_PASSWORD not in text and "**********" not in text
    # Apply restores the file's truth, and the check passes again.
    assert runner.run("plan")[0] == 2
    assert runner.run("apply", "--yes")[0] == 0
    (restored,) = _run_checks(runner.path)
    assert restored.passed
