"""Fault matrix, part 4: malformed Airbyte answers are an AirbyteApiError naming the path, never a KeyError.

The emulator's ``body`` fault serves a given body in place of Airbyte's answer on one path: a payload
missing its fields, fields of the wrong type, a JSON array, truncated JSON, an HTML page (a proxy's login
or error page) and an empty body. Each is served to the three calls a Dagster user depends on: the
catalog listing at load, the sync trigger, and the job poll. Config-file errors (112 bad files, each
with its exact message, and a property test that any YAML loads or raises ConfigError) live in
tests/config/test_config_errors.py and tests/config/test_config_property.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from dagster_airbyte_ops.errors import AirbyteApiError

from .conftest import connection_id, jobs_of, poll_path, resource_for, trigger_path

HTML_LOGIN = "<!DOCTYPE html><html><head><title>Sign in</title></head><body>proxy login</body></html>"
HTML_502 = "<html><head><title>502 Bad Gateway</title></head><body><h1>502</h1></body></html>"


@dataclass(frozen=True)
class Body:
    id: str
    config_body: str  # served on Config API paths
    public_body: str  # served on public API paths
    status: int = 200
    content_type: str = "application/json"
    says: str = ""  # expected in the message, beside the path


BODIES = [
    Body("missing-fields", "{}", "{}", says="is missing"),
    Body(
        "wrong-types",
        json.dumps({"job": {"id": "seven", "status": 3}, "connections": {"a": 1}}),
        json.dumps({"jobId": "seven", "status": 3, "data": {"a": 1}}),
        says="expected",
    ),
    Body("json-array", "[]", "[]", says="expected"),
    Body("truncated-json", '{"job": {"id": 1', '{"jobId": 1', says="not JSON"),
    Body("html-login-page", HTML_LOGIN, HTML_LOGIN, content_type="text/html", says="not JSON"),
    Body("html-502-page", HTML_502, HTML_502, status=502, content_type="text/html", says="HTML page: 502"),
    Body("empty-body", "", "", says="unexpected response from Airbyte"),
]

CALLS = ["catalog", "trigger", "poll"]


def _path(call: str, api: str) -> str:
    if call == "catalog":
        return r"^/api/v1/connections/list$" if api == "config" else r"^/api/public/v1/connections$"
    return trigger_path(api) if call == "trigger" else poll_path(api)


def _named_path(call: str, api: str) -> str:
    """What the message must name (the API path of the bad answer)."""
    names = {
        ("catalog", "config"): "connections/list",
        ("catalog", "public"): "connections",
        ("trigger", "config"): "connections/sync",
        ("trigger", "public"): "jobs",
        ("poll", "config"): "jobs/get",
        ("poll", "public"): "jobs/",
    }
    return names[(call, api)]


@pytest.mark.parametrize("call", CALLS)
@pytest.mark.parametrize("body", BODIES, ids=[b.id for b in BODIES])
def test_malformed_answer_is_a_clear_api_error(start_emulator, api, body: Body, call: str):
    server = start_emulator(default_job_duration_s=0.3)
    conn = connection_id(server)
    resource = resource_for(server, api, max_retries=1)
    workspace = resource.resolved_workspace_id()
    assert workspace is not None
    server.admin.serve_body(
        body.config_body if api == "config" else body.public_body,
        path=_path(call, api),
        method="POST" if call == "trigger" else "GET" if api == "public" else None,
        count=2,  # a 502 is retried once (max_retries=1); every other body fails at once
        status=body.status,
        content_type=body.content_type,
    )

    with pytest.raises(AirbyteApiError) as raised:
        if call == "catalog":
            resource.get_client().list_connections(workspace)
        else:
            resource.sync(conn)

    message = str(raised.value)
    assert _named_path(call, api) in message, message
    assert body.says in message, message
    assert type(raised.value) is AirbyteApiError
    assert "Traceback" not in message
    if call == "trigger":
        assert jobs_of(server, conn) == []  # the malformed answer replaced the trigger: no job
    server.admin.clear_faults()
