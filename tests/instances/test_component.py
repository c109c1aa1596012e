"""`AirbyteOpsComponent` takes `instances:` in its `attributes:` exactly as airbyte_ops.yaml does."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import dagster as dg

from tests.connection_runs import connection_keys, run_connection

from ._support import ENV, HUBSPOT_JOB, PG_JOB, start_two_airbytes

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "components"
DEFS_YAML = """\
type: dagster_airbyte_ops.AirbyteOpsComponent
attributes:
  instances:
    onprem:
      airbyte:
        url: {env: ONPREM_URL}
        api: config
        auth: {basic: {username: airbyte, password: {env: ONPREM_PASSWORD}}}
    cloud:
      airbyte:
        url: {env: CLOUD_URL}
        api: public
        auth: {client_credentials: {client_id: emulator-client-id, client_secret: {env: CLOUD_CLIENT_SECRET}}}
      key_prefix: [cloud]
  connections:
    - name: "PostgreSQL → MinIO"
      instance: onprem
    - match: "HubSpot*"
      instance: cloud
      after: ["PostgreSQL → MinIO"]
"""


def test_component_with_two_instances(spec_checked_emulators, tmp_path, monkeypatch):
    airbytes = start_two_airbytes(spec_checked_emulators)
    for name, value in {**ENV, "ONPREM_URL": airbytes.onprem.url, "CLOUD_URL": airbytes.cloud.url}.items():
        monkeypatch.setenv(name, value)
    root = tmp_path / "project"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".airbyte_ops", "__pycache__"))
    (root / "src/airbyte_ops_example/defs/airbyte/defs.yaml").write_text(DEFS_YAML)
    monkeypatch.syspath_prepend(str(root / "src"))
    for module in [m for m in sys.modules if m.startswith("airbyte_ops_example")]:
        del sys.modules[module]

    defs = dg.load_from_defs_folder(path_within_project=root / "src/airbyte_ops_example")

    repo = defs.get_repository_def()
    assert {"airbyte_onprem", "airbyte_cloud"} <= set(repo.get_top_level_resources())
    assert {job.name for job in repo.get_all_jobs()} == {"__ASSET_JOB", "airbyte_sync_job"}
    assert connection_keys(defs, PG_JOB)
    assert dg.AssetKey(["cloud", "raw", "contacts"]) in repo.asset_graph.get_all_asset_keys()
    assert "cloud_hubspot_snowflake_after_sensor" in {s.name for s in repo.sensor_defs}
    with dg.instance_for_test() as instance:
        assert run_connection(defs, HUBSPOT_JOB, instance=instance).success
    [job] = airbytes.cloud.admin.jobs()
    assert job["status"] == "succeeded"
