"""Two Airbytes at once, as the `instances:` tests need them: an OSS on the Config API behind basic
auth (the demo workspace) and a Cloud-like workspace on the public API with client credentials."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from dagster_airbyte_ops.config import parse_config
from dagster_airbyte_ops.definitions import build_definitions
from dagster_airbyte_ops.emulator import EmulatorServer
from dagster_airbyte_ops.emulator.state import EmulatorSettings
from tests.connection_runs import run_connection

PG = "PostgreSQL → MinIO"  # on the OSS Airbyte (demo seed)
HUBSPOT = "HubSpot → Snowflake"  # on the Cloud workspace
PG_JOB = "airbyte_sync_onprem_postgresql_minio"  # the connection's op; its runs are of SHARED_JOB
HUBSPOT_JOB = "airbyte_sync_cloud_hubspot_snowflake"
ENV = {"ONPREM_PASSWORD": "password", "CLOUD_CLIENT_SECRET": "emulator-client-secret"}

INSTANCES = """
instances:
  onprem:
    airbyte:
      url: "{onprem}"
      api: config
      auth: {{basic: {{username: airbyte, password: {{env: ONPREM_PASSWORD}}}}}}
      retry_backoff_s: 0.01
      poll_interval_s: 0.1
  cloud:
    airbyte:
      url: "{cloud}"
      api: public
      auth:
        client_credentials: {{client_id: emulator-client-id, client_secret: {{env: CLOUD_CLIENT_SECRET}}}}
      retry_backoff_s: 0.01
      poll_interval_s: 0.1
    key_prefix: [cloud]
"""


@dataclass
class TwoAirbytes:
    onprem: EmulatorServer
    cloud: EmulatorServer

    def config_text(self, body: str, header: str = INSTANCES) -> str:
        return textwrap.dedent(header).format(onprem=self.onprem.url, cloud=self.cloud.url) + textwrap.dedent(
            body
        )

    def defs(self, tmp_path: Path, body: str, *, snapshot_dir: str = "snapshots", **kwargs) -> dg.Definitions:
        config = parse_config(self.config_text(body), "airbyte_ops.yaml", environ=ENV)
        return build_definitions(config, snapshot_dir=str(tmp_path / snapshot_dir), **kwargs)


def start_two_airbytes(start) -> TwoAirbytes:
    """`start` is the `spec_checked_emulators` fixture: both servers' responses are spec-checked."""
    onprem = start(EmulatorSettings(auth="basic", default_job_duration_s=0.2), port=0)
    cloud = start(
        EmulatorSettings(seed="empty", auth="client_credentials", default_job_duration_s=0.2), port=0
    )
    cloud.admin.create_connection(HUBSPOT, streams=["contacts", "deals"])
    return TwoAirbytes(onprem=onprem, cloud=cloud)


def connection_id(defs: dg.Definitions, key: dg.AssetKey) -> str:
    """The Airbyte connection id of a stream asset, from its definition metadata."""
    return defs.get_repository_def().asset_graph.get(key).metadata["airbyte/connection_id"]


class Ticker:
    """Evaluates sensors in a real instance one tick at a time, carrying each sensor's cursor."""

    def __init__(self, defs: dg.Definitions, instance: dg.DagsterInstance) -> None:
        self.defs = defs
        self.instance = instance
        self.cursors: dict[str, str | None] = {}

    def tick(self, name: str):
        """One tick; the sensor gets the resources it requires, and its runless events are
        recorded in the instance, as the daemon does."""
        repo = self.defs.get_repository_def()
        sensor = repo.get_sensor_def(name)
        resources = {
            key: value
            for key, value in repo.get_top_level_resources().items()
            if key in sensor.required_resource_keys
        }
        with dg.build_sensor_context(
            instance=self.instance,
            cursor=self.cursors.get(name),
            definitions=self.defs,
            sensor_name=name,
            resources=resources,
        ) as context:
            result = sensor.evaluate_tick(context)
        for event in result.asset_events:
            self.instance.report_runless_asset_event(event)
        self.cursors[name] = result.cursor
        return result

    def run_job(self, name: str, **kwargs) -> dg.ExecuteInProcessResult:
        """A run of the shared job selecting the streams of connection `name` (its op or old job name)."""
        return run_connection(self.defs, name, instance=self.instance, **kwargs)
