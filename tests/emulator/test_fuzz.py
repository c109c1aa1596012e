"""Spec-driven fuzzing of both APIs: no 5xx, and every answer conforms to Airbyte's OpenAPI files.

Schemathesis generates requests from the vendored ``config.yaml``/``api.yaml`` (positive: requests the
spec allows; negative: requests it forbids, such as wrongly typed fields, non-object bodies and bad
query parameters) for every operation the emulator serves; the list is read off the emulator's own
routes, so an endpoint added later is fuzzed too. Identifiers in generated bodies are swapped for real
ones at random so requests reach past the 404s into the handlers (syncs start, connections change, the
catalog is rewritten). Each operation gets a fixed, derandomized example budget, without shrinking, so
the whole file stays within a couple of minutes; the ``emulator`` fixture's recorder checks every
response against the spec when each test ends.

The one 5xx allowed is Airbyte's own: starting a job of a connection that is not active is a 500 on the
Config API (tests/airbyte-api/SOURCE.md).
"""

from __future__ import annotations

import contextlib
import functools
import json
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.generation import GenerationMode
from starlette.routing import Mount, Route

from dagster_airbyte_ops.emulator import EmulatorServer, EmulatorSettings
from dagster_airbyte_ops.emulator.app import CONFIG_PREFIX, build_app
from dagster_airbyte_ops.emulator.faults import FaultRegistry
from dagster_airbyte_ops.emulator.request_validation import spec
from dagster_airbyte_ops.emulator.server import build_state

SPEC_DIR = Path(__file__).resolve().parents[1] / "airbyte-api"
#: Examples per operation and generation mode: about 2 minutes for the file on one core.
EXAMPLES = 6
#: Config API operations that start a job: a connection that is not active makes Airbyte answer 500.
JOB_STARTS = {"connections/sync", "connections/reset", "connections/refresh", "connections/clear"}
INACTIVE_MESSAGE = "only active connections can be synced"
ID_KEYS = ("connectionId", "sourceId", "destinationId", "workspaceId")


def _served_operations() -> list[str]:
    """``config POST /connections/get`` / ``public GET /jobs/{jobId}`` for every route that is in the spec."""
    app = build_app(build_state(EmulatorSettings(seed="empty")), FaultRegistry())
    out: list[str] = []
    for mount in getattr(app, "app").routes:  # noqa: B009 - the middleware wraps the Starlette app
        if not isinstance(mount, Mount) or mount.path not in (CONFIG_PREFIX, "/api/public/v1"):
            continue
        api = "config" if mount.path == CONFIG_PREFIX else "public"
        for route in mount.routes:
            if not isinstance(route, Route):
                continue
            for method in sorted(route.methods or ()):
                if method != "HEAD" and spec(api).operation(method, route.path) is not None:
                    out.append(f"{api} {method} {route.path}")
    return sorted(set(out))


OPERATIONS = _served_operations()


@functools.cache
def _schema(api: str) -> Any:
    name = "config.yaml" if api == "config" else "api.yaml"
    # libyaml's loader: schemathesis's own loading of the 24,000-line config.yaml takes ~9 s.
    document = yaml.load((SPEC_DIR / name).read_text(), Loader=yaml.CSafeLoader)
    return schemathesis.openapi.from_dict(json.loads(json.dumps(document, default=str)))


def _real_ids(server: EmulatorServer) -> dict[str, list[Any]]:
    state = server.state
    with state.lock:
        ids: dict[str, list[Any]] = {
            "connectionId": [c.connection_id for c in state.connections.values()],
            "sourceId": [a.actor_id for a in state.actors.values() if a.kind == "source"],
            "destinationId": [a.actor_id for a in state.actors.values() if a.kind == "destination"],
            "workspaceId": list(state.workspaces),
        }
    started = requests.post(
        f"{server.config_api_url}/connections/sync", json={"connectionId": ids["connectionId"][0]}, timeout=10
    )
    started.raise_for_status()
    ids["jobId"] = [started.json()["job"]["id"]]
    return ids


def _swap_ids(value: Any, ids: dict[str, list[Any]], draw: Any) -> None:
    """Replace some identifiers in a generated body by real ones (in place)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ID_KEYS and isinstance(item, str) and draw(st.booleans()):
                value[key] = draw(st.sampled_from(ids[key]))
            else:
                _swap_ids(item, ids, draw)
    elif isinstance(value, list):
        for item in value:
            _swap_ids(item, ids, draw)


def _documented_5xx(api: str, path: str, status: int, text: str) -> bool:
    return (
        api == "config"
        and status == 500
        and path.removeprefix("/").removesuffix("/stream") in JOB_STARTS
        and INACTIVE_MESSAGE in text
    )


def _fuzz(cases: Any, mode: str, failures: list[str], call: Any) -> None:
    """Run ``call`` on the fixed budget of generated cases, collecting what went wrong."""

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases, data=st.data())
    def check(case: Any, data: st.DataObject) -> None:
        problem = call(case, data.draw)
        if problem is not None:
            failures.append(f"{mode}: {problem}")

    check()


@pytest.mark.timeout(110)
@pytest.mark.parametrize("operation", OPERATIONS)
def test_fuzz_operation_never_answers_5xx(operation: str, emulator: EmulatorServer) -> None:
    api, method, path = operation.split(" ", 2)
    op = _schema(api)["/v1" + path if api == "config" else path][method]
    base = emulator.url + "/api" if api == "config" else emulator.public_api_url
    ids = _real_ids(emulator)
    fixed = {p.name: str(ids[p.name][0]) for p in op.path_parameters} or None
    failures: list[str] = []
    modes = [GenerationMode.POSITIVE]
    if op.body or op.query:  # a path parameter alone cannot be made invalid without changing the route
        modes.append(GenerationMode.NEGATIVE)
    session = requests.Session()

    def call(case: Any, draw: Any) -> str | None:
        _swap_ids(case.body, ids, draw)
        response = case.call(base_url=base, session=session, timeout=10)
        if response.status_code < 500 or _documented_5xx(api, path, response.status_code, response.text):
            return None
        body = json.dumps(case.body, default=str)[:300] if case.body is not None else ""
        return (
            f"{response.status_code} for {case.method} {case.formatted_path} query={case.query} "
            f"body={body} -> {response.text[:200]}"
        )

    for mode in modes:
        # Unsatisfiable: nothing left to generate in this mode (e.g. every field is free-form).
        with contextlib.suppress(Unsatisfiable):
            _fuzz(op.as_strategy(generation_mode=mode, path_parameters=fixed), mode.value, failures, call)
    session.close()
    assert not failures, "\n".join(failures[:10])
