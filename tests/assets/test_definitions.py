"""Definitions from airbyte_ops.yaml over HTTP against the emulator, materialized in a real instance."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import dagster as dg
import pytest

from dagster_airbyte_ops.assets.translator import AirbyteTranslator
from dagster_airbyte_ops.config import parse_config
from dagster_airbyte_ops.definitions import build_definitions
from dagster_airbyte_ops.errors import ConfigError

DEMO_CONFIG = """
airbyte:
  url: "{url}"
  api: {api}
  retry_backoff_s: 0.01
  poll_interval_s: 0.2
connections:
  - name: "PostgreSQL → MinIO"
  - name: "MSSQL → S3"
  - name: "CRM API → Postgres"
  - name: "Shop Orders → SQLite"
"""

APIS = ["config", "public"]


def _defs(emulator, tmp_path: Path, api: str = "config", text: str = DEMO_CONFIG) -> dg.Definitions:
    config = parse_config(textwrap.dedent(text).format(url=emulator.url, api=api), "airbyte_ops.yaml")
    return build_definitions(config, snapshot_dir=str(tmp_path / "snapshots"))


def _asset_graph(defs: dg.Definitions):
    return defs.get_repository_def().asset_graph


@pytest.mark.parametrize("api", APIS)
def test_keys_groups_and_kinds_follow_airbyte_namespace_rules(emulator, tmp_path, api):
    graph = _asset_graph(_defs(emulator, tmp_path, api))
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}

    # source namespace; destination default (bucket path) with stream prefix; custom format.
    assert "public/customers" in keys
    assert "mssql/mssql_invoices" in keys
    assert "crm_crm/contacts" in keys
    node = graph.get(dg.AssetKey(["public", "customers"]))
    assert node.group_name == "postgresql_minio"
    assert node.kinds == {"airbyte", "s3"}
    metadata = node.metadata
    assert metadata["dagster/table_name"] == "public.customers"
    assert metadata["airbyte/connection_name"] == "PostgreSQL → MinIO"
    if api == "config":
        columns = {c.name: c.type for c in metadata["dagster/column_schema"].columns}
        assert columns["updated_at"] == "timestamp_tz"


def test_materialize_records_row_counts_that_match_airbyte(emulator, tmp_path, dagster_instance):
    defs = _defs(emulator, tmp_path)
    instance = dagster_instance  # SQLite and PostgreSQL: the metadata is read back from the event log
    job = defs.resolve_implicit_global_asset_job_def()
    selection = [dg.AssetKey(["public", "customers"]), dg.AssetKey(["public", "orders"])]

    result = job.execute_in_process(instance=instance, asset_selection=selection)

    assert result.success
    [airbyte_job] = emulator.admin.jobs()
    materializations = {
        m.asset_key: m.metadata
        for m in result.asset_materializations_for_node("airbyte_sync_postgresql_minio")
    }
    assert set(materializations) == set(selection)  # a subset: only the selected streams recorded
    rows = {key.path[-1]: md["dagster/row_count"].value for key, md in materializations.items()}
    with emulator_client(emulator) as client:
        stats = {
            s.stream_name: s.records_committed for s in client.get_job(airbyte_job["jobId"]).stream_stats
        }
    assert rows == {name: stats[name] for name in rows}
    assert all(md["airbyte/job_id"].value == airbyte_job["jobId"] for md in materializations.values())
    for key in selection:  # what the instance stored is what the run reported
        stored = instance.get_latest_materialization_event(key)
        assert stored is not None and stored.run_id == result.run_id
        assert stored.asset_materialization is not None
        assert stored.asset_materialization.metadata == materializations[key]
    unselected = dg.AssetKey(["public", "products"])  # same connection, not selected: nothing stored
    assert unselected in _asset_graph(defs).get_all_asset_keys()
    assert instance.get_latest_materialization_event(unselected) is None


def test_failing_sync_fails_the_run_with_airbyte_message(emulator, tmp_path, dagster_instance):
    defs = _defs(emulator, tmp_path)
    conn = _connection_id(emulator, "MSSQL → S3")
    emulator.admin.set_behaviour(
        conn, outcome="failed", duration_s=0.3, failure_message="Login failed for user 'sa'"
    )

    result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
        instance=dagster_instance,
        asset_selection=[dg.AssetKey(["mssql", "mssql_invoices"])],
        raise_on_error=False,
    )

    assert not result.success
    failure = result.failure_data_for_node("airbyte_sync_mssql_s3")
    assert "Login failed for user 'sa'" in failure.error.message
    stored = dagster_instance.get_run_by_id(result.run_id)
    assert stored is not None and stored.status == dg.DagsterRunStatus.FAILURE
    assert dagster_instance.get_latest_materialization_event(dg.AssetKey(["mssql", "mssql_invoices"])) is None


def test_run_worker_rebuilds_from_reconstruction_metadata_without_calling_airbyte(emulator, tmp_path):
    from dagster._core.definitions.definitions_load_context import (
        DefinitionsLoadContext,
        DefinitionsLoadType,
    )
    from dagster._core.definitions.repository_definition.repository_definition import RepositoryLoadData

    from dagster_airbyte_ops.assets.catalog import unpack_state

    served = _defs(emulator, tmp_path)
    carried = {key: value.data for key, value in served.metadata.items()}
    [state] = [json.loads(value) for value in carried.values()]  # Dagster carries it JSON-encoded
    assert state.startswith("zlib+base64:")  # compressed: a tenth of the catalog's JSON
    catalog_json = unpack_state(state)
    assert '"connections"' in catalog_json and "**********" not in catalog_json  # no connector configuration
    emulator.admin.clear_requests()
    emulator.admin.add_fault("status", path="^/api/", count=1000, status=503)
    worker = RepositoryLoadData(reconstruction_metadata=carried)

    with DefinitionsLoadContext.scoped(DefinitionsLoadContext(DefinitionsLoadType.RECONSTRUCTION, worker)):
        rebuilt = _defs(emulator, tmp_path / "elsewhere")  # another machine: no snapshot folder

    assert emulator.admin.requests() == []
    assert set(_asset_graph(rebuilt).get_all_asset_keys()) == set(_asset_graph(served).get_all_asset_keys())
    emulator.admin.clear_faults()


def test_airbyte_down_at_load_uses_the_snapshot(emulator, tmp_path, caplog):
    first = _defs(emulator, tmp_path)
    keys = set(_asset_graph(first).get_all_asset_keys())
    emulator.admin.add_fault("status", path="^/api/v1/", count=1000, status=503)

    second = _defs(emulator, tmp_path)

    assert set(_asset_graph(second).get_all_asset_keys()) == keys
    assert "using the last good catalog snapshot" in caplog.text
    emulator.admin.clear_faults()


def test_airbyte_down_without_snapshot_is_a_clear_error(emulator, tmp_path):
    emulator.admin.add_fault("status", path="^/api/v1/", count=1000, status=503)
    with pytest.raises(ConfigError, match=r"no snapshot exists yet.*To fix: check that Airbyte answers at"):
        _defs(emulator, tmp_path)
    emulator.admin.clear_faults()


class TableOnlyTranslator(AirbyteTranslator):
    """A user translator that keys assets by table name alone (no namespace)."""

    def get_asset_key(self, props):
        return dg.AssetKey([self.get_table_name(props)])


def test_colliding_keys_name_both_connections(emulator, tmp_path):
    config = parse_config(
        textwrap.dedent(DEMO_CONFIG).format(url=emulator.url, api="config"), "airbyte_ops.yaml"
    )

    with pytest.raises(ConfigError) as raised:
        build_definitions(config, translator=TableOnlyTranslator(), snapshot_dir=str(tmp_path))

    assert str(raised.value) == (
        "airbyte_ops.yaml: connections[3]: asset key 'orders' of connection \u201cShop Orders → SQLite\u201d "
        "is also produced by connection \u201cPostgreSQL → MinIO\u201d (connections[0]); both write the "
        "same destination table. Give one of them a key_prefix (or a stream prefix in Airbyte)."
    )


def _connection_id(emulator, name: str) -> str:
    with emulator_client(emulator) as client:
        workspace = client.list_workspaces()[0].id
        return next(c.id for c in client.list_connections(workspace) if c.name == name)


def emulator_client(emulator):
    from dagster_airbyte_ops.client import AirbyteClient

    return AirbyteClient(url=emulator.url, api="config", retry_backoff_s=0.01)


def test_same_connection_from_two_runs_at_once_makes_one_airbyte_job(emulator, tmp_path):
    import threading

    defs = _defs(emulator, tmp_path)
    # Long enough that the second run's trigger lands while the first job runs, even on a loaded machine
    # (a trigger after the first job ended rightly starts a second job).
    emulator.admin.set_behaviour(_connection_id(emulator, "PostgreSQL → MinIO"), duration_s=8.0)
    job = defs.resolve_implicit_global_asset_job_def()
    outcomes: list[bool] = []

    def run() -> None:
        result = job.execute_in_process(
            instance=dg.DagsterInstance.ephemeral(), asset_selection=[dg.AssetKey(["public", "customers"])]
        )
        outcomes.append(result.success)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert outcomes == [True, True]
    assert len(emulator.admin.jobs()) == 1
