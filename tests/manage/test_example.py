"""examples/airbyte-as-code on an empty Airbyte: plan exits 2, apply --yes creates, plan exits 0, and
`dagster definitions validate` loads the declared connection's assets."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dagster_airbyte_ops.cli import main
from dagster_airbyte_ops.config import load_config
from dagster_airbyte_ops.definitions import build_definitions
from dagster_airbyte_ops.emulator import EmulatorSettings
from dagster_airbyte_ops.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "airbyte-as-code"
SECRET = "canary-example-5b1e"


def test_example_plan_apply_plan_then_dagster_loads_it(spec_checked_emulators, tmp_path, monkeypatch, capsys):
    server = spec_checked_emulators(EmulatorSettings(seed="empty"))
    env = {
        "AIRBYTE_URL": server.url,
        "SHOP_PG_PASSWORD": SECRET,
        "AIRBYTE_OPS_STATE_KEY": "example-key-" + "0" * 20,
        "AIRBYTE_OPS_STATE": str(tmp_path / "state.json"),
        "AIRBYTE_OPS_CONFIG": str(EXAMPLE / "airbyte_ops.yaml"),
        "DAGSTER_HOME": str(tmp_path),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    config = ["--config", str(EXAMPLE / "airbyte_ops.yaml")]
    assert main(["plan", *config]) == 2
    assert main(["apply", *config, "--yes"]) == 0
    assert main(["plan", *config]) == 0
    out = capsys.readouterr()
    assert SECRET not in out.out + out.err
    completed = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-f", "definitions.py"],
        cwd=EXAMPLE,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert SECRET not in completed.stdout + completed.stderr
    defs = build_definitions(load_config(EXAMPLE / "airbyte_ops.yaml"))
    keys = {key.path[-1] for key in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {"shop_orders", "shop_customers"} <= keys


def test_declared_connection_not_yet_applied_says_to_apply(spec_checked_emulators, monkeypatch):
    server = spec_checked_emulators(EmulatorSettings(seed="empty"))
    monkeypatch.setenv("AIRBYTE_URL", server.url)
    monkeypatch.setenv("SHOP_PG_PASSWORD", SECRET)
    with pytest.raises(ConfigError) as raised:
        build_definitions(load_config(EXAMPLE / "airbyte_ops.yaml"))
    message = str(raised.value)
    assert (
        'connections[0].name: no Airbyte connection is named "Shop Postgres → SQLite"; '
        "it is declared in this file: run airbyte-ops apply to create it"
    ) in message
