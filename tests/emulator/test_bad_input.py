"""Malformed input never gets a 5xx: each case here is one a spec-driven fuzzer found (issue 14, case 7).

The Config API answers as Airbyte's exception handlers do (airbyte-commons-server
``errors/handlers``): a body Jackson cannot map onto the request model (not an object, a wrongly typed
field, an unknown enum value, a malformed UUID) is a 422 ``KnownExceptionInfo`` ("Invalid json
input. ..."); a required field that is missing or null fails bean validation: a 400
``InvalidInputExceptionInfo`` with ``validationErrors``. Airbyte 2.0 sends only ``{errorId}`` for both.
The public API answers with a 400 ``bad-request`` problem document naming the field.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

import pytest
import requests

from dagster_airbyte_ops.emulator import EmulatorServer

from .helpers import config_post, connection_by_name, workspace_id


def _post_raw(url: str, endpoint: str, raw: str) -> requests.Response:
    return requests.post(
        f"{url}/api/v1/{endpoint}", data=raw, headers={"content-type": "application/json"}, timeout=10
    )


def _assert_invalid_json_input(response: requests.Response, field: str) -> None:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["message"].startswith("Invalid json input.")
    assert field in body["message"]
    assert body["exceptionClassName"].startswith("com.fasterxml.jackson.databind.")


@pytest.mark.parametrize("raw", ["[]", "[1, 2]", '"text"', "42", "null", "true"])
def test_config_api_non_object_body_is_422(emulator: EmulatorServer, raw: str) -> None:
    response = _post_raw(emulator.url, "connections/get", raw)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["message"].startswith("Invalid json input.")
    assert "ConnectionIdRequestBody" in body["message"]


def test_config_api_unparsable_json_is_422(emulator: EmulatorServer) -> None:
    response = _post_raw(emulator.url, "connections/get", '{"connectionId": ')
    assert response.status_code == 422
    assert response.json()["message"].startswith("Invalid json.")
    assert response.json()["exceptionClassName"] == "com.fasterxml.jackson.core.JsonParseException"


@pytest.mark.parametrize(
    ("endpoint", "body", "field"),
    [
        ("jobs/list", {"configTypes": [{}]}, "configTypes"),
        ("jobs/list", {"configTypes": ["sync"], "configId": {}}, "configId"),
        ("jobs/list", {"configTypes": ["bogus"]}, "configTypes"),
        ("jobs/list", {"configTypes": ["sync"], "pagination": {"pageSize": "x"}}, "pageSize"),
        ("jobs/list", {"configTypes": ["sync"], "pagination": {"pageSize": 1e40}}, "pageSize"),
        ("jobs/list", {"configTypes": ["sync"], "createdAtStart": "yesterday"}, "createdAtStart"),
        ("jobs/get", {"id": "x"}, "id"),
        ("jobs/get", {"id": []}, "id"),
        ("connections/list_paginated", {"workspaceIds": [{}]}, "workspaceIds"),
        ("connections/list_paginated", {"workspaceIds": "abc"}, "workspaceIds"),
        ("workspaces/list_paginated", {"pagination": {"rowOffset": "x"}}, "rowOffset"),
        ("workspaces/list_paginated", {"nameContains": {}}, "nameContains"),
        ("sources/list", {"workspaceId": str(uuid.UUID(int=0)), "pageSize": "x"}, "pageSize"),
        ("connections/get", {"connectionId": 5}, "connectionId"),
        ("workspaces/get", {"workspaceId": "nope"}, "workspaceId"),
    ],
)
def test_config_api_wrongly_typed_fields_are_422(
    emulator: EmulatorServer, endpoint: str, body: dict[str, Any], field: str
) -> None:
    _assert_invalid_json_input(config_post(emulator.url, endpoint, body), field)


def test_config_api_update_with_wrongly_typed_enum_is_422_and_not_stored(emulator: EmulatorServer) -> None:
    conn = connection_by_name(emulator.url, "CRM API → Postgres")
    cid = conn["connectionId"]
    for field, value in [
        ("namespaceDefinition", {}),
        ("namespaceDefinition", "bogus"),
        ("nonBreakingChangesPreference", "bogus"),
        ("status", 3),
        ("scheduleType", []),
    ]:
        response = config_post(emulator.url, "connections/update", {"connectionId": cid, field: value})
        _assert_invalid_json_input(response, field)
    after = config_post(emulator.url, "connections/get", {"connectionId": cid}).json()
    assert after == {**conn, "syncCatalog": after["syncCatalog"]}


def test_config_api_missing_required_field_is_400_with_validation_errors(emulator: EmulatorServer) -> None:
    response = config_post(emulator.url, "connections/get", {})
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["message"] == "Some properties contained invalid input."
    assert body["exceptionClassName"].endswith("validation.ConstraintViolationException")
    assert body["validationErrors"] == [
        {
            "propertyPath": "getConnection.connectionIdRequestBody.connectionId",
            "message": "must not be null",
            "invalidValue": "null",
        }
    ]
    wid = workspace_id(emulator.url)
    missing = config_post(emulator.url, "sources/create", {"workspaceId": wid}).json()["validationErrors"]
    assert {e["propertyPath"].rsplit(".", 1)[1] for e in missing} == {
        "sourceDefinitionId",
        "connectionConfiguration",
        "name",
    }


@pytest.mark.emulator(airbyte_version="2.0")
def test_config_api_errors_on_2_0_carry_only_an_error_id(emulator: EmulatorServer) -> None:
    for response, status in [
        (config_post(emulator.url, "connections/get", {}), 400),
        (_post_raw(emulator.url, "connections/get", "[]"), 422),
        (config_post(emulator.url, "jobs/list", {"configTypes": [{}]}), 422),
    ]:
        assert response.status_code == status
        assert list(response.json()) == ["errorId"]


def _public(emulator: EmulatorServer, method: str, path: str, **kwargs: Any) -> requests.Response:
    return requests.request(method, f"{emulator.public_api_url}{path}", timeout=10, **kwargs)


def _assert_bad_request(response: requests.Response, field: str) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["type"] == "https://reference.airbyte.com/reference/errors#bad-request"
    assert body["title"] == "bad-request"
    assert field in body["detail"] and field in body["data"]["message"]
    assert "exceptionClassName" not in body


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("POST", "/jobs", {"connectionId": "00000000-0000-0000-0000-000000000000", "jobType": {}}, "jobType"),
        ("POST", "/jobs", {"connectionId": [], "jobType": "sync"}, "connectionId"),
        ("POST", "/connections", {"sourceId": {}, "destinationId": "x"}, "sourceId"),
        ("POST", "/sources", {"name": "x", "workspaceId": "y", "configuration": []}, "configuration"),
    ],
)
def test_public_api_wrongly_typed_fields_are_bad_request_problems(
    emulator: EmulatorServer, method: str, path: str, body: dict[str, Any], field: str
) -> None:
    _assert_bad_request(_public(emulator, method, path, json=body), field)


@pytest.mark.parametrize("raw", ["[]", "{", '"x"'])
def test_public_api_non_object_body_is_a_problem(emulator: EmulatorServer, raw: str) -> None:
    response = _public(emulator, "POST", "/jobs", data=raw, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["title"] == "bad-request"
    assert "exceptionClassName" not in response.json()


def test_public_patch_rejects_invalid_enums_and_stores_nothing(emulator: EmulatorServer) -> None:
    conn = connection_by_name(emulator.url, "CRM API → Postgres")
    path = f"/connections/{conn['connectionId']}"
    before = _public(emulator, "GET", path).json()
    for field, value in [
        ("nonBreakingSchemaUpdatesBehavior", "bogus"),
        ("namespaceDefinition", {}),
        ("status", "bogus"),
        ("schedule", {"scheduleType": "weekly"}),
        ("schedule", []),
        ("configurations", {"streams": [{"name": "x", "syncMode": "sideways"}]}),
    ]:
        response = _public(emulator, "PATCH", path, json={field: value})
        _assert_bad_request(response, field)
    assert _public(emulator, "GET", path).json() == before


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"status": "bogus"}, "status"),
        ({"jobType": "bogus"}, "jobType"),
        ({"connectionId": "nope"}, "connectionId"),
        ({"createdAtStart": "yesterday"}, "createdAtStart"),
        ({"limit": "x"}, "limit"),
    ],
)
def test_public_api_bad_query_parameters_are_bad_request(
    emulator: EmulatorServer, query: dict[str, str], field: str
) -> None:
    _assert_bad_request(_public(emulator, "GET", "/jobs", params=query), field)


NON_ASCII = "pässwörd-ключ-密码"


@pytest.mark.parametrize(
    ("mode", "header"),
    [
        ("basic", "Basic " + base64.b64encode(f"airbyte:{NON_ASCII}".encode()).decode()),
        ("basic", f"Basic {NON_ASCII}"),
        ("bearer", f"Bearer {NON_ASCII}"),
        ("client_credentials", f"Bearer {NON_ASCII}"),
    ],
)
def test_non_ascii_credentials_are_401(spec_checked_emulators: Any, mode: str, header: str) -> None:
    from dagster_airbyte_ops.emulator import EmulatorSettings

    server = spec_checked_emulators(EmulatorSettings(auth=mode))  # type: ignore[arg-type]
    for path in ("/api/v1/workspaces/list_paginated", "/api/public/v1/workspaces"):
        method = "POST" if path.startswith("/api/v1/") else "GET"
        response = requests.request(
            method, server.url + path, headers={"authorization": header.encode()}, json={}, timeout=10
        )
        assert response.status_code == 401, (path, response.text)


@pytest.mark.emulator(auth="client_credentials")
def test_non_ascii_client_secret_on_the_token_endpoint_is_401(emulator: EmulatorServer) -> None:
    url = f"{emulator.public_api_url}/applications/token"
    for body in (
        {"client_id": NON_ASCII, "client_secret": NON_ASCII, "grant-type": "client_credentials"},
        {"client_id": "emulator-client-id", "client_secret": NON_ASCII},
    ):
        assert requests.post(url, json=body, timeout=10).status_code == 401
        assert requests.post(url, data=body, timeout=10).status_code == 401
    assert requests.post(url, json={"client_id": {}, "client_secret": "x"}, timeout=10).status_code == 400


def test_public_sync_of_an_inactive_connection_is_a_409_problem_not_a_500(emulator: EmulatorServer) -> None:
    """SOURCE.md: the Config API's 500 for an inactive connection becomes a 409 ``state-conflict``
    problem on the public API (ConfigClientErrorHandler maps the IllegalStateException); no job."""
    conn = connection_by_name(emulator.url, "CRM API → Postgres")
    cid = conn["connectionId"]
    assert config_post(emulator.url, "connections/update", {"connectionId": cid, "status": "inactive"}).ok
    response = _public(emulator, "POST", "/jobs", json={"connectionId": cid, "jobType": "sync"})
    assert response.status_code == 409, response.text
    body = response.json()
    assert body["type"] == "https://reference.airbyte.com/reference/errors#409-state-conflict"
    assert body["title"] == "state-conflict"
    assert body["data"] == {"message": "Could not fulfill request"}
    assert emulator.admin.jobs() == []
