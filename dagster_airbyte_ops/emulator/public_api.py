"""Public API routes (``/api/public/v1/...``, also mounted at ``/v1`` like Cloud's api.airbyte.com).

REST verbs, ISO-8601 strings, offset pagination with full-URL ``next``/``previous`` links and problem
documents for errors. Entities are the same objects the Config API serves; only the rendering differs.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from dagster_airbyte_ops.emulator import auth, config_api, rejections, spec_validation
from dagster_airbyte_ops.emulator import jobs as joblib
from dagster_airbyte_ops.emulator.http import ApiError, is_uuid, json_response, no_content, problem, read_json
from dagster_airbyte_ops.emulator.state import Actor, Connection, EmulatorState

# ---------------------------------------------------------------------- problems
bad_request = rejections.bad_request


def not_found(resource_type: str, resource_id: Any) -> ApiError:
    """404 ``resource-not-found`` problem."""
    return ApiError(
        404,
        problem(
            404,
            "resource-not-found",
            "resource-not-found",
            f"Could not find a resource for: {resource_id}",
            {"resourceType": resource_type, "resourceId": str(resource_id)},
        ),
    )


def _config_error_to_problem(err: ApiError) -> ApiError:
    """Translate a Config API error raised by shared logic into the public API's problem shape."""
    message = err.body.get("message", "") if isinstance(err.body, dict) else str(err.body)
    if err.status == 404:
        return ApiError(
            404,
            problem(
                404,
                "resource-not-found",
                "resource-not-found",
                message,
                {"resourceId": str(err.body.get("id", ""))},
            ),
        )
    if err.status == 409:
        return ApiError(
            409, problem(409, "try-again-later", "try-again-later", message, {"message": message})
        )
    if err.status == 422:
        message = spec_validation.public_message(message)
        return ApiError(
            422, problem(422, "unprocessable-entity", "unprocessable-entity", message, {"message": message})
        )
    # Airbyte passes other Config API failures through with their status as an "unexpected problem".
    return ApiError(
        err.status, problem(err.status, None, "unexpected-problem", message, {"message": message})
    )


# ---------------------------------------------------------------------- formatting
def iso(ts: float | None) -> str | None:
    """Epoch seconds → ``2024-01-02T03:04:05Z``."""
    if ts is None:
        return None
    return datetime.fromtimestamp(int(ts), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_duration(seconds: float) -> str:
    """Seconds → ISO-8601 duration the way Java's ``Duration.toString`` prints whole seconds."""
    total = int(max(0, seconds))
    h, rem = divmod(total, 3600)
    m, s = divmod(rem, 60)
    out = "PT"
    if h:
        out += f"{h}H"
    if m:
        out += f"{m}M"
    if s or out == "PT":
        out += f"{s}S"
    return out


def _parse_iso(value: str, name: str) -> float:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise bad_request(f"{name} must be an ISO-8601 date-time") from None


_SYNC_MODES = {
    ("full_refresh", "overwrite"): "full_refresh_overwrite",
    ("full_refresh", "overwrite_dedup"): "full_refresh_overwrite_deduped",
    ("full_refresh", "append"): "full_refresh_append",
    ("full_refresh", "update"): "full_refresh_update",
    ("full_refresh", "soft_delete"): "full_refresh_soft_delete",
    ("incremental", "append"): "incremental_append",
    ("incremental", "append_dedup"): "incremental_deduped_history",
    ("incremental", "update"): "incremental_update",
    ("incremental", "soft_delete"): "incremental_soft_delete",
}
_SYNC_MODES_BACK = {v: k for k, v in _SYNC_MODES.items()}
_NAMESPACE_OUT = {"source": "source", "destination": "destination", "customformat": "custom_format"}
_NAMESPACE_IN = {v: k for k, v in _NAMESPACE_OUT.items()}


def _split_cron(expression: str) -> tuple[str, str]:
    """Split ``"<quartz> <timezone>"`` as the public API reads it back; timezone defaults to UTC."""
    parts = expression.split()
    if len(parts) >= 7 and ("/" in parts[-1] or parts[-1] in ("UTC", "GMT")):
        return " ".join(parts[:-1]), parts[-1]
    return expression.strip(), "UTC"


def schedule_response(c: Connection) -> dict[str, Any]:
    """``ConnectionScheduleResponse``."""
    if c.schedule_type == "cron" and c.schedule_data:
        cron = c.schedule_data["cron"]
        return {
            "scheduleType": "cron",
            "cronExpression": f"{cron['cronExpression']} {cron.get('cronTimeZone', 'UTC')}",
        }
    if c.schedule_type == "basic" and c.schedule_data:
        basic = c.schedule_data["basicSchedule"]
        return {"scheduleType": "basic", "basicTiming": f"Every {basic['units']} {basic['timeUnit']}"}
    return {"scheduleType": "manual"}


#: Public ``nonBreakingSchemaUpdatesBehavior`` ↔ Config API ``nonBreakingChangesPreference``.
_BEHAVIOR_IN = {
    "ignore": "ignore",
    "disable_connection": "disable",
    "propagate_columns": "propagate_columns",
    "propagate_fully": "propagate_fully",
}
_BEHAVIOR_OUT = {v: k for k, v in _BEHAVIOR_IN.items()}


def connection_response(c: Connection) -> dict[str, Any]:
    """``ConnectionResponse``."""
    streams = []
    for entry in c.selected_streams():
        cfg = entry.get("config", {})
        s: dict[str, Any] = {
            "name": entry["stream"]["name"],
            "syncMode": _SYNC_MODES.get(
                (cfg.get("syncMode"), cfg.get("destinationSyncMode")), "full_refresh_overwrite"
            ),
            "cursorField": list(cfg.get("cursorField") or []),
            "primaryKey": copy.deepcopy(cfg.get("primaryKey") or []),
        }
        if entry["stream"].get("namespace"):
            s["namespace"] = entry["stream"]["namespace"]
        streams.append(s)
    out: dict[str, Any] = {
        "connectionId": c.connection_id,
        "name": c.name,
        "sourceId": c.source_id,
        "destinationId": c.destination_id,
        "workspaceId": c.workspace_id,
        "status": c.status,
        "schedule": schedule_response(c),
        "nonBreakingSchemaUpdatesBehavior": _BEHAVIOR_OUT.get(
            c.non_breaking_changes_preference, c.non_breaking_changes_preference
        ),
        "namespaceDefinition": _NAMESPACE_OUT.get(c.namespace_definition, "destination"),
        "prefix": c.prefix,
        "configurations": {"streams": streams},
        "createdAt": c.created_at,
        "tags": [],
    }
    if c.namespace_format is not None:
        out["namespaceFormat"] = c.namespace_format
    return out


def actor_response(state: EmulatorState, a: Actor) -> dict[str, Any]:
    """``SourceResponse`` / ``DestinationResponse``."""
    d = state.definitions.get(a.definition_id)
    return {
        f"{a.kind}Id": a.actor_id,
        "name": a.name,
        f"{a.kind}Type": d.short_type if d else "unknown",
        "definitionId": a.definition_id,
        "workspaceId": a.workspace_id,
        "configuration": config_api.masked_configuration(a),
        "createdAt": a.created_at,
    }


def job_response(state: EmulatorState, v: joblib.JobView) -> dict[str, Any]:
    """``JobResponse``: committed totals as ``rowsSynced``/``bytesSynced``."""
    _, rc, _, bc = v.totals
    end = v.ended_at if v.ended_at is not None else state.now()
    start = v.started_at if v.started_at is not None else v.created_at
    return {
        "jobId": v.job.job_id,
        "status": v.status,
        "jobType": _JOB_TYPES_OUT.get(v.job.config_type, "sync"),
        "startTime": iso(v.created_at),
        "connectionId": v.job.connection_id,
        "lastUpdatedAt": iso(v.updated_at),
        "duration": iso_duration(end - start),
        "bytesSynced": bc,
        "rowsSynced": rc,
    }


# ---------------------------------------------------------------------- request helpers
def _int_param(request: Request, name: str, default: int, lo: int, hi: int | None) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad_request(f"{name} must be an integer") from None
    if value < lo or (hi is not None and value > hi):
        bound = f"between {lo} and {hi}" if hi is not None else f"at least {lo}"
        raise bad_request(f"{name} must be {bound}")
    return value


def _list_param(request: Request, name: str) -> list[str]:
    """Array query parameters, both repeated (``?a=1&a=2``) and comma-separated (``?a=1,2``)."""
    out: list[str] = []
    for raw in request.query_params.getlist(name):
        out.extend(p for p in raw.split(",") if p)
    return out


def _bool_param(request: Request, name: str) -> bool:
    return request.query_params.get(name, "false").lower() == "true"


def paginated(request: Request, items: list[Any], render: Callable[[Any], Any]) -> dict[str, Any]:
    """Slice ``items`` by ``limit``/``offset`` and add Airbyte's full-URL ``next``/``previous`` links."""
    limit = _int_param(request, "limit", 20, 1, 100)
    offset = _int_param(request, "offset", 0, 0, None)
    page = items[offset : offset + limit]
    base = str(request.url).split("?", 1)[0]
    params = [
        (k, v)
        for k, v in parse_qsl(request.url.query, keep_blank_values=True)
        if k not in ("limit", "offset")
    ]

    def link(new_offset: int) -> str:
        return f"{base}?{urlencode([*params, ('limit', str(limit)), ('offset', str(new_offset))])}"

    out: dict[str, Any] = {"next": link(offset + limit) if page else "", "data": [render(x) for x in page]}
    if offset > 0:
        out["previous"] = link(max(0, offset - limit))
    return out


def _workspace_filter(state: EmulatorState, request: Request) -> list[str] | None:
    ids = _list_param(request, "workspaceIds")
    for wid in ids:
        if not is_uuid(wid):
            raise bad_request(f"workspaceIds: {wid} is not a UUID")
    return ids or None


def _uuid_path(request: Request, key: str, resource_type: str) -> str:
    value = request.path_params[key]
    if not is_uuid(value):
        raise not_found(resource_type, value)
    return str(value)


def _source(state: EmulatorState, request: Request) -> Actor:
    sid = _uuid_path(request, "sourceId", "source")
    src = state.source(sid)
    if src is None:
        raise not_found("source", sid)
    return src


def _destination(state: EmulatorState, request: Request) -> Actor:
    did = _uuid_path(request, "destinationId", "destination")
    dst = state.destination(did)
    if dst is None:
        raise not_found("destination", did)
    return dst


def _connection(state: EmulatorState, request: Request) -> Connection:
    cid = _uuid_path(request, "connectionId", "connection")
    conn = state.connection(cid)
    if conn is None or conn.status == "deprecated":
        raise not_found("connection", cid)
    return conn


def _job(state: EmulatorState, request: Request) -> joblib.Job:
    raw = request.path_params["jobId"]
    try:
        job_id = int(raw)
    except ValueError:
        raise not_found("job", raw) from None
    job = state.jobs.get(job_id)
    if job is None:
        raise not_found("job", job_id)
    return job


async def _json(request: Request) -> dict[str, Any]:
    """The request's body, already checked against its schema by the endpoint wrapper when it has one."""
    checked = getattr(request.state, "checked_body", None)
    if checked is not None:
        return dict(checked)
    try:
        return await read_json(request)
    except ApiError as err:
        raise bad_request(str(err.body.get("message", "invalid JSON"))) from None


# ---------------------------------------------------------------------- endpoints
PublicHandler = Callable[[EmulatorState, Request], Awaitable[Any]]


async def token(state: EmulatorState, request: Request) -> Any:
    """``POST /applications/token``: JSON or form body with client credentials."""
    content_type = request.headers.get("content-type", "")
    if "application/x-www-form-urlencoded" in content_type:
        # Parsed by hand: Starlette's form parser needs python-multipart, which is not a dependency.
        raw = (await request.body()).decode("utf-8", "replace")
        data: dict[str, Any] = dict(parse_qsl(raw, keep_blank_values=True))
    else:
        data = await _json(request)
    client_id, client_secret = data.get("client_id"), data.get("client_secret")
    if not client_id or not client_secret:
        raise bad_request("client_id and client_secret are required")
    grant = data.get("grant-type", data.get("grant_type", "client_credentials"))
    if grant != "client_credentials":
        raise bad_request(f"unsupported grant type {grant!r}")
    if not auth.valid_credentials(state, client_id, client_secret):
        raise ApiError(
            401, problem(401, "invalid-api-key", "invalid-api-key", "Invalid client id or client secret.")
        )
    t = auth.issue_token(state, str(client_id))
    return {
        "access_token": t.value,
        "token_type": "Bearer",
        "expires_in": int(state.settings.effective_token_lifetime_s),
    }


async def health(state: EmulatorState, request: Request) -> Any:
    """``GET /health``: 200 with an empty body, as Airbyte answers."""
    return Response(status_code=200)


async def list_workspaces(state: EmulatorState, request: Request) -> Any:
    """``GET /workspaces``."""
    ids = _workspace_filter(state, request)
    items = [w for w in state.workspaces.values() if not ids or w.workspace_id in ids]
    return paginated(request, items, _workspace_response)


def _workspace_response(w: Any) -> dict[str, Any]:
    return {"workspaceId": w.workspace_id, "name": w.name, "dataResidency": "auto", "notifications": {}}


async def get_workspace(state: EmulatorState, request: Request) -> Any:
    """``GET /workspaces/{workspaceId}``."""
    wid = _uuid_path(request, "workspaceId", "workspace")
    ws = state.workspace(wid)
    if ws is None:
        raise not_found("workspace", wid)
    return _workspace_response(ws)


def _list_definitions(kind: str) -> PublicHandler:
    async def handler(state: EmulatorState, request: Request) -> Any:
        wid = request.path_params["workspaceId"]
        if not is_uuid(wid) or state.workspace(wid) is None:
            raise not_found("workspace", wid)
        return {
            "data": [
                {
                    "id": d.definition_id,
                    "name": d.name,
                    "dockerRepository": d.docker_repository,
                    "dockerImageTag": d.docker_image_tag,
                    "documentationUrl": d.documentation_url,
                }
                for d in state.definitions.values()
                if d.kind == kind
            ]
        }

    return handler


def _list_actors(kind: str) -> PublicHandler:
    async def handler(state: EmulatorState, request: Request) -> Any:
        ids = _workspace_filter(state, request)
        items = [
            a
            for a in state.actors.values()
            if a.kind == kind
            and (not a.tombstone or _bool_param(request, "includeDeleted"))
            and (not ids or a.workspace_id in ids)
        ]
        return paginated(request, items, lambda a: actor_response(state, a))

    return handler


def _create_actor(kind: str) -> PublicHandler:
    async def handler(state: EmulatorState, request: Request) -> Any:
        data = await _json(request)
        for key in ("name", "workspaceId", "configuration"):
            if data.get(key) is None:
                raise bad_request(f"{key} is required")
        if not isinstance(data["configuration"], dict):
            raise bad_request("configuration must be an object")
        def_id = data.get("definitionId")
        if def_id is None:
            wanted = data["configuration"].get(f"{kind}Type")
            match = [d for d in state.definitions.values() if d.kind == kind and d.short_type == wanted]
            if not match:
                raise bad_request(f"definitionId is required (or configuration.{kind}Type)")
            def_id = match[0].definition_id
        body = {
            "name": data["name"],
            "workspaceId": data["workspaceId"],
            f"{kind}DefinitionId": def_id,
            "connectionConfiguration": data["configuration"],
        }
        try:
            created = config_api._actor_create(state, body, kind)
        except ApiError as err:
            raise _config_error_to_problem(err) from None
        actor = state.actors[created[f"{kind}Id"]]
        return actor_response(state, actor)

    return handler


def _get_actor(kind: str) -> PublicHandler:
    async def handler(state: EmulatorState, request: Request) -> Any:
        actor = _source(state, request) if kind == "source" else _destination(state, request)
        return actor_response(state, actor)

    return handler


def _update_actor(kind: str, replace: bool) -> PublicHandler:
    async def handler(state: EmulatorState, request: Request) -> Any:
        actor = _source(state, request) if kind == "source" else _destination(state, request)
        data = await _json(request)
        if replace and (data.get("name") is None or data.get("configuration") is None):
            raise bad_request("name and configuration are required")
        if data.get("configuration") is not None:
            patch = data["configuration"]
            if not isinstance(patch, dict):
                raise bad_request("configuration must be an object")
            merged = patch if replace else {**actor.configuration, **patch}
            try:
                config_api.replace_configuration(state, actor, merged)
            except ApiError as err:
                raise _config_error_to_problem(err) from None
        if data.get("name") is not None:
            actor.name = str(data["name"])
        return actor_response(state, actor)

    return handler


def _delete_actor(kind: str) -> PublicHandler:
    async def handler(state: EmulatorState, request: Request) -> Any:
        actor = _source(state, request) if kind == "source" else _destination(state, request)
        config_api.delete_actor(state, actor)
        return None

    return handler


async def list_connections(state: EmulatorState, request: Request) -> Any:
    """``GET /connections``."""
    ids = _workspace_filter(state, request)
    if _bool_param(request, "includeDeleted"):
        items = [c for c in state.connections.values() if not ids or c.workspace_id in ids]
    else:
        items = state.live_connections(ids)
    return paginated(request, items, connection_response)


def _apply_public_connection(
    state: EmulatorState, conn: Connection, data: dict[str, Any], creating: bool
) -> None:
    body: dict[str, Any] = {}
    for key in ("name", "prefix", "namespaceFormat"):
        if key in data:
            body[key] = data[key]
    if data.get("status") is not None:
        body["status"] = data["status"]
    if data.get("namespaceDefinition") is not None:
        ns = data["namespaceDefinition"]
        if ns not in _NAMESPACE_IN:
            raise bad_request(f"namespaceDefinition {ns!r} is invalid")
        body["namespaceDefinition"] = _NAMESPACE_IN[ns]
    if data.get("nonBreakingSchemaUpdatesBehavior") is not None:
        behavior = data["nonBreakingSchemaUpdatesBehavior"]
        if behavior not in _BEHAVIOR_IN:
            raise bad_request(f"nonBreakingSchemaUpdatesBehavior {behavior!r} is invalid")
        body["nonBreakingChangesPreference"] = _BEHAVIOR_IN[behavior]
    schedule = data.get("schedule")
    if schedule is not None:
        stype = schedule.get("scheduleType")
        if stype == "cron":
            if not schedule.get("cronExpression"):
                raise ApiError(
                    400,
                    problem(
                        400,
                        "cron-validation-missing-cron",
                        "cron-validation-missing-cron",
                        "A cron expression is required for cron schedules.",
                        {"message": "missing cron expression"},
                    ),
                )
            expr, tz = _split_cron(schedule["cronExpression"])
            body["scheduleType"] = "cron"
            body["scheduleData"] = {"cron": {"cronExpression": expr, "cronTimeZone": tz}}
        elif stype in ("manual", "basic"):
            body["scheduleType"] = "manual"
        else:
            raise bad_request(f"scheduleType {stype!r} is invalid")
    configurations = data.get("configurations")
    if configurations is not None:
        body["syncCatalog"] = {"streams": _catalog_from_configurations(state, conn, configurations)}
    try:
        config_api.apply_connection_fields(conn, body)
    except ApiError as err:
        raise bad_request(str(err.body.get("message"))) from None


def _catalog_from_configurations(
    state: EmulatorState, conn: Connection, configurations: Any
) -> list[dict[str, Any]]:
    if not isinstance(configurations, dict) or not isinstance(configurations.get("streams"), list):
        raise bad_request("configurations.streams must be an array")
    src = state.source(conn.source_id, include_tombstone=True)
    discovered = {s["name"]: s for s in (src.catalog if src else [])}
    for entry in conn.sync_catalog:
        discovered.setdefault(entry["stream"]["name"], entry["stream"])
    out = []
    for s in configurations["streams"]:
        name = s.get("name") if isinstance(s, dict) else None
        if name not in discovered:
            raise bad_request(f"Invalid stream found: {name}")
        stream = copy.deepcopy(discovered[name])
        mode = s.get("syncMode")
        if mode is None:
            incremental = "incremental" in stream.get("supportedSyncModes", [])
            pair = ("incremental", "append_dedup") if incremental else ("full_refresh", "overwrite")
        elif mode in _SYNC_MODES_BACK:
            pair = _SYNC_MODES_BACK[mode]
        else:
            raise bad_request(f"syncMode {mode!r} is invalid")
        out.append(
            {
                "stream": stream,
                "config": {
                    "syncMode": pair[0],
                    "destinationSyncMode": pair[1],
                    "cursorField": s.get("cursorField") or list(stream.get("defaultCursorField") or []),
                    "primaryKey": s.get("primaryKey")
                    or copy.deepcopy(stream.get("sourceDefinedPrimaryKey") or []),
                    "aliasName": name,
                    "selected": True,
                    "fieldSelectionEnabled": False,
                },
            }
        )
    return out


async def create_connection(state: EmulatorState, request: Request) -> Any:
    """``POST /connections``."""
    data = await _json(request)
    for key in ("sourceId", "destinationId"):
        if not is_uuid(data.get(key)):
            raise bad_request(f"{key} is required and must be a UUID")
    src = state.source(data["sourceId"])
    if src is None:
        raise not_found("source", data["sourceId"])
    dst = state.destination(data["destinationId"])
    if dst is None:
        raise not_found("destination", data["destinationId"])
    discovered = config_api.sources_discover_schema(state, {"sourceId": src.actor_id})["catalog"]["streams"]
    conn = Connection(
        connection_id=str(uuid.uuid4()),
        workspace_id=src.workspace_id,
        name=str(data.get("name") or f"{src.name} → {dst.name}"),
        source_id=src.actor_id,
        destination_id=dst.actor_id,
        sync_catalog=discovered,
        created_at=int(state.now()),
    )
    _apply_public_connection(state, conn, data, creating=True)
    state.add_connection(conn)
    return connection_response(conn)


async def get_connection(state: EmulatorState, request: Request) -> Any:
    """``GET /connections/{connectionId}``."""
    return connection_response(_connection(state, request))


async def patch_connection(state: EmulatorState, request: Request) -> Any:
    """``PATCH /connections/{connectionId}``."""
    conn = _connection(state, request)
    data = await _json(request)
    _apply_public_connection(state, conn, data, creating=False)
    return connection_response(conn)


async def delete_connection(state: EmulatorState, request: Request) -> Any:
    """``DELETE /connections/{connectionId}`` → 204."""
    _connection(state, request).status = "deprecated"
    return None


async def streams(state: EmulatorState, request: Request) -> Any:
    """``GET /streams?sourceId=``: stream properties of a source's catalog."""
    sid = request.query_params.get("sourceId")
    if not sid:
        raise bad_request("sourceId is required")
    if not is_uuid(sid):
        raise bad_request("sourceId must be a UUID")
    src = state.source(sid)
    if src is None:
        raise not_found("source", sid)
    out = []
    for s in src.catalog:
        supported = s.get("supportedSyncModes", ["full_refresh"])
        modes = [m for (sm, _), m in _SYNC_MODES.items() if sm in supported]
        out.append(
            {
                "streamName": s["name"],
                "syncModes": modes,
                **({"streamnamespace": s["namespace"]} if s.get("namespace") else {}),
                "defaultCursorField": list(s.get("defaultCursorField") or []),
                "sourceDefinedCursorField": bool(s.get("sourceDefinedCursor")),
                "sourceDefinedPrimaryKey": copy.deepcopy(s.get("sourceDefinedPrimaryKey") or []),
                "propertyFields": [[k] for k in s.get("jsonSchema", {}).get("properties", {})],
            }
        )
    return out


_JOB_TYPES_IN = {"sync": "sync", "reset": "reset_connection", "clear": "reset_connection"}
#: ``GET /jobs?jobType=`` also knows refreshes (started on the Config API or in Airbyte's UI).
_JOB_TYPES_LISTED = {**_JOB_TYPES_IN, "refresh": "refresh"}
_JOB_TYPES_OUT = {"sync": "sync", "reset_connection": "reset", "refresh": "refresh"}


async def create_job(state: EmulatorState, request: Request) -> Any:
    """``POST /jobs``: start a sync or reset; 409 ``try-again-later`` if one is running."""
    data = await _json(request)
    cid = data.get("connectionId")
    job_type = data.get("jobType")
    if not is_uuid(cid):
        raise bad_request("connectionId is required and must be a UUID")
    if job_type not in _JOB_TYPES_LISTED:
        raise bad_request(f"jobType must be one of sync, reset, clear, refresh; got {job_type!r}")
    conn = state.connection(str(cid))
    if conn is None or conn.status == "deprecated":
        raise not_found("connection", cid)
    if job_type == "refresh":
        # JobsController.publicCreateJob: looked up the connection, then refuses every refresh.
        message = "Refreshes are not supported in the public API"
        raise ApiError(
            422, problem(422, "unprocessable-entity", "unprocessable-entity", message, {"message": message})
        )
    if conn.status != "active":
        # SOURCE.md: the scheduler's IllegalStateException (a 500 on the Config API) surfaces as a 409
        # state-conflict problem (ConfigClientErrorHandler), for a sync as for a reset or clear.
        message = "Could not fulfill request"
        raise ApiError(
            409, problem(409, "409-state-conflict", "state-conflict", message, {"message": message})
        )
    try:
        job = config_api.start_job(state, conn, _JOB_TYPES_IN[job_type])
    except ApiError as err:
        raise _config_error_to_problem(err) from None
    return job_response(state, joblib.view(state, job))


def _order(request: Request) -> tuple[str, bool]:
    raw = request.query_params.get("orderBy")
    if not raw:
        return "createdAt", True
    field, _, direction = raw.partition("|")
    if field not in ("createdAt", "updatedAt") or direction.upper() not in ("", "ASC", "DESC"):
        raise bad_request("orderBy must look like createdAt|ASC or updatedAt|DESC")
    return field, direction.upper() != "ASC"


async def list_jobs(state: EmulatorState, request: Request) -> Any:
    """``GET /jobs`` with Airbyte's filters, ordering and pagination."""
    q = request.query_params
    cid = q.get("connectionId")
    if cid and not is_uuid(cid):
        raise bad_request("connectionId must be a UUID")
    if cid and state.connection(cid) is None:
        raise not_found("connection", cid)
    ws_ids = _workspace_filter(state, request)
    job_type = q.get("jobType")
    if job_type and job_type not in _JOB_TYPES_LISTED:
        raise bad_request(f"jobType {job_type!r} is invalid")
    status = q.get("status")
    bounds = {
        k: _parse_iso(q[k], k) if q.get(k) else None
        for k in ("createdAtStart", "createdAtEnd", "updatedAtStart", "updatedAtEnd")
    }
    field, descending = _order(request)
    views = []
    for job in state.jobs.values():
        if cid and job.connection_id != cid:
            continue
        if ws_ids:
            conn = state.connection(job.connection_id)
            if conn is None or conn.workspace_id not in ws_ids:
                continue
        if job_type and job.config_type != _JOB_TYPES_LISTED[job_type]:
            continue
        v = joblib.view(state, job)
        if status and v.status != status:
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
    views.sort(
        key=lambda v: ((v.updated_at if field == "updatedAt" else v.created_at), v.job.job_id),
        reverse=descending,
    )
    return paginated(request, views, lambda v: job_response(state, v))


async def get_job(state: EmulatorState, request: Request) -> Any:
    """``GET /jobs/{jobId}``."""
    return job_response(state, joblib.view(state, _job(state, request)))


async def cancel_job(state: EmulatorState, request: Request) -> Any:
    """``DELETE /jobs/{jobId}``: cancel; 409 if the job is not running."""
    job = _job(state, request)
    if not joblib.cancel_job(state, job):
        message = "Job is not currently running"
        raise ApiError(
            409, problem(409, "409-state-conflict", "state-conflict", message, {"message": message})
        )
    return job_response(state, joblib.view(state, job))


# ---------------------------------------------------------------------- routing
def _endpoint(state: EmulatorState, handler: PublicHandler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            raw = None
            if request.method in ("POST", "PATCH", "PUT"):
                # Bodies are read before taking the lock; handlers then run atomically.
                raw = await request.body()
            # Parameters and body checked against Airbyte's request schemas (a 400 problem if not).
            request.state.checked_body = rejections.public_request(request, raw)
            with state.lock:
                result = await handler(state, request)
        except ApiError as err:
            return json_response(err.body, err.status, err.headers)
        if isinstance(result, Response):
            return result
        if result is None:
            return no_content()
        return json_response(result)

    return endpoint


def routes(state: EmulatorState) -> list[Route]:
    """Public API routes, relative to the mount point."""
    e = lambda h: _endpoint(state, h)  # noqa: E731
    return [
        Route("/applications/token", e(token), methods=["POST"]),
        Route("/health", e(health), methods=["GET"]),
        Route("/workspaces", e(list_workspaces), methods=["GET"]),
        Route("/workspaces/{workspaceId}", e(get_workspace), methods=["GET"]),
        Route(
            "/workspaces/{workspaceId}/definitions/sources", e(_list_definitions("source")), methods=["GET"]
        ),
        Route(
            "/workspaces/{workspaceId}/definitions/destinations",
            e(_list_definitions("destination")),
            methods=["GET"],
        ),
        Route("/sources", e(_list_actors("source")), methods=["GET"]),
        Route("/sources", e(_create_actor("source")), methods=["POST"]),
        Route("/sources/{sourceId}", e(_get_actor("source")), methods=["GET"]),
        Route("/sources/{sourceId}", e(_update_actor("source", replace=False)), methods=["PATCH"]),
        Route("/sources/{sourceId}", e(_update_actor("source", replace=True)), methods=["PUT"]),
        Route("/sources/{sourceId}", e(_delete_actor("source")), methods=["DELETE"]),
        Route("/destinations", e(_list_actors("destination")), methods=["GET"]),
        Route("/destinations", e(_create_actor("destination")), methods=["POST"]),
        Route("/destinations/{destinationId}", e(_get_actor("destination")), methods=["GET"]),
        Route(
            "/destinations/{destinationId}", e(_update_actor("destination", replace=False)), methods=["PATCH"]
        ),
        Route(
            "/destinations/{destinationId}", e(_update_actor("destination", replace=True)), methods=["PUT"]
        ),
        Route("/destinations/{destinationId}", e(_delete_actor("destination")), methods=["DELETE"]),
        Route("/connections", e(list_connections), methods=["GET"]),
        Route("/connections", e(create_connection), methods=["POST"]),
        Route("/connections/{connectionId}", e(get_connection), methods=["GET"]),
        Route("/connections/{connectionId}", e(patch_connection), methods=["PATCH"]),
        Route("/connections/{connectionId}", e(delete_connection), methods=["DELETE"]),
        Route("/streams", e(streams), methods=["GET"]),
        Route("/jobs", e(list_jobs), methods=["GET"]),
        Route("/jobs", e(create_job), methods=["POST"]),
        Route("/jobs/{jobId}", e(get_job), methods=["GET"]),
        Route("/jobs/{jobId}", e(cancel_job), methods=["DELETE"]),
    ]
