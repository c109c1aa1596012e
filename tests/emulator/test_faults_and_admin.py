"""Fault injection and the admin endpoints."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import requests

from dagster_airbyte_ops.emulator import EmulatorServer

from .helpers import config_post, connection_by_name, workspace_id


def test_status_fault_with_retry_after(emulator: EmulatorServer) -> None:
    emulator.admin.add_fault("status", path="connections/list", count=2, status=503, retry_after=2)
    wid = workspace_id(emulator.url)
    for _ in range(2):
        r = config_post(emulator.url, "connections/list", {"workspaceId": wid})
        assert r.status_code == 503 and r.headers["Retry-After"] == "2"
    assert config_post(emulator.url, "connections/list", {"workspaceId": wid}).ok
    emulator.admin.add_fault("status", path=r"/jobs$", method="POST", status=429)
    r = requests.get(f"{emulator.public_api_url}/jobs", timeout=5)
    assert r.ok  # GET is not matched
    r = requests.post(f"{emulator.public_api_url}/jobs", json={}, timeout=5)
    assert r.status_code == 429 and r.json()["status"] == 429


def test_drop_fault(emulator: EmulatorServer) -> None:
    emulator.admin.add_fault("drop", path="workspaces")
    with pytest.raises(requests.exceptions.RequestException):
        requests.get(f"{emulator.public_api_url}/workspaces", timeout=5)
    assert requests.get(f"{emulator.public_api_url}/workspaces", timeout=5).ok
    assert emulator.admin.faults() == []


def test_delay_fault(emulator: EmulatorServer) -> None:
    emulator.admin.add_fault("delay", path="health", delay_s=0.5)
    start = time.monotonic()
    assert requests.get(f"{emulator.url}/api/v1/health", timeout=5).ok
    assert time.monotonic() - start >= 0.5
    emulator.admin.add_fault("delay", path="health", delay_s=2)
    with pytest.raises(requests.exceptions.Timeout):
        requests.get(f"{emulator.url}/api/v1/health", timeout=0.3)


def test_lost_response_still_creates_the_job(emulator: EmulatorServer) -> None:
    cid = connection_by_name(emulator.url, "PostgreSQL → MinIO")["connectionId"]
    emulator.admin.add_fault("lost_response", path="connections/sync")
    with pytest.raises(requests.exceptions.RequestException):
        config_post(emulator.url, "connections/sync", {"connectionId": cid})
    jobs = emulator.admin.jobs()
    assert [j["connectionId"] for j in jobs] == [cid]
    assert config_post(emulator.url, "connections/sync", {"connectionId": cid}).status_code == 409


def test_request_log(emulator: EmulatorServer) -> None:
    emulator.admin.clear_requests()
    requests.get(f"{emulator.public_api_url}/connections", params={"limit": 5}, timeout=5)
    emulator.admin.state()
    log = emulator.admin.requests()
    assert [(r["method"], r["path"], r["query"], r["status"]) for r in log] == [
        ("GET", "/api/public/v1/connections", "limit=5", 200)
    ]
    assert emulator.admin.count("/connections") == 1


def test_admin_connections_behaviour_restart_reset(emulator: EmulatorServer) -> None:
    conn = emulator.admin.create_connection("orders-only", streams=["orders", "refunds"], duration_s=0.2)
    assert [s["stream"]["name"] for s in conn["syncCatalog"]["streams"]] == ["orders", "refunds"]
    twin = emulator.admin.create_connection("orders-only", streams=1)
    assert twin["connectionId"] != conn["connectionId"]
    ids = emulator.admin.bulk(5, streams=2)
    assert len(set(ids)) == 5
    assert emulator.admin.state()["connections"] == 4 + 2 + 5
    emulator.admin.start_job(conn["connectionId"])
    assert len(emulator.admin.jobs()) == 1
    assert emulator.admin.count("connections/sync") == 0  # scheduler jobs do not show up in the API log
    emulator.admin.restart()
    assert emulator.admin.jobs() == []
    assert config_post(emulator.url, "jobs/get", {"id": 1}).status_code == 404
    assert config_post(emulator.url, "connections/get", {"connectionId": conn["connectionId"]}).ok
    emulator.admin.reset("empty")
    assert emulator.admin.state()["connections"] == 0
    emulator.admin.reset("demo")
    assert emulator.admin.state()["connections"] == 4
    bad = requests.post(f"{emulator.url}/_emulator/faults", json={"kind": "meteor"}, timeout=5)
    assert bad.status_code == 400


def test_generated_seed_scale(spec_checked_emulators: Callable[..., EmulatorServer]) -> None:
    from dagster_airbyte_ops.emulator import EmulatorSettings

    server = spec_checked_emulators(EmulatorSettings(seed="generated:1000:10"))
    wid = workspace_id(server.url)
    conns = config_post(server.url, "connections/list", {"workspaceId": wid}).json()["connections"]
    assert len(conns) == 1000 and all(len(c["syncCatalog"]["streams"]) == 10 for c in conns)
