"""The repo's own entry point (definitions.py + workspace.yaml + airbyte_ops.yaml) loads in Dagster's CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_dagster_definitions_validate_passes_on_the_demo(emulator, tmp_path):
    env = {**os.environ, "AIRBYTE_URL": emulator.url, "DAGSTER_HOME": str(tmp_path)}
    env.pop("AIRBYTE_OPS_CONFIG", None)
    completed = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-w", "workspace.yaml"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert "All code locations passed validation" in completed.stderr + completed.stdout
