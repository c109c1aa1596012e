"""`AirbyteTranslator`: how an Airbyte stream becomes a Dagster asset spec.

Keys name the destination table (namespace, then prefixed stream name), following the rules Airbyte
itself uses to pick the destination namespace, so that a user's downstream asset can say
`deps=[AssetKey(["public", "orders"])]` and mean the table it reads. Subclass and override one method
to change one decision.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import dagster as dg

from ..client.models import Connection, Destination, Stream
from ..metadata import AirbyteMetadataSet

SOURCE_NAMESPACE_TOKEN = "${SOURCE_NAMESPACE}"
#: Distinct column lists kept for sharing (beyond it, the least recently used are built anew).
SHARED_SCHEMAS = 65536
_NOT_NAME_CHARS = re.compile(r"[^A-Za-z0-9_]+")
_NOT_KEY_CHARS = re.compile(r"[^A-Za-z0-9_\-]+")

# Airbyte's JSON-schema types (and airbyte_type/format refinements) in table-column words.
_FORMAT_TYPES = {"date-time": "timestamp", "date": "date", "time": "time"}
_AIRBYTE_TYPES = {
    "timestamp_with_timezone": "timestamp_tz",
    "timestamp_without_timezone": "timestamp",
    "integer": "integer",
    "big_integer": "bigint",
    "big_number": "numeric",
}


def slugify(name: str) -> str:
    """A Dagster-safe name (`^[A-Za-z0-9_]+$`) from a human connection name."""
    slug = _NOT_NAME_CHARS.sub("_", name.strip().lower()).strip("_")
    return slug or "connection"


def key_part(text: str) -> str:
    """One asset-key component that survives selection strings and URLs."""
    return _NOT_KEY_CHARS.sub("_", text).strip("_") or "_"


@dataclass(frozen=True)
class AirbyteStreamProps:
    """Everything known about one synced stream when its spec is built."""

    connection: Connection
    stream: Stream
    destination: Destination | None = None
    key_prefix: Sequence[str] = ()
    group_name: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    owners: Sequence[str] = ()
    #: `defaults.key_style`: "airbyte-ops", or "dagster-airbyte" for that integration's keys.
    key_style: str = "airbyte-ops"


class AirbyteTranslator:
    """Default mapping; every method takes the stream's props and may be overridden."""

    def get_asset_spec(self, props: AirbyteStreamProps) -> dg.AssetSpec:
        return dg.AssetSpec(
            key=self.get_asset_key(props),
            group_name=self.get_group_name(props),
            description=self.get_description(props),
            metadata=self.get_metadata(props),
            kinds=self.get_kinds(props),
            tags=dict(props.tags),
            owners=list(props.owners),
        )

    def get_destination_namespace(self, props: AirbyteStreamProps) -> str | None:
        """The namespace (schema, dataset, folder) Airbyte writes this stream into."""
        connection, stream = props.connection, props.stream
        default = props.destination.default_namespace if props.destination else None
        if connection.namespace_definition == "source":
            return stream.namespace or default
        if connection.namespace_definition == "customformat":
            formatted = (connection.namespace_format or "").replace(
                SOURCE_NAMESPACE_TOKEN, stream.namespace or ""
            )
            return formatted or default
        return default

    def get_table_name(self, props: AirbyteStreamProps) -> str:
        return f"{props.connection.prefix or ''}{props.stream.name}"

    def get_asset_key(self, props: AirbyteStreamProps) -> dg.AssetKey:
        if props.key_style == "dagster-airbyte":
            # dagster-airbyte 0.29 (translator.py): AssetKey(f"{prefix}{stream}"), the name unaltered.
            return dg.AssetKey([*(key_part(part) for part in props.key_prefix), self.get_table_name(props)])
        namespace = self.get_destination_namespace(props)
        parts = [*props.key_prefix, *([namespace] if namespace else []), self.get_table_name(props)]
        return dg.AssetKey([key_part(part) for part in parts])

    def get_group_name(self, props: AirbyteStreamProps) -> str:
        return props.group_name or slugify(props.connection.name)

    def get_kinds(self, props: AirbyteStreamProps) -> set[str]:
        kinds = {"airbyte"}
        if props.destination and props.destination.destination_type:
            kinds.add(props.destination.destination_type)
        return kinds

    def get_description(self, props: AirbyteStreamProps) -> str:
        destination = props.destination.name if props.destination else "its destination"
        return (
            f"Stream `{props.stream.name}` synced by Airbyte connection "
            f"\u201c{props.connection.name}\u201d into {destination}."
        )

    def get_metadata(self, props: AirbyteStreamProps) -> dict[str, Any]:
        """Definition metadata; deliberately nothing from connector configuration (it holds secrets)."""
        connection, stream = props.connection, props.stream
        namespace = self.get_destination_namespace(props)
        table = self.get_table_name(props)
        metadata: dict[str, Any] = AirbyteMetadataSet(
            connection_id=connection.id,
            connection_name=connection.name,
            stream_name=stream.name,
            sync_mode=f"{stream.sync_mode} / {stream.destination_sync_mode}",
            source_namespace=stream.namespace or None,
            cursor_field=".".join(stream.cursor_field) if stream.cursor_field else None,
            primary_key=(
                ", ".join(".".join(path) for path in stream.primary_key) if stream.primary_key else None
            ),
        ).to_metadata()
        metadata["dagster/table_name"] = f"{namespace}.{table}" if namespace else table
        schema = table_schema_from_json_schema(stream.json_schema, primary_key=stream.primary_key)
        if schema is not None:
            metadata["dagster/column_schema"] = schema
        return metadata


def _column_type(prop: Mapping[str, Any]) -> tuple[str, bool]:
    raw = prop.get("type", "string")
    types = [raw] if isinstance(raw, str) else [t for t in raw if isinstance(t, str)]
    nullable = "null" in types
    base = next((t for t in types if t != "null"), "string")
    airbyte_type = prop.get("airbyte_type")
    if isinstance(airbyte_type, str) and airbyte_type in _AIRBYTE_TYPES:
        return _AIRBYTE_TYPES[airbyte_type], nullable
    fmt = prop.get("format")
    if base == "string" and isinstance(fmt, str) and fmt in _FORMAT_TYPES:
        return _FORMAT_TYPES[fmt], nullable
    return base, nullable


def table_schema_from_json_schema(
    json_schema: Mapping[str, Any] | None, *, primary_key: Sequence[Sequence[str]] = ()
) -> dg.TableSchema | None:
    """Top-level columns of an Airbyte stream's JSON schema as a Dagster TableSchema."""
    if not json_schema:
        return None
    properties = json_schema.get("properties")
    if not isinstance(properties, Mapping) or not properties:
        return None
    key_columns = {path[0] for path in primary_key if path}
    shape = []
    for name, prop in properties.items():
        column_type, nullable = _column_type(prop if isinstance(prop, Mapping) else {})
        is_key = name in key_columns
        shape.append((str(name), column_type, nullable and not is_key, is_key))
    return _shared_schema(tuple(shape))


@functools.lru_cache(maxsize=SHARED_SCHEMAS)
def _shared_schema(shape: tuple[tuple[str, str, bool, bool], ...]) -> dg.TableSchema:
    """One `TableSchema` object per distinct column list: streams alike (the same table in many
    connections, or tables of one generator) share it instead of holding equal copies (immutable)."""
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                name=name, type=kind, constraints=dg.TableColumnConstraints(nullable=nullable, unique=unique)
            )
            for name, kind, nullable, unique in shape
        ]
    )
