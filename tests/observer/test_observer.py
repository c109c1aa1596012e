"""The observer sensor against the emulator and a real Dagster instance: syncs Airbyte ran on its own
are recorded once with the op's metadata; Dagster's own syncs and unknown connections are left alone;
failed ones are alerted and recorded nowhere."""

from __future__ import annotations

from contextlib import nullcontext

import dagster as dg
import pytest

from dagster_airbyte_ops.config import parse_config
from dagster_airbyte_ops.errors import ConfigError

from .harness import (
    MSSQL,
    PG,
    WebhookReceiver,
    build_defs,
    committed_by_stream,
    connection_id,
    keys_of_group,
    materializations,
    tick,
    wait_for_job_end,
)

APIS = ["config", "public"]
OBSERVER = "airbyte_observer"
CONFIG = """
airbyte:
  url: "{url}"
  api: {api}
  retry_backoff_s: 0.01
  poll_interval_s: 0.2
connections:
  - name: "PostgreSQL → MinIO"
alerts:
  webhooks:
    - url: {{env: OBSERVER_TEST_WEBHOOK}}
"""
JOBS_PATHS = {"config": "/api/v1/jobs/", "public": "/api/public/v1/jobs"}


@pytest.fixture
def webhook(monkeypatch):
    receiver = WebhookReceiver()
    monkeypatch.setenv("OBSERVER_TEST_WEBHOOK", receiver.url)
    with receiver.running():
        yield receiver


#: (api, storage): both APIs on SQLite; PostgreSQL with the Config API (storage does not depend on the API).
API_STORAGES = [("config", "sqlite"), ("public", "sqlite"), ("config", "postgres")]


@pytest.mark.parametrize(("api", "dagster_instance"), API_STORAGES, indirect=["dagster_instance"])
def test_external_sync_is_recorded_once_with_airbyte_row_counts(
    emulator, tmp_path, webhook, api, dagster_instance
):
    defs = build_defs(emulator, tmp_path, CONFIG, api)
    pg_keys = keys_of_group(defs, "postgresql_minio")
    with nullcontext(dagster_instance) as instance:
        first = tick(defs, OBSERVER, instance, None)
        assert first.asset_events == [] and "first tick" in first.skip_message

        started = emulator.admin.start_job(connection_id(emulator, PG))  # as Airbyte's scheduler would
        wait_for_job_end(emulator, started["job"]["id"])
        emulator.admin.clear_requests()
        second = tick(defs, OBSERVER, instance, first.cursor)

        calls = [r for r in emulator.admin.requests() if r["path"].startswith(JOBS_PATHS[api])]
        assert len(calls) == 1, calls  # one jobs-list call per tick
        assert {e.asset_key for e in second.asset_events} == set(pg_keys)
        # The daemon logs the tick's reason: what was recorded, never "returned an empty result".
        assert second.skip_message == (
            f"recorded {len(pg_keys)} materialization(s) of syncs started outside Dagster"
        )
        committed = committed_by_stream(emulator, started["job"]["id"])
        for key in pg_keys:
            [recorded] = materializations(instance, key)
            metadata = recorded.metadata
            assert metadata["airbyte/job_id"].value == started["job"]["id"]
            assert "started outside Dagster" in metadata["airbyte/origin"].value
            assert "jobId=" in metadata["airbyte/job_url"].url
            if api == "config":
                assert metadata["dagster/row_count"].value == committed[key.path[-1]]
            else:  # the public API reports job totals only
                assert metadata["airbyte/job_rows_synced"].value == sum(committed.values())

        third = tick(defs, OBSERVER, instance, second.cursor)
        assert third.asset_events == []
        assert all(len(materializations(instance, key)) == 1 for key in pg_keys)
    assert webhook.bodies == []  # a success alerts nobody unless a webhook asks for it


def test_sync_dagster_launched_is_not_recorded_again(emulator, tmp_path, webhook, dagster_instance):
    defs = build_defs(emulator, tmp_path, CONFIG)
    pg_keys = keys_of_group(defs, "postgresql_minio")
    instance = dagster_instance  # SQLite and PostgreSQL: the run-tag lookup is a storage query
    cursor = tick(defs, OBSERVER, instance, None).cursor

    result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
        instance=instance, asset_selection=pg_keys
    )
    assert result.success
    [job] = emulator.admin.jobs()
    tags = instance.get_run_by_id(result.run_id).tags
    assert tags[f"airbyte_ops/job_{job['jobId']}"] == job["connectionId"]  # tagged as it triggered
    after = tick(defs, OBSERVER, instance, cursor)

    assert after.asset_events == []
    assert all(len(materializations(instance, key)) == 1 for key in pg_keys)


@pytest.mark.emulator(default_job_duration_s=4.0)
def test_sync_a_dagster_run_attached_to_is_dagsters_own(emulator, tmp_path, webhook, dagster_instance):
    """Airbyte started the job, a Dagster run then attached to it while it ran: the run records it."""
    defs = build_defs(emulator, tmp_path, CONFIG)
    pg_keys = keys_of_group(defs, "postgresql_minio")
    with nullcontext(dagster_instance) as instance:  # SQLite and PostgreSQL: run tags name the job
        cursor = tick(defs, OBSERVER, instance, None).cursor
        started = emulator.admin.start_job(connection_id(emulator, PG))

        result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
            instance=instance, asset_selection=pg_keys
        )
        after = tick(defs, OBSERVER, instance, cursor)

    assert result.success
    assert len(emulator.admin.jobs()) == 1  # attached: no second job
    recorded = result.asset_materializations_for_node("airbyte_sync_postgresql_minio")
    assert {m.metadata["airbyte/job_id"].value for m in recorded} == {started["job"]["id"]}
    assert after.asset_events == []


def test_jobs_of_connections_not_in_the_definitions_are_ignored(emulator, tmp_path, webhook):
    defs = build_defs(emulator, tmp_path, CONFIG)
    mssql = connection_id(emulator, MSSQL)
    emulator.admin.set_behaviour(mssql, outcome="failed", duration_s=0.5)
    with dg.instance_for_test() as instance:
        cursor = tick(defs, OBSERVER, instance, None).cursor
        started = emulator.admin.start_job(mssql)
        wait_for_job_end(emulator, started["job"]["id"])

        after = tick(defs, OBSERVER, instance, cursor)

    assert after.asset_events == []
    assert webhook.bodies == []


@pytest.mark.parametrize("api", APIS)
def test_failed_external_sync_is_alerted_and_not_recorded(emulator, tmp_path, webhook, api):
    defs = build_defs(emulator, tmp_path, CONFIG, api)
    pg = connection_id(emulator, PG)
    emulator.admin.set_behaviour(
        pg, outcome="failed", duration_s=0.5, failure_message="password authentication failed"
    )
    with dg.instance_for_test() as instance:
        cursor = tick(defs, OBSERVER, instance, None).cursor
        started = emulator.admin.start_job(pg)
        wait_for_job_end(emulator, started["job"]["id"])

        after = tick(defs, OBSERVER, instance, cursor)
        again = tick(defs, OBSERVER, instance, after.cursor)

        assert after.asset_events == [] and again.asset_events == []
        assert all(materializations(instance, key) == [] for key in keys_of_group(defs, "postgresql_minio"))
    [alert] = webhook.bodies  # once, not on every tick
    assert alert["event"] == "failed"
    assert alert["origin"] == "airbyte"
    assert alert["job_id"] == started["job"]["id"]
    assert alert["connection_id"] == pg
    assert "(started outside Dagster) failed" in alert["text"]
    if api == "config":  # the public API carries no failure summary
        assert "password authentication failed" in alert["text"]


def test_observer_is_on_by_default_and_can_be_turned_off(emulator, tmp_path):
    on = build_defs(emulator, tmp_path, CONFIG.split("alerts:")[0])
    sensor = on.get_repository_def().get_sensor_def(OBSERVER)
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert sensor.minimum_interval_seconds == 60

    off = build_defs(emulator, tmp_path, CONFIG.split("alerts:")[0] + "observer: {{enabled: false}}\n")
    assert OBSERVER not in {s.name for s in off.get_repository_def().sensor_defs}

    every_5_min = build_defs(
        emulator, tmp_path, CONFIG.split("alerts:")[0] + "observer: {{interval_s: 300}}\n"
    )
    assert every_5_min.get_repository_def().get_sensor_def(OBSERVER).minimum_interval_seconds == 300


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("observer: {interval_s: 5}", "observer.interval_s"),
        ("observer: {enabeld: true}", "observer.enabeld"),
    ],
    ids=["interval-too-short", "typo"],
)
def test_observer_settings_are_validated(text, message):
    with pytest.raises(ConfigError) as error:
        parse_config(text + "\n", "airbyte_ops.yaml")
    assert f"airbyte_ops.yaml: {message}" in str(error.value)


def test_observer_from_python_without_airbyte_ops_yaml(emulator):
    from dagster_airbyte_ops import AirbyteResource, WatchedConnection, build_observer_sensor, fetch_catalog

    airbyte = AirbyteResource(url=emulator.url, api="config", retry_backoff_s=0.01)
    catalog = fetch_catalog(airbyte.get_client())
    pg = next(c for c in catalog.connections if c.name == PG)
    orders = dg.AssetKey(["warehouse", "orders"])
    sensor = build_observer_sensor(
        connections=[WatchedConnection(pg, {"orders": orders})], resource_key="pg_airbyte"
    )
    defs = dg.Definitions(assets=[dg.AssetSpec(orders)], sensors=[sensor], resources={"pg_airbyte": airbyte})
    assert sensor.name == "airbyte_observer_pg_airbyte"
    with dg.instance_for_test() as instance:
        cursor = tick(defs, sensor.name, instance, None).cursor
        started = emulator.admin.start_job(pg.id)
        wait_for_job_end(emulator, started["job"]["id"])

        recorded = tick(defs, sensor.name, instance, cursor)

        assert [e.asset_key for e in recorded.asset_events] == [orders]
        [materialization] = materializations(instance, orders)
        rows = committed_by_stream(emulator, started["job"]["id"])["orders"]
        assert materialization.metadata["dagster/row_count"].value == rows
