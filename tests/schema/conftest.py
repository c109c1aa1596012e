"""Helpers for the schema-change and refresh/clear tests: the demo's SQLite connection, materialized
through real Dagster instances against a spec-checked emulator writing a real SQLite file."""

from __future__ import annotations

import json
import sqlite3
import textwrap
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import requests
from emulator.helpers import connection_by_name

from dagster_airbyte_ops.config import parse_config
from dagster_airbyte_ops.definitions import build_definitions
from dagster_airbyte_ops.emulator import EmulatorServer, EmulatorSettings

SHOP = "Shop Orders → SQLite"
CONFIG = """
airbyte: {{url: "{url}", api: {api}, retry_backoff_s: {backoff}, poll_interval_s: 0.2}}
connections:
  - name: "Shop Orders → SQLite"
alerts:
  webhooks: [{{url: {{env: SCHEMA_TEST_WEBHOOK}}, on: [failed]}}]
"""


@pytest.fixture
def shop(spec_checked_emulators, tmp_path: Path) -> tuple[EmulatorServer, Path]:
    """An emulator writing to tmp_path/data (SQLite at data/airbyte.sqlite)."""
    server = spec_checked_emulators(
        EmulatorSettings(data_dir=str(tmp_path / "data"), default_job_duration_s=0.4)
    )
    return server, tmp_path / "data" / "airbyte.sqlite"


def defs_for(
    server: EmulatorServer, tmp_path: Path, api: str = "config", backoff: float = 0.01
) -> dg.Definitions:
    """Definitions as a code-location load builds them (a fresh catalog fetch each call)."""
    text = textwrap.dedent(CONFIG).format(url=server.url, api=api, backoff=backoff)
    return build_definitions(parse_config(text, "airbyte_ops.yaml"), snapshot_dir=str(tmp_path / "snapshots"))


def shop_id(server: EmulatorServer) -> str:
    return str(connection_by_name(server.url, SHOP)["connectionId"])


def set_preference(server: EmulatorServer, preference: str) -> None:
    r = requests.post(
        f"{server.url}/api/v1/connections/update",
        json={"connectionId": shop_id(server), "nonBreakingChangesPreference": preference},
        timeout=10,
    )
    assert r.ok, r.text


def materialize(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    *streams: str,
    tags: dict[str, str] | None = None,
    raise_on_error: bool = True,
) -> dg.ExecuteInProcessResult:
    job = defs.resolve_implicit_global_asset_job_def()
    return job.execute_in_process(
        instance=instance,
        asset_selection=[dg.AssetKey(s) for s in streams],
        tags=tags,
        raise_on_error=raise_on_error,
    )


def rows(db: Path, stream: str) -> int:
    with sqlite3.connect(db) as con:
        return int(con.execute(f'SELECT COUNT(*) FROM "_airbyte_raw_{stream}"').fetchone()[0])


def distinct_ids(db: Path, stream: str) -> int:
    """Distinct primary keys (`order_id`, `refund_id`) in the stream's raw table."""
    key = f"{stream.rstrip('s')}_id"
    with sqlite3.connect(db) as con:
        query = (
            f"SELECT COUNT(DISTINCT json_extract(_airbyte_data, '$.{key}')) FROM \"_airbyte_raw_{stream}\""
        )
        return int(con.execute(query).fetchone()[0])


def check_results(result: dg.ExecuteInProcessResult, name: str = "airbyte_schema") -> dict[str, Any]:
    """Check evaluations of the run by stream name."""
    out = {}
    for event in result.get_asset_check_evaluations():
        if event.check_name == name:
            out[event.asset_key.path[-1]] = event
    return out


def materialization_metadata(result: dg.ExecuteInProcessResult) -> dict[str, dict[str, Any]]:
    return {
        e.asset_key.path[-1]: e.step_materialization_data.materialization.metadata
        for e in result.get_asset_materialization_events()
    }


@pytest.fixture(autouse=True)
def _webhook_env(monkeypatch) -> None:
    """The config names a webhook variable; tests that post to it set a real receiver's URL."""
    monkeypatch.setenv("SCHEMA_TEST_WEBHOOK", "http://127.0.0.1:9/services/unused")


@dataclass
class Receiver:
    """A real webhook on localhost whose path is a secret (like Slack's); records every POST body."""

    url: str
    secret_path: str
    posts: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def bodies(self) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.posts)

    def wait_for(self, count: int, timeout_s: float = 30.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout_s
        while len(self.bodies()) < count:
            assert time.monotonic() < deadline, f"only {len(self.bodies())} of {count} posts arrived"
            time.sleep(0.05)
        return self.bodies()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    secret = f"/services/T0SCHEMA/B0SCHEMA/{uuid.uuid4().hex}"
    holder: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
            with holder["r"].lock:
                holder["r"].posts.append(body)
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder["r"] = Receiver(f"http://127.0.0.1:{server.server_address[1]}{secret}", secret)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield holder["r"]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
