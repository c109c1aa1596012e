"""Snapshot of every asset spec the demo workspace produces: any change to keys, groups, kinds or
definition metadata shows up in review as a diff of `__snapshots__/test_specs_snapshot.ambr`."""

from __future__ import annotations

import textwrap

import dagster as dg
import pytest

from dagster_airbyte_ops.config import parse_config
from dagster_airbyte_ops.definitions import build_definitions

CONFIG = """
airbyte: {{url: "{url}", api: {api}, retry_backoff_s: 0.01}}
connections:
  - match: "*"
"""


def _describe(value: object) -> object:
    if isinstance(value, dg.TableSchema):
        return [(c.name, c.type, c.constraints.nullable, c.constraints.unique) for c in value.columns]
    return getattr(value, "value", value)


@pytest.mark.parametrize("api", ["config", "public"])
def test_demo_asset_specs(emulator, tmp_path, snapshot, api):
    config = parse_config(textwrap.dedent(CONFIG).format(url=emulator.url, api=api), "airbyte_ops.yaml")
    graph = build_definitions(config, snapshot_dir=str(tmp_path)).get_repository_def().asset_graph

    specs = {
        key.to_user_string(): {
            "group": graph.get(key).group_name,
            "kinds": sorted(graph.get(key).kinds),
            "metadata": {name: _describe(value) for name, value in sorted(graph.get(key).metadata.items())},
        }
        for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string())
    }

    assert specs == snapshot
