"""Fixtures: an empty emulator (or the demo one), the environment plan/apply read, a CLI runner."""

from __future__ import annotations

from typing import Any

import pytest

from dagster_airbyte_ops.emulator import EmulatorSettings
from tests.manage.helpers import PG_PASSWORD, STATE_KEY, Runner


@pytest.fixture
def managed(
    request: pytest.FixtureRequest, spec_checked_emulators: Any, tmp_path: Any, monkeypatch: Any, capsys: Any
) -> Any:
    """(emulator, runner) on an emulator seeded `empty` (param "public" → the public API)."""
    api = getattr(request, "param", "config")
    server = spec_checked_emulators(EmulatorSettings(seed="empty", default_job_duration_s=1.0))
    monkeypatch.setenv("AIRBYTE_URL", server.url)
    monkeypatch.setenv("AIRBYTE_API", api)
    monkeypatch.setenv("PG_PASSWORD", PG_PASSWORD)
    monkeypatch.setenv("AIRBYTE_OPS_STATE_KEY", STATE_KEY)
    monkeypatch.setenv("AIRBYTE_OPS_STATE", str(tmp_path / "state.json"))
    runner = Runner(tmp_path / "airbyte_ops.yaml", capsys)
    yield server, runner
    for output in runner.outputs:
        assert PG_PASSWORD not in output
    state = tmp_path / "state.json"
    if state.exists():
        assert PG_PASSWORD not in state.read_text()
