"""Schema changes as Airbyte detects and handles them: catalog diffs, breaking changes, propagation.

A source's live schema (``Actor.catalog``) can drift from the catalog a connection was configured from
(its *raw* catalog, Airbyte's ``sourceCatalogId``). Airbyte notices only when a discover really runs:
``sources/discover_schema`` on a cache miss or with ``disable_cache``, and the discover every sync and
refresh runs before replicating. The rules below are read from airbyte-platform (commit 310e6cb6ac0e, checked
against v1.7.0, v1.8.0 and v2.0.0); docs/schema-changes.md cites each one:

- the diff: ``CatalogDiffHelpers.getCatalogDiff`` (field transforms only for selected streams; breaking =
  removing the cursor of an incremental stream or a primary-key field under dedup, or a new non-empty
  source-defined primary key under dedup);
- after the diff: ``ConnectionsHandler.disableConnectionIfNeeded`` (``breakingChange`` always rewritten,
  ``inactive`` on a breaking change, or on any change under ``disable``);
- propagation (only before a sync, ``postprocessDiscoveredCatalog``): ``ApplySchemaChangeHelper``
  (``propagate_columns`` applies update_stream, ``propagate_fully`` also adds and drops streams; an
  empty diff or a propagated one moves ``sourceCatalogId`` to the new catalog);
- ``schemaChange`` on web_backend reads: ``WebBackendConnectionsHandler.getSchemaChange``.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from dagster_airbyte_ops.emulator.state import Actor, Connection, EmulatorState, stable_id

StreamKey = tuple[str, str | None]
_DEDUP_MODES = ("append_dedup", "overwrite_dedup")


def catalog_id(streams: list[dict[str, Any]]) -> str:
    """The id Airbyte gives a discovered catalog: the same content always maps to the same id."""
    canonical = json.dumps(streams, sort_keys=True, separators=(",", ":"))
    return stable_id("catalog", hashlib.sha256(canonical.encode()).hexdigest())


def _key(stream: dict[str, Any]) -> StreamKey:
    return stream["name"], stream.get("namespace")


def raw_catalog(conn: Connection) -> list[dict[str, Any]]:
    """The catalog the connection was configured from, else (as Airbyte) the streams of its sync catalog."""
    if conn.source_catalog is not None:
        return conn.source_catalog
    return [entry["stream"] for entry in conn.sync_catalog]


_ID_MEMO: dict[int, tuple[list[dict[str, Any]], str]] = {}


def source_catalog_id(conn: Connection) -> str:
    """``ConnectionRead.sourceCatalogId`` (memoized per catalog list: catalogs are replaced, not edited)."""
    held = conn.source_catalog if conn.source_catalog is not None else conn.sync_catalog
    memo = _ID_MEMO.get(id(held))
    if memo is not None and memo[0] is held:
        return memo[1]
    if len(_ID_MEMO) > 100_000:
        _ID_MEMO.clear()
    value = catalog_id(raw_catalog(conn))
    _ID_MEMO[id(held)] = (held, value)
    return value


def _fields(schema: dict[str, Any], prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    """Every field path with its JSON schema, nested object properties included (as Airbyte lists them)."""
    out: dict[tuple[str, ...], Any] = {}
    for name, sub in (schema.get("properties") or {}).items():
        path = (*prefix, name)
        out[path] = sub
        if isinstance(sub, dict) and sub.get("properties"):
            out.update(_fields(sub, path))
    return out


def _is_dedup(config: dict[str, Any]) -> bool:
    return config.get("destinationSyncMode") in _DEDUP_MODES


def _field_breaks(config: dict[str, Any], path: list[str]) -> bool:
    """``fieldTransformBreaksConnection``: the incremental cursor, or a primary-key field under dedup."""
    if config.get("syncMode") == "incremental" and list(config.get("cursorField") or []) == path:
        return True
    return _is_dedup(config) and path in [list(k) for k in config.get("primaryKey") or []]


def _stream_diff(old: dict[str, Any], new: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    field_transforms: list[dict[str, Any]] = []
    attribute_transforms: list[dict[str, Any]] = []
    old_pk = old.get("sourceDefinedPrimaryKey") or []
    new_pk = new.get("sourceDefinedPrimaryKey") or []
    if old_pk != new_pk:
        configured = {tuple(k) for k in config.get("primaryKey") or []}
        breaking = bool(new_pk) and _is_dedup(config) and configured != {tuple(k) for k in new_pk}
        attribute_transforms.append(
            {
                "transformType": "update_primary_key",
                "breaking": breaking,
                "updatePrimaryKey": {"oldPrimaryKey": old_pk, "newPrimaryKey": new_pk},
            }
        )
    old_fields = _fields(old.get("jsonSchema") or {})
    new_fields = _fields(new.get("jsonSchema") or {})
    for path in sorted(old_fields.keys() - new_fields.keys()):
        field_transforms.append(
            {
                "transformType": "remove_field",
                "fieldName": list(path),
                "breaking": _field_breaks(config, list(path)),
                "removeField": {"schema": old_fields[path]},
            }
        )
    for path in sorted(new_fields.keys() - old_fields.keys()):
        field_transforms.append(
            {
                "transformType": "add_field",
                "fieldName": list(path),
                "breaking": False,
                "addField": {"schema": new_fields[path]},
            }
        )
    for path in sorted(old_fields.keys() & new_fields.keys()):
        if old_fields[path] != new_fields[path]:
            field_transforms.append(
                {
                    "transformType": "update_field_schema",
                    "fieldName": list(path),
                    "breaking": False,
                    "updateFieldSchema": {"oldSchema": old_fields[path], "newSchema": new_fields[path]},
                }
            )
    return {"fieldTransforms": field_transforms, "streamAttributeTransforms": attribute_transforms}


def _descriptor(key: StreamKey) -> dict[str, Any]:
    return {"name": key[0], **({"namespace": key[1]} if key[1] else {})}


def compute_diff(
    old: list[dict[str, Any]], new: list[dict[str, Any]], sync_catalog: list[dict[str, Any]]
) -> dict[str, Any]:
    """``CatalogDiff`` from ``old`` to ``new`` raw catalogs, fields compared for selected streams only."""
    old_by, new_by = {_key(s): s for s in old}, {_key(s): s for s in new}
    configured = {
        _key(e["stream"]): e.get("config") or {}
        for e in sync_catalog
        if (e.get("config") or {}).get("selected", True)
    }
    transforms: list[dict[str, Any]] = []
    order = lambda k: (k[0], k[1] or "")  # noqa: E731
    for key in sorted(old_by.keys() - new_by.keys(), key=order):
        transforms.append({"transformType": "remove_stream", "streamDescriptor": _descriptor(key)})
    for key in sorted(new_by.keys() - old_by.keys(), key=order):
        transforms.append({"transformType": "add_stream", "streamDescriptor": _descriptor(key)})
    for key in sorted(old_by.keys() & new_by.keys(), key=order):
        if key not in configured or old_by[key] == new_by[key]:
            continue
        update = _stream_diff(old_by[key], new_by[key], configured[key])
        if update["fieldTransforms"] or update["streamAttributeTransforms"]:
            transforms.append(
                {
                    "transformType": "update_stream",
                    "streamDescriptor": _descriptor(key),
                    "updateStream": update,
                }
            )
    return {"transforms": transforms}


def contains_breaking(diff: dict[str, Any]) -> bool:
    """``ApplySchemaChangeHelper.containsBreakingChange``."""
    for t in diff["transforms"]:
        update = t.get("updateStream") or {}
        for item in [*update.get("fieldTransforms", []), *update.get("streamAttributeTransforms", [])]:
            if item.get("breaking"):
                return True
    return False


def default_config(stream: dict[str, Any]) -> dict[str, Any]:
    """The configuration discover suggests for a stream (and propagate_fully gives a new one)."""
    incremental = "incremental" in stream.get("supportedSyncModes", [])
    pk = stream.get("sourceDefinedPrimaryKey") or []
    return {
        "syncMode": "incremental" if incremental else "full_refresh",
        "cursorField": list(stream.get("defaultCursorField") or []) if incremental else [],
        "destinationSyncMode": "append_dedup" if incremental and pk else "overwrite",
        "primaryKey": copy.deepcopy(pk),
        "aliasName": stream["name"],
        "selected": True,
        "suggested": True,
        "fieldSelectionEnabled": False,
    }


@dataclass
class DiscoverOutcome:
    """What a discover run against a connection found and did."""

    diff: dict[str, Any]
    breaking: bool
    propagated: dict[str, Any] | None = None
    disabled: bool = False
    notes: list[str] = field(default_factory=list)


def run_discover(state: EmulatorState, source: Actor) -> tuple[list[dict[str, Any]], str]:
    """A discover job that really runs: the live schema becomes the source's most recent fetched catalog."""
    source.fetched_catalog = source.catalog  # shared: schema changes replace ``catalog``, never mutate it
    source.fetched_at = state.now()
    return source.fetched_catalog, catalog_id(source.fetched_catalog)


def diff_and_disable(
    state: EmulatorState, conn: Connection, catalog: list[dict[str, Any]]
) -> DiscoverOutcome:
    """``diffCatalogAndConditionallyDisable``: rewrite ``breakingChange`` and disable when Airbyte would."""
    diff = compute_diff(raw_catalog(conn), catalog, conn.sync_catalog)
    breaking = contains_breaking(diff)
    conn.breaking_change = breaking
    disabled = False
    if conn.status == "active" and (
        breaking or (conn.non_breaking_changes_preference == "disable" and diff["transforms"])
    ):
        conn.status = "inactive"
        disabled = True
    return DiscoverOutcome(diff, breaking, disabled=disabled)


def propagate(conn: Connection, catalog: list[dict[str, Any]], diff: dict[str, Any]) -> dict[str, Any] | None:
    """``applySchemaChange`` with auto-apply: returns the propagated diff, or None when nothing may be."""
    preference = conn.non_breaking_changes_preference
    if diff["transforms"] and (
        contains_breaking(diff) or preference not in ("propagate_columns", "propagate_fully")
    ):
        return None
    new_by = {_key(s): s for s in catalog}
    entries = {_key(e["stream"]): e for e in conn.sync_catalog}
    applied: list[dict[str, Any]] = []
    for t in diff["transforms"]:
        desc = t["streamDescriptor"]
        key = (desc["name"], desc.get("namespace"))
        kind = t["transformType"]
        if kind == "update_stream" and key in entries:
            entries[key]["stream"] = copy.deepcopy(new_by[key])
            applied.append(t)
        elif kind == "add_stream" and preference == "propagate_fully":
            stream = copy.deepcopy(new_by[key])
            entries[key] = {"stream": stream, "config": default_config(stream)}
            applied.append(t)
        elif kind == "remove_stream" and preference == "propagate_fully":
            entries.pop(key, None)
            applied.append(t)
    conn.sync_catalog = list(entries.values())
    conn.source_catalog = copy.deepcopy(catalog)
    return {"transforms": applied}


def before_replication(state: EmulatorState, conn: Connection) -> DiscoverOutcome:
    """The discover and post-processing every sync or refresh runs first (``SyncWorkflowV2Impl.run``)."""
    source = state.source(conn.source_id, include_tombstone=True)
    if source is None:
        return DiscoverOutcome({"transforms": []}, False)
    catalog, _ = run_discover(state, source)
    outcome = diff_and_disable(state, conn, catalog)
    outcome.propagated = propagate(conn, catalog, outcome.diff)
    return outcome


def schema_change(state: EmulatorState, conn: Connection) -> str:
    """``getSchemaChange``: breaking; non_breaking when the source's newest fetched catalog is not the
    connection's; else no_change."""
    if conn.breaking_change:
        return "breaking"
    source = state.source(conn.source_id, include_tombstone=True)
    fetched = source.fetched_catalog if source is not None else None
    if fetched is not None and catalog_id(fetched) != source_catalog_id(conn):
        return "non_breaking"
    return "no_change"


# ---------------------------------------------------------------------- admin: change a source's schema
def _find(source: Actor, name: str, namespace: str | None) -> dict[str, Any]:
    for s in source.catalog:
        if s["name"] == name and (namespace is None or s.get("namespace") == namespace):
            return s
    raise ValueError(f"source {source.name!r} has no stream {name!r}")


def _column_schema(change: dict[str, Any]) -> dict[str, Any]:
    if isinstance(change.get("schema"), dict):
        return dict(change["schema"])
    kind = change.get("type")
    if not isinstance(kind, str):
        raise ValueError("a column needs 'schema' (a JSON schema) or 'type' (e.g. 'string')")
    return {"type": [kind, "null"]}


def apply_source_change(source: Actor, change: dict[str, Any]) -> None:
    """Change the source's live schema, as an ``ALTER TABLE`` would; Airbyte sees it at the next discover.

    ``op``: add_column, remove_column, retype_column (``column`` and ``schema`` or ``type``), add_stream
    (``columns`` {name: schema}, optional ``primary_key``, ``cursor``), remove_stream, set_primary_key.
    """
    op = change.get("op")
    name = change.get("stream")
    # Copy on write: the fetched catalog (what Airbyte last discovered) may share the old list.
    source.catalog = copy.deepcopy(source.catalog)
    if not isinstance(name, str) or not name:
        raise ValueError("each change needs 'stream' (a stream name)")
    namespace = change.get("namespace")
    if op == "add_stream":
        from dagster_airbyte_ops.emulator.seeds import stream as make_stream

        if any(
            s["name"] == name and (namespace is None or s.get("namespace") == namespace)
            for s in source.catalog
        ):
            raise ValueError(f"source {source.name!r} already has stream {name!r}")
        columns = change.get("columns") or {"id": {"type": ["integer", "null"]}}
        if not isinstance(columns, dict):
            raise ValueError("'columns' must map column names to JSON schemas")
        ns = (
            namespace
            if namespace is not None
            else (source.catalog[0].get("namespace") if source.catalog else None)
        )
        entry = make_stream(
            name,
            {k: dict(v) for k, v in columns.items()},
            namespace=ns,
            primary_key=change.get("primary_key"),
            cursor=change.get("cursor"),
        )
        source.catalog.append(entry["stream"])
        return
    stream = _find(source, name, namespace)
    if op == "remove_stream":
        source.catalog.remove(stream)
        return
    if op == "set_primary_key":
        keys = change.get("primary_key") or []
        stream["sourceDefinedPrimaryKey"] = [[k] for k in keys]
        return
    column = change.get("column")
    if not isinstance(column, str) or not column:
        raise ValueError(f"{op} needs 'column' (a column name)")
    properties = stream.setdefault("jsonSchema", {"type": "object"}).setdefault("properties", {})
    if op == "add_column":
        if column in properties:
            raise ValueError(f"stream {name!r} already has column {column!r}")
        properties[column] = _column_schema(change)
    elif op == "remove_column":
        if column not in properties:
            raise ValueError(f"stream {name!r} has no column {column!r}")
        del properties[column]
    elif op == "retype_column":
        if column not in properties:
            raise ValueError(f"stream {name!r} has no column {column!r}")
        properties[column] = _column_schema(change)
    else:
        raise ValueError(
            f"unknown op {op!r}; use add_column, remove_column, retype_column, add_stream, remove_stream "
            "or set_primary_key"
        )
