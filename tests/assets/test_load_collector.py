"""`build_definitions` pauses Python's cyclic collector while building and freezes what a large build made.

Why: the collector's full passes rescan every long-lived object of the definitions, which made a large
workspace's load grow with the square of its size (docs/performance.md). These tests pin the
contract: the collector's state is restored, even after an error, and a large build's objects end up
frozen (out of later collections' view) while a small one's do not.
"""

from __future__ import annotations

import gc
import textwrap
from collections.abc import Iterator

import pytest

from dagster_airbyte_ops import definitions
from dagster_airbyte_ops.config import parse_config
from dagster_airbyte_ops.definitions import build_definitions
from dagster_airbyte_ops.errors import ConfigError

CONFIG = """
airbyte: {{url: "{url}"}}
connections:
  - {selector}
"""


@pytest.fixture(autouse=True)
def _collector_restored() -> Iterator[None]:
    was_enabled = gc.isenabled()
    yield
    gc.unfreeze()  # what a test froze goes back under the collector
    if was_enabled:
        gc.enable()


def _build(emulator, tmp_path, selector: str = 'match: "*"'):
    text = textwrap.dedent(CONFIG).format(url=emulator.url, selector=selector)
    config = parse_config(text, "airbyte_ops.yaml")
    return build_definitions(config, snapshot_dir=str(tmp_path / "snapshots"))


def test_a_small_build_restores_the_collector_and_freezes_nothing(emulator, tmp_path) -> None:
    gc.unfreeze()
    gc.enable()
    _build(emulator, tmp_path)
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_a_large_build_freezes_what_it_made(emulator, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(definitions, "FREEZE_AFTER_OBJECTS", 1_000)  # the demo's catalog counts as large
    gc.unfreeze()
    gc.enable()
    defs = _build(emulator, tmp_path)
    assert gc.isenabled()
    assert gc.get_freeze_count() > 1_000
    assert len(defs.resolve_asset_graph().get_all_asset_keys()) > 0


def test_a_failed_build_restores_the_collector(emulator, tmp_path) -> None:
    gc.enable()
    with pytest.raises(ConfigError, match="No Such Connection"):
        _build(emulator, tmp_path, selector='name: "No Such Connection"')  # fails inside the build
    assert gc.isenabled()


def test_a_disabled_collector_stays_disabled(emulator, tmp_path) -> None:
    gc.disable()
    _build(emulator, tmp_path)
    assert not gc.isenabled()
