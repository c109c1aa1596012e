"""Connector specifications, configuration validation, secret masking, check and discover rules."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from dagster_airbyte_ops.emulator.seeds import (
    DESTINATION_POSTGRES,
    DESTINATION_S3,
    DESTINATION_SQLITE,
    SOURCE_FILE,
    SOURCE_MSSQL,
    SOURCE_MYSQL,
    SOURCE_POSTGRES,
)
from dagster_airbyte_ops.emulator.server import EmulatorServer
from tests.emulator.helpers import config_post, workspace_id

PG = {"host": "db.internal", "port": 5432, "database": "shop", "username": "airbyte", "password": "pg-canary"}


def _create(url: str, kind: str, definition_id: str, config: dict[str, Any]) -> requests.Response:
    return config_post(
        url,
        f"{kind}s/create",
        {
            "workspaceId": workspace_id(url),
            "name": f"{kind} {definition_id[:6]}",
            f"{kind}DefinitionId": definition_id,
            "connectionConfiguration": config,
        },
    )


@pytest.mark.parametrize(
    ("kind", "definition_id", "secret_field", "required"),
    [
        ("source", SOURCE_POSTGRES, "password", ["host", "port", "database", "username"]),
        ("source", SOURCE_MYSQL, "password", ["host", "port", "database", "username", "replication_method"]),
        ("source", SOURCE_MSSQL, "password", ["host", "port", "database", "replication_method"]),
        ("source", SOURCE_FILE, None, ["dataset_name", "format", "url", "provider"]),
        ("destination", DESTINATION_S3, "secret_access_key", ["s3_bucket_name", "s3_bucket_path"]),
        ("destination", DESTINATION_POSTGRES, "password", ["host", "port", "database", "schema", "username"]),
        ("destination", DESTINATION_SQLITE, None, ["destination_path"]),
    ],
    ids=["pg", "mysql", "mssql", "file", "s3", "pg-dest", "sqlite"],
)
def test_specifications_carry_real_fields_and_secret_flags(
    emulator: EmulatorServer, kind: str, definition_id: str, secret_field: str | None, required: list[str]
) -> None:
    body = {f"{kind}DefinitionId": definition_id, "workspaceId": workspace_id(emulator.url)}
    read = config_post(emulator.url, f"{kind}_definition_specifications/get", body).json()
    spec = read["connectionSpecification"]
    assert read[f"{kind}DefinitionId"] == definition_id and read["jobInfo"]["configType"] == "get_spec"
    assert set(required) <= set(spec["required"])
    if secret_field:
        assert spec["properties"][secret_field]["airbyte_secret"] is True


def test_unknown_definition_has_no_specification(emulator: EmulatorServer) -> None:
    body = {"sourceDefinitionId": DESTINATION_S3, "workspaceId": workspace_id(emulator.url)}
    assert config_post(emulator.url, "source_definition_specifications/get", body).status_code == 404


def test_invalid_configuration_is_refused_with_every_error(emulator: EmulatorServer) -> None:
    bad = {"host": "db", "port": "5432", "username": "u", "ssl_mode": {"mode": "sometimes"}}
    r = _create(emulator.url, "source", SOURCE_POSTGRES, bad)
    assert r.status_code == 422
    message = r.json()["message"]
    assert message.startswith("The provided configuration does not fulfill the specification. Errors: ")
    assert "$.database: is missing but it is required" in message
    assert "$.port: string found, integer expected" in message
    assert "$.ssl_mode: should be valid to one and only one schema, but 0 are valid" in message
    extra = {"destination_path": "/local/x", "x": 1}
    sqlite = _create(emulator.url, "destination", DESTINATION_SQLITE, extra)
    assert (
        "$.x: is not defined in the schema and the schema does not allow additional properties"
        in sqlite.json()["message"]
    )
    s3 = {
        "s3_bucket_name": "b",
        "s3_bucket_path": "p",
        "s3_bucket_region": "mars-1",
        "format": {"format_type": "JSONL"},
    }
    enum = _create(emulator.url, "destination", DESTINATION_S3, s3).json()["message"]
    assert "$.s3_bucket_region: does not have a value in the enumeration [" in enum


def test_public_api_renders_the_validation_failure_as_a_problem(emulator: EmulatorServer) -> None:
    r = requests.post(
        f"{emulator.public_api_url}/sources",
        json={
            "name": "bad",
            "workspaceId": workspace_id(emulator.url),
            "definitionId": SOURCE_POSTGRES,
            "configuration": {"host": "db"},
        },
        timeout=5,
    )
    assert r.status_code == 422
    problem = r.json()
    assert problem["title"] == "unprocessable-entity"
    assert "$.port: is missing but it is required" in problem["data"]["message"]
    assert "Schema:" not in problem["data"]["message"]


def test_secrets_masked_on_read_and_kept_when_the_mask_is_sent_back(emulator: EmulatorServer) -> None:
    url = emulator.url
    created = _create(url, "source", SOURCE_POSTGRES, PG).json()
    assert created["connectionConfiguration"]["password"] == "**********"
    sid = created["sourceId"]
    # The UI sends the masked read back on update: the stored password stays.
    back = {**created["connectionConfiguration"], "host": "db2.internal"}
    updated = config_post(
        url, "sources/update", {"sourceId": sid, "name": "n", "connectionConfiguration": back}
    ).json()
    assert updated["connectionConfiguration"]["password"] == "**********"
    assert emulator.state.actors[sid].configuration["password"] == "pg-canary"
    public = requests.get(f"{emulator.public_api_url}/sources/{sid}", timeout=5).json()
    assert public["configuration"]["password"] == "**********"
    assert "pg-canary" not in requests.get(f"{emulator.public_api_url}/sources", timeout=5).text
    # A secret inside a oneOf branch is masked too.
    verify = {**PG, "ssl_mode": {"mode": "verify-ca", "ca_certificate": "-----BEGIN CERT"}}
    read = _create(url, "source", SOURCE_POSTGRES, verify).json()["connectionConfiguration"]
    assert read["ssl_mode"] == {"mode": "verify-ca", "ca_certificate": "**********"}


def test_check_connection_fails_for_an_unresolvable_host(emulator: EmulatorServer) -> None:
    url = emulator.url
    good = _create(url, "source", SOURCE_POSTGRES, PG).json()["sourceId"]
    bad = _create(url, "source", SOURCE_POSTGRES, {**PG, "host": "db.example.invalid"}).json()["sourceId"]
    assert config_post(url, "sources/check_connection", {"sourceId": good}).json()["status"] == "succeeded"
    failed = config_post(url, "sources/check_connection", {"sourceId": bad}).json()
    assert failed["status"] == "failed" and "db.example.invalid" in failed["message"]
    assert failed["jobInfo"]["failureReason"]["failureType"] == "config_error"
    outside = _create(url, "destination", DESTINATION_SQLITE, {"destination_path": "/tmp/x.db"}).json()
    check = config_post(url, "destinations/check_connection", {"destinationId": outside["destinationId"]})
    assert check.json()["status"] == "failed"


def test_discover_follows_the_connector_and_configuration(emulator: EmulatorServer) -> None:
    url = emulator.url
    pg = _create(url, "source", SOURCE_POSTGRES, {**PG, "schemas": ["sales", "ops"]}).json()["sourceId"]
    streams = config_post(url, "sources/discover_schema", {"sourceId": pg}).json()["catalog"]["streams"]
    names = {(s["stream"]["namespace"], s["stream"]["name"]) for s in streams}
    assert ("sales", "orders") in names and ("ops", "customers") in names
    file_config = {
        "dataset_name": "rates",
        "format": "csv",
        "url": "https://example.com/rates.csv",
        "provider": {"storage": "HTTPS"},
    }
    f = _create(url, "source", SOURCE_FILE, file_config).json()["sourceId"]
    (only,) = config_post(url, "sources/discover_schema", {"sourceId": f}).json()["catalog"]["streams"]
    assert only["stream"]["name"] == "rates" and only["stream"]["supportedSyncModes"] == ["full_refresh"]


def test_public_put_and_patch_validate_and_keep_masked_secrets(emulator: EmulatorServer) -> None:
    sid = _create(emulator.url, "source", SOURCE_POSTGRES, PG).json()["sourceId"]
    url = f"{emulator.public_api_url}/sources/{sid}"
    bad = requests.patch(url, json={"configuration": {"port": "x"}}, timeout=5)
    assert (
        bad.status_code == 422 and "$.port: string found, integer expected" in bad.json()["data"]["message"]
    )
    put = requests.put(url, json={"name": "n", "configuration": {"host": "h"}}, timeout=5)
    assert put.status_code == 422  # a full replacement must carry every required field
    masked = requests.get(url, timeout=5).json()["configuration"]
    ok = requests.put(url, json={"name": "n", "configuration": {**masked, "host": "h2"}}, timeout=5)
    assert ok.status_code == 200 and ok.json()["configuration"]["password"] == "**********"
    assert emulator.state.actors[sid].configuration == {**PG, "host": "h2"}


@pytest.mark.emulator(airbyte_version="2.0")
def test_validation_failure_in_the_2_0_shape(emulator: EmulatorServer) -> None:
    body = _create(emulator.url, "source", SOURCE_POSTGRES, {"host": "db"}).json()
    assert "errorId" in body and "exceptionClassName" not in body
    assert "$.port: is missing but it is required" in body["message"]
