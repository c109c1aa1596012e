"""Several Airbytes in one configuration (`instances:`), against two emulators at once.

One emulator is an OSS Airbyte on the Config API behind basic auth (the demo workspace), the other a
Cloud-like workspace on the public API with client credentials. Every test builds the definitions
over real HTTP from both and materializes or ticks in a real Dagster instance.
"""

# ruff: noqa: E501  (expected messages are kept whole, one per line, to read as the user does)
from __future__ import annotations

import json

import dagster as dg
import pytest

from dagster_airbyte_ops.client._auth import SHARED_TOKENS
from dagster_airbyte_ops.errors import ConfigError
from dagster_airbyte_ops.resource import AirbyteResource
from tests.connection_runs import SHARED_JOB, connection_keys

from ._support import ENV, HUBSPOT, HUBSPOT_JOB, PG, PG_JOB, Ticker, connection_id, start_two_airbytes

BOTH = f"""
connections:
  - name: "{PG}"
    instance: onprem
  - match: "HubSpot*"
    instance: cloud
    after: ["{PG}"]
"""
ORDERS = dg.AssetKey(["public", "orders"])
CONTACTS = dg.AssetKey(["cloud", "raw", "contacts"])
DEALS = dg.AssetKey(["cloud", "raw", "deals"])


@pytest.fixture
def airbytes(spec_checked_emulators, monkeypatch):
    for name, value in ENV.items():  # secrets are read from the environment at load and at run time
        monkeypatch.setenv(name, value)
    return start_two_airbytes(spec_checked_emulators)


@pytest.fixture
def instance():
    with dg.instance_for_test() as instance:
        yield instance


def test_each_instance_has_its_resource_key_prefix_group_and_names(airbytes, tmp_path):
    defs = airbytes.defs(tmp_path, BOTH)
    repo = defs.get_repository_def()
    graph = repo.asset_graph

    pg_keys = {k for k in graph.get_all_asset_keys() if k.path[0] == "public"}
    assert {ORDERS, dg.AssetKey(["public", "customers"])} <= pg_keys
    assert {CONTACTS, DEALS} <= set(graph.get_all_asset_keys())  # instances.cloud.key_prefix
    assert graph.get(ORDERS).group_name == "onprem_postgresql_minio"  # default group prefix "<name>_"
    assert graph.get(CONTACTS).group_name == "cloud_hubspot_snowflake"
    assert _airbyte_keys(repo.assets_defs_by_key[ORDERS]) == {"airbyte_onprem"}
    assert _airbyte_keys(repo.assets_defs_by_key[CONTACTS]) == {"airbyte_cloud"}
    assert repo.assets_defs_by_key[ORDERS].node_def.name == "airbyte_sync_onprem_postgresql_minio"
    assert repo.assets_defs_by_key[CONTACTS].node_def.name == "airbyte_sync_cloud_hubspot_snowflake"

    resources = dict(defs.resources or {})
    assert {k for k in resources if k.startswith("airbyte")} == {"airbyte_onprem", "airbyte_cloud"}
    onprem, cloud = resources["airbyte_onprem"], resources["airbyte_cloud"]
    assert isinstance(onprem, AirbyteResource) and isinstance(cloud, AirbyteResource)
    assert (onprem.url, onprem.api, onprem.username) == (airbytes.onprem.url, "config", "airbyte")
    assert (cloud.url, cloud.api, cloud.client_id) == (airbytes.cloud.url, "public", "emulator-client-id")

    sensors = {s.name for s in repo.sensor_defs}
    assert {"airbyte_observer_onprem", "airbyte_observer_cloud"} <= sensors
    assert "cloud_hubspot_snowflake_after_sensor" in sensors
    assert "airbyte_observer" not in sensors
    assert {job.name for job in repo.get_all_jobs()} == {"__ASSET_JOB", SHARED_JOB}  # one for both


def test_each_connection_syncs_on_its_own_airbyte(airbytes, tmp_path, instance):
    ticker = Ticker(airbytes.defs(tmp_path, BOTH), instance)
    airbytes.onprem.admin.clear_requests()
    airbytes.cloud.admin.clear_requests()
    SHARED_TOKENS.clear()  # the runs play run workers, fresh processes: no token from the load

    assert ticker.run_job(PG_JOB).success
    assert ticker.run_job(HUBSPOT_JOB).success

    pg_id, hubspot_id = connection_id(ticker.defs, ORDERS), connection_id(ticker.defs, CONTACTS)
    [onprem_job] = airbytes.onprem.admin.jobs()
    [cloud_job] = airbytes.cloud.admin.jobs()
    assert (onprem_job["connectionId"], onprem_job["status"]) == (pg_id, "succeeded")
    assert (cloud_job["connectionId"], cloud_job["status"]) == (hubspot_id, "succeeded")
    onprem_paths = [r["path"] for r in airbytes.onprem.admin.requests()]
    cloud_paths = [r["path"] for r in airbytes.cloud.admin.requests()]
    assert "/api/v1/connections/sync" in onprem_paths  # the Config API, basic auth
    assert all(p.startswith("/api/v1/") for p in onprem_paths)
    assert "/api/public/v1/jobs" in cloud_paths  # the public API, with a client-credentials token
    assert "/api/public/v1/applications/token" in cloud_paths
    assert not any(p.startswith("/api/v1/") for p in cloud_paths)
    materialized = {
        record.asset_key for record in instance.fetch_materializations(ORDERS, limit=10).records
    } | {record.asset_key for record in instance.fetch_materializations(CONTACTS, limit=10).records}
    assert materialized == {ORDERS, CONTACTS}


def test_after_across_instances_launches_the_cloud_sync_once(airbytes, tmp_path, instance):
    ticker = Ticker(airbytes.defs(tmp_path, BOTH), instance)
    sensor = "cloud_hubspot_snowflake_after_sensor"

    first = ticker.tick(sensor)
    assert not first.run_requests
    assert first.skip_message == f"waiting for “onprem:{PG}” (not yet)"

    assert ticker.run_job(PG_JOB).success
    [request] = ticker.tick(sensor).run_requests
    assert not ticker.tick(sensor).run_requests  # the same landing counts once
    assert ticker.defs.get_repository_def().get_sensor_def(sensor).job_name == SHARED_JOB
    assert set(request.asset_selection or ()) == set(connection_keys(ticker.defs, HUBSPOT_JOB))

    launched = ticker.run_job(HUBSPOT_JOB, tags=request.tags)
    assert launched.success
    [cloud_job] = airbytes.cloud.admin.jobs()
    assert cloud_job["connectionId"] == connection_id(ticker.defs, CONTACTS)
    assert len(airbytes.onprem.admin.jobs()) == 1  # only the upstream sync ran on the OSS Airbyte


def test_run_worker_rebuilds_both_instances_from_reconstruction_metadata_alone(airbytes, tmp_path):
    from dagster._core.definitions.definitions_load_context import (
        DefinitionsLoadContext,
        DefinitionsLoadType,
    )
    from dagster._core.definitions.repository_definition.repository_definition import RepositoryLoadData

    from dagster_airbyte_ops.assets.catalog import unpack_state

    served = airbytes.defs(tmp_path, BOTH)
    carried = {key: value.data for key, value in served.metadata.items()}
    assert len(carried) == 1  # one state holds both catalogs
    [catalogs_json] = [unpack_state(json.loads(state)) for state in carried.values()]
    assert '"instances"' in catalogs_json
    assert "emulator-client-secret" not in catalogs_json and "password" not in catalogs_json.lower()
    for server in (airbytes.onprem, airbytes.cloud):
        server.admin.clear_requests()
        server.admin.add_fault("status", path="^/api/", count=1000, status=503)
    worker = RepositoryLoadData(reconstruction_metadata=carried)

    with DefinitionsLoadContext.scoped(DefinitionsLoadContext(DefinitionsLoadType.RECONSTRUCTION, worker)):
        rebuilt = airbytes.defs(tmp_path, BOTH, snapshot_dir="elsewhere")  # no snapshot folder there

    assert airbytes.onprem.admin.requests() == []
    assert airbytes.cloud.admin.requests() == []
    served_graph = served.get_repository_def().asset_graph
    rebuilt_graph = rebuilt.get_repository_def().asset_graph
    assert set(rebuilt_graph.get_all_asset_keys()) == set(served_graph.get_all_asset_keys())
    assert _airbyte_keys(rebuilt.get_repository_def().assets_defs_by_key[CONTACTS]) == {"airbyte_cloud"}
    for server in (airbytes.onprem, airbytes.cloud):
        server.admin.clear_faults()


def test_one_airbyte_down_at_load_uses_its_own_snapshot(airbytes, tmp_path, caplog):
    airbytes.defs(tmp_path, BOTH)
    airbytes.onprem.admin.create_connection("Billing → S3", streams=["invoices"])
    airbytes.cloud.admin.add_fault("status", path="^/api/", count=1000, status=503)

    defs = airbytes.defs(tmp_path, BOTH.replace(f'- name: "{PG}"', '- match: "*"'))

    keys = set(defs.get_repository_def().asset_graph.get_all_asset_keys())
    assert {CONTACTS, DEALS} <= keys  # the cloud catalog from its snapshot
    assert dg.AssetKey(["raw", "invoices"]) in keys  # the onprem catalog fetched fresh
    assert 'for the Airbyte catalog of instance "cloud"' in caplog.text
    airbytes.cloud.admin.clear_faults()


def test_one_airbyte_down_without_snapshot_names_the_instance(airbytes, tmp_path):
    airbytes.cloud.admin.add_fault("status", path="^/api/", count=1000, status=503)

    with pytest.raises(ConfigError) as raised:
        airbytes.defs(tmp_path, BOTH)

    message = str(raised.value)
    assert message.startswith(
        'Could not load the Airbyte catalog of instance "cloud" and no snapshot exists yet'
    )
    assert message.endswith(
        f"To fix: check that Airbyte answers at {airbytes.cloud.url} (instances.cloud.airbyte.url in "
        "airbyte_ops.yaml) and that its credentials are set."
    )
    airbytes.cloud.admin.clear_faults()


def test_same_asset_key_from_two_instances_is_a_clear_error_fixed_by_a_key_prefix(airbytes, tmp_path):
    airbytes.onprem.admin.create_connection("Legacy CRM → S3", streams=["contacts"])
    body = f"""
    connections:
      - name: "Legacy CRM → S3"
        instance: onprem
      - name: "{HUBSPOT}"
        instance: cloud
    """
    header = airbytes.config_text("").replace("    key_prefix: [cloud]\n", "")

    from dagster_airbyte_ops.config import parse_config
    from dagster_airbyte_ops.definitions import build_definitions

    with pytest.raises(ConfigError) as raised:
        build_definitions(
            parse_config(header + body.replace("\n    ", "\n"), environ=ENV), snapshot_dir=str(tmp_path)
        )
    assert str(raised.value) == (
        "airbyte_ops.yaml: connections[1]: asset key 'raw/contacts' of connection “HubSpot → Snowflake” "
        "(instance cloud) is also produced by connection “Legacy CRM → S3” (connections[0], instance "
        "onprem). Give one of the instances a key_prefix (instances.cloud.key_prefix), or one of the "
        "entries its own key_prefix."
    )
    fixed = airbytes.defs(tmp_path, body)  # the standard header sets instances.cloud.key_prefix
    keys = set(fixed.get_repository_def().asset_graph.get_all_asset_keys())
    assert {dg.AssetKey(["raw", "contacts"]), CONTACTS} <= keys


def test_a_name_in_both_instances_must_be_qualified_in_after(airbytes, tmp_path):
    airbytes.cloud.admin.create_connection(PG, streams=["orders_copy"])
    body = f"""
    connections:
      - name: "{PG}"
        instance: onprem
      - name: "{PG}"
        instance: cloud
      - name: "{HUBSPOT}"
        instance: cloud
        after: ["{PG}"]
    """
    with pytest.raises(ConfigError) as raised:
        airbytes.defs(tmp_path, body)
    assert str(raised.value) == (
        f'airbyte_ops.yaml: connections[2].after: "{PG}" names a connection of several instances; '
        f'write "onprem:{PG}" or "cloud:{PG}"'
    )

    defs = airbytes.defs(tmp_path, body.replace(f'after: ["{PG}"]', f'after: ["onprem:{PG}"]'))
    repo = defs.get_repository_def()
    sensor = repo.get_sensor_def("cloud_hubspot_snowflake_after_sensor")
    assert sensor.job_name == SHARED_JOB
    assert f"“onprem:{PG}”" in (sensor.description or "")
    assert connection_keys(defs, "airbyte_sync_onprem_postgresql_minio")
    assert connection_keys(defs, "airbyte_sync_cloud_postgresql_minio")


def test_after_cycle_across_instances_is_a_clear_error(airbytes, tmp_path):
    body = f"""
    connections:
      - name: "{PG}"
        instance: onprem
        after: ["{HUBSPOT}"]
      - name: "{HUBSPOT}"
        instance: cloud
        after: ["{PG}"]
    """
    with pytest.raises(ConfigError) as raised:
        airbytes.defs(tmp_path, body)
    assert str(raised.value) == (
        f'airbyte_ops.yaml: connections[0].after: cycle between connections: "onprem:{PG}" → '
        f'"cloud:{HUBSPOT}" → "onprem:{PG}"; remove one of these after: entries'
    )


def test_a_connection_is_selected_in_its_own_instance_only(airbytes, tmp_path):
    body = f"""
    connections:
      - name: "{HUBSPOT}"
        instance: onprem
    """
    with pytest.raises(ConfigError) as raised:
        airbytes.defs(tmp_path, body)
    assert str(raised.value).startswith(
        f'airbyte_ops.yaml: connections[0].name: no Airbyte connection in instance "onprem" is named "{HUBSPOT}"; '
    )


def test_observer_of_each_instance_records_its_own_external_syncs(airbytes, tmp_path, instance):
    ticker = Ticker(airbytes.defs(tmp_path, BOTH), instance)
    for name in ("airbyte_observer_onprem", "airbyte_observer_cloud"):
        assert ticker.tick(name).skip_message.startswith("first tick")

    airbytes.cloud.admin.start_job(connection_id(ticker.defs, CONTACTS))  # Airbyte's own scheduler
    recorded = _wait_for_observed(ticker, "airbyte_observer_cloud")

    assert {event.asset_key for event in recorded} == {CONTACTS, DEALS}
    assert not ticker.tick("airbyte_observer_onprem").asset_events


def _airbyte_keys(assets_def: dg.AssetsDefinition) -> set[str]:
    return {key for key in assets_def.required_resource_keys if key.startswith("airbyte")}


def _wait_for_observed(ticker: Ticker, sensor: str, timeout_s: float = 60.0) -> list:
    import time

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        events = list(ticker.tick(sensor).asset_events or [])
        if events:
            return events
        time.sleep(0.2)
    raise AssertionError(f"{sensor} recorded nothing within {timeout_s} s")
