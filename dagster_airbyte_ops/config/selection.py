"""Matching `connections:` entries against the connections Airbyte really has.

This is the second half of validation: names, ids, globs, `streams:` and `after:` can only be
checked once the workspace's catalog is known. Everything wrong is reported at once, in the same
`file: field.path: problem; fix` form as the file's own errors.

Pausing a connection in Airbyte must not break Dagster's code location, so inactive connections
are skipped with a warning (or kept with `defaults.include_inactive: true`), never an error.
"""

from __future__ import annotations

import fnmatch
import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

from ._text import close_matches
from .connections import ConnectionEntry, connection_label, resolve_connection_ref
from .loader import config_error, describe_cycle, find_cycle
from .models import AirbyteOpsConfig

logger = logging.getLogger(__name__)
MAX_LISTED = 10


class CatalogConnection(Protocol):
    """What selection needs of a connection (`dagster_airbyte_ops.client.models.Connection` fits)."""

    @property
    def id(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def status(self) -> Any: ...

    @property
    def streams(self) -> Sequence[Any]: ...


C = TypeVar("C", bound=CatalogConnection)


def _status(connection: CatalogConnection) -> str:
    status = getattr(connection, "status", "active")
    return str(getattr(status, "value", status)).lower()


def _listing(names: Iterable[str]) -> str:
    items = sorted(names)
    shown = ", ".join(f'"{n}"' for n in items[:MAX_LISTED])
    more = f" and {len(items) - MAX_LISTED} more" if len(items) > MAX_LISTED else ""
    return shown + more if items else "none"


def _suggest(word: str, candidates: Iterable[str], kind: str, n: int = 3, cutoff: float = 0.6) -> str:
    pool = list(candidates)
    close = close_matches(word, pool, n=n, cutoff=cutoff)
    if close:
        return "did you mean " + " or ".join(f'"{c}"' for c in close) + "?"
    return f"the workspace's {kind} are: {_listing(pool)}"


def resolve_connections(
    config: AirbyteOpsConfig, connections: Iterable[C]
) -> list[tuple[ConnectionEntry, C]]:
    """Pair each entry of `config.connections` with the Airbyte connections it selects.

    Returns pairs in file order (a glob's matches sorted by name). Raises ConfigError listing
    every problem: unknown names or ids (with close matches), globs matching nothing, a
    connection selected by two entries, unknown `streams:`, `after:` names that are neither a
    selected connection nor an asset key, `after:` cycles, and `downstream[].when` names that
    are not selected. For a file with several `instances:`, use `resolve_instance_connections`.

    Example:
        ```python
        import dagster as dg
        from dagster_airbyte_ops.config import parse_config, resolve_connections

        config = parse_config('connections: [{match: "*"}]')
        pairs = resolve_connections(config, client.list_connections())
        ```
    """
    names = [instance.name for instance in config.airbyte_instances()]
    if len(names) > 1:
        raise ValueError(
            "resolve_connections: this configuration has several instances "
            f"({', '.join(str(n) for n in names)}); call resolve_instance_connections with each "
            "instance's connections"
        )
    return resolve_instance_connections(config, {names[0]: connections})


def resolve_instance_connections(
    config: AirbyteOpsConfig, catalogs: Mapping[str | None, Iterable[C]]
) -> list[tuple[ConnectionEntry, C]]:
    """`resolve_connections` for every Airbyte at once: `catalogs` maps each instance name (None for
    the single `airbyte:` section) to its connections. `after:` and `downstream[].when` may name a
    connection of any instance (`"onprem:Orders"` when the plain name is in several)."""
    problems: list[str] = []
    pairs: list[tuple[ConnectionEntry, C]] = []
    chosen_by: dict[tuple[str | None, str], ConnectionEntry] = {}
    include_inactive = config.defaults.include_inactive
    indexed = {name: _Catalog(list(connections)) for name, connections in catalogs.items()}

    for entry in config.connections:
        catalog = indexed.get(entry.instance)
        if catalog is None:
            raise ValueError(
                f"resolve_instance_connections: no catalog given for instance {entry.instance!r}"
            )
        found = _select(entry, catalog, problems)
        for connection in found:
            status = _status(connection)
            if status != "active" and not (include_inactive and status == "inactive"):
                logger.warning(
                    "%s: %s: skipping Airbyte connection %r (status %s)%s",
                    config.source_name,
                    entry.describe(),
                    connection.name,
                    status,
                    "; set defaults.include_inactive: true to keep it" if status == "inactive" else "",
                )
                continue
            earlier = chosen_by.get((entry.instance, connection.id))
            if earlier is not None:
                key, _ = entry.selector
                problems.append(
                    f'{entry.path}.{key}: selects "{connection.name}", already selected by '
                    f"{earlier.describe()}; keep it in one entry (narrow the glob or remove one)"
                )
                continue
            chosen_by[(entry.instance, connection.id)] = entry
            problems.extend(_stream_problems(entry, connection))
            pairs.append((entry, connection))

    selected = [(entry.instance, c.name) for entry, c in pairs]
    instance_names = list(config.instances or {})
    problems.extend(_after_problems(pairs, selected, instance_names))
    for i, item in enumerate(config.downstream):
        for name in item.when:
            found = resolve_connection_ref(name, selected, instance_names)
            if len(found) > 1:
                problems.append(f"downstream[{i}].when: {_ambiguous(name, found)}")
            elif not found:
                near = close_matches(name, _labels(selected))
                fix = f'did you mean "{near[0]}"?' if near else "list it under connections: first"
                problems.append(f'downstream[{i}].when: "{name}" is not a selected connection; {fix}')
    if problems:
        raise config_error(config.source_name, list(dict.fromkeys(problems)))
    return pairs


class _Catalog:
    """One instance's connections, indexed by id and by name."""

    def __init__(self, connections: list[Any]) -> None:
        self.connections = connections
        self.by_id = {c.id: c for c in connections}
        self.by_name: dict[str, list[Any]] = {}
        for connection in connections:
            self.by_name.setdefault(connection.name, []).append(connection)


def _select(entry: ConnectionEntry, catalog: _Catalog, problems: list[str]) -> list[Any]:
    """The connections one entry selects in its instance's catalog; problems appended when none."""
    key, value = entry.selector
    where = f"{entry.path}.{key}"
    within = "" if entry.instance is None else f' in instance "{entry.instance}"'
    if key == "name":
        found = catalog.by_name.get(value, [])
        if not found:
            hint = _suggest(value, catalog.by_name, "connections")
            if entry.declare is not None:  # declared here but not created yet
                hint = "it is declared in this file: run airbyte-ops apply to create it"
            problems.append(f'{where}: no Airbyte connection{within} is named "{value}"; {hint}')
        elif len(found) > 1:
            ids = ", ".join(c.id for c in found)
            problems.append(
                f'{where}: {len(found)} Airbyte connections{within} are named "{value}" ({ids}); '
                "select one with id: instead"
            )
            return []
        return list(found)
    if key == "id":
        single = catalog.by_id.get(value)
        if single is None:
            hint = _suggest(value, catalog.by_id, "ids", n=1, cutoff=0.9)
            problems.append(f'{where}: no Airbyte connection{within} has id "{value}"; {hint}')
            return []
        return [single]
    found = sorted(
        (c for c in catalog.connections if fnmatch.fnmatchcase(c.name, value)), key=lambda c: c.name
    )
    if not found:
        problems.append(
            f'{where}: "{value}" matches no Airbyte connection{within} (case matters); '
            f"the workspace's connections are: {_listing(catalog.by_name)}"
        )
    return found


def _labels(selected: Iterable[tuple[str | None, str]]) -> list[str]:
    return [connection_label(instance, name) for instance, name in selected]


def _ambiguous(ref: str, found: Sequence[tuple[str | None, str]]) -> str:
    options = " or ".join(f'"{label}"' for label in _labels(found))
    return f'"{ref}" names a connection of several instances; write {options}'


def _stream_problems(entry: ConnectionEntry, connection: CatalogConnection) -> list[str]:
    if entry.streams is None:
        return []
    available = [s.name for s in connection.streams]
    problems = []
    for stream in entry.streams:
        if stream not in available:
            close = close_matches(stream, available)
            fix = f'did you mean "{close[0]}"?' if close else f"its streams are: {_listing(available)}"
            problems.append(f'{entry.path}.streams: "{stream}" is not a stream of "{connection.name}"; {fix}')
    return problems


def _after_problems(
    pairs: Sequence[tuple[ConnectionEntry, CatalogConnection]],
    selected: Sequence[tuple[str | None, str]],
    instance_names: Sequence[str] = (),
) -> list[str]:
    problems: list[str] = []
    graph: dict[str, list[str]] = {}
    where_by_node: dict[str, str] = {}
    for entry, connection in pairs:
        node = connection_label(entry.instance, connection.name)
        where_by_node[node] = f"{entry.path}.after"
        edges = graph.setdefault(node, [])
        for name in entry.after_connections:
            found = resolve_connection_ref(name, selected, instance_names)
            if len(found) == 1:
                edges.append(connection_label(*found[0]))
                continue
            if found:
                problems.append(f"{entry.path}.after: {_ambiguous(name, found)}")
                continue
            close = close_matches(name, _labels(selected))
            fix = (
                f'did you mean "{close[0]}"?'
                if close
                else 'select it under connections:, or write an asset key with "/" (e.g. "analytics/orders")'
            )
            problems.append(
                f'{entry.path}.after: "{name}" is neither a selected connection nor an asset key; {fix}'
            )
    cycle = find_cycle(graph)
    if cycle is not None:
        problems.append(
            f"{where_by_node[cycle[0]]}: {describe_cycle(cycle)}; remove one of these after: entries"
        )
    return problems
