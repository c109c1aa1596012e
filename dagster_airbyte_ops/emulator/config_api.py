"""Config API routes (``/api/v1/...``): every call a POST with a JSON body, epoch-second timestamps.

Field names and shapes follow ``config.yaml``; the renderers here are the single place that turns stored
entities into Config API JSON, and the public API reuses the same entities with its own renderers.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from dagster_airbyte_ops.emulator import (
    connector_behaviour,
    connector_specs,
    rejections,
    schema,
    spec_validation,
)
from dagster_airbyte_ops.emulator import jobs as joblib
from dagster_airbyte_ops.emulator.http import ApiError, is_uuid, json_response, no_content
from dagster_airbyte_ops.emulator.state import (
    Actor,
    Connection,
    Definition,
    EmulatorState,
    Workspace,
    stable_id,
)

Handler = Callable[[EmulatorState, dict[str, Any]], Any]

_NOT_FOUND_CLASS = "io.airbyte.commons.server.errors.IdNotFoundKnownException"
_CONFIG_NOT_FOUND = {
    "source": "SOURCE_CONNECTION",
    "destination": "DESTINATION_CONNECTION",
    "connection": "STANDARD_SYNC",
    "workspace": "STANDARD_WORKSPACE",
    "source_definition": "STANDARD_SOURCE_DEFINITION",
    "destination_definition": "STANDARD_DESTINATION_DEFINITION",
    "job": "JOB",
}


# ---------------------------------------------------------------------- errors
def invalid_input(message: str, path: str, value: Any = None) -> ApiError:
    """422 with ``InvalidInputExceptionInfo`` (what Airbyte answers to a body failing validation)."""
    prop: dict[str, Any] = {"propertyPath": path, "message": message}
    if value is not None:
        prop["invalidValue"] = str(value)
    return ApiError(
        422,
        {
            "message": f"{path}: {message}",
            "exceptionClassName": "javax.validation.ConstraintViolationException",
            "validationErrors": [prop],
        },
    )


def not_found(state: EmulatorState, kind: str, ident: Any) -> ApiError:
    """404 with ``NotFoundKnownExceptionInfo`` in the profile's shape."""
    config_type = _CONFIG_NOT_FOUND.get(kind, kind.upper())
    message = f"Could not find configuration for {config_type}: {ident}."
    if kind == "job":
        message = f"Could not find job with id: {ident}"
    return ApiError(404, state.profile.error_body(message, _NOT_FOUND_CLASS, id=str(ident)))


def require(body: dict[str, Any], *fields: str) -> None:
    """Reject a body missing a required field, as the server's bean validation does."""
    for f in fields:
        if body.get(f) is None:
            raise invalid_input("must not be null", f)


def require_uuid(body: dict[str, Any], name: str) -> str:
    """A required UUID field, 422 if missing or malformed."""
    require(body, name)
    value = body[name]
    if not is_uuid(value):
        raise invalid_input("must be a valid UUID", name, value)
    return str(value)


# ---------------------------------------------------------------------- renderers
def workspace_read(ws: Workspace) -> dict[str, Any]:
    """``WorkspaceRead``."""
    return {
        "workspaceId": ws.workspace_id,
        "customerId": ws.customer_id,
        "email": ws.email,
        "name": ws.name,
        "slug": ws.slug,
        "initialSetupComplete": True,
        "displaySetupWizard": False,
        "anonymousDataCollection": False,
        "news": False,
        "securityUpdates": False,
        "notifications": [],
        "firstCompletedSync": True,
        "feedbackDone": False,
        "organizationId": ws.organization_id,
        "tombstone": False,
    }


def source_definition_read(d: Definition) -> dict[str, Any]:
    """``SourceDefinitionRead``."""
    out: dict[str, Any] = {
        "sourceDefinitionId": d.definition_id,
        "name": d.name,
        "dockerRepository": d.docker_repository,
        "dockerImageTag": d.docker_image_tag,
        "documentationUrl": d.documentation_url,
        "protocolVersion": "0.2.0",
        "custom": False,
        "supportLevel": d.support_level,
        "releaseStage": d.release_stage,
    }
    if d.source_type:
        out["sourceType"] = d.source_type
    return out


def destination_definition_read(d: Definition) -> dict[str, Any]:
    """``DestinationDefinitionRead``."""
    return {
        "destinationDefinitionId": d.definition_id,
        "name": d.name,
        "dockerRepository": d.docker_repository,
        "dockerImageTag": d.docker_image_tag,
        "documentationUrl": d.documentation_url,
        "protocolVersion": "0.2.0",
        "custom": False,
        "supportLevel": d.support_level,
        "releaseStage": d.release_stage,
    }


def actor_read(state: EmulatorState, a: Actor) -> dict[str, Any]:
    """``SourceRead`` or ``DestinationRead``."""
    d = state.definitions.get(a.definition_id)
    kind = a.kind
    return {
        f"{kind}DefinitionId": a.definition_id,
        f"{kind}Id": a.actor_id,
        "workspaceId": a.workspace_id,
        "connectionConfiguration": masked_configuration(a),
        "name": a.name,
        f"{kind}Name": d.name if d else "Unknown",
        "createdAt": a.created_at,
        "isVersionOverrideApplied": False,
    }


def connection_read(c: Connection) -> dict[str, Any]:
    """``ConnectionRead`` including the full ``syncCatalog`` (with every stream's ``jsonSchema``)."""
    out: dict[str, Any] = {
        "connectionId": c.connection_id,
        "name": c.name,
        "namespaceDefinition": c.namespace_definition,
        "prefix": c.prefix,
        "sourceId": c.source_id,
        "destinationId": c.destination_id,
        "operationIds": [],
        "syncCatalog": {"streams": copy.deepcopy(c.sync_catalog)},
        "scheduleType": c.schedule_type,
        "status": c.status,
        "breakingChange": c.breaking_change,
        "notifySchemaChanges": False,
        "notifySchemaChangesByEmail": False,
        "nonBreakingChangesPreference": c.non_breaking_changes_preference,
        "created_at": c.created_at,
        "workspaceId": c.workspace_id,
        "sourceCatalogId": schema.source_catalog_id(c),
        "tags": [],
    }
    if c.namespace_format is not None:
        out["namespaceFormat"] = c.namespace_format
    if c.schedule_data is not None:
        out["scheduleData"] = copy.deepcopy(c.schedule_data)
        basic = c.schedule_data.get("basicSchedule")
        if basic:
            out["schedule"] = {"units": basic["units"], "timeUnit": basic["timeUnit"]}
    return out


def paginate(items: list[Any], pagination: dict[str, Any] | None) -> list[Any]:
    """Apply a Config API ``Pagination`` (``pageSize``/``rowOffset``); absent means everything."""
    if not pagination:
        return items
    offset = int(pagination.get("rowOffset") or 0)
    size = pagination.get("pageSize")
    if size is None:
        return items[offset:]
    return items[offset : offset + int(size)]


# ---------------------------------------------------------------------- lookups that 404
def get_workspace(state: EmulatorState, body: dict[str, Any], key: str = "workspaceId") -> Workspace:
    """The workspace named in ``body[key]`` or a 404."""
    wid = require_uuid(body, key)
    ws = state.workspace(wid)
    if ws is None:
        raise not_found(state, "workspace", wid)
    return ws


def get_source(state: EmulatorState, body: dict[str, Any]) -> Actor:
    """The source named in ``body['sourceId']`` or a 404."""
    sid = require_uuid(body, "sourceId")
    src = state.source(sid)
    if src is None:
        raise not_found(state, "source", sid)
    return src


def get_destination(state: EmulatorState, body: dict[str, Any]) -> Actor:
    """The destination named in ``body['destinationId']`` or a 404."""
    did = require_uuid(body, "destinationId")
    dst = state.destination(did)
    if dst is None:
        raise not_found(state, "destination", did)
    return dst


def get_connection(state: EmulatorState, body: dict[str, Any]) -> Connection:
    """The connection named in ``body['connectionId']`` or a 404."""
    cid = require_uuid(body, "connectionId")
    conn = state.connection(cid)
    if conn is None:
        raise not_found(state, "connection", cid)
    return conn


def get_job(state: EmulatorState, body: dict[str, Any]) -> joblib.Job:
    """The job named in ``body['id']`` or a 404."""
    require(body, "id")
    try:
        job_id = int(body["id"])
    except (TypeError, ValueError):
        raise invalid_input("must be an integer", "id", body["id"]) from None
    job = state.jobs.get(job_id)
    if job is None:
        raise not_found(state, "job", job_id)
    return job


# ---------------------------------------------------------------------- workspaces
def workspaces_list(state: EmulatorState, body: dict[str, Any]) -> Any:
    """``workspaces/list`` (removed in Airbyte 1.7; the 2.0 profile answers 404 like an unknown route)."""
    if not state.profile.has_workspaces_list:
        raise ApiError(404, micronaut_not_found("/api/v1/workspaces/list"))
    return {"workspaces": [workspace_read(w) for w in state.workspaces.values()]}


def workspaces_list_paginated(state: EmulatorState, body: dict[str, Any]) -> Any:
    """``workspaces/list_paginated``."""
    ids = body.get("workspaceIds") or []
    items = [w for w in state.workspaces.values() if not ids or w.workspace_id in ids]
    name = body.get("nameContains")
    if name:
        items = [w for w in items if name.lower() in w.name.lower()]
    return {"workspaces": [workspace_read(w) for w in paginate(items, body.get("pagination"))]}


def workspaces_get(state: EmulatorState, body: dict[str, Any]) -> Any:
    """``workspaces/get``."""
    return workspace_read(get_workspace(state, body))


# ---------------------------------------------------------------------- definitions
def _definitions(state: EmulatorState, kind: str) -> list[Definition]:
    return [d for d in state.definitions.values() if d.kind == kind]


def source_definitions_list(state: EmulatorState, body: dict[str, Any]) -> Any:
    """``source_definitions/list``."""
    return {"sourceDefinitions": [source_definition_read(d) for d in _definitions(state, "source")]}


def source_definitions_list_for_workspace(state: EmulatorState, body: dict[str, Any]) -> Any:
    """``source_definitions/list_for_workspace``."""
    get_workspace(state, body)
    return source_definitions_list(state, body)


def source_definitions_get(state: EmulatorState, body: dict[str, Any]) -> Any:
    """``source_definitions/get``."""
    did = require_uuid(body, "sourceDefinitionId")
    d = state.definition(did, "source")
    if d is None:
        raise not_found(state, "source_definition", did)
    return source_definition_read(d)


def destination_definitions_list(state: EmulatorState, body: dict[str, Any]) -> Any:
    """``destination_definitions/list``."""
    return {
        "destinationDefinitions": [destination_definition_read(d) for d in _definitions(state, "destination")]
    }


def destination_definitions_list_for_workspace(state: EmulatorState, body: dict[str, Any]) -> Any:
    """``destination_definitions/list_for_workspace``."""
    get_workspace(state, body)
    return destination_definitions_list(state, body)


def destination_definitions_get(state: EmulatorState, body: dict[str, Any]) -> Any:
    """``destination_definitions/get``."""
    did = require_uuid(body, "destinationDefinitionId")
    d = state.definition(did, "destination")
    if d is None:
        raise not_found(state, "destination_definition", did)
    return destination_definition_read(d)


# ---------------------------------------------------------------------- sources / destinations
def _actor_list(state: EmulatorState, body: dict[str, Any], kind: str) -> Any:
    ws = get_workspace(state, body)
    actors = state.actors_of(kind, [ws.workspace_id])
    page_size = body.get("pageSize")
    cursor = body.get("cursor")
    if cursor:
        ids = [a.actor_id for a in actors]
        actors = actors[ids.index(cursor) + 1 :] if cursor in ids else []
    if page_size:
        actors = actors[: int(page_size)]
    return {f"{kind}s": [actor_read(state, a) for a in actors]}


def _validated(state: EmulatorState, definition_id: str, config: Any) -> dict[str, Any]:
    """``config`` if it fulfils the definition's specification, else Airbyte's 422 naming every error."""
    if not isinstance(config, dict):
        raise invalid_input("must be an object", "connectionConfiguration")
    spec = connector_specs.connection_specification(definition_id)
    errors = spec_validation.validation_errors(config, spec)
    if errors:
        message = spec_validation.failure_message(errors, spec)
        body = state.profile.error_body(message, "io.airbyte.validation.json.JsonValidationException")
        # config.yaml's InvalidInputExceptionInfo requires the list; the errors are in the message.
        body["validationErrors"] = []
        raise ApiError(422, body)
    return copy.deepcopy(config)


def _rediscover(actor: Actor) -> None:
    """A source's discoverable catalog follows its connector and configuration (connector_behaviour)."""
    if actor.kind == "source":
        actor.catalog = connector_behaviour.discover(actor.definition_id, actor.configuration)


def _actor_create(state: EmulatorState, body: dict[str, Any], kind: str) -> Any:
    require(body, "name", "connectionConfiguration")
    ws = get_workspace(state, body)
    def_id = require_uuid(body, f"{kind}DefinitionId")
    if state.definition(def_id, kind) is None:
        raise not_found(state, f"{kind}_definition", def_id)
    actor = Actor(
        actor_id=str(uuid.uuid4()),
        kind=kind,  # type: ignore[arg-type]
        workspace_id=ws.workspace_id,
        definition_id=def_id,
        name=str(body["name"]),
        configuration=_validated(state, def_id, body["connectionConfiguration"]),
        created_at=int(state.now()),
    )
    _rediscover(actor)
    state.add_actor(actor)
    return actor_read(state, actor)


def masked_configuration(actor: Actor) -> dict[str, Any]:
    """The configuration as Airbyte reads it back: ``airbyte_secret`` fields as ``**********``."""
    spec = connector_specs.connection_specification(actor.definition_id)
    by_name = not connector_specs.has_specification(actor.definition_id)
    return spec_validation.mask(actor.configuration or {}, spec, by_name=by_name)


def replace_configuration(state: EmulatorState, actor: Actor, config: Any) -> None:
    """Store a new configuration; a ``**********`` sent back keeps the stored secret at that path."""
    if not isinstance(config, dict):
        raise invalid_input("must be an object", "connectionConfiguration")
    merged = spec_validation.keep_masked_secrets(config, actor.configuration or {})
    actor.configuration = _validated(state, actor.definition_id, merged)
    _rediscover(actor)


def _actor_update(state: EmulatorState, actor: Actor, body: dict[str, Any]) -> Any:
    require(body, "name", "connectionConfiguration")
    replace_configuration(state, actor, body["connectionConfiguration"])
    actor.name = str(body["name"])
    return actor_read(state, actor)


def _merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """``patch`` laid over ``base``, nested objects merged key by key (Airbyte's ``Jsons.mergeNodes``)."""
    out = copy.deepcopy(base)
    for k, v in patch.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _actor_partial_update(state: EmulatorState, actor: Actor, body: dict[str, Any]) -> Any:
    """Only the fields sent change; a partial configuration is merged into the stored one."""
    patch = body.get("connectionConfiguration")
    if patch is not None:
        if not isinstance(patch, dict):
            raise invalid_input("must be an object", "connectionConfiguration")
        replace_configuration(state, actor, _merge(actor.configuration or {}, patch))
    if body.get("name") is not None:
        actor.name = str(body["name"])
    return actor_read(state, actor)


def delete_actor(state: EmulatorState, actor: Actor) -> None:
    """Tombstone an actor and deprecate its connections, as Airbyte's delete does."""
    actor.tombstone = True
    for c in state.connections.values():
        if actor.actor_id in (c.source_id, c.destination_id):
            c.status = "deprecated"


def sources_list(state: EmulatorState, body: dict[str, Any]) -> Any:
    """``sources/list``."""
    return _actor_list(state, body, "source")


def sources_get(state: EmulatorState, body: dict[str, Any]) -> Any:
    """``sources/get``."""
    return actor_read(state, get_source(state, body))


def sources_create(state: EmulatorState, body: dict[str, Any]) -> Any:
    """``sources/create``."""
    return _actor_create(state, body, "source")


def sources_update(state: EmulatorState, body: dict[str, Any]) -> Any:
    """``sources/update`` (the whole object is sent back, as the spec requires)."""
    return _actor_update(state, get_source(state, body), body)


def sources_partial_update(state: EmulatorState, body: dict[str, Any]) -> Any:
    """``sources/partial_update``: change only what the body names."""
    return _actor_partial_update(state, get_source(state, body), body)


def sources_delete(state: EmulatorState, body: dict[str, Any]) -> Any:
    """``sources/delete`` → 204."""
    delete_actor(state, get_source(state, body))
    return None


def sources_check_connection(state: EmulatorState, body: dict[str, Any]) -> Any:
    """``sources/check_connection``: fails only under the emulator's rules (connector_behaviour)."""
    src = get_source(state, body)
    failure = connector_behaviour.check_failure(src.definition_id, src.configuration)
    return connector_behaviour.check_read("check_connection_source", src.actor_id, state.now(), failure)


def sources_discover_schema(state: EmulatorState, body: dict[str, Any]) -> Any:
    """``sources/discover_schema``: the cached catalog, or (cache miss, ``disable_cache``) a discover run.

    A run named with a ``connectionId`` also diffs the catalog against the connection's, rewrites its
    ``breakingChange`` and disables it when Airbyte would (``SchedulerHandler.discoverSchemaForSource``);
    it propagates nothing (that happens before a sync). See emulator/schema.py.
    """
    src = get_source(state, body)
    conn = None
    if body.get("connectionId") is not None:
        conn = get_connection(state, body)
    now = state.now()
    cached = src.fetched_catalog is not None and not body.get("disable_cache")
    if cached:
        assert src.fetched_catalog is not None
        catalog, cid = src.fetched_catalog, schema.catalog_id(src.fetched_catalog)
    else:
        catalog, cid = schema.run_discover(state, src)
    out: dict[str, Any] = {
        "catalog": {
            "streams": [{"stream": copy.deepcopy(s), "config": schema.default_config(s)} for s in catalog]
        },
        "jobInfo": {
            "id": str(uuid.uuid4()),
            "configType": "discover_schema",
            "configId": "NoConfiguration" if cached else src.actor_id,
            "createdAt": 0 if cached else int(now),
            "endedAt": 0 if cached else int(now),
            "succeeded": True,
            "logs": {"logLines": []},
        },
        "catalogId": cid,
    }
    if conn is not None and not cached:
        outcome = schema.diff_and_disable(state, conn, catalog)
        out.update(catalogDiff=outcome.diff, breakingChange=outcome.breaking, connectionStatus=conn.status)
    return out


def destinations_list(state: EmulatorState, body: dict[str, Any]) -> Any:
    """``destinations/list``."""
    return _actor_list(state, body, "destination")


def destinations_get(state: EmulatorState, body: dict[str, Any]) -> Any:
    """``destinations/get``."""
    return actor_read(state, get_destination(state, body))


def destinations_create(state: EmulatorState, body: dict[str, Any]) -> Any:
    """``destinations/create``."""
    return _actor_create(state, body, "destination")


def destinations_update(state: EmulatorState, body: dict[str, Any]) -> Any:
    """``destinations/update``."""
    return _actor_update(state, get_destination(state, body), body)


def destinations_partial_update(state: EmulatorState, body: dict[str, Any]) -> Any:
    """``destinations/partial_update``: change only what the body names."""
    return _actor_partial_update(state, get_destination(state, body), body)


def destinations_delete(state: EmulatorState, body: dict[str, Any]) -> Any:
    """``destinations/delete`` → 204."""
    delete_actor(state, get_destination(state, body))
    return None


def destinations_check_connection(state: EmulatorState, body: dict[str, Any]) -> Any:
    """``destinations/check_connection``."""
    dst = get_destination(state, body)
    failure = connector_behaviour.check_failure(dst.definition_id, dst.configuration)
    return connector_behaviour.check_read("check_connection_destination", dst.actor_id, state.now(), failure)


def _specification_read(state: EmulatorState, body: dict[str, Any], kind: str) -> dict[str, Any]:
    def_id = require_uuid(body, f"{kind}DefinitionId")
    definition = state.definition(def_id, kind)
    if definition is None:
        raise not_found(state, f"{kind}_definition", def_id)
    now = state.now()
    out: dict[str, Any] = {
        f"{kind}DefinitionId": def_id,
        "documentationUrl": definition.documentation_url,
        "connectionSpecification": copy.deepcopy(connector_specs.connection_specification(def_id)),
        "jobInfo": {
            "id": str(uuid.uuid4()),
            "configType": "get_spec",
            "createdAt": int(now),
            "endedAt": int(now),
            "succeeded": True,
            "connectorConfigurationUpdated": False,
            "logs": {"logLines": []},
        },
    }
    if kind == "destination":
        out["supportedDestinationSyncModes"] = list(
            connector_specs.DESTINATION_SYNC_MODES.get(def_id, ["overwrite", "append", "append_dedup"])
        )
    return out


def source_definition_specifications_get(state: EmulatorState, body: dict[str, Any]) -> Any:
    """``source_definition_specifications/get`` ``{sourceDefinitionId, workspaceId}``."""
    return _specification_read(state, body, "source")


def destination_definition_specifications_get(state: EmulatorState, body: dict[str, Any]) -> Any:
    """``destination_definition_specifications/get`` ``{destinationDefinitionId, workspaceId}``."""
    return _specification_read(state, body, "destination")


# ---------------------------------------------------------------------- connections
_SCHEDULE_TYPES = ("manual", "basic", "cron")
_STATUSES = ("active", "inactive", "deprecated", "locked")
_NAMESPACE_DEFS = ("source", "destination", "customformat")
_PREFERENCES = ("ignore", "disable", "propagate_columns", "propagate_fully")


def validate_catalog(catalog: Any) -> list[dict[str, Any]]:
    """Check a ``syncCatalog`` enough to keep stored data well-formed; 422 otherwise."""
    if not isinstance(catalog, dict) or not isinstance(catalog.get("streams"), list):
        raise invalid_input("must be an object with a streams array", "syncCatalog")
    streams = catalog["streams"]
    for i, entry in enumerate(streams):
        if not isinstance(entry, dict) or not isinstance(entry.get("stream"), dict):
            raise invalid_input("must have a stream object", f"syncCatalog.streams[{i}].stream")
        if not entry["stream"].get("name"):
            raise invalid_input("must not be null", f"syncCatalog.streams[{i}].stream.name")
        config = entry.get("config")
        if not isinstance(config, dict):
            raise invalid_input("must not be null", f"syncCatalog.streams[{i}].config")
        if config.get("syncMode") not in ("full_refresh", "incremental"):
            raise invalid_input("invalid sync mode", f"syncCatalog.streams[{i}].config.syncMode")
    return copy.deepcopy(streams)


def apply_connection_fields(conn: Connection, body: dict[str, Any]) -> None:
    """Apply the updatable ``ConnectionCreate``/``ConnectionUpdate`` fields present in ``body``."""
    if "name" in body and body["name"] is not None:
        conn.name = str(body["name"])
    if body.get("status") is not None:
        if body["status"] not in _STATUSES:
            raise invalid_input("invalid status", "status", body["status"])
        conn.status = body["status"]
    if body.get("namespaceDefinition") is not None:
        if body["namespaceDefinition"] not in _NAMESPACE_DEFS:
            raise invalid_input("invalid namespace definition", "namespaceDefinition")
        conn.namespace_definition = body["namespaceDefinition"]
    if "namespaceFormat" in body:
        conn.namespace_format = body["namespaceFormat"]
    if body.get("prefix") is not None:
        conn.prefix = str(body["prefix"])
    if body.get("syncCatalog") is not None:
        conn.sync_catalog = validate_catalog(body["syncCatalog"])
    if body.get("nonBreakingChangesPreference") is not None:
        if body["nonBreakingChangesPreference"] not in _PREFERENCES:
            raise invalid_input("invalid preference", "nonBreakingChangesPreference")
        conn.non_breaking_changes_preference = body["nonBreakingChangesPreference"]
    if body.get("breakingChange") is not None:
        conn.breaking_change = bool(body["breakingChange"])
    schedule_type = body.get("scheduleType")
    if schedule_type is not None:
        if schedule_type not in _SCHEDULE_TYPES:
            raise invalid_input("invalid schedule type", "scheduleType", schedule_type)
        data = body.get("scheduleData")
        if schedule_type == "cron":
            cron = (data or {}).get("cron") or {}
            if not cron.get("cronExpression"):
                raise invalid_input("cron schedules need scheduleData.cron.cronExpression", "scheduleData")
            cron.setdefault("cronTimeZone", "UTC")
            conn.schedule_data = {"cron": dict(cron)}
        elif schedule_type == "basic":
            basic = (data or {}).get("basicSchedule")
            if not basic and body.get("schedule"):
                basic = body["schedule"]
            if not basic or "units" not in basic or "timeUnit" not in basic:
                raise invalid_input("basic schedules need scheduleData.basicSchedule", "scheduleData")
            conn.schedule_data = {"basicSchedule": {"units": basic["units"], "timeUnit": basic["timeUnit"]}}
        else:
            conn.schedule_data = None
        conn.schedule_type = schedule_type
    elif body.get("schedule"):
        sched = body["schedule"]
        conn.schedule_type = "basic"
        conn.schedule_data = {"basicSchedule": {"units": sched["units"], "timeUnit": sched["timeUnit"]}}


def accept_source_catalog(state: EmulatorState, conn: Connection, body: dict[str, Any]) -> None:
    """A ``sourceCatalogId`` naming the source's fetched catalog makes it the connection's raw catalog
    (what accepting reviewed changes in Airbyte's UI sends along with the new ``syncCatalog``)."""
    wanted = body.get("sourceCatalogId")
    source = state.source(conn.source_id, include_tombstone=True)
    fetched = source.fetched_catalog if source is not None else None
    if wanted is not None and fetched is not None and schema.catalog_id(fetched) == wanted:
        conn.source_catalog = copy.deepcopy(fetched)


def connections_list(state: EmulatorState, body: dict[str, Any]) -> Any:
    """``connections/list``: every live connection of a workspace, each with its full catalog."""
    ws = get_workspace(state, body)
    return {"connections": [connection_read(c) for c in state.live_connections([ws.workspace_id])]}


def connections_list_paginated(state: EmulatorState, body: dict[str, Any]) -> Any:
    """``connections/list_paginated``."""
    ids = body.get("workspaceIds") or []
    for wid in ids:
        if state.workspace(wid) is None:
            raise not_found(state, "workspace", wid)
    conns = (
        list(state.connections.values())
        if body.get("includeDeleted")
        else state.live_connections(ids or None)
    )
    if ids:
        conns = [c for c in conns if c.workspace_id in ids]
    return {"connections": [connection_read(c) for c in paginate(conns, body.get("pagination"))]}


def connections_get(state: EmulatorState, body: dict[str, Any]) -> Any:
    """``connections/get``."""
    return connection_read(get_connection(state, body))


def connections_create(state: EmulatorState, body: dict[str, Any]) -> Any:
    """``connections/create``."""
    require(body, "status")
    src = get_source(state, body)
    dst = get_destination(state, body)
    catalog = body.get("syncCatalog")
    conn = Connection(
        connection_id=str(uuid.uuid4()),
        workspace_id=src.workspace_id,
        name=str(body.get("name") or f"{src.name} → {dst.name}"),
        source_id=src.actor_id,
        destination_id=dst.actor_id,
        sync_catalog=[] if catalog else sources_discover_schema(state, body)["catalog"]["streams"],
        created_at=int(state.now()),
    )
    apply_connection_fields(conn, body)
    accept_source_catalog(state, conn, body)
    state.add_connection(conn)
    return connection_read(conn)


def connections_update(state: EmulatorState, body: dict[str, Any]) -> Any:
    """``connections/update``: only the fields present change (schedule, status, catalog...)."""
    conn = get_connection(state, body)
    apply_connection_fields(conn, body)
    accept_source_catalog(state, conn, body)
    return connection_read(conn)


def connections_delete(state: EmulatorState, body: dict[str, Any]) -> Any:
    """``connections/delete`` → 204; the connection stays readable as ``deprecated``."""
    conn = get_connection(state, body)
    conn.status = "deprecated"
    return None


def start_job(
    state: EmulatorState,
    conn: Connection,
    config_type: str,
    *,
    scope: list[tuple[str, str | None]] | None = None,
    refresh_mode: str | None = None,
) -> joblib.Job:
    """Start a job as the Config API does: 409 if one runs; a sync of a connection that is not active
    is a 500 (``SchedulerHandler.submitManualSyncToWorker`` checks ``status == ACTIVE``; resets, clears
    and refreshes are submitted without that check)."""
    if conn.status == "deprecated" or (config_type == "sync" and conn.status != "active"):
        raise ApiError(
            500,
            state.profile.error_body(
                f"Connection {conn.connection_id} is {conn.status}; only active connections can be synced.",
                "java.lang.IllegalStateException",
            ),
        )
    if joblib.running_job(state, conn.connection_id) is not None:
        raise ApiError(
            409,
            state.profile.error_body(
                f"A sync is already running for: {conn.connection_id}",
                "io.airbyte.commons.server.errors.ValueConflictKnownException",
            ),
        )
    return joblib.create_job(state, conn, config_type, scope=scope, refresh_mode=refresh_mode)


def connections_sync(state: EmulatorState, body: dict[str, Any]) -> Any:
    """``connections/sync``: start a sync job, answer its ``JobInfoRead``."""
    job = start_job(state, get_connection(state, body), "sync")
    return joblib.job_info_read(joblib.view(state, job))


def connections_reset(state: EmulatorState, body: dict[str, Any]) -> Any:
    """``connections/reset``: start a reset job for every stream."""
    job = start_job(state, get_connection(state, body), "reset_connection")
    return joblib.job_info_read(joblib.view(state, job))


# ---------------------------------------------------------------------- jobs
def jobs_get(state: EmulatorState, body: dict[str, Any]) -> Any:
    """``jobs/get``: job and attempts with per-stream stats."""
    return joblib.job_info_read(joblib.view(state, get_job(state, body)))


def _parse_time(value: Any, name: str) -> float | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise invalid_input("must be an ISO-8601 date-time", name, value) from None


def jobs_list_for_workspaces(state: EmulatorState, body: dict[str, Any]) -> Any:
    """``jobs/list_for_workspaces``: ``jobs/list`` over the connections of the given workspaces."""
    workspace_ids = set(body.get("workspaceIds") or [])
    connection_ids = {
        c.connection_id
        for c in state.connections.values()
        if not workspace_ids or c.workspace_id in workspace_ids
    }
    return jobs_list(state, body, connection_ids=connection_ids)


def jobs_list(state: EmulatorState, body: dict[str, Any], connection_ids: set[str] | None = None) -> Any:
    """``jobs/list``: filter by config types, connection, statuses and time window; newest first."""
    require(body, "configTypes")
    config_types = set(body["configTypes"])
    config_id = body.get("configId")
    statuses = set(body.get("statuses") or [])
    bounds = {
        k: _parse_time(body.get(k), k)
        for k in ("createdAtStart", "createdAtEnd", "updatedAtStart", "updatedAtEnd")
    }
    views = []
    for job in state.jobs.values():
        if job.config_type not in config_types or (config_id and job.connection_id != config_id):
            continue
        if connection_ids is not None and job.connection_id not in connection_ids:
            continue
        v = joblib.view(state, job)
        if statuses and v.status not in statuses:
            continue
        if bounds["createdAtStart"] is not None and v.created_at < bounds["createdAtStart"]:
            continue
        if bounds["createdAtEnd"] is not None and v.created_at > bounds["createdAtEnd"]:
            continue
        if bounds["updatedAtStart"] is not None and v.updated_at < bounds["updatedAtStart"]:
            continue
        if bounds["updatedAtEnd"] is not None and v.updated_at > bounds["updatedAtEnd"]:
            continue
        views.append(v)
    field = body.get("orderByField") or "createdAt"
    descending = (body.get("orderByMethod") or "DESC") == "DESC"
    views.sort(
        key=lambda v: ((v.updated_at if field == "updatedAt" else v.created_at), v.job.job_id),
        reverse=descending,
    )
    page = paginate(views, body.get("pagination"))
    return {"jobs": [joblib.job_with_attempts_read(v) for v in page], "totalJobCount": len(views)}


def jobs_cancel(state: EmulatorState, body: dict[str, Any]) -> Any:
    """``jobs/cancel``: cancel a pending/running job; a finished job is returned unchanged."""
    job = get_job(state, body)
    joblib.cancel_job(state, job)
    return joblib.job_info_read(joblib.view(state, job))


def jobs_get_last_replication_job(state: EmulatorState, body: dict[str, Any]) -> Any:
    """``jobs/get_last_replication_job``: the newest sync job of a connection, or ``{}``."""
    conn = get_connection(state, body)
    syncs = [j for j in state.jobs_for(conn.connection_id) if j.config_type == "sync"]
    if not syncs:
        return {}
    return {"job": joblib.job_read(joblib.view(state, syncs[-1]))}


# ---------------------------------------------------------------------- misc
def micronaut_not_found(path: str) -> dict[str, Any]:
    """The body Airbyte's web framework sends for a route that does not exist."""
    return {
        "message": "Not Found",
        "_links": {"self": {"href": path, "templated": False}},
        "_embedded": {"errors": [{"message": "Page Not Found"}]},
    }


HANDLERS: dict[str, Handler] = {
    "workspaces/list": workspaces_list,
    "workspaces/list_paginated": workspaces_list_paginated,
    "workspaces/get": workspaces_get,
    "source_definitions/list": source_definitions_list,
    "source_definitions/list_for_workspace": source_definitions_list_for_workspace,
    "source_definitions/get": source_definitions_get,
    "destination_definitions/list": destination_definitions_list,
    "destination_definitions/list_for_workspace": destination_definitions_list_for_workspace,
    "destination_definitions/get": destination_definitions_get,
    "source_definition_specifications/get": source_definition_specifications_get,
    "destination_definition_specifications/get": destination_definition_specifications_get,
    "sources/list": sources_list,
    "sources/get": sources_get,
    "sources/create": sources_create,
    "sources/update": sources_update,
    "sources/partial_update": sources_partial_update,
    "sources/delete": sources_delete,
    "sources/check_connection": sources_check_connection,
    "sources/discover_schema": sources_discover_schema,
    "destinations/list": destinations_list,
    "destinations/get": destinations_get,
    "destinations/create": destinations_create,
    "destinations/update": destinations_update,
    "destinations/partial_update": destinations_partial_update,
    "destinations/delete": destinations_delete,
    "destinations/check_connection": destinations_check_connection,
    "connections/list": connections_list,
    "connections/list_paginated": connections_list_paginated,
    "connections/get": connections_get,
    "connections/create": connections_create,
    "connections/update": connections_update,
    "connections/delete": connections_delete,
    "connections/sync": connections_sync,
    "connections/reset": connections_reset,
    "jobs/get": jobs_get,
    "jobs/list": jobs_list,
    "jobs/list_for_workspaces": jobs_list_for_workspaces,
    "jobs/cancel": jobs_cancel,
    "jobs/get_last_replication_job": jobs_get_last_replication_job,
}


def _endpoint(state: EmulatorState, name: str, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            # Checked against Airbyte's request schema first: handlers get well-typed bodies.
            body = rejections.config_body(state.profile, f"/{name}", await request.body())
            with state.lock:
                result = handler(state, body)
        except ApiError as err:
            return json_response(err.body, err.status, err.headers)
        if result is None:
            return no_content()
        return json_response(result)

    return endpoint


def routes(state: EmulatorState) -> list[Route]:
    """Config API routes, relative to ``/api/v1``."""
    from dagster_airbyte_ops.emulator import refresh_clear  # its handlers build on this module's

    handlers = {**HANDLERS, **refresh_clear.HANDLERS}
    out = [Route(f"/{name}", _endpoint(state, name, h), methods=["POST"]) for name, h in handlers.items()]

    async def health(request: Request) -> Response:
        return json_response({"available": True})

    async def instance_configuration(request: Request) -> Response:
        s = state.settings
        return json_response(
            {
                "edition": "community",
                "version": state.profile.version,
                "licenseStatus": "pro",
                "airbyteUrl": str(request.base_url).rstrip("/"),
                "auth": {"mode": "simple" if s.auth != "none" else "none"},
                "initialSetupComplete": True,
                "defaultUserId": "00000000-0000-0000-0000-000000000000",
                "defaultOrganizationId": "00000000-0000-0000-0000-000000000000",
                "defaultOrganizationEmail": "admin@example.com",
                "defaultWorkspaceId": state.default_workspace_id or stable_id("workspace", "none"),
                "trackingStrategy": "logging",
            }
        )

    out.append(Route("/health", health, methods=["GET", "POST"]))
    out.append(Route("/instance_configuration", instance_configuration, methods=["GET"]))
    return out
