"""`after:` of `airbyte_ops.yaml`: run a connection's sync when its upstreams have landed.

`chain_definitions` is the fragment of `build_definitions` that holds every upstream sensor of the
file: one `<slug>_after_sensor` per entry with `after:`, and the `downstream:` sensors (downstream.py),
checked together so that two sensors never share a name and `after:` never loops through asset keys.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import dagster as dg

from ..assets.built_connection import BuiltConnection, connections_by_ref
from ..config import AirbyteOpsConfig, ConnectionEntry
from ..config.connections import after_asset_key
from ..config.loader import config_error, describe_cycle, find_cycle
from ..names import after_sensor_name
from .downstream import downstream_sensor
from .upstream import Upstream, build_after_sensor, connection_upstream, describe_upstreams, quoted


def chain_definitions(config: AirbyteOpsConfig, built: Sequence[BuiltConnection]) -> dg.Definitions:
    """The `after:` and `downstream:` sensors of `config` (a fragment of `build_definitions`).

    Raises:
        ConfigError: an `after:` cycle or self-reference through stream asset keys, an upstream
            connection with no selected streams, or two sensors with one name.
    """
    by_name = connections_by_ref(built)  # plain names, and `instance:name` with instances:
    owner_of_key = {key: item for item in built for key in item.asset_keys}
    problems: list[str] = []
    sensors: list[dg.SensorDefinition] = []
    where_by_sensor: dict[str, str] = {}

    def add(sensor: dg.SensorDefinition, where: str) -> None:
        earlier = where_by_sensor.get(sensor.name)
        if earlier is not None:
            problems.append(
                f'{where}: sensor name "{sensor.name}" is already used by {earlier}; '
                "rename the downstream item (or one of the connections in Airbyte)"
            )
            return
        where_by_sensor[sensor.name] = where
        sensors.append(sensor)

    for item in built:
        entry = item.entry
        if not entry.after:
            continue
        upstreams = _after_upstreams(entry, by_name, problems)
        if upstreams is None:
            continue
        description = describe_upstreams(
            f"the sync of {quoted(item.connection.name)} (job {item.job.name}, its streams)",
            upstreams,
            entry.after_mode,
        )
        sensor = build_after_sensor(
            name=after_sensor_name(item.slug),
            upstreams=upstreams,
            job=item.job,
            run_asset_keys=item.asset_keys,
            run_tags=item.run_tags,
            mode=entry.after_mode,
            description=description,
            target_where=f"{config.source_name}: {entry.path}",
        )
        add(sensor, f"{entry.path} ({quoted(item.connection.name)})")

    problems.extend(_key_cycles(built, owner_of_key))

    for index, spec in enumerate(config.downstream):
        downstream = downstream_sensor(config.source_name, index, spec, by_name, problems)
        if downstream is not None:
            add(downstream, f"downstream[{index}]")

    if problems:
        raise config_error(config.source_name, list(dict.fromkeys(problems)))
    return dg.Definitions(sensors=sensors)


def _after_upstreams(
    entry: ConnectionEntry, by_name: Mapping[str, BuiltConnection], problems: list[str]
) -> list[Upstream] | None:
    where = f"{entry.path}.after"
    upstreams: list[Upstream] = []
    ok = True
    for ref in entry.after:
        key = after_asset_key(ref)
        if key is not None:
            upstreams.append(Upstream.asset(key))
            continue
        found = connection_upstream(ref, where, by_name, problems)
        ok = ok and found is not None
        if found is not None:
            upstreams.append(found)
    return upstreams if ok else None


def _key_cycles(
    built: Sequence[BuiltConnection], owner_of_key: Mapping[dg.AssetKey, BuiltConnection]
) -> list[str]:
    """`after:` loops that go through stream asset keys (names alone were checked at load)."""
    graph: dict[str, list[str]] = {}
    where: dict[str, str] = {}
    by_ref = connections_by_ref(built)
    for item in built:
        name = item.label
        where[name] = f"{item.entry.path}.after"
        edges = graph.setdefault(name, [])
        for ref in item.entry.after:
            key = after_asset_key(ref)
            if key is None:
                edges.append(by_ref[ref].label if ref in by_ref else ref)
                continue
            owner = owner_of_key.get(key)
            if owner is not None:
                edges.append(owner.label)
    cycle = find_cycle(graph)
    if cycle is None:
        return []
    return [
        f"{where[cycle[0]]}: {describe_cycle(cycle)} (asset keys count as their connection); "
        "remove one of these after: entries"
    ]
