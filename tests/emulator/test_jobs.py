"""Job life cycle: pending → running → terminal, growing stats, attempts, failures, cancel, 409."""

from __future__ import annotations

import time

import pytest
import requests

from dagster_airbyte_ops.emulator import EmulatorServer

from .helpers import config_post, connection_by_name, wait_for


def _job(url: str, job_id: int) -> dict:
    return config_post(url, "jobs/get", {"id": job_id}).json()


def test_crontab_style_sync_runs_to_success_with_growing_stats(emulator: EmulatorServer) -> None:
    cid = connection_by_name(emulator.url, "PostgreSQL → MinIO")["connectionId"]
    emulator.admin.set_behaviour(cid, duration_s=1.5, records_per_stream=10_000)
    r = requests.post(f"{emulator.url}/api/v1/connections/sync", json={"connectionId": cid}, timeout=5)
    assert r.status_code == 200
    job = r.json()["job"]
    assert job["status"] == "pending" and job["configType"] == "sync" and job["configId"] == cid
    seen: list[int] = []

    def running_with_stats() -> bool:
        info = _job(emulator.url, job["id"])
        if info["job"]["status"] == "running" and info["attempts"]:
            seen.append(info["attempts"][0]["attempt"]["totalStats"]["recordsEmitted"])
        return len(seen) >= 3 and seen[-1] > seen[0]

    wait_for(running_with_stats, timeout=5, interval=0.15)
    final = wait_for(
        lambda: (j := _job(emulator.url, job["id"]))["job"]["status"] == "succeeded" and j, timeout=5
    )
    attempt = final["attempts"][0]["attempt"]
    assert attempt["status"] == "succeeded"
    streams = {s["streamName"]: s["stats"] for s in attempt["streamStats"]}
    assert set(streams) == {"customers", "orders", "order_items", "products"}
    assert all(s["recordsCommitted"] == 10_000 for s in streams.values())
    assert final["job"]["aggregatedStats"]["recordsCommitted"] == 40_000
    assert isinstance(final["job"]["createdAt"], int) and final["job"]["createdAt"] < 10**11  # epoch seconds


def test_second_sync_is_409_and_cancel_works(emulator: EmulatorServer) -> None:
    cid = connection_by_name(emulator.url, "MSSQL → S3")["connectionId"]
    emulator.admin.set_behaviour(cid, outcome="stuck")
    job_id = config_post(emulator.url, "connections/sync", {"connectionId": cid}).json()["job"]["id"]
    second = config_post(emulator.url, "connections/sync", {"connectionId": cid})
    assert second.status_code == 409
    assert second.json()["message"] == f"A sync is already running for: {cid}"
    assert "exceptionClassName" in second.json()
    wait_for(lambda: _job(emulator.url, job_id)["job"]["status"] == "running", timeout=3)
    cancelled = config_post(emulator.url, "jobs/cancel", {"id": job_id}).json()
    assert cancelled["job"]["status"] == "cancelled"
    failure = cancelled["attempts"][0]["attempt"]["failureSummary"]["failures"][0]
    assert failure["failureType"] == "manual_cancellation"
    assert config_post(emulator.url, "connections/sync", {"connectionId": cid}).status_code == 200


def test_failed_job_has_failure_summary(emulator: EmulatorServer) -> None:
    cid = connection_by_name(emulator.url, "Shop Orders → SQLite")["connectionId"]
    emulator.admin.set_behaviour(
        cid, duration_s=0.4, outcome="failed", attempts=2, failure_message="Disk full"
    )
    job_id = config_post(emulator.url, "connections/sync", {"connectionId": cid}).json()["job"]["id"]
    final = wait_for(lambda: (j := _job(emulator.url, job_id))["job"]["status"] == "failed" and j, timeout=5)
    assert [a["attempt"]["status"] for a in final["attempts"]] == ["failed", "failed"]
    f = final["attempts"][-1]["attempt"]["failureSummary"]["failures"][0]
    assert f["externalMessage"] == "Disk full" and f["failureOrigin"] == "source"


def test_incomplete_then_succeeded(emulator: EmulatorServer) -> None:
    cid = connection_by_name(emulator.url, "Shop Orders → SQLite")["connectionId"]
    emulator.admin.set_behaviour(cid, duration_s=1.2, outcome="incomplete_then_succeeded", attempts=2)
    job_id = config_post(emulator.url, "connections/sync", {"connectionId": cid}).json()["job"]["id"]
    statuses: set[str] = set()

    def done() -> bool:
        statuses.add(_job(emulator.url, job_id)["job"]["status"])
        return "succeeded" in statuses

    wait_for(done, timeout=5, interval=0.02)
    assert "incomplete" in statuses
    final = _job(emulator.url, job_id)
    assert [a["attempt"]["status"] for a in final["attempts"]] == ["failed", "succeeded"]


def test_inactive_connection_sync_is_500(emulator: EmulatorServer) -> None:
    cid = connection_by_name(emulator.url, "CRM API → Postgres")["connectionId"]
    config_post(emulator.url, "connections/update", {"connectionId": cid, "status": "inactive"})
    assert config_post(emulator.url, "connections/sync", {"connectionId": cid}).status_code == 500


def test_reset_and_jobs_list_filters(emulator: EmulatorServer) -> None:
    cid = connection_by_name(emulator.url, "CRM API → Postgres")["connectionId"]
    emulator.admin.set_behaviour(cid, duration_s=0.2)
    sync_id = config_post(emulator.url, "connections/sync", {"connectionId": cid}).json()["job"]["id"]
    wait_for(lambda: _job(emulator.url, sync_id)["job"]["status"] == "succeeded", timeout=3)
    reset = config_post(emulator.url, "connections/reset", {"connectionId": cid}).json()["job"]
    assert reset["configType"] == "reset_connection" and reset["resetConfig"]["streamsToReset"]
    listed = config_post(emulator.url, "jobs/list", {"configTypes": ["sync"], "configId": cid}).json()
    assert [j["job"]["id"] for j in listed["jobs"]] == [sync_id]
    both = config_post(
        emulator.url,
        "jobs/list",
        {
            "configTypes": ["sync", "reset_connection"],
            "configId": cid,
            "pagination": {"pageSize": 1, "rowOffset": 0},
        },
    ).json()
    assert both["totalJobCount"] == 2 and both["jobs"][0]["job"]["id"] == reset["id"]
    ok = config_post(emulator.url, "jobs/list", {"configTypes": ["sync"], "statuses": ["succeeded"]}).json()
    assert [j["job"]["id"] for j in ok["jobs"]] == [sync_id]
    last = config_post(emulator.url, "jobs/get_last_replication_job", {"connectionId": cid}).json()
    assert last["job"]["id"] == sync_id
    assert config_post(emulator.url, "jobs/get", {"id": 999_999}).status_code == 404


@pytest.mark.emulator(airbyte_version="2.0")
def test_queued_status_on_2_0(emulator: EmulatorServer) -> None:
    cid = connection_by_name(emulator.url, "PostgreSQL → MinIO")["connectionId"]
    emulator.admin.set_behaviour(cid, duration_s=5.0)
    job_id = config_post(emulator.url, "connections/sync", {"connectionId": cid}).json()["job"]["id"]
    time.sleep(0.3)
    assert _job(emulator.url, job_id)["job"]["status"] == "queued"
    config_post(emulator.url, "jobs/cancel", {"id": job_id})
