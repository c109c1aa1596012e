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
from collections.abc import Iterable, Sequence
from typing import Any, Protocol, TypeVar

from ._text import close_matches
from .loader import config_error, describe_cycle, find_cycle
from .models import AirbyteOpsConfig, ConnectionEntry

logger = logging.getLogger(__name__)
MAX_LISTED = 10


class CatalogStream(Protocol):
    """What selection needs of a stream."""

    @property
    def name(self) -> str: ...


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
    are not selected.

    Example:
        ```python
        import dagster as dg
        from dagster_airbyte_ops.config import parse_config, resolve_connections

        config = parse_config('connections: [{match: "*"}]')
        pairs = resolve_connections(config, client.list_connections())
        ```
    """
    catalog = list(connections)
    by_id = {c.id: c for c in catalog}
    by_name: dict[str, list[C]] = {}
    for connection in catalog:
        by_name.setdefault(connection.name, []).append(connection)
    problems: list[str] = []
    chosen_by: dict[str, ConnectionEntry] = {}
    pairs: list[tuple[ConnectionEntry, C]] = []
    include_inactive = config.defaults.include_inactive

    for entry in config.connections:
        key, value = entry.selector
        where = f"{entry.path}.{key}"
        if key == "name":
            found = by_name.get(value, [])
            if not found:
                hint = _suggest(value, by_name, "connections")
                problems.append(f'{where}: no Airbyte connection is named "{value}"; {hint}')
                continue
            if len(found) > 1:
                ids = ", ".join(c.id for c in found)
                problems.append(
                    f'{where}: {len(found)} Airbyte connections are named "{value}" ({ids}); '
                    "select one with id: instead"
                )
                continue
        elif key == "id":
            single = by_id.get(value)
            if single is None:
                hint = _suggest(value, by_id, "ids", n=1, cutoff=0.9)
                problems.append(f'{where}: no Airbyte connection has id "{value}"; {hint}')
                continue
            found = [single]
        else:
            found = sorted((c for c in catalog if fnmatch.fnmatchcase(c.name, value)), key=lambda c: c.name)
            if not found:
                problems.append(
                    f'{where}: "{value}" matches no Airbyte connection (case matters); '
                    f"the workspace's connections are: {_listing(by_name)}"
                )
                continue

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
            earlier = chosen_by.get(connection.id)
            if earlier is not None:
                problems.append(
                    f'{where}: selects "{connection.name}", already selected by {earlier.describe()}; '
                    "keep it in one entry (narrow the glob or remove one)"
                )
                continue
            chosen_by[connection.id] = entry
            problems.extend(_stream_problems(entry, connection))
            pairs.append((entry, connection))

    selected_names = {c.name for _, c in pairs}
    problems.extend(_after_problems(pairs, selected_names))
    for i, item in enumerate(config.downstream):
        for name in item.when:
            if name not in selected_names:
                near = close_matches(name, selected_names)
                fix = f'did you mean "{near[0]}"?' if near else "list it under connections: first"
                problems.append(f'downstream[{i}].when: "{name}" is not a selected connection; {fix}')
    if problems:
        raise config_error(config.source_name, list(dict.fromkeys(problems)))
    return pairs


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
    pairs: Sequence[tuple[ConnectionEntry, CatalogConnection]], selected: set[str]
) -> list[str]:
    problems: list[str] = []
    graph: dict[str, list[str]] = {}
    where_by_name: dict[str, str] = {}
    for entry, connection in pairs:
        where_by_name[connection.name] = f"{entry.path}.after"
        edges = graph.setdefault(connection.name, [])
        for name in entry.after_connections:
            if name in selected:
                edges.append(name)
                continue
            close = close_matches(name, selected)
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
            f"{where_by_name[cycle[0]]}: {describe_cycle(cycle)}; remove one of these after: entries"
        )
    return problems
