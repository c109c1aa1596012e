"""Public API through raw ``requests``: REST verbs, ISO-8601, pagination, problems."""

from __future__ import annotations

import re

import pytest
import requests

from dagster_airbyte_ops.emulator import EmulatorServer
from dagster_airbyte_ops.emulator.seeds import SOURCE_POSTGRES

from .helpers import wait_for


def _get(emulator: EmulatorServer, path: str, **params: object) -> requests.Response:
    return requests.get(f"{emulator.public_api_url}{path}", params=params, timeout=5)


def test_health_workspaces_connections(emulator: EmulatorServer) -> None:
    assert _get(emulator, "/health").status_code == 200
    ws = _get(emulator, "/workspaces").json()["data"]
    assert ws[0]["name"] == "Default Workspace"
    assert _get(emulator, f"/workspaces/{ws[0]['workspaceId']}").json()["workspaceId"] == ws[0]["workspaceId"]
    conns = _get(emulator, "/connections", workspaceIds=ws[0]["workspaceId"]).json()["data"]
    assert len(conns) == 4
    pg = next(c for c in conns if c["name"] == "PostgreSQL → MinIO")
    assert pg["schedule"] == {"scheduleType": "cron", "cronExpression": "0 0 2 * * ? UTC"}
    assert pg["configurations"]["streams"][0]["syncMode"] == "incremental_deduped_history"
    crm = next(c for c in conns if c["name"] == "CRM API → Postgres")
    assert crm["namespaceDefinition"] == "custom_format"
    assert _get(emulator, f"/connections/{pg['connectionId']}").json()["name"] == pg["name"]
    missing = _get(emulator, "/connections/00000000-0000-0000-0000-000000000001")
    assert missing.status_code == 404 and missing.json()["title"] == "resource-not-found"


def test_cloud_style_v1_mount(emulator: EmulatorServer) -> None:
    assert requests.get(f"{emulator.url}/v1/workspaces", timeout=5).json()["data"]


def test_sources_destinations_streams(emulator: EmulatorServer) -> None:
    wid = _get(emulator, "/workspaces").json()["data"][0]["workspaceId"]
    sources = _get(emulator, "/sources").json()["data"]
    assert {s["sourceType"] for s in sources} >= {"postgres", "mssql", "hubspot"}
    created = requests.post(
        f"{emulator.public_api_url}/sources",
        json={
            "name": "API PG",
            "workspaceId": wid,
            "definitionId": SOURCE_POSTGRES,
            "configuration": {"host": "x", "port": 5432, "database": "shop", "username": "u"},
        },
        timeout=5,
    ).json()
    sid = created["sourceId"]
    patched = requests.patch(f"{emulator.public_api_url}/sources/{sid}", json={"name": "Renamed"}, timeout=5)
    assert patched.json()["name"] == "Renamed"
    streams = _get(emulator, "/streams", sourceId=sid).json()
    assert streams and "incremental_deduped_history" in streams[0]["syncModes"]
    dest = _get(emulator, "/destinations").json()["data"][0]
    conn = requests.post(
        f"{emulator.public_api_url}/connections",
        json={
            "sourceId": sid,
            "destinationId": dest["destinationId"],
            "name": "via public",
            "schedule": {"scheduleType": "cron", "cronExpression": "0 15 * * * ?"},
            "configurations": {
                "streams": [{"name": streams[0]["streamName"], "syncMode": "full_refresh_overwrite"}]
            },
        },
        timeout=5,
    ).json()
    assert conn["schedule"]["cronExpression"] == "0 15 * * * ? UTC"
    assert [s["name"] for s in conn["configurations"]["streams"]] == [streams[0]["streamName"]]
    patched_conn = requests.patch(
        f"{emulator.public_api_url}/connections/{conn['connectionId']}",
        json={"status": "inactive"},
        timeout=5,
    ).json()
    assert patched_conn["status"] == "inactive"
    assert (
        requests.delete(
            f"{emulator.public_api_url}/connections/{conn['connectionId']}", timeout=5
        ).status_code
        == 204
    )
    assert requests.delete(f"{emulator.public_api_url}/sources/{sid}", timeout=5).status_code == 204
    assert _get(emulator, f"/sources/{sid}").status_code == 404


def test_jobs_create_get_list_cancel(emulator: EmulatorServer) -> None:
    conn = _get(emulator, "/connections").json()["data"][0]
    cid = conn["connectionId"]
    emulator.admin.set_behaviour(cid, duration_s=0.5, records_per_stream=100)
    job = requests.post(
        f"{emulator.public_api_url}/jobs", json={"connectionId": cid, "jobType": "sync"}, timeout=5
    )
    assert job.status_code == 200
    jid = job.json()["jobId"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", job.json()["startTime"])
    again = requests.post(
        f"{emulator.public_api_url}/jobs", json={"connectionId": cid, "jobType": "sync"}, timeout=5
    )
    assert again.status_code == 409
    assert again.json()["type"].endswith("#try-again-later") and again.json()["data"]["message"]
    done = wait_for(
        lambda: (j := _get(emulator, f"/jobs/{jid}").json())["status"] == "succeeded" and j, timeout=5
    )
    assert done["rowsSynced"] == 400 and done["bytesSynced"] > 0
    assert re.fullmatch(r"PT(\d+M)?\d+S", done["duration"])
    not_running = requests.delete(f"{emulator.public_api_url}/jobs/{jid}", timeout=5)
    assert not_running.status_code == 409 and not_running.json()["detail"] == "Job is not currently running"
    listed = _get(emulator, "/jobs", connectionId=cid, jobType="sync", status="succeeded").json()
    assert [j["jobId"] for j in listed["data"]] == [jid]
    emulator.admin.set_behaviour(cid, outcome="stuck")
    jid2 = requests.post(
        f"{emulator.public_api_url}/jobs", json={"connectionId": cid, "jobType": "sync"}, timeout=5
    )
    cancelled = requests.delete(f"{emulator.public_api_url}/jobs/{jid2.json()['jobId']}", timeout=5).json()
    assert cancelled["status"] == "cancelled"
    ordered = _get(emulator, "/jobs", connectionId=cid, orderBy="createdAt|ASC").json()["data"]
    assert [j["jobId"] for j in ordered] == [jid, jid2.json()["jobId"]]
    assert _get(emulator, "/jobs/424242").status_code == 404
    bad = requests.post(
        f"{emulator.public_api_url}/jobs", json={"connectionId": cid, "jobType": "nope"}, timeout=5
    )
    assert bad.status_code == 400 and bad.json()["title"] == "bad-request"


@pytest.mark.emulator(seed="generated:260:2")
def test_pagination_past_250(emulator: EmulatorServer) -> None:
    url = f"{emulator.public_api_url}/connections?limit=100"
    seen: list[str] = []
    pages = 0
    while url:
        body = requests.get(url, timeout=10).json()
        seen.extend(c["connectionId"] for c in body["data"])
        url = body["next"] if body["data"] else ""
        pages += 1
    assert len(seen) == len(set(seen)) == 260
    assert pages == 4  # 100 + 100 + 60 + the empty page whose next is ""
    second = requests.get(
        f"{emulator.public_api_url}/connections", params={"limit": 100, "offset": 100}, timeout=10
    )
    assert second.json()["previous"].endswith("limit=100&offset=0")
    assert _get(emulator, "/connections", limit=0).status_code == 400
    assert _get(emulator, "/connections", limit=101).status_code == 400
    default = _get(emulator, "/connections").json()
    assert len(default["data"]) == 20 and default["next"].endswith("limit=20&offset=20")
