"""The emulator's Local SQLite destination over the Config API: what lands when, and determinism."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import requests

from dagster_airbyte_ops.emulator import EmulatorSettings

CONNECTION = "Shop Orders → SQLite"


def _post(url: str, path: str, body: dict) -> dict:
    response = requests.post(f"{url}/api/v1/{path}", json=body, timeout=10)
    response.raise_for_status()
    return response.json()


def _connection_id(url: str) -> str:
    workspace = _post(url, "workspaces/list", {})["workspaces"][0]["workspaceId"]
    connections = _post(url, "connections/list", {"workspaceId": workspace})["connections"]
    return next(c["connectionId"] for c in connections if c["name"] == CONNECTION)


def _run(url: str, cid: str, path: str = "connections/sync") -> dict:
    job_id = _post(url, path, {"connectionId": cid})["job"]["id"]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        info = _post(url, "jobs/get", {"id": job_id})
        if info["job"]["status"] in ("succeeded", "failed", "cancelled"):
            return info
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish")


def _committed(info: dict) -> dict[str, int]:
    stats = info["attempts"][-1]["attempt"]["streamStats"]
    return {s["streamName"]: s["stats"]["recordsCommitted"] for s in stats}


def _rows(sqlite: Path, stream: str) -> list[dict]:
    with sqlite3.connect(sqlite) as con:
        return [json.loads(d) for (d,) in con.execute(f"SELECT _airbyte_data FROM _airbyte_raw_{stream}")]


def _start(spec_checked_emulators, data: Path):
    server = spec_checked_emulators(EmulatorSettings(data_dir=str(data), default_job_duration_s=0.3))
    return server, _connection_id(server.url)


def test_failed_sync_writes_nothing_and_the_next_reads_from_the_old_cursor(spec_checked_emulators, tmp_path):
    server, cid = _start(spec_checked_emulators, tmp_path)
    sqlite = tmp_path / "airbyte.sqlite"
    server.admin.set_behaviour(cid, records_per_stream={"orders": 5, "refunds": 1})
    assert _committed(_run(server.url, cid))["orders"] == 5

    server.admin.set_behaviour(cid, outcome="failed", duration_s=0.3)
    assert _run(server.url, cid)["job"]["status"] == "failed"
    assert len(_rows(sqlite, "orders")) == 5

    server.admin.set_behaviour(cid, outcome="succeeded")
    # The 5 orders of the failed sync and 5 newer ones: nothing is lost.
    assert _committed(_run(server.url, cid))["orders"] == 10
    assert [o["order_id"] for o in _rows(sqlite, "orders")] == list(range(1, 16))


def test_records_per_stream_sets_how_many_rows_the_source_gains(spec_checked_emulators, tmp_path):
    server, cid = _start(spec_checked_emulators, tmp_path)
    server.admin.set_behaviour(cid, records_per_stream={"orders": 7, "refunds": 2})
    assert _committed(_run(server.url, cid)) == {"orders": 7, "refunds": 2}
    # Incremental: 7 new orders; full refresh: all 4 refunds, overwriting the table.
    assert _committed(_run(server.url, cid)) == {"orders": 7, "refunds": 4}
    assert (
        len(_rows(tmp_path / "airbyte.sqlite", "orders")),
        len(_rows(tmp_path / "airbyte.sqlite", "refunds")),
    ) == (14, 4)


def test_reset_empties_the_tables_and_the_next_sync_starts_over(spec_checked_emulators, tmp_path):
    server, cid = _start(spec_checked_emulators, tmp_path)
    sqlite = tmp_path / "airbyte.sqlite"
    _run(server.url, cid)
    _run(server.url, cid)
    reset = _run(server.url, cid, "connections/reset")
    assert reset["job"]["status"] == "succeeded"
    assert _rows(sqlite, "orders") == [] and _rows(sqlite, "refunds") == []

    again = _committed(_run(server.url, cid))
    orders = _rows(sqlite, "orders")
    assert again["orders"] == len(orders) == len({o["order_id"] for o in orders})


def test_same_syncs_same_records_on_any_machine(spec_checked_emulators, tmp_path):
    def without_times(rows: list[dict]) -> list[dict]:
        return [{k: v for k, v in r.items() if not k.endswith("_at")} for r in rows]

    contents = []
    for name in ("a", "b"):
        server, cid = _start(spec_checked_emulators, tmp_path / name)
        _run(server.url, cid)
        _run(server.url, cid)
        contents.append(without_times(_rows(tmp_path / name / "airbyte.sqlite", "orders")))
    assert contents[0] == contents[1]
    assert len(contents[0]) > 200 and "@" in contents[0][0]["customer_email"]


def test_a_restarted_emulator_keeps_its_destination_and_cursor(spec_checked_emulators, tmp_path):
    """Airbyte keeps its state across restarts (its database, and the emulator's store under the data
    dir): the rows stay, and the next incremental sync reads on from the saved cursor."""
    server, cid = _start(spec_checked_emulators, tmp_path)
    first = _committed(_run(server.url, cid))
    server.stop()
    server, cid_again = _start(spec_checked_emulators, tmp_path)
    assert cid_again == cid
    sqlite = tmp_path / "airbyte.sqlite"
    assert len(_rows(sqlite, "orders")) == first["orders"]
    second = _committed(_run(server.url, cid))
    assert 0 < second["orders"] < first["orders"]  # only what is new since the cursor
    assert len(_rows(sqlite, "orders")) == first["orders"] + second["orders"]
