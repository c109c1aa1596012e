"""Schema changes, refresh and clear in the emulator, against Airbyte's rules (docs/schema-changes.md).

A test changes the source's live schema through the admin API, then watches what Airbyte would do on
its APIs: discover with a connection, the discover before each sync, web_backend ``schemaChange``,
refresh and clear jobs and their effect on the Local SQLite destination's rows.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
import requests

from dagster_airbyte_ops.emulator import EmulatorServer, EmulatorSettings

from .helpers import config_post, connection_by_name, wait_for

SHOP = "Shop Orders → SQLite"


@pytest.fixture
def shop(spec_checked_emulators, tmp_path: Path) -> tuple[EmulatorServer, Path, dict[str, Any]]:
    """An emulator writing the SQLite destination under tmp_path, and the demo's SQLite connection."""
    server = spec_checked_emulators(
        EmulatorSettings(data_dir=str(tmp_path / "data"), default_job_duration_s=0.3)
    )
    return server, tmp_path / "data" / "airbyte.sqlite", connection_by_name(server.url, SHOP)


def _post(server: EmulatorServer, endpoint: str, body: dict[str, Any]) -> dict[str, Any]:
    response = config_post(server.url, endpoint, body)
    assert response.status_code == 200, response.text
    return response.json()


def _web(server: EmulatorServer, cid: str) -> dict[str, Any]:
    return _post(server, "web_backend/connections/get", {"connectionId": cid})


def _finish(server: EmulatorServer, job_id: int) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        job = _post(server, "jobs/get", {"id": job_id})["job"]
        return job if job["status"] in ("succeeded", "failed", "cancelled") else None

    return wait_for(done, timeout=15)


def _rows(db: Path, stream: str) -> int:
    con = sqlite3.connect(db)
    try:
        return int(con.execute(f'SELECT COUNT(*) FROM "_airbyte_raw_{stream}"').fetchone()[0])
    finally:
        con.close()


def _sync(server: EmulatorServer, cid: str) -> dict[str, Any]:
    return _finish(server, _post(server, "connections/sync", {"connectionId": cid})["job"]["id"])


def test_schema_change_none_discover_reports_an_empty_diff(shop) -> None:
    server, _, conn = shop
    body = {"sourceId": conn["sourceId"], "connectionId": conn["connectionId"], "disable_cache": True}
    found = _post(server, "sources/discover_schema", body)
    assert found["catalogDiff"] == {"transforms": []}
    assert found["breakingChange"] is False and found["connectionStatus"] == "active"
    assert found["catalogId"] == conn["sourceCatalogId"]
    assert _web(server, conn["connectionId"])["schemaChange"] == "no_change"


def test_schema_change_cached_discover_does_not_see_it(shop) -> None:
    server, _, conn = shop
    server.admin.change_source_schema(
        conn["connectionId"], {"op": "add_column", "stream": "orders", "column": "coupon", "type": "string"}
    )
    cached = _post(
        server,
        "sources/discover_schema",
        {"sourceId": conn["sourceId"], "connectionId": conn["connectionId"]},
    )
    assert "catalogDiff" not in cached and cached["jobInfo"]["configId"] == "NoConfiguration"
    fresh = _post(
        server,
        "sources/discover_schema",
        {"sourceId": conn["sourceId"], "connectionId": conn["connectionId"], "disable_cache": True},
    )
    (transform,) = fresh["catalogDiff"]["transforms"]
    assert transform["transformType"] == "update_stream"
    assert transform["updateStream"]["fieldTransforms"] == [
        {
            "transformType": "add_field",
            "fieldName": ["coupon"],
            "breaking": False,
            "addField": {"schema": {"type": ["string", "null"]}},
        }
    ]
    assert fresh["breakingChange"] is False
    assert _web(server, conn["connectionId"])["schemaChange"] == "non_breaking"


@pytest.mark.parametrize(
    ("preference", "status", "job_status", "columns_propagated", "streams"),
    [
        ("ignore", "active", "succeeded", False, {"orders", "refunds"}),
        ("disable", "inactive", "cancelled", False, {"orders", "refunds"}),
        ("propagate_columns", "active", "succeeded", True, {"orders", "refunds"}),
        ("propagate_fully", "active", "succeeded", True, {"orders", "coupons"}),
    ],
)
def test_schema_change_non_breaking_before_a_sync_follows_the_preference(
    shop, preference, status, job_status, columns_propagated, streams
) -> None:
    server, db, conn = shop
    cid = conn["connectionId"]
    _post(server, "connections/update", {"connectionId": cid, "nonBreakingChangesPreference": preference})
    server.admin.change_source_schema(
        cid,
        {"op": "add_column", "stream": "orders", "column": "coupon", "type": "string"},
        {"op": "retype_column", "stream": "orders", "column": "item_count", "type": "number"},
        {"op": "add_stream", "stream": "coupons", "columns": {"code": {"type": "string"}}},
        {"op": "remove_stream", "stream": "refunds"},
    )

    job = _sync(server, cid)

    after = _web(server, cid)
    assert job["status"] == job_status
    read = _post(server, "connections/get", {"connectionId": cid})
    assert (after["status"], read["breakingChange"]) == (status, False)
    orders = next(s for s in after["syncCatalog"]["streams"] if s["stream"]["name"] == "orders")
    properties = orders["stream"]["jsonSchema"]["properties"]
    assert ("coupon" in properties) is columns_propagated
    assert (properties["item_count"]["type"] == ["number", "null"]) is columns_propagated
    assert {s["stream"]["name"] for s in after["syncCatalog"]["streams"]} == streams
    # Propagated (or with no diff left): the connection is on the new catalog; otherwise still behind.
    assert after["schemaChange"] == ("no_change" if columns_propagated else "non_breaking")
    if job_status == "cancelled":
        assert job.get("aggregatedStats", {}).get("recordsCommitted", 0) == 0
        assert not db.exists() or "_airbyte_raw_orders" not in _tables(db)
    else:
        assert _rows(db, "orders") == 240


def _tables(db: Path) -> set[str]:
    con = sqlite3.connect(db)
    try:
        return {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        con.close()


def test_schema_change_breaking_disables_the_connection_and_syncs_fail(shop) -> None:
    server, _, conn = shop
    cid = conn["connectionId"]
    _post(
        server, "connections/update", {"connectionId": cid, "nonBreakingChangesPreference": "propagate_fully"}
    )
    server.admin.change_source_schema(
        cid, {"op": "remove_column", "stream": "orders", "column": "updated_at"}
    )

    job = _sync(server, cid)  # the discover before the sync finds it: cancelled, nothing replicated

    assert job["status"] == "cancelled"
    read = _post(server, "connections/get", {"connectionId": cid})
    assert (read["status"], read["breakingChange"]) == ("inactive", True)
    web = _web(server, cid)
    assert web["schemaChange"] == "breaking"
    orders = next(s for s in web["syncCatalog"]["streams"] if s["stream"]["name"] == "orders")
    assert (
        "updated_at" in orders["stream"]["jsonSchema"]["properties"]
    )  # a breaking change is never propagated
    found = _post(
        server,
        "sources/discover_schema",
        {"sourceId": conn["sourceId"], "connectionId": cid, "disable_cache": True},
    )
    (transform,) = found["catalogDiff"]["transforms"]
    assert transform["updateStream"]["fieldTransforms"][0]["fieldName"] == ["updated_at"]
    assert transform["updateStream"]["fieldTransforms"][0]["breaking"] is True
    assert (found["breakingChange"], found["connectionStatus"]) == (True, "inactive")
    refused = config_post(server.url, "connections/sync", {"connectionId": cid})
    assert refused.status_code == 500
    public = requests.post(
        f"{server.public_api_url}/jobs", json={"connectionId": cid, "jobType": "sync"}, timeout=10
    )
    assert public.status_code in (409, 500)


def test_schema_change_removed_column_of_a_dedup_primary_key_is_breaking(spec_checked_emulators) -> None:
    server = spec_checked_emulators(EmulatorSettings(default_job_duration_s=0.3))
    conn = connection_by_name(server.url, "PostgreSQL → MinIO")  # incremental append_dedup streams
    server.admin.change_source_schema(
        conn["connectionId"],
        {"op": "remove_column", "stream": "customers", "column": "id"},
        {"op": "remove_column", "stream": "products", "column": "category"},
    )
    found = _post(
        server,
        "sources/discover_schema",
        {"sourceId": conn["sourceId"], "connectionId": conn["connectionId"], "disable_cache": True},
    )
    breaking = {
        t["streamDescriptor"]["name"]: t["updateStream"]["fieldTransforms"][0]["breaking"]
        for t in found["catalogDiff"]["transforms"]
    }
    assert breaking == {"customers": True, "products": False}


def test_refresh_truncate_rewrites_and_merge_appends(shop) -> None:
    server, db, conn = shop
    cid = conn["connectionId"]
    assert _sync(server, cid)["status"] == "succeeded"
    first = _rows(db, "orders")

    refreshed = _post(
        server,
        "connections/refresh",
        {"connectionId": cid, "refreshMode": "Truncate", "streams": [{"streamName": "orders"}]},
    )
    job = refreshed["job"]
    assert job["configType"] == "refresh"
    assert job["refreshConfig"]["streamsToRefresh"] == [{"name": "orders", "namespace": "shop"}]
    done = _finish(server, job["id"])
    assert done["status"] == "succeeded"
    whole = _rows(db, "orders")
    assert whole >= first  # the whole source table again, not the earlier rows plus it
    source_rows = done["aggregatedStats"]["recordsCommitted"] - _refund_rows(server, job["id"])
    assert whole == source_rows

    merged = _post(server, "connections/refresh", {"connectionId": cid, "refreshMode": "Merge"})["job"]
    assert merged["refreshConfig"]["streamsToRefresh"] == [
        {"name": "orders", "namespace": "shop"},
        {"name": "refunds", "namespace": "shop"},
    ]
    _finish(server, merged["id"])
    assert _rows(db, "orders") > whole  # merge into an append-only destination adds the re-read rows


def _refund_rows(server: EmulatorServer, job_id: int) -> int:
    attempts = _post(server, "jobs/get", {"id": job_id})["attempts"]
    stats = attempts[-1]["attempt"]["streamStats"]
    return sum(s["stats"]["recordsCommitted"] for s in stats if s["streamName"] == "refunds")


def test_refresh_mode_is_required_and_checked(shop) -> None:
    server, _, conn = shop
    missing = config_post(server.url, "connections/refresh", {"connectionId": conn["connectionId"]})
    # A missing required field fails bean validation: 400 (Airbyte's InvalidInputExceptionHandler).
    assert missing.status_code == 400 and "refreshMode" in missing.text
    wrong = config_post(
        server.url, "connections/refresh", {"connectionId": conn["connectionId"], "refreshMode": "truncate"}
    )
    assert wrong.status_code == 422


def test_clear_stream_empties_it_and_the_next_incremental_sync_starts_over(shop) -> None:
    server, db, conn = shop
    cid = conn["connectionId"]
    _sync(server, cid)
    _sync(server, cid)
    assert _rows(db, "orders") > 240 and _rows(db, "refunds") > 0
    refunds = _rows(db, "refunds")

    cleared = _post(
        server, "connections/clear/stream", {"connectionId": cid, "streams": [{"streamName": "orders"}]}
    )
    assert cleared["job"]["configType"] == "reset_connection"
    assert cleared["job"]["resetConfig"]["streamsToReset"] == [{"name": "orders", "namespace": "shop"}]
    assert _finish(server, cleared["job"]["id"])["status"] == "succeeded"
    assert _rows(db, "orders") == 0 and _rows(db, "refunds") == refunds

    _sync(server, cid)
    assert _rows(db, "orders") >= 240  # every source row again: the cursor was reset

    whole = _post(server, "connections/clear", {"connectionId": cid})
    assert whole["job"]["configType"] == "reset_connection"
    _finish(server, whole["job"]["id"])
    assert _rows(db, "orders") == 0 and _rows(db, "refunds") == 0


def test_public_jobs_clear_is_a_reset_and_refresh_is_refused(shop) -> None:
    server, _, conn = shop
    url = f"{server.public_api_url}/jobs"
    cleared = requests.post(url, json={"connectionId": conn["connectionId"], "jobType": "clear"}, timeout=10)
    assert cleared.status_code == 200 and cleared.json()["jobType"] == "reset"
    _finish(server, cleared.json()["jobId"])
    refused = requests.post(
        url, json={"connectionId": conn["connectionId"], "jobType": "refresh"}, timeout=10
    )
    assert refused.status_code == 422
    problem = refused.json()
    assert problem["title"] == "unprocessable-entity"
    assert problem["data"] == {"message": "Refreshes are not supported in the public API"}
    assert len(server.admin.jobs()) == 1  # nothing triggered


def test_web_backend_list_carries_schema_change(shop) -> None:
    server, _, conn = shop
    server.admin.change_source_schema(
        conn["connectionId"], {"op": "remove_column", "stream": "orders", "column": "updated_at"}
    )
    _post(
        server,
        "sources/discover_schema",
        {"sourceId": conn["sourceId"], "connectionId": conn["connectionId"], "disable_cache": True},
    )
    listed = _post(server, "web_backend/connections/list", {"workspaceId": conn["workspaceId"]})
    changes = {c["name"]: c["schemaChange"] for c in listed["connections"]}
    assert changes[SHOP] == "breaking"
    assert {v for k, v in changes.items() if k != SHOP} == {"no_change"}
