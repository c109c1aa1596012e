"""Config API refresh, clear and web_backend connection reads (``/api/v1/...``).

- ``connections/refresh`` ``{connectionId, refreshMode: Truncate|Merge, streams?}`` → ``JobReadResponse``
  with a ``refresh`` job (StreamRefreshesHandler.createRefreshesForConnection: no streams = all).
- ``connections/clear`` and ``connections/reset`` ``{connectionId}``, ``connections/clear/stream`` and
  ``connections/reset/stream`` ``{connectionId, streams}`` → ``JobInfoRead`` of a ``reset_connection`` job
  (SchedulerHandler.resetConnection / resetConnectionStream).
- ``web_backend/connections/get`` and ``web_backend/connections/list``: the only reads that carry
  ``schemaChange`` (WebBackendConnectionsHandler.getSchemaChange); ``withRefreshedCatalog`` runs a
  discover first, as the UI's "refresh source schema" does.
"""

from __future__ import annotations

import copy
from typing import Any

from dagster_airbyte_ops.emulator import config_api, schema
from dagster_airbyte_ops.emulator import jobs as joblib
from dagster_airbyte_ops.emulator.state import Actor, Connection, EmulatorState

_REFRESH_MODES = ("Truncate", "Merge")


def _streams(
    conn: Connection, body: dict[str, Any], *, required: bool
) -> list[tuple[str, str | None]] | None:
    """``streams`` ``[{streamName, streamNamespace?}]`` as keys of the connection's streams (None: all)."""
    raw = body.get("streams")
    if raw is None:
        if required:
            raise config_api.invalid_input("must not be null", "streams")
        return None
    if not isinstance(raw, list):
        raise config_api.invalid_input("must be an array", "streams")
    if not raw:
        return None if not required else []
    known = {(e["stream"]["name"], e["stream"].get("namespace")) for e in conn.sync_catalog}
    out: list[tuple[str, str | None]] = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict) or not item.get("streamName"):
            raise config_api.invalid_input("must not be null", f"streams[{i}].streamName")
        name, namespace = str(item["streamName"]), item.get("streamNamespace")
        match = [k for k in known if k[0] == name and (namespace is None or k[1] == namespace)]
        # Airbyte records unknown streams without complaint; they simply move nothing.
        out.extend(match or [(name, namespace)])
    return out


def connections_refresh(state: EmulatorState, body: dict[str, Any]) -> Any:
    """``connections/refresh``: a refresh job re-reading the streams from scratch."""
    conn = config_api.get_connection(state, body)
    mode = body.get("refreshMode")
    if mode is None:
        raise config_api.invalid_input("must not be null", "refreshMode")
    if mode not in _REFRESH_MODES:
        raise config_api.invalid_input("must be one of Truncate, Merge", "refreshMode", mode)
    scope = _streams(conn, body, required=False)
    job = config_api.start_job(state, conn, "refresh", scope=scope, refresh_mode=str(mode))
    return {"job": joblib.job_read(joblib.view(state, job))}


def connections_clear(state: EmulatorState, body: dict[str, Any]) -> Any:
    """``connections/clear`` (and ``connections/reset``): empty every stream, reset the state."""
    job = config_api.start_job(state, config_api.get_connection(state, body), "reset_connection")
    return joblib.job_info_read(joblib.view(state, job))


def connections_clear_stream(state: EmulatorState, body: dict[str, Any]) -> Any:
    """``connections/clear/stream`` (and ``reset/stream``): empty the named streams only."""
    conn = config_api.get_connection(state, body)
    scope = _streams(conn, body, required=True)
    job = config_api.start_job(state, conn, "reset_connection", scope=scope)
    return joblib.job_info_read(joblib.view(state, job))


# ---------------------------------------------------------------------- web_backend reads
def _version(state: EmulatorState, actor: Actor | None) -> dict[str, Any]:
    definition = state.definition(actor.definition_id) if actor else None
    return {
        "dockerRepository": definition.docker_repository if definition else "unknown",
        "dockerImageTag": definition.docker_image_tag if definition else "unknown",
        "supportsRefreshes": True,
        "supportState": "supported",
        "isVersionOverrideApplied": False,
        "supportsFileTransfer": False,
        "supportsDataActivation": False,
    }


def _snippet(state: EmulatorState, actor: Actor | None, kind: str, actor_id: str) -> dict[str, Any]:
    definition = state.definition(actor.definition_id) if actor else None
    return {
        f"{kind}Id": actor_id,
        "name": actor.name if actor else "",
        f"{kind}DefinitionId": actor.definition_id if actor else actor_id,
        f"{kind}Name": definition.name if definition else "Unknown",
    }


def _latest_sync(state: EmulatorState, conn: Connection) -> tuple[dict[str, Any], bool]:
    jobs = [j for j in state.jobs_for(conn.connection_id) if j.config_type in joblib.REPLICATION_TYPES]
    running = joblib.running_job(state, conn.connection_id) is not None
    if not jobs:
        return {}, running
    v = joblib.view(state, jobs[-1])
    return {"latestSyncJobCreatedAt": int(v.created_at), "latestSyncJobStatus": v.status}, running


def _common(state: EmulatorState, conn: Connection) -> dict[str, Any]:
    source = state.source(conn.source_id, include_tombstone=True)
    destination = state.destination(conn.destination_id, include_tombstone=True)
    latest, running = _latest_sync(state, conn)
    out: dict[str, Any] = {
        "connectionId": conn.connection_id,
        "name": conn.name,
        "scheduleType": conn.schedule_type,
        "status": conn.status,
        "source": _snippet(state, source, "source", conn.source_id),
        "destination": _snippet(state, destination, "destination", conn.destination_id),
        "isSyncing": running,
        "schemaChange": schema.schema_change(state, conn),
        "sourceActorDefinitionVersion": _version(state, source),
        "destinationActorDefinitionVersion": _version(state, destination),
        "tags": [],
        "onDemandEnabled": False,
        **latest,
    }
    if conn.schedule_data is not None:
        out["scheduleData"] = copy.deepcopy(conn.schedule_data)
    return out


def web_backend_connection_read(state: EmulatorState, conn: Connection) -> dict[str, Any]:
    """``WebBackendConnectionRead``: the connection read plus snippets and ``schemaChange``."""
    read = config_api.connection_read(conn)
    read.pop("created_at", None)
    read.pop("breakingChange", None)
    source = state.source(conn.source_id, include_tombstone=True)
    destination = state.destination(conn.destination_id, include_tombstone=True)
    out = {**read, **_common(state, conn), "createdAt": conn.created_at, "operations": []}
    # The full reads here (list items carry snippets).
    if source is not None:
        out["source"] = config_api.actor_read(state, source)
    if destination is not None:
        out["destination"] = config_api.actor_read(state, destination)
    return out


def web_backend_connections_get(state: EmulatorState, body: dict[str, Any]) -> Any:
    """``web_backend/connections/get``; ``withRefreshedCatalog`` discovers (uncached) and diffs first."""
    conn = config_api.get_connection(state, body)
    extra: dict[str, Any] = {}
    if body.get("withRefreshedCatalog"):
        source = state.source(conn.source_id)
        if source is None:
            raise config_api.not_found(state, "source", conn.source_id)
        catalog, catalog_id = schema.run_discover(state, source)
        outcome = schema.diff_and_disable(state, conn, catalog)
        extra = {"catalogDiff": outcome.diff, "catalogId": catalog_id}
    return {**web_backend_connection_read(state, conn), **extra}


def web_backend_connections_list(state: EmulatorState, body: dict[str, Any]) -> Any:
    """``web_backend/connections/list``: list items of a workspace (filtered by source/destination)."""
    ws = config_api.get_workspace(state, body)
    sources = set(body.get("sourceId") or [])
    destinations = set(body.get("destinationId") or [])
    conns = [
        c
        for c in state.live_connections([ws.workspace_id])
        if (not sources or c.source_id in sources) and (not destinations or c.destination_id in destinations)
    ]
    cursor = body.get("cursor")
    if cursor:
        ids = [c.connection_id for c in conns]
        conns = conns[ids.index(cursor) + 1 :] if cursor in ids else []
    if body.get("pageSize"):
        conns = conns[: int(body["pageSize"])]
    return {"connections": [_common(state, c) for c in conns]}


def _protocol_stream(stream: dict[str, Any]) -> dict[str, Any]:
    """An ``AirbyteStream`` as Airbyte stores it (the protocol's snake_case), not the API's camelCase."""
    out: dict[str, Any] = {
        "name": stream["name"],
        "json_schema": copy.deepcopy(stream.get("jsonSchema") or {}),
        "supported_sync_modes": list(stream.get("supportedSyncModes") or []),
        "source_defined_cursor": bool(stream.get("sourceDefinedCursor")),
        "default_cursor_field": list(stream.get("defaultCursorField") or []),
        "source_defined_primary_key": copy.deepcopy(stream.get("sourceDefinedPrimaryKey") or []),
        "is_resumable": bool(stream.get("isResumable", True)),
    }
    if stream.get("namespace"):
        out["namespace"] = stream["namespace"]
    return out


def sources_most_recent_source_actor_catalog(state: EmulatorState, body: dict[str, Any]) -> Any:
    """``sources/most_recent_source_actor_catalog``: the catalog the last discover fetched (no discover)."""
    source = config_api.get_source(state, body)
    if source.fetched_catalog is None:
        return {}
    return {
        "updatedAt": int(source.fetched_at or state.now()),
        "catalog": {"streams": [_protocol_stream(s) for s in source.fetched_catalog]},
    }


HANDLERS: dict[str, config_api.Handler] = {
    "sources/most_recent_source_actor_catalog": sources_most_recent_source_actor_catalog,
    "connections/refresh": connections_refresh,
    "connections/clear": connections_clear,
    "connections/reset/stream": connections_clear_stream,
    "connections/clear/stream": connections_clear_stream,
    "web_backend/connections/get": web_backend_connections_get,
    "web_backend/connections/list": web_backend_connections_list,
}
