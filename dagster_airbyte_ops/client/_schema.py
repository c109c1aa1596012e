"""What Airbyte already knows about a connection's schema, read without running a discover.

Airbyte stores, per connection, ``schemaChange`` (web_backend reads: ``no_change``, ``non_breaking``,
``breaking``), its status, its configured catalog, and per source the catalog its most recent discover
fetched (``sources/most_recent_source_actor_catalog``). A :class:`SchemaReport` is those reads put side
by side: which streams and columns the source gained, lost or retyped compared with what the connection
syncs. Only the Config API has them; on the public API a report knows the status alone.

Costs: ``web_backend/connections/list`` answers ``schemaChange`` of every connection of a workspace in one
request; a connection that reports a change costs two more (its web_backend read and its source's latest
catalog) to say what changed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from .models import Connection, Stream

SchemaChange = Literal["no_change", "non_breaking", "breaking"]
_DEDUP = ("append_dedup", "overwrite_dedup")


def _type_of(schema: Any) -> str:
    """A column's JSON-schema type in one word (``number``, ``string/date-time``), nulls left out."""
    if not isinstance(schema, Mapping):
        return "unknown"
    raw = schema.get("type", "unknown")
    types = [raw] if isinstance(raw, str) else [t for t in raw if t != "null"]
    text = "|".join(str(t) for t in types) or "null"
    fmt = schema.get("format")
    return f"{text}/{fmt}" if fmt else text


@dataclass(frozen=True)
class StreamSchemaChange:
    """How one stream differs between the source's latest catalog and the connection's configuration."""

    stream: str
    namespace: str | None
    kind: Literal["added", "removed", "updated"]
    added_columns: tuple[str, ...] = ()
    removed_columns: tuple[str, ...] = ()
    retyped_columns: tuple[tuple[str, str, str], ...] = ()  # (column, old type, new type)
    #: Removed columns that break the connection (Airbyte's rule: the cursor of an incremental stream,
    #: or a primary-key column under dedup).
    breaking_columns: tuple[str, ...] = ()

    def describe(self) -> str:
        """One line, e.g. ``orders: removed column updated_at (breaking); added column coupon``."""
        if self.kind == "added":
            return f"{self.stream}: new stream in the source"
        if self.kind == "removed":
            return f"{self.stream}: stream removed from the source"
        parts = []
        for column in self.removed_columns:
            note = " (breaking)" if column in self.breaking_columns else ""
            parts.append(f"removed column {column}{note}")
        parts += [f"added column {c}" for c in self.added_columns]
        parts += [f"retyped column {c} from {old} to {new}" for c, old, new in self.retyped_columns]
        return f"{self.stream}: {'; '.join(parts)}"

    def as_json(self) -> dict[str, Any]:
        """The change as JSON metadata (no secrets: names and types only)."""
        out: dict[str, Any] = {"stream": self.stream, "change": self.kind}
        if self.namespace:
            out["namespace"] = self.namespace
        if self.added_columns:
            out["added_columns"] = list(self.added_columns)
        if self.removed_columns:
            out["removed_columns"] = list(self.removed_columns)
        if self.retyped_columns:
            out["retyped_columns"] = [{"column": c, "from": o, "to": n} for c, o, n in self.retyped_columns]
        if self.breaking_columns:
            out["breaking_columns"] = list(self.breaking_columns)
        return out


@dataclass(frozen=True)
class SchemaReport:
    """A connection's schema state as Airbyte stores it (see the module docstring)."""

    connection_id: str
    connection_name: str
    status: str
    #: Airbyte's ``schemaChange``; None where the API does not say (the public API).
    schema_change: SchemaChange | None
    changes: tuple[StreamSchemaChange, ...] = ()
    streams: tuple[Stream, ...] = field(default=())

    @property
    def breaking(self) -> bool:
        return self.schema_change == "breaking"

    @property
    def disabled(self) -> bool:
        return self.status == "inactive"

    def for_stream(self, name: str) -> StreamSchemaChange | None:
        return next((c for c in self.changes if c.stream == name), None)

    def summary(self) -> str:
        """All changes on one line (``none found`` when the catalogs agree)."""
        return "; ".join(c.describe() for c in self.changes) or "no difference found in the catalogs"

    def diff_json(self) -> list[dict[str, Any]]:
        return [c.as_json() for c in self.changes]

    def fingerprint(self) -> str:
        """Stable text of what is wrong, so an alert is sent once per distinct change."""
        return json.dumps(
            {"status": self.status, "change": self.schema_change, "diff": self.diff_json()}, sort_keys=True
        )


def _columns(schema: Mapping[str, Any] | None) -> dict[str, Any]:
    return dict((schema or {}).get("properties") or {})


def diff_streams(
    configured: Sequence[Stream], latest: Sequence[Mapping[str, Any]]
) -> list[StreamSchemaChange]:
    """Compare the connection's selected streams with the source's latest (protocol) catalog streams."""
    latest_by = {(s.get("name"), s.get("namespace")): s for s in latest if isinstance(s, Mapping)}
    names = {name for name, _ in latest_by}
    out: list[StreamSchemaChange] = []
    selected = [s for s in configured if s.selected]
    known = {(s.name, s.namespace) for s in configured}
    for stream in selected:
        new = latest_by.get((stream.name, stream.namespace))
        if new is None and stream.name in names:
            new = next(v for (n, _), v in latest_by.items() if n == stream.name)
        if new is None:
            out.append(StreamSchemaChange(stream.name, stream.namespace, "removed"))
            continue
        old_cols = _columns(stream.json_schema)
        new_cols = _columns(new.get("json_schema") or new.get("jsonSchema"))
        added = tuple(sorted(new_cols.keys() - old_cols.keys()))
        removed = tuple(sorted(old_cols.keys() - new_cols.keys()))
        retyped = tuple(
            (c, _type_of(old_cols[c]), _type_of(new_cols[c]))
            for c in sorted(old_cols.keys() & new_cols.keys())
            if old_cols[c] != new_cols[c]
        )
        breaking = tuple(c for c in removed if _breaks(stream, c))
        if added or removed or retyped:
            out.append(
                StreamSchemaChange(
                    stream.name, stream.namespace, "updated", added, removed, retyped, breaking
                )
            )
    for (name, namespace), _ in sorted(latest_by.items(), key=lambda kv: (str(kv[0][0]), str(kv[0][1]))):
        if (name, namespace) not in known and name not in {s.name for s in configured}:
            out.append(StreamSchemaChange(str(name), namespace, "added"))
    return out


def _breaks(stream: Stream, column: str) -> bool:
    if stream.sync_mode == "incremental" and stream.cursor_field == [column]:
        return True
    return stream.destination_sync_mode in _DEDUP and [column] in stream.primary_key


def report_from_config_api(
    web_read: Mapping[str, Any], latest_catalog: Mapping[str, Any] | None, *, source: str
) -> SchemaReport:
    """A report from a ``WebBackendConnectionRead`` and an ``ActorCatalogWithUpdatedAt`` (None: not read)."""
    connection = Connection.from_config_api(web_read, source=source)
    raw = web_read.get("schemaChange")
    change: SchemaChange | None = raw if raw in ("no_change", "non_breaking", "breaking") else None
    streams = (latest_catalog or {}).get("catalog") or {}
    changes = diff_streams(connection.streams, streams.get("streams") or []) if latest_catalog else []
    return SchemaReport(
        connection_id=connection.id,
        connection_name=connection.name,
        status=connection.status,
        schema_change=change,
        changes=tuple(changes),
        streams=tuple(connection.streams),
    )


def report_from_connection(connection: Connection) -> SchemaReport:
    """What the public API allows: the status, no ``schemaChange`` and no diff."""
    return SchemaReport(
        connection_id=connection.id,
        connection_name=connection.name,
        status=connection.status,
        schema_change=None,
        streams=tuple(connection.streams),
    )


def no_change_report(connection_id: str, name: str, status: str) -> SchemaReport:
    """What a `web_backend/connections/list` item says of a connection without a change (no more requests)."""
    return SchemaReport(
        connection_id=connection_id, connection_name=name, status=status, schema_change="no_change"
    )
