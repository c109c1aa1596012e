"""Declarations resolved against Airbyte: definitions found, configurations checked, streams validated.

This is the step between the file and the diff. Each declared source and destination gets its connector's
definition and specification, its configuration resolved from the environment and checked (spec_check),
and the paths of its secrets. Each declared connection is checked against its source's discovered
catalog when the source exists: the streams it names must be there and support the chosen sync mode
(incremental needs the stream to support it and a cursor; deduplication needs a primary key and a
destination that deduplicates).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..client import Stream
from ..client.models import PUBLIC_SYNC_MODES
from ..config import AirbyteOpsConfig
from ..config._text import did_you_mean, show
from ..config.declarations import ConnectionDeclaration, ConnectorDeclaration, StreamDeclaration
from .live import Definition, Kind, LiveAirbyte
from .spec_check import Path, check_configuration


def resource_key(kind: str, name: str) -> str:
    """How the state file and messages name a resource: `source/Shop Postgres`."""
    return f"{kind}/{name}"


@dataclass
class DesiredActor:
    """A declared source or destination, resolved."""

    kind: Kind
    name: str
    where: str  # `sources[0]`
    definition: Definition
    values: dict[str, Any]
    secret_paths: set[Path]
    env_paths: dict[Path, str]
    check: bool
    validated: bool  # False when Airbyte served no specification

    @property
    def key(self) -> str:
        return resource_key(self.kind, self.name)


@dataclass
class DesiredConnection:
    """A declared connection (`connections[i].declare`)."""

    name: str
    where: str  # `connections[2]`
    declaration: ConnectionDeclaration

    @property
    def key(self) -> str:
        return resource_key("connection", self.name)


@dataclass
class Desired:
    """Everything the file declares, resolved, with every problem found on the way."""

    actors: dict[str, DesiredActor] = field(default_factory=dict)
    connections: dict[str, DesiredConnection] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def resolve(config: AirbyteOpsConfig, live: LiveAirbyte, environ: Mapping[str, str]) -> Desired:
    """Resolve and check every declaration of the file against Airbyte (no writes)."""
    out = Desired()
    no_spec: list[str] = []
    for kind, section, items in (
        ("source", "sources", config.sources),
        ("destination", "destinations", config.destinations),
    ):
        for i, item in enumerate(items):
            actor = _resolve_actor(kind, f"{section}[{i}]", item, live, environ, out.problems)  # type: ignore[arg-type]
            if actor is not None:
                out.actors[actor.key] = actor
                if not actor.validated:
                    no_spec.append(actor.where)
    if no_spec:
        out.notes.append(
            f"{', '.join(no_spec)}: this Airbyte serves no connector specifications (the public API has "
            "none), so configurations are not checked before writing; validation is left to Airbyte, "
            "whose refusal apply shows field by field"
        )
    for entry in config.connections:
        if entry.declare is not None and entry.name is not None:
            out.connections[resource_key("connection", entry.name)] = DesiredConnection(
                entry.name, entry.path, entry.declare
            )
    return out


def _resolve_actor(
    kind: Kind,
    where: str,
    item: ConnectorDeclaration,
    live: LiveAirbyte,
    environ: Mapping[str, str],
    problems: list[str],
) -> DesiredActor | None:
    definition, names = live.find_definition(kind, item.connector)
    if definition is None:
        hint = did_you_mean(item.connector, names) or f"this Airbyte offers {len(names)} {kind} connectors"
        problems.append(
            f"{where}.connector: {show(item.connector)} is not a {kind} connector of this Airbyte; {hint}"
        )
        return None
    spec = live.spec(kind, definition.id)
    checked = check_configuration(
        item.configuration,
        spec,
        where=f"{where}.configuration",
        connector=definition.name,
        environ=environ,
    )
    problems.extend(checked.problems)
    return DesiredActor(
        kind=kind,
        name=item.name,
        where=where,
        definition=definition,
        values=checked.values,
        secret_paths=checked.secret_paths,
        env_paths=checked.env_paths,
        check=item.check,
        validated=spec is not None,
    )


def supported_modes(stream: Stream) -> list[str]:
    """The source sync modes a discovered stream supports (full_refresh when the API does not say)."""
    return list(stream.supported_sync_modes or ["full_refresh"])


def check_streams(
    desired: DesiredConnection,
    discovered: list[Stream],
    destination_modes: list[str] | None,
) -> list[str]:
    """Problems of a declared connection's streams against the discovered catalog of its source."""
    problems: list[str] = []
    for i, decl in enumerate(desired.declaration.streams):
        where = f"{desired.where}.declare.streams[{i}]"
        match = find_stream(decl, discovered)
        if match is None:
            names = sorted({s.name for s in discovered})
            hint = did_you_mean(decl.name, names) or "the source offers " + ", ".join(
                f'"{n}"' for n in names[:10]
            )
            problems.append(f"{where}.name: the source has no stream {show(decl.name)}; {hint}")
            continue
        sync, dest = PUBLIC_SYNC_MODES[decl.sync_mode]
        if sync not in supported_modes(match):
            problems.append(
                f"{where}.sync_mode: {decl.sync_mode} needs incremental reads, which the stream "
                f'"{match.name}" does not support; use full_refresh_overwrite or full_refresh_append'
            )
            continue
        if destination_modes is not None and dest not in destination_modes:
            allowed = ", ".join(destination_modes)
            problems.append(
                f"{where}.sync_mode: the destination does not support {dest} (it supports {allowed}); "
                "choose another sync mode"
            )
        columns = set(((match.json_schema or {}).get("properties") or {}).keys())
        if sync == "incremental":
            cursor = decl.cursor_field or ([] if match.source_defined_cursor else match.default_cursor_field)
            if not cursor and not match.source_defined_cursor:
                problems.append(
                    f'{where}.cursor_field: the stream "{match.name}" has no default cursor; '
                    "name the column that grows with every change, e.g. cursor_field: updated_at"
                )
            elif decl.cursor_field and columns and decl.cursor_field[0] not in columns:
                hint = did_you_mean(decl.cursor_field[0], sorted(columns)) or "name one of its columns"
                problems.append(
                    f'{where}.cursor_field: the stream "{match.name}" has no column '
                    f"{show(decl.cursor_field[0])}; {hint}"
                )
        if dest == "append_dedup":
            pk = decl.primary_key or match.source_defined_primary_key
            if not pk:
                problems.append(
                    f'{where}.primary_key: deduplication needs a primary key and the stream "{match.name}" '
                    "defines none; add primary_key: [column]"
                )
            elif decl.primary_key and columns:
                for part in decl.primary_key:
                    if part and part[0] not in columns:
                        problems.append(
                            f'{where}.primary_key: the stream "{match.name}" has no column {show(part[0])}; '
                            + (did_you_mean(part[0], sorted(columns)) or "name one of its columns")
                        )
    return problems


def find_stream(decl: StreamDeclaration, discovered: list[Stream]) -> Stream | None:
    """The discovered stream a declaration names (by name, and namespace when declared)."""
    for s in discovered:
        if s.name == decl.name and (decl.namespace is None or s.namespace == decl.namespace):
            return s
    return None


def desired_streams(desired: DesiredConnection, discovered: list[Stream]) -> list[Stream]:
    """The catalog to write: each declared stream from the discovered one, with the declared modes."""
    out: list[Stream] = []
    for decl in desired.declaration.streams:
        match = find_stream(decl, discovered)
        if match is None:
            continue
        sync, dest = PUBLIC_SYNC_MODES[decl.sync_mode]
        cursor = decl.cursor_field or (match.default_cursor_field if sync == "incremental" else [])
        pk = decl.primary_key or match.source_defined_primary_key
        out.append(
            match.model_copy(
                update={
                    "sync_mode": sync,
                    "destination_sync_mode": dest,
                    "cursor_field": list(cursor) if sync == "incremental" else [],
                    "primary_key": [list(k) for k in pk]
                    if dest == "append_dedup" or decl.primary_key
                    else [],
                    "selected": True,
                }
            )
        )
    return out
