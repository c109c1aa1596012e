"""Config API families through raw ``requests``, as tutorials and crontab scripts call them."""

from __future__ import annotations

from collections.abc import Callable

import requests

from dagster_airbyte_ops.emulator import EmulatorServer
from dagster_airbyte_ops.emulator.seeds import (
    DESTINATION_POSTGRES,
    DESTINATION_S3,
    DESTINATION_SQLITE,
    SOURCE_MSSQL,
    SOURCE_MYSQL,
    SOURCE_POSTGRES,
)

from .helpers import DEMO_CONNECTIONS, config_post, connection_by_name, workspace_id


def test_health_and_instance_configuration(emulator: EmulatorServer) -> None:
    assert requests.get(f"{emulator.url}/api/v1/health", timeout=5).json() == {"available": True}
    info = requests.get(f"{emulator.url}/api/v1/instance_configuration", timeout=5).json()
    assert info["version"] == "1.6.0"


def test_workspaces(emulator: EmulatorServer) -> None:
    listed = config_post(emulator.url, "workspaces/list").json()["workspaces"]
    assert [w["name"] for w in listed] == ["Default Workspace"]
    wid = listed[0]["workspaceId"]
    assert config_post(emulator.url, "workspaces/get", {"workspaceId": wid}).json()["workspaceId"] == wid
    paged = config_post(
        emulator.url, "workspaces/list_paginated", {"workspaceIds": [], "pagination": {"pageSize": 1}}
    )
    assert paged.json()["workspaces"][0]["workspaceId"] == wid
    missing = config_post(
        emulator.url, "workspaces/get", {"workspaceId": "00000000-0000-0000-0000-000000000001"}
    )
    assert missing.status_code == 404
    assert config_post(emulator.url, "workspaces/get", {"workspaceId": "nope"}).status_code == 422


def test_definitions_carry_real_ids(emulator: EmulatorServer) -> None:
    sources = config_post(emulator.url, "source_definitions/list").json()["sourceDefinitions"]
    ids = {d["sourceDefinitionId"] for d in sources}
    assert {SOURCE_POSTGRES, SOURCE_MYSQL, SOURCE_MSSQL} <= ids
    dests = config_post(emulator.url, "destination_definitions/list").json()["destinationDefinitions"]
    assert {DESTINATION_S3, DESTINATION_POSTGRES, DESTINATION_SQLITE} <= {
        d["destinationDefinitionId"] for d in dests
    }
    wid = workspace_id(emulator.url)
    for_ws = config_post(emulator.url, "source_definitions/list_for_workspace", {"workspaceId": wid}).json()
    assert len(for_ws["sourceDefinitions"]) == len(sources)
    one = config_post(
        emulator.url, "destination_definitions/get", {"destinationDefinitionId": DESTINATION_SQLITE}
    )
    assert one.json()["dockerRepository"] == "airbyte/destination-sqlite"
    assert config_post(emulator.url, "source_definitions/get", {"sourceDefinitionId": SOURCE_POSTGRES}).ok


def test_demo_connections_list_in_one_call_with_schemas(emulator: EmulatorServer) -> None:
    wid = workspace_id(emulator.url)
    conns = config_post(emulator.url, "connections/list", {"workspaceId": wid}).json()["connections"]
    assert tuple(c["name"] for c in conns) == DEMO_CONNECTIONS
    for c in conns:
        for s in c["syncCatalog"]["streams"]:
            assert s["stream"]["jsonSchema"]["properties"]
    mssql = next(c for c in conns if c["name"] == "MSSQL → S3")
    columns = mssql["syncCatalog"]["streams"][0]["stream"]["jsonSchema"]["properties"]
    assert {"_ab_cdc_lsn", "_ab_cdc_updated_at", "_ab_cdc_deleted_at"} <= set(columns)
    crm = next(c for c in conns if c["name"] == "CRM API → Postgres")
    assert crm["namespaceDefinition"] == "customformat"
    assert crm["namespaceFormat"] == "crm_${SOURCE_NAMESPACE}"
    pg = next(c for c in conns if c["name"] == "PostgreSQL → MinIO")
    assert [s["stream"]["name"] for s in pg["syncCatalog"]["streams"]] == [
        "customers",
        "orders",
        "order_items",
        "products",
    ]
    assert pg["syncCatalog"]["streams"][0]["config"]["cursorField"] == ["updated_at"]


def test_demo_ids_are_deterministic(
    emulator: EmulatorServer, spec_checked_emulators: Callable[..., EmulatorServer]
) -> None:
    first = connection_by_name(emulator.url, "Shop Orders → SQLite")["connectionId"]
    other = spec_checked_emulators()
    assert connection_by_name(other.url, "Shop Orders → SQLite")["connectionId"] == first


def test_source_and_destination_crud(emulator: EmulatorServer) -> None:
    url, wid = emulator.url, workspace_id(emulator.url)
    created = config_post(
        url,
        "sources/create",
        {
            "workspaceId": wid,
            "name": "New PG",
            "sourceDefinitionId": SOURCE_POSTGRES,
            "connectionConfiguration": {
                "host": "h",
                "port": 5432,
                "database": "shop",
                "username": "u",
                "password": "secret",
            },
        },
    ).json()
    sid = created["sourceId"]
    assert created["connectionConfiguration"]["password"] == "**********"
    assert config_post(url, "sources/get", {"sourceId": sid}).json()["name"] == "New PG"
    updated = config_post(
        url,
        "sources/update",
        {
            "sourceId": sid,
            "name": "Renamed",
            "connectionConfiguration": {"host": "h2", "port": 5432, "database": "shop", "username": "u"},
        },
    )
    assert updated.json()["name"] == "Renamed"
    partial = config_post(
        url,
        "sources/partial_update",
        {"sourceId": sid, "connectionConfiguration": {"port": 5433, "password": "new"}},
    ).json()
    assert partial["name"] == "Renamed"
    assert partial["connectionConfiguration"] == {
        "host": "h2",
        "port": 5433,
        "database": "shop",
        "username": "u",
        "password": "**********",
    }
    renamed = config_post(url, "sources/partial_update", {"sourceId": sid, "name": "Renamed again"}).json()
    assert renamed["connectionConfiguration"]["port"] == 5433
    missing = config_post(url, "sources/partial_update", {"sourceId": DESTINATION_S3, "name": "x"})
    assert missing.status_code == 404
    assert config_post(url, "sources/check_connection", {"sourceId": sid}).json()["status"] == "succeeded"
    discovered = config_post(url, "sources/discover_schema", {"sourceId": sid}).json()
    assert discovered["catalog"]["streams"]
    names = [s["name"] for s in config_post(url, "sources/list", {"workspaceId": wid}).json()["sources"]]
    assert "Renamed again" in names
    dest = config_post(
        url,
        "destinations/create",
        {
            "workspaceId": wid,
            "name": "D",
            "destinationDefinitionId": DESTINATION_S3,
            "connectionConfiguration": {
                "s3_bucket_name": "b0",
                "s3_bucket_path": "raw",
                "s3_bucket_region": "us-east-1",
                "format": {"format_type": "JSONL"},
            },
        },
    ).json()
    did = dest["destinationId"]
    assert config_post(url, "destinations/check_connection", {"destinationId": did}).ok
    partial = config_post(
        url,
        "destinations/partial_update",
        {"destinationId": did, "connectionConfiguration": {"s3_bucket_name": "b"}},
    ).json()
    assert partial["name"] == "D" and partial["connectionConfiguration"]["s3_bucket_name"] == "b"
    conn = config_post(
        url, "connections/create", {"sourceId": sid, "destinationId": did, "status": "active", "name": "C"}
    ).json()
    assert conn["syncCatalog"]["streams"]
    assert config_post(url, "sources/delete", {"sourceId": sid}).status_code == 204
    assert config_post(url, "sources/get", {"sourceId": sid}).status_code == 404
    assert (
        config_post(url, "connections/get", {"connectionId": conn["connectionId"]}).json()["status"]
        == "deprecated"
    )
    assert config_post(url, "destinations/delete", {"destinationId": did}).status_code == 204
    assert config_post(url, "destinations/get", {"destinationId": did}).status_code == 404
    # Required fields missing: bean validation's 400 (Airbyte's InvalidInputExceptionHandler).
    assert config_post(url, "sources/create", {"workspaceId": wid}).status_code == 400


def test_connection_update_schedule_status_catalog(emulator: EmulatorServer) -> None:
    conn = connection_by_name(emulator.url, "CRM API → Postgres")
    cid = conn["connectionId"]
    catalog = conn["syncCatalog"]
    catalog["streams"][2]["config"]["selected"] = False
    r = config_post(
        emulator.url,
        "connections/update",
        {
            "connectionId": cid,
            "scheduleType": "cron",
            "scheduleData": {"cron": {"cronExpression": "0 30 2 * * ?", "cronTimeZone": "Europe/Paris"}},
            "status": "inactive",
            "syncCatalog": catalog,
        },
    )
    body = r.json()
    assert body["scheduleType"] == "cron"
    assert body["scheduleData"]["cron"] == {"cronExpression": "0 30 2 * * ?", "cronTimeZone": "Europe/Paris"}
    assert body["status"] == "inactive"
    assert body["syncCatalog"]["streams"][2]["config"]["selected"] is False
    basic = config_post(
        emulator.url,
        "connections/update",
        {
            "connectionId": cid,
            "scheduleType": "basic",
            "scheduleData": {"basicSchedule": {"timeUnit": "hours", "units": 24}},
        },
    ).json()
    assert basic["schedule"] == {"units": 24, "timeUnit": "hours"}
    assert (
        config_post(
            emulator.url, "connections/update", {"connectionId": cid, "scheduleType": "weekly"}
        ).status_code
        == 422
    )
    assert config_post(emulator.url, "connections/delete", {"connectionId": cid}).status_code == 204
    wid = workspace_id(emulator.url)
    names = [
        c["name"]
        for c in config_post(emulator.url, "connections/list", {"workspaceId": wid}).json()["connections"]
    ]
    assert "CRM API → Postgres" not in names


def test_connections_list_paginated(emulator: EmulatorServer) -> None:
    wid = workspace_id(emulator.url)
    page = config_post(
        emulator.url,
        "connections/list_paginated",
        {"workspaceIds": [wid], "userId": wid, "pagination": {"pageSize": 3, "rowOffset": 2}},
    ).json()["connections"]
    assert [c["name"] for c in page] == list(DEMO_CONNECTIONS[2:])


def test_unknown_route_is_a_framework_404(emulator: EmulatorServer) -> None:
    r = config_post(emulator.url, "connections/frobnicate")
    assert r.status_code == 404
    assert r.json()["message"] == "Not Found"
