"""Admin endpoints under ``/_emulator/`` (never part of Airbyte's paths): test control surface.

They let a test reset or restart the fake Airbyte, add connections in bulk, script job behaviour, inject
faults and read the request log, all over HTTP so the same controls work for an out-of-process CLI
emulator.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from dagster_airbyte_ops.emulator import auth, config_api, schema, seeds
from dagster_airbyte_ops.emulator import jobs as joblib
from dagster_airbyte_ops.emulator.faults import Fault, FaultRegistry
from dagster_airbyte_ops.emulator.http import ApiError, json_response
from dagster_airbyte_ops.emulator.state import EmulatorState, stable_id

_BEHAVIOUR_KEYS = (
    "duration_s",
    "outcome",
    "attempts",
    "records_per_stream",
    "failure_message",
    "failure_origin",
    "failure_type",
)


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise ApiError(400, {"error": f"invalid JSON: {exc}"}) from None
    if not isinstance(data, dict):
        raise ApiError(400, {"error": "body must be a JSON object"})
    return data


def _wrap(fn: Callable[[Request], Awaitable[Any]]) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            result = await fn(request)
        except ApiError as err:
            return json_response(err.body, err.status)
        except ValueError as exc:
            return json_response({"error": str(exc)}, 400)
        if isinstance(result, Response):
            return result
        return json_response(result)

    return endpoint


def _unique_key(state: EmulatorState, name: str) -> str:
    key, n = name, 1
    while stable_id("connection", state.default_workspace_id, key) in state.connections:
        n += 1
        key = f"{name}#{n}"
    return key


def create_admin_connection(state: EmulatorState, data: dict[str, Any]) -> dict[str, Any]:
    """Create source, destination and connection from an admin payload; return ``ConnectionRead``."""
    name = str(data.get("name") or f"connection-{len(state.connections) + 1}")
    streams_spec = data.get("streams", 3)
    namespace = str(data.get("namespace") or "public")
    if isinstance(streams_spec, int):
        streams = seeds.generated_streams(streams_spec, namespace)
    elif isinstance(streams_spec, list) and all(isinstance(s, str) for s in streams_spec):
        template = seeds.generated_streams(1, namespace)[0]
        streams = []
        for stream_name in streams_spec:
            entry = json.loads(json.dumps(template))
            entry["stream"]["name"] = stream_name
            entry["config"]["aliasName"] = stream_name
            streams.append(entry)
    else:
        raise ValueError("streams must be an int or a list of names")
    status = data.get("status", "active")
    if status not in ("active", "inactive"):
        raise ValueError("status must be active or inactive")
    if not state.default_workspace_id:
        seeds.install_workspace(state)
    conn = seeds.add_generated_connection(
        state, name, streams, id_key=_unique_key(state, name), status=status
    )
    for key in (
        "schedule_type",
        "schedule_data",
        "namespace_definition",
        "namespace_format",
        "prefix",
        "non_breaking_changes_preference",
    ):
        if key in data:
            setattr(conn, key, data[key])
    conn.behaviour.update({k: data[k] for k in _BEHAVIOUR_KEYS if k in data})
    return config_api.connection_read(conn)


def routes(state: EmulatorState, faults: FaultRegistry) -> list[Route]:
    """Admin routes, relative to ``/_emulator``."""

    async def get_requests(request: Request) -> Any:
        with state.lock:
            return [r.as_dict() for r in state.request_log]

    async def delete_requests(request: Request) -> Any:
        with state.lock:
            state.request_log.clear()
        return {"cleared": True}

    async def reset(request: Request) -> Any:
        data = await _body(request)
        seed = str(data.get("seed") or state.settings.seed)
        seeds.apply_seed(state, seed)
        faults.clear()
        with state.lock:
            state.request_log.clear()
            state.settings.seed = seed
        return {"seed": seed, "connections": len(state.connections)}

    async def restart(request: Request) -> Any:
        data = await _body(request)
        with state.lock:
            forgotten = len(state.jobs)
            state.jobs.clear()
            if data.get("reset_ids"):
                state.reset_job_ids()
        return {"forgotten_jobs": forgotten}

    async def connections(request: Request) -> Any:
        data = await _body(request)
        with state.lock:
            return create_admin_connection(state, data)

    async def bulk(request: Request) -> Any:
        data = await _body(request)
        n = int(data.get("connections", 0))
        m = int(data.get("streams", 3))
        prefix = str(data.get("name_prefix") or "bulk")
        ids = []
        with state.lock:
            if not state.default_workspace_id:
                seeds.install_workspace(state)
            start = len(state.connections)
            for i in range(n):
                name = f"{prefix}-{start + i:05d}"
                conn = seeds.add_generated_connection(
                    state,
                    name,
                    seeds.generated_streams(m, f"{prefix}_{start + i:05d}"),
                    id_key=_unique_key(state, name),
                )
                ids.append(conn.connection_id)
        return {"count": n, "connectionIds": ids}

    async def behaviour(request: Request) -> Any:
        data = await _body(request)
        cid = request.path_params["connection_id"]
        with state.lock:
            conn = state.connection(cid)
            if conn is None:
                raise ApiError(404, {"error": f"no connection {cid}"})
            if "status" in data:
                conn.status = data.pop("status")
            conn.behaviour.update(data)
            b = conn.behaviour
            return {k: getattr(b, k) for k in _BEHAVIOUR_KEYS}

    async def change_schema(request: Request) -> Any:
        """Change a source's live schema (``{"changes": [...]}`` or one change); Airbyte notices at the
        next discover (a sync, a refresh, or ``discover_schema`` without the cache)."""
        data = await _body(request)
        changes = data.get("changes", [data])
        if not isinstance(changes, list) or not all(isinstance(c, dict) for c in changes):
            raise ValueError("'changes' must be a list of objects")
        with state.lock:
            sid = request.path_params.get("source_id")
            if sid is None:
                conn = state.connection(request.path_params["connection_id"])
                if conn is None:
                    raise ApiError(404, {"error": f"no connection {request.path_params['connection_id']}"})
                sid = conn.source_id
            source = state.source(sid)
            if source is None:
                raise ApiError(404, {"error": f"no source {sid}"})
            for change in changes:
                schema.apply_source_change(source, change)
            return {"sourceId": sid, "streams": source.catalog}

    async def add_fault(request: Request) -> Any:
        data = await _body(request)
        fault = Fault.from_json(data)
        if fault.kind == "expire_tokens":
            return {"expired": auth.expire_all_tokens(state)}
        faults.add(fault)
        return fault.as_dict()

    async def list_faults(request: Request) -> Any:
        return faults.list()

    async def clear_faults(request: Request) -> Any:
        faults.clear()
        return {"cleared": True}

    async def list_jobs(request: Request) -> Any:
        with state.lock:
            out = []
            for job in state.jobs.values():
                v = joblib.view(state, job)
                out.append(
                    {
                        "jobId": job.job_id,
                        "connectionId": job.connection_id,
                        "configType": job.config_type,
                        "status": v.status,
                        "createdAt": job.created_at,
                        "attempts": len(v.attempts),
                    }
                )
            return out

    async def start_job(request: Request) -> Any:
        data = await _body(request)
        cid = str(data.get("connectionId") or "")
        with state.lock:
            conn = state.connection(cid)
            if conn is None:
                raise ApiError(404, {"error": f"no connection {cid}"})
            job = config_api.start_job(state, conn, str(data.get("configType") or "sync"))
            return joblib.job_info_read(joblib.view(state, job))

    async def summary(request: Request) -> Any:
        with state.lock:
            statuses: dict[str, int] = {}
            for job in state.jobs.values():
                s = joblib.view(state, job).status
                statuses[s] = statuses.get(s, 0) + 1
            return {
                "seed": state.settings.seed,
                "airbyte_version": state.settings.airbyte_version,
                "auth": state.settings.auth,
                "workspaces": len(state.workspaces),
                "sources": len(state.actors_of("source")),
                "destinations": len(state.actors_of("destination")),
                "connections": len(state.live_connections()),
                "jobs": len(state.jobs),
                "job_statuses": statuses,
                "tokens": len(state.tokens),
                "requests": len(state.request_log),
                "faults": len(faults.list()),
            }

    return [
        Route("/requests", _wrap(get_requests), methods=["GET"]),
        Route("/requests", _wrap(delete_requests), methods=["DELETE"]),
        Route("/reset", _wrap(reset), methods=["POST"]),
        Route("/restart", _wrap(restart), methods=["POST"]),
        Route("/connections", _wrap(connections), methods=["POST"]),
        Route("/bulk", _wrap(bulk), methods=["POST"]),
        Route("/connections/{connection_id}/behaviour", _wrap(behaviour), methods=["POST"]),
        Route("/sources/{source_id}/schema", _wrap(change_schema), methods=["POST"]),
        Route("/connections/{connection_id}/source_schema", _wrap(change_schema), methods=["POST"]),
        Route("/faults", _wrap(add_fault), methods=["POST"]),
        Route("/faults", _wrap(list_faults), methods=["GET"]),
        Route("/faults", _wrap(clear_faults), methods=["DELETE"]),
        Route("/jobs", _wrap(list_jobs), methods=["GET"]),
        Route("/jobs", _wrap(start_job), methods=["POST"]),
        Route("/state", _wrap(summary), methods=["GET"]),
    ]
