"""Fault matrix, part 3: Airbyte changing under us after the code location loaded.

The definitions are built first (as a code server would), then Airbyte changes: it restarts and forgets
its jobs, a connection is deleted or deactivated, streams are added or removed, or Airbyte is down when
the code location reloads. Each change must end in a clear message or a warning, never a traceback.
"""

from __future__ import annotations

import copy

import dagster as dg
import pytest
import requests

from dagster_airbyte_ops.errors import AirbyteApiError

from .conftest import (
    WhileRunning,
    connection_id,
    definitions_for,
    jobs_of,
    resource_for,
    run_messages,
)

NODE = "airbyte_sync_postgresql_minio"


def _materialize(defs: dg.Definitions) -> tuple[dg.ExecuteInProcessResult, dg.DagsterInstance]:
    instance = dg.DagsterInstance.ephemeral()
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
        instance=instance, raise_on_error=False
    )
    return result, instance


def test_airbyte_restarted_mid_sync_is_a_clear_error(start_emulator, api):
    server = start_emulator()
    conn = connection_id(server)
    server.admin.set_behaviour(conn, duration_s=5.0)
    restart = WhileRunning(server, conn, lambda: server.admin.restart(reset_ids=True))

    with pytest.raises(AirbyteApiError) as raised:
        resource_for(server, api).sync(conn)

    restart.check()
    message = str(raised.value)
    assert "no longer exists (was Airbyte restarted or its job history cleared?)" in message
    assert raised.value.status == 404
    assert jobs_of(server, conn) == []  # and no new job was started behind the user's back


@pytest.mark.parametrize("change", ["deleted", "inactive"])
def test_connection_deleted_or_deactivated_after_load_fails_clearly(start_emulator, api, tmp_path, change):
    server = start_emulator()
    conn = connection_id(server)
    defs = definitions_for(server, api, str(tmp_path))
    client = resource_for(server, "config", max_retries=0).get_client()
    if change == "deleted":
        client.delete_connection(conn)
    else:
        client.update_connection(conn, status="inactive")

    result, _ = _materialize(defs)

    assert not result.success
    failure = result.failure_data_for_node(NODE)
    assert failure is not None
    message = failure.error.message
    assert conn in message
    expected = {
        ("deleted", "config"): "is deprecated; only active connections can be synced",
        ("deleted", "public"): "Could not find a resource for",
        ("inactive", "config"): "is inactive; only active connections can be synced",
        ("inactive", "public"): "is inactive; only active connections can be synced",
    }[(change, api)]
    assert expected in message
    assert "Traceback" not in message and "KeyError" not in message
    assert jobs_of(server, conn) == []


def test_streams_added_or_removed_after_load_warn_not_crash(start_emulator, api, tmp_path):
    server = start_emulator()
    conn = connection_id(server)
    defs = definitions_for(server, api, str(tmp_path))
    current = requests.post(
        f"{server.url}/api/v1/connections/get", json={"connectionId": conn}, timeout=10
    ).json()["syncCatalog"]["streams"]
    removed = current[0]["stream"]["name"]
    added = copy.deepcopy(current[1])
    added["stream"]["name"] = added["config"]["aliasName"] = "refunds"
    update = requests.post(
        f"{server.url}/api/v1/connections/update",
        json={"connectionId": conn, "syncCatalog": {"streams": [*current[1:], added]}},
        timeout=10,
    )
    assert update.ok

    result, instance = _materialize(defs)

    assert result.success
    recorded = {m.asset_key.path[-1] for m in result.asset_materializations_for_node(NODE)}
    loaded = {name["stream"]["name"] for name in current}
    if api == "config":
        # Per-stream figures show the change: warned, and no materialization for the removed stream.
        assert recorded == loaded - {removed}
        log = "\n".join(run_messages(instance, result.run_id))
        assert f"Airbyte no longer syncs stream(s) {removed}; no materialization recorded" in log
        assert "Airbyte also syncs stream(s) refunds, added after the code location loaded" in log
    else:
        # The public API reports job totals only: the change cannot be seen from the job.
        assert recorded == loaded
    [job] = jobs_of(server, conn)
    assert job["status"] == "succeeded"


def test_airbyte_down_at_load_uses_the_snapshot(start_emulator, api, tmp_path, caplog):
    """Both flavours (tests/assets/test_definitions.py: Config API, and the no-snapshot error)."""
    server = start_emulator()
    first = definitions_for(server, api, str(tmp_path))
    keys = set(first.resolve_all_asset_keys())
    server.admin.add_fault("status", path="^/api/", count=1000, status=503)

    second = definitions_for(server, api, str(tmp_path), max_retries=1)

    assert set(second.resolve_all_asset_keys()) == keys
    assert "using the last good catalog snapshot" in caplog.text
    server.admin.clear_faults()
