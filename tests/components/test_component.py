"""`AirbyteOpsComponent` in a real `dg` project layout (examples/components), loaded as Dagster does."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from dagster_airbyte_ops import ConfigError
from tests.connection_runs import connection_keys

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "components"


def _copy_project(tmp_path: Path, defs_yaml: str | None = None) -> Path:
    """A private copy of the example project, so snapshots and edits stay in the test's folder."""
    root = tmp_path / "project"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".airbyte_ops", "__pycache__"))
    if defs_yaml is not None:
        (root / "src/airbyte_ops_example/defs/airbyte/defs.yaml").write_text(defs_yaml)
    return root


def _load(root: Path, monkeypatch: pytest.MonkeyPatch, airbyte_url: str) -> dg.Definitions:
    monkeypatch.setenv("AIRBYTE_URL", airbyte_url)
    monkeypatch.syspath_prepend(str(root / "src"))
    for name in [m for m in sys.modules if m.startswith("airbyte_ops_example")]:
        del sys.modules[name]
    return dg.load_from_defs_folder(path_within_project=root / "src/airbyte_ops_example")


def test_component_builds_assets_schedules_and_sensors_from_defs_yaml(emulator, tmp_path, monkeypatch):
    defs = _load(_copy_project(tmp_path), monkeypatch, emulator.url)

    groups = {spec.group_name for spec in defs.resolve_all_asset_specs()}
    assert {"postgresql_minio", "mssql_s3", "crm_api_postgres"} <= groups
    assert "shop_orders_sqlite" not in groups  # not selected in defs.yaml
    schedule = defs.resolve_schedule_def("postgresql_minio_schedule")
    assert schedule.cron_schedule == "0 6-18 * * 1-5"
    assert schedule.execution_timezone == "Europe/Paris"  # from defaults.timezone
    assert defs.resolve_job_def("airbyte_sync_job") is not None
    assert connection_keys(defs, "airbyte_sync_mssql_s3")


def test_component_attributes_are_checked_like_airbyte_ops_yaml(emulator, tmp_path, monkeypatch):
    bad = """\
type: dagster_airbyte_ops.AirbyteOpsComponent
attributes:
  airbyte: {url: {env: AIRBYTE_URL}}
  connections:
    - name: "PostgreSQL → MinIO"
      schedule: {cron: "0 25 * * *"}
"""
    root = _copy_project(tmp_path, bad)
    with pytest.raises(Exception) as raised:
        _load(root, monkeypatch, emulator.url)
    error = raised.value
    while not isinstance(error, ConfigError) and error.__cause__ is not None:
        error = error.__cause__
    assert isinstance(error, ConfigError), repr(raised.value)
    message = str(error)
    assert message.startswith("src/airbyte_ops_example/defs/airbyte/defs.yaml: attributes: ")
    assert "connections[0].schedule.cron" in message


def test_example_project_validates_with_dagster_cli(emulator, tmp_path):
    root = _copy_project(tmp_path)
    env = {**os.environ, "AIRBYTE_URL": emulator.url, "DAGSTER_HOME": str(tmp_path), "PYTHONPATH": "src"}
    completed = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-m", "airbyte_ops_example.definitions"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert "Validation successful" in completed.stderr + completed.stdout


def test_dg_check_defs_passes_on_the_example(emulator, tmp_path):
    dg_cli = Path(sys.executable).parent / "dg"
    if not dg_cli.exists():
        if os.environ.get("CI"):
            pytest.fail("the dg CLI (dagster-dg-cli, in the test extra) is missing")
        pytest.skip("dagster-dg-cli not installed; `pip install -e '.[test]'` installs it")
    root = _copy_project(tmp_path)
    env = {**os.environ, "AIRBYTE_URL": emulator.url, "DAGSTER_HOME": str(tmp_path)}
    completed = subprocess.run(
        [str(dg_cli), "check", "defs", "--use-active-venv"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output[-2000:]
    assert "All definitions loaded successfully" in output
