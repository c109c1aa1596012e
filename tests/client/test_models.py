"""Models built from payloads shaped like the spec (config.yaml / api.yaml in tests/airbyte-api)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

from dagster_airbyte_ops.client import (
    CheckResult,
    Connection,
    ConnectionSchedule,
    Destination,
    DestinationDefinition,
    Job,
    JobStatus,
    Source,
    SourceDefinition,
    Stream,
    Workspace,
)
from dagster_airbyte_ops.client.models import connector_slug, parse_iso_duration_s
from dagster_airbyte_ops.errors import AirbyteApiError

SECRET = "canary-Pa55w0rd-7f3a"

# config.yaml: ConnectionRead with a syncCatalog (AirbyteStreamAndConfiguration) and a cron schedule.
CONFIG_CONNECTION = {
    "connectionId": "c0000000-0000-0000-0000-000000000001",
    "name": "PostgreSQL → MinIO",
    "namespaceDefinition": "customformat",
    "namespaceFormat": "${SOURCE_NAMESPACE}_raw",
    "prefix": "pg_",
    "sourceId": "50000000-0000-0000-0000-000000000001",
    "destinationId": "d0000000-0000-0000-0000-000000000001",
    "workspaceId": "w0000000-0000-0000-0000-000000000001",
    "status": "active",
    "breakingChange": False,
    "scheduleType": "cron",
    "scheduleData": {"cron": {"cronExpression": "0 30 2 * * ?", "cronTimeZone": "Europe/Paris"}},
    "created_at": 1700000000,
    "syncCatalog": {
        "streams": [
            {
                "stream": {
                    "name": "users",
                    "namespace": "public",
                    "jsonSchema": {"type": "object", "properties": {"id": {"type": "integer"}}},
                    "supportedSyncModes": ["full_refresh", "incremental"],
                    "defaultCursorField": ["updated_at"],
                    "sourceDefinedPrimaryKey": [["id"]],
                },
                "config": {
                    "syncMode": "incremental",
                    "destinationSyncMode": "append_dedup",
                    "cursorField": [],
                    "primaryKey": [["id"]],
                    "selected": True,
                },
            },
            {
                "stream": {"name": "audit", "namespace": "public", "jsonSchema": {}},
                "config": {"syncMode": "full_refresh", "destinationSyncMode": "overwrite", "selected": False},
            },
        ]
    },
}

# api.yaml: ConnectionResponse
PUBLIC_CONNECTION = {
    "connectionId": "c0000000-0000-0000-0000-000000000001",
    "name": "PostgreSQL → MinIO",
    "sourceId": "50000000-0000-0000-0000-000000000001",
    "destinationId": "d0000000-0000-0000-0000-000000000001",
    "workspaceId": "w0000000-0000-0000-0000-000000000001",
    "status": "active",
    "schedule": {"scheduleType": "cron", "cronExpression": "0 30 2 * * ? Europe/Paris"},
    "namespaceDefinition": "custom_format",
    "namespaceFormat": "${SOURCE_NAMESPACE}_raw",
    "prefix": "pg_",
    "configurations": {
        "streams": [
            {
                "name": "users",
                "namespace": "public",
                "syncMode": "incremental_deduped_history",
                "cursorField": ["updated_at"],
                "primaryKey": [["id"]],
            },
        ]
    },
    "createdAt": 1700000000,
    "tags": [],
}

# config.yaml: JobInfoRead (jobs/get) with AttemptInfoRead wrappers, streamStats and a failure summary.
CONFIG_JOB = {
    "job": {
        "id": 42,
        "configType": "sync",
        "configId": "c0000000-0000-0000-0000-000000000001",
        "createdAt": 1700000000,
        "updatedAt": 1700000100,
        "startedAt": 1700000005,
        "status": "failed",
        "aggregatedStats": {
            "recordsEmitted": 15,
            "bytesEmitted": 1500,
            "recordsCommitted": 10,
            "bytesCommitted": 1000,
            "recordsRejected": 0,
        },
    },
    "attempts": [
        {
            "attempt": {
                "id": 0,
                "status": "failed",
                "createdAt": 1700000005,
                "updatedAt": 1700000050,
                "endedAt": 1700000050,
                "totalStats": {"recordsEmitted": 5, "recordsCommitted": 0},
                "streamStats": [],
                "failureSummary": {
                    "failures": [
                        {
                            "failureOrigin": "source",
                            "failureType": "system_error",
                            "externalMessage": "first",
                            "timestamp": 1700000050,
                        }
                    ]
                },
            },
            "logs": {"logLines": []},
        },
        {
            "attempt": {
                "id": 1,
                "status": "failed",
                "createdAt": 1700000060,
                "updatedAt": 1700000100,
                "endedAt": 1700000100,
                "totalStats": {"recordsEmitted": 10, "recordsCommitted": 10, "bytesCommitted": 1000},
                "streamStats": [
                    {
                        "streamName": "users",
                        "streamNamespace": "public",
                        "stats": {
                            "recordsEmitted": 10,
                            "recordsCommitted": 10,
                            "bytesEmitted": 1000,
                            "bytesCommitted": 1000,
                        },
                    },
                ],
                "failureSummary": {
                    "failures": [
                        {
                            "failureOrigin": "destination",
                            "failureType": "config_error",
                            "externalMessage": "bucket not found",
                            "timestamp": 1700000100,
                        }
                    ]
                },
            },
        },
    ],
}

# api.yaml: JobResponse example
PUBLIC_JOB = {
    "jobId": 42,
    "status": "succeeded",
    "jobType": "sync",
    "startTime": "2023-03-25 01:30:50+00:00",
    "connectionId": "c0000000-0000-0000-0000-000000000001",
    "lastUpdatedAt": "2023-03-25T09:37:02Z",
    "duration": "PT8H6M12S",
    "bytesSynced": 2048,
    "rowsSynced": 20,
}


def test_config_connection():
    c = Connection.from_config_api(CONFIG_CONNECTION)
    assert c.namespace_definition == "customformat"
    assert c.prefix == "pg_"
    assert c.schedule == ConnectionSchedule(
        schedule_type="cron", cron_expression="0 30 2 * * ?", timezone="Europe/Paris"
    )
    assert c.created_at == datetime.fromtimestamp(1700000000, UTC)
    users, audit = c.streams
    assert users.sync_mode == "incremental" and users.destination_sync_mode == "append_dedup"
    assert users.cursor_field == ["updated_at"]  # config cursor empty -> the source's default cursor
    assert users.primary_key == [["id"]]
    assert users.json_schema == {"type": "object", "properties": {"id": {"type": "integer"}}}
    assert not audit.selected
    assert [s.name for s in c.selected_streams] == ["users"]


def test_public_connection():
    c = Connection.from_public_api(PUBLIC_CONNECTION)
    assert c.namespace_definition == "customformat"
    assert c.schedule.cron_expression == "0 30 2 * * ?"
    assert c.schedule.timezone == "Europe/Paris"
    (users,) = c.streams
    assert (users.sync_mode, users.destination_sync_mode) == ("incremental", "append_dedup")
    assert users.json_schema is None and users.selected
    assert users.public_sync_mode == "incremental_deduped_history"


def test_both_flavours_agree_on_a_connection():
    a = Connection.from_config_api(CONFIG_CONNECTION)
    b = Connection.from_public_api(PUBLIC_CONNECTION)
    for field in ("id", "name", "source_id", "destination_id", "status", "schedule", "prefix", "created_at"):
        assert getattr(a, field) == getattr(b, field), field


def test_legacy_schedule_and_no_selected_flag():
    payload = copy.deepcopy(CONFIG_CONNECTION)
    del payload["scheduleType"], payload["scheduleData"]
    payload["schedule"] = {"units": 24, "timeUnit": "hours"}
    for s in payload["syncCatalog"]["streams"]:
        s["config"].pop("selected")
    c = Connection.from_config_api(payload)
    assert c.schedule == ConnectionSchedule(schedule_type="basic", basic_units=24, basic_time_unit="hours")
    assert all(s.selected for s in c.streams)


def test_config_job_with_attempts():
    job = Job.from_config_api(CONFIG_JOB)
    assert job.id == 42 and job.job_type == "sync" and job.status is JobStatus.FAILED
    assert job.is_terminal and job.attempt_count == 2
    assert job.started_at == datetime.fromtimestamp(1700000005, UTC)
    assert job.ended_at == datetime.fromtimestamp(1700000100, UTC)
    assert job.duration_s == 95
    assert job.rows_synced == 10 and job.bytes_synced == 1000
    (users,) = job.stream_stats
    assert users.stream_name == "users" and users.records_committed == 10
    assert job.failure_summary is not None
    assert job.failure_summary.external_message == "bucket not found"
    assert job.failure_summary.failure_origin == "destination"


def test_config_job_list_item_and_reset_type():
    # JobWithAttemptsRead (jobs/list) has bare AttemptRead items; reset_connection is a reset.
    payload = {
        "job": {**CONFIG_JOB["job"], "configType": "reset_connection", "status": "running"},
        "attempts": [CONFIG_JOB["attempts"][1]["attempt"]],
    }
    del payload["job"]["aggregatedStats"]
    job = Job.from_config_api(payload)
    assert job.job_type == "reset" and job.status is JobStatus.RUNNING
    assert job.ended_at is None and job.duration_s is None
    assert job.rows_synced == 10  # summed from attempts when aggregatedStats is absent


def test_public_job():
    job = Job.from_public_api(PUBLIC_JOB)
    assert job.created_at == datetime(2023, 3, 25, 1, 30, 50, tzinfo=UTC)
    assert job.duration_s == 8 * 3600 + 6 * 60 + 12
    assert job.ended_at == datetime(2023, 3, 25, 9, 37, 2, tzinfo=UTC)
    assert job.rows_synced == 20 and job.bytes_synced == 2048
    assert job.attempts == [] and job.stream_stats == [] and job.failure_summary is None


@pytest.mark.parametrize(
    ("status", "terminal"),
    [
        ("pending", False),
        ("queued", False),
        ("running", False),
        ("incomplete", False),
        ("failed", True),
        ("succeeded", True),
        ("cancelled", True),
    ],
)
def test_job_status_terminal(status, terminal):
    assert JobStatus(status).is_terminal is terminal


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("PT8H6M12S", 29172), ("PT0S", 0), ("PT1.5S", 1.5), ("P1DT1H", 90000), ("PT48H", 172800), ("PT5M", 300)],
)
def test_iso_duration(value, seconds):
    assert parse_iso_duration_s(value) == seconds


@pytest.mark.parametrize("value", ["", "P", "PT", "8h", "PTXS"])
def test_iso_duration_rejects(value):
    with pytest.raises(ValueError):
        parse_iso_duration_s(value)


@pytest.mark.parametrize(
    ("kwargs", "slug"),
    [
        ({"definition_id": "b76be0a6-27dc-4560-95f6-2623da0bd7b6", "name": "Local SQLite"}, "sqlite"),
        ({"definition_id": "4816b78f-1489-44c1-9060-4b19d5fa9362", "name": "S3"}, "s3"),
        ({"docker_repository": "airbyte/destination-bigquery"}, "bigquery"),
        ({"docker_repository": "airbyte/destination-postgres-strict-encrypt"}, "postgres"),
        ({"name": "Local SQLite"}, "sqlite"),
        ({"name": "Microsoft SQL Server (MSSQL)"}, "mssql"),
        ({"name": "Postgres"}, "postgres"),
        ({}, None),
    ],
)
def test_connector_slug(kwargs, slug):
    assert connector_slug(**kwargs) == slug


def test_destination_types_agree():
    config = Destination.from_config_api(
        {
            "destinationDefinitionId": "x-unknown",
            "destinationId": "d1",
            "workspaceId": "w",
            "connectionConfiguration": {},
            "name": "lake",
            "destinationName": "S3",
            "createdAt": 1,
        }
    )
    public = Destination.from_public_api(
        {
            "destinationId": "d1",
            "name": "lake",
            "destinationType": "s3",
            "definitionId": "x-unknown",
            "workspaceId": "w",
            "configuration": {},
            "createdAt": 1,
        }
    )
    assert config == public
    assert config.destination_type == "s3"


def test_configuration_secrets_stay_out_of_repr_and_dumps():
    source = Source.from_config_api(
        {
            "sourceDefinitionId": "decd338e-5647-4c0b-adf4-da0e75f5a750",
            "sourceId": "s1",
            "workspaceId": "w",
            "connectionConfiguration": {"host": "db", "password": SECRET},
            "name": "pg",
            "sourceName": "Postgres",
            "createdAt": 1,
        }
    )
    assert source.configuration == {"host": "db", "password": SECRET}
    assert source.source_type == "postgres"
    for text in (repr(source), str(source), source.model_dump_json(), str(source.model_dump())):
        assert SECRET not in text


def test_workspace_and_definitions():
    assert (
        Workspace.from_config_api({"workspaceId": "w", "name": "Default", "slug": "default"}).slug
        == "default"
    )
    assert (
        Workspace.from_public_api({"workspaceId": "w", "name": "Default", "dataResidency": "auto"}).slug
        is None
    )
    sd = SourceDefinition.from_config_api(
        {
            "sourceDefinitionId": "decd338e-5647-4c0b-adf4-da0e75f5a750",
            "name": "Postgres",
            "dockerRepository": "airbyte/source-postgres",
            "dockerImageTag": "3.6.0",
        }
    )
    assert sd.slug == "postgres"
    dd = DestinationDefinition.from_public_api(
        {"id": "x", "name": "S3", "dockerRepository": "airbyte/destination-s3", "dockerImageTag": "1.0.0"}
    )
    assert isinstance(dd, DestinationDefinition) and dd.slug == "s3"
    assert DestinationDefinition.from_config_api({"destinationDefinitionId": "d", "name": "S3"}).id == "d"


def test_check_result():
    r = CheckResult.from_config_api({"status": "failed", "message": "no route to host", "jobInfo": {}})
    assert not r.ok and r.message == "no route to host"


def test_stream_round_trip_to_config_api():
    stream = Connection.from_config_api(CONFIG_CONNECTION).streams[0]
    assert Stream.from_config_api(stream.to_config_api()) == stream


def test_schedule_to_apis():
    cron = ConnectionSchedule.cron("0 0 6 * * ?", "Europe/Paris")
    assert cron.to_config_api() == {
        "scheduleType": "cron",
        "scheduleData": {"cron": {"cronExpression": "0 0 6 * * ?", "cronTimeZone": "Europe/Paris"}},
    }
    assert cron.to_public_api() == {"scheduleType": "cron", "cronExpression": "0 0 6 * * ? Europe/Paris"}
    assert ConnectionSchedule.manual().to_public_api() == {"scheduleType": "manual"}
    with pytest.raises(AirbyteApiError, match="basic"):
        ConnectionSchedule(schedule_type="basic", basic_units=1, basic_time_unit="hours").to_public_api()


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda p: p.pop("sourceId"), "sourceId"),
        (lambda p: p.update(status="exploded"), "status"),
        (
            lambda p: p["syncCatalog"]["streams"][1]["config"].update(syncMode=3),
            "syncCatalog.streams[1].config.syncMode",
        ),
        (lambda p: p["syncCatalog"]["streams"][0].pop("stream"), "syncCatalog.streams[0].stream"),
        (lambda p: p.update(syncCatalog={"streams": "nope"}), "syncCatalog.streams"),
        (lambda p: p.update(name=True), "name"),
    ],
    ids=["missing", "bad-enum", "wrong-type-deep", "missing-deep", "not-an-array", "bool-for-string"],
)
def test_malformed_connection_names_path_and_field(mutate, field):
    payload = copy.deepcopy(CONFIG_CONNECTION)
    mutate(payload)
    with pytest.raises(AirbyteApiError) as info:
        Connection.from_config_api(payload, source="connections/get")
    assert info.value.path == "connections/get"
    assert "connections/get" in str(info.value)
    assert repr(field) in str(info.value)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({**PUBLIC_JOB, "startTime": "yesterday"}, "startTime"),
        ({**PUBLIC_JOB, "duration": "8 hours"}, "duration"),
        ({**PUBLIC_JOB, "jobId": "42"}, "jobId"),
        ([], "<body>"),
        (None, "<body>"),
    ],
)
def test_malformed_public_job(payload, field):
    with pytest.raises(AirbyteApiError) as info:
        Job.from_public_api(payload, source="GET jobs/42")
    assert repr(field) in str(info.value) and "GET jobs/42" in str(info.value)


def test_models_are_frozen():
    job = Job.from_public_api(PUBLIC_JOB)
    with pytest.raises(Exception):  # noqa: B017 - pydantic's frozen-instance error
        job.status = JobStatus.FAILED  # type: ignore[misc]
