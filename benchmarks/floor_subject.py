"""Dagster's floor: the same asset specs as ours, built by plain Dagster and nothing else.

`describe(repo)` writes down, in plain JSON, every spec our definitions hold (key, group, description,
kinds, tags, owners, definition metadata with its column schema), the asset checks declared with them
(name, asset, description) and each connection's multi-asset (op name, pool). `floor_defs(path)` reads
that file back and builds it with plain Dagster: one subsettable `dg.multi_asset` per connection over
`dg.AssetSpec`s and `dg.AssetCheckSpec`s, every `dg.TableSchema` built anew per stream, one
`dg.Definitions`. No Airbyte, no configuration, no schedules, sensors or jobs: what any Dagster code
location with these assets and checks must pay at least. Reading the file is part of the floor's wall
time (ours reads Airbyte's answer over HTTP instead).
"""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg

FORMAT = 2


def _encode_value(value: Any) -> Any:
    if isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, dg.TableSchema):
        return {
            "columns": [[c.name, c.type, c.constraints.nullable, c.constraints.unique] for c in value.columns]
        }
    if isinstance(value, dg.TextMetadataValue):
        return value.value
    if isinstance(value, dg.TableSchemaMetadataValue):
        return _encode_value(value.schema)
    raise TypeError(f"floor: no plain form for metadata value {type(value).__name__}")


def describe(repo: dg.RepositoryDefinition, path: str | Path) -> int:
    """Write the plain description of every executable multi-asset of `repo`; returns how many."""
    connections: list[dict[str, Any]] = []
    for assets_def in repo.asset_graph.assets_defs:
        if not assets_def.is_executable or not assets_def.keys:
            continue
        connections.append(
            {
                "op": assets_def.node_def.name,
                "pool": getattr(assets_def.node_def, "pool", None),
                "specs": [
                    {
                        "key": list(spec.key.path),
                        "group": spec.group_name,
                        "description": spec.description,
                        "kinds": sorted(spec.kinds),
                        "tags": {k: v for k, v in spec.tags.items() if not k.startswith("dagster/kind/")},
                        "owners": list(spec.owners),
                        "metadata": {k: _encode_value(v) for k, v in spec.metadata.items()},
                    }
                    for spec in assets_def.specs
                ],
                "checks": [
                    [spec.name, list(spec.asset_key.path), spec.description]
                    for spec in assets_def.check_specs
                ],
            }
        )
    Path(path).write_text(json.dumps({"v": FORMAT, "connections": connections}))
    return len(connections)


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict) and "columns" in value:
        return dg.TableSchema(
            columns=[
                dg.TableColumn(
                    name=name,
                    type=kind,
                    constraints=dg.TableColumnConstraints(nullable=nullable, unique=unique),
                )
                for name, kind, nullable, unique in value["columns"]
            ]
        )
    return value


def _multi_asset(connection: dict[str, Any]) -> dg.AssetsDefinition:
    specs = [
        dg.AssetSpec(
            key=dg.AssetKey(spec["key"]),
            group_name=spec["group"],
            description=spec["description"],
            kinds=set(spec["kinds"]),
            tags=spec["tags"],
            owners=spec["owners"],
            metadata={k: _decode_value(v) for k, v in spec["metadata"].items()},
            skippable=True,
        )
        for spec in connection["specs"]
    ]

    checks = [
        dg.AssetCheckSpec(name, asset=dg.AssetKey(key), description=description)
        for name, key, description in connection.get("checks", [])
    ]

    @dg.multi_asset(
        name=connection["op"],
        specs=specs,
        check_specs=checks or None,
        can_subset=True,
        pool=connection["pool"],
    )
    def _sync(context: dg.AssetExecutionContext) -> Iterator[dg.MaterializeResult]:
        for key in context.selected_asset_keys:
            yield dg.MaterializeResult(asset_key=key)

    return _sync


def floor_defs(path: str | Path) -> dg.Definitions:
    """Plain Dagster definitions of the specs described in `path` (see `describe`)."""
    data = json.loads(Path(path).read_text())
    if data.get("v") != FORMAT:
        raise ValueError(f"{path}: spec description format {data.get('v')!r}, expected {FORMAT}")
    return dg.Definitions(assets=[_multi_asset(c) for c in data["connections"]])
