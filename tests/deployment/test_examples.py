"""The deployment guide's example files load and build real definitions (so the guide cannot rot).

Each example runs against the emulator in the auth mode that deployment uses, with its secrets set
through the environment exactly as the guide says.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest
import yaml

from dagster_airbyte_ops.config import load_config
from dagster_airbyte_ops.definitions import build_definitions
from dagster_airbyte_ops.resource import AirbyteResource

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "deployment"


def _build(path: Path, tmp_path: Path) -> dg.Definitions:
    return build_definitions(load_config(path), snapshot_dir=str(tmp_path / "snapshots"))


@pytest.mark.emulator(auth="client_credentials")
def test_airbyte_cloud_example(emulator, monkeypatch, tmp_path):
    monkeypatch.setenv("AIRBYTE_URL", emulator.public_api_url)
    monkeypatch.setenv("AIRBYTE_PUBLIC_API_URL", emulator.public_api_url)
    workspace = AirbyteResource(
        url=emulator.public_api_url,
        api="public",
        client_id="emulator-client-id",
        client_secret="emulator-client-secret",
    ).resolved_workspace_id()
    monkeypatch.setenv("AIRBYTE_WORKSPACE_ID", workspace)
    monkeypatch.setenv("AIRBYTE_CLIENT_ID", "emulator-client-id")
    monkeypatch.setenv("AIRBYTE_CLIENT_SECRET", "emulator-client-secret")
    monkeypatch.setenv("SLACK_WEBHOOK_URL", "https://hooks.slack.example/services/T0/B0/secret")

    defs = _build(EXAMPLES / "cloud" / "airbyte_ops.yaml", tmp_path)

    groups = {spec.group_name for spec in defs.resolve_all_asset_specs()}
    assert groups == {"crm_api_postgres", "shop_orders_sqlite"}
    assert all(spec.key.path[0] == "cloud" for spec in defs.resolve_all_asset_specs())
    assert defs.resolve_schedule_def("crm_api_postgres_schedule").execution_timezone == "Europe/Paris"


@pytest.mark.emulator(auth="client_credentials")
def test_airbyte_oss_abctl_example(emulator, monkeypatch, tmp_path):
    monkeypatch.setenv("AIRBYTE_URL", emulator.url)
    monkeypatch.setenv("AIRBYTE_CLIENT_ID", "emulator-client-id")
    monkeypatch.setenv("AIRBYTE_CLIENT_SECRET", "emulator-client-secret")

    defs = _build(EXAMPLES / "abctl" / "airbyte_ops.yaml", tmp_path)

    groups = {spec.group_name for spec in defs.resolve_all_asset_specs()}
    assert groups == {"postgresql_minio", "mssql_s3", "crm_api_postgres"}
    assert defs.resolve_schedule_def("postgresql_minio_schedule").cron_schedule == "0 6-18 * * *"


@pytest.mark.emulator(auth="basic")
def test_kubernetes_example(emulator, monkeypatch, tmp_path):
    monkeypatch.setenv("AIRBYTE_URL", emulator.url)
    monkeypatch.setenv("AIRBYTE_USERNAME", "airbyte")
    monkeypatch.setenv("AIRBYTE_PASSWORD", "password")
    monkeypatch.setenv("SLACK_WEBHOOK_URL", "https://hooks.slack.example/services/T0/B0/secret")

    defs = _build(EXAMPLES / "kubernetes" / "airbyte_ops.yaml", tmp_path)

    groups = {spec.group_name for spec in defs.resolve_all_asset_specs()}
    assert {"postgresql_minio", "mssql_s3"} <= groups
    assert defs.resolve_schedule_def("mssql_s3_schedule").cron_schedule == "30 2 * * *"


def test_kubernetes_values_pass_the_config_and_secrets_to_user_code_and_runs():
    values = yaml.safe_load((EXAMPLES / "kubernetes" / "values.yaml").read_text())
    [deployment] = values["dagster-user-deployments"]["deployments"]
    env = {item["name"]: item.get("value") for item in deployment["env"]}
    assert env["AIRBYTE_OPS_CONFIG"] == "/opt/dagster/app/airbyte_ops.yaml"
    assert deployment["dagsterApiGrpcArgs"] == ["--python-file", "/opt/dagster/app/definitions.py"]
    assert {s["name"] for s in deployment["envSecrets"]} == {"airbyte-credentials", "dagster-alerts"}
    assert deployment["includeConfigInLaunchedRuns"]["enabled"] is True
    dockerfile = (EXAMPLES / "kubernetes" / "Dockerfile").read_text()
    assert "COPY definitions.py airbyte_ops.yaml ./" in dockerfile
    assert (EXAMPLES / "kubernetes" / "definitions.py").read_text() == (
        EXAMPLES.parents[1] / "definitions.py"
    ).read_text()


def test_instances_of_the_examples_and_the_demo_turn_on_run_monitoring():
    """A run whose worker died is marked failed, so its Airbyte job's claim lapses (docs/reliability.md)."""
    from dagster_airbyte_ops.commands.dev import DEV_INSTANCE_SETTINGS

    values = yaml.safe_load((EXAMPLES / "kubernetes" / "values.yaml").read_text())
    assert values["dagsterDaemon"]["runMonitoring"]["enabled"] is True
    dev = yaml.safe_load(DEV_INSTANCE_SETTINGS)
    assert dev["run_monitoring"]["enabled"] is True
    with dg.instance_for_test(overrides=dev) as instance:  # Dagster accepts the settings
        assert instance.run_monitoring_enabled
