"""`freshness: {max_lag: 2h}`: Dagster freshness checks on the stream assets, and the sensor that runs them.

A real sync against the emulator, recorded in a real instance (SQLite; PostgreSQL too for the tests
in POSTGRES_TESTS); "later" is Dagster's own clock frozen hours ahead, so the checks are evaluated
exactly as the daemon would evaluate them then.
"""

from __future__ import annotations

import datetime as dt
import textwrap

import dagster as dg
import pytest
from dagster._core.test_utils import freeze_time

from dagster_airbyte_ops.checks import FRESHNESS_SENSOR_NAME, build_freshness_checks
from dagster_airbyte_ops.config import parse_config
from dagster_airbyte_ops.definitions import build_definitions
from tests.connection_runs import run_connection

CONFIG = """
airbyte:
  url: "{url}"
  api: config
  retry_backoff_s: 0.01
  poll_interval_s: 0.2
connections:
  - name: "PostgreSQL → MinIO"
    freshness: {{max_lag: 2h}}
  - name: "MSSQL → S3"
"""
STREAMS = ["customers", "order_items", "orders", "products"]
FRESH_KEYS = {dg.AssetKey(["public", s]) for s in STREAMS}
JOB = "airbyte_sync_postgresql_minio_job"


@pytest.fixture
def defs(emulator, tmp_path) -> dg.Definitions:
    config = parse_config(textwrap.dedent(CONFIG).format(url=emulator.url), "airbyte_ops.yaml")
    return build_definitions(config, snapshot_dir=str(tmp_path / "snapshots"))


#: Also run on PostgreSQL (the rest on SQLite only): check results stored and read back, and a
#: materialization recorded outside our runs read from the event log.
POSTGRES_TESTS = {
    "test_checks_fail_when_the_last_sync_is_older_than_max_lag",
    "test_a_failed_check_passes_again_after_a_materialization_recorded_outside_our_runs",
}


@pytest.fixture
def instance(dagster_instance) -> dg.DagsterInstance:
    return dagster_instance


def _evaluations(result: dg.ExecuteInProcessResult) -> dict[dg.AssetKey, dg.AssetCheckEvaluation]:
    return {
        event.event_specific_data.asset_key: event.event_specific_data
        for event in result.all_events
        if event.event_type_value == "ASSET_CHECK_EVALUATION"
    }


def _run_sensor_request(defs: dg.Definitions, instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    """Evaluate the freshness sensor and execute the run it requests, as the daemon would."""
    sensor = defs.get_sensor_def(FRESHNESS_SENSOR_NAME)
    request = sensor(dg.build_sensor_context(instance=instance, definitions=defs))
    assert isinstance(request, dg.RunRequest), request
    job = defs.resolve_implicit_global_asset_job_def().get_subset(
        asset_selection=set(), asset_check_selection=set(request.asset_check_keys or [])
    )
    return job.execute_in_process(instance=instance, raise_on_error=False)


def test_only_the_entry_with_freshness_gets_checks(defs):
    graph = defs.get_repository_def().asset_graph
    # (every stream asset also has the schema checks; only the freshness ones are per entry)
    checked = {key.asset_key for key in graph.asset_check_keys if key.name == "freshness_check"}
    assert checked == FRESH_KEYS
    sensor = defs.get_sensor_def(FRESHNESS_SENSOR_NAME)
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING


def test_checks_pass_right_after_a_real_sync(defs, instance, emulator):
    result = run_connection(defs, JOB, instance=instance)

    assert result.success
    assert [job["status"] for job in emulator.admin.jobs()] == ["succeeded"]
    evaluations = _evaluations(result)  # the sync run evaluates its connection's checks after it
    assert set(evaluations) == FRESH_KEYS
    assert all(e.passed for e in evaluations.values()), [e.description for e in evaluations.values()]
    sensor = defs.get_sensor_def(FRESHNESS_SENSOR_NAME)
    # Nothing is due while the data is fresh: the sensor requests no run.
    assert isinstance(sensor(dg.build_sensor_context(instance=instance, definitions=defs)), dg.SkipReason)


def test_checks_fail_when_the_last_sync_is_older_than_max_lag(defs, instance):
    assert run_connection(defs, JOB, instance=instance).success

    with freeze_time(dt.datetime.now(dt.UTC) + dt.timedelta(hours=1, minutes=50)):
        assert isinstance(
            defs.get_sensor_def(FRESHNESS_SENSOR_NAME)(
                dg.build_sensor_context(instance=instance, definitions=defs)
            ),
            dg.SkipReason,
        )  # 1 h 50 after the sync: within max_lag, not due
    with freeze_time(dt.datetime.now(dt.UTC) + dt.timedelta(hours=2, minutes=5)):
        result = _run_sensor_request(defs, instance)

    evaluations = _evaluations(result)
    assert set(evaluations) == FRESH_KEYS
    assert not any(e.passed for e in evaluations.values())
    assert all("overdue" in (e.description or "") for e in evaluations.values())
    latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(
        [dg.AssetCheckKey(key, "freshness_check") for key in FRESH_KEYS]
    )
    assert {record.status.value for record in latest.values()} == {"FAILED"}


def test_a_fresh_sync_makes_a_failed_check_pass_again(defs, instance):
    assert run_connection(defs, JOB, instance=instance).success
    with freeze_time(dt.datetime.now(dt.UTC) + dt.timedelta(hours=3)):
        assert not any(e.passed for e in _evaluations(_run_sensor_request(defs, instance)).values())
        result = run_connection(defs, JOB, instance=instance)  # the sync runs again, three hours later

    assert all(e.passed for e in _evaluations(result).values())


def test_build_freshness_checks_from_python():
    [checks] = build_freshness_checks([dg.AssetKey(["public", "orders"])], max_lag=dt.timedelta(minutes=30))
    assert {key.asset_key for key in checks.check_keys} == {dg.AssetKey(["public", "orders"])}
    with pytest.raises(ValueError, match="max_lag must be longer than 0"):
        build_freshness_checks([dg.AssetKey("x")], max_lag=dt.timedelta(0))


def test_a_failed_check_passes_again_after_a_materialization_recorded_outside_our_runs(defs, instance):
    """What the observer records for a sync Airbyte ran itself counts: the sensor re-evaluates."""
    assert run_connection(defs, JOB, instance=instance).success
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=3)
    with freeze_time(later):
        assert not any(e.passed for e in _evaluations(_run_sensor_request(defs, instance)).values())
    with freeze_time(later + dt.timedelta(minutes=1)):
        for key in FRESH_KEYS:  # a runless materialization, as recorded for an external sync
            instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=key))
    with freeze_time(later + dt.timedelta(minutes=2)):
        evaluations = _evaluations(_run_sensor_request(defs, instance))

    assert set(evaluations) == FRESH_KEYS
    assert all(e.passed for e in evaluations.values())


def test_severity_error_fails_the_check_as_an_error(emulator, tmp_path, instance):
    text = (
        textwrap.dedent(CONFIG)
        .format(url=emulator.url)
        .replace(
            '  - name: "MSSQL → S3"\n',
            '  - name: "MSSQL → S3"\n    freshness: {max_lag: 30m, severity: error}\n',
        )
    )
    defs = build_definitions(parse_config(text, "airbyte_ops.yaml"), snapshot_dir=str(tmp_path / "s"))
    assert run_connection(defs, "airbyte_sync_mssql_s3", instance=instance).success

    with freeze_time(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=45)):
        evaluations = _evaluations(_run_sensor_request(defs, instance))

    invoices = evaluations[dg.AssetKey(["mssql", "mssql_invoices"])]
    assert not invoices.passed
    assert invoices.severity == dg.AssetCheckSeverity.ERROR
    assert all(e.severity == dg.AssetCheckSeverity.WARN for k, e in evaluations.items() if k in FRESH_KEYS)


def test_a_check_waits_for_the_first_materialization_so_a_new_deployment_shows_no_failure(
    defs, instance, emulator
):
    """Before anything ran, the sensor evaluates nothing (a never-synced asset is not "stale": the
    first screen of a new deployment shows no failing check nobody caused). Once one stream is
    materialized, only its check is evaluated."""
    sensor = defs.get_sensor_def(FRESHNESS_SENSOR_NAME)
    first = sensor(dg.build_sensor_context(instance=instance, definitions=defs))
    assert isinstance(first, dg.SkipReason), first
    assert "waiting for the first materialization of 4 asset(s)" in (first.skip_message or "")
    orders = dg.AssetKey(["public", "orders"])
    instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=orders))
    request = sensor(dg.build_sensor_context(instance=instance, definitions=defs))
    assert isinstance(request, dg.RunRequest), request
    assert {key.asset_key for key in request.asset_check_keys or []} == {orders}
