"""What the observer and deferred-mode tests share: definitions from YAML, sensor ticks as the daemon
runs them, a webhook receiver on localhost, and bounded waits on the emulator."""

from __future__ import annotations

import json
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import dagster as dg

from dagster_airbyte_ops.client import AirbyteClient
from dagster_airbyte_ops.config import parse_config
from dagster_airbyte_ops.definitions import build_definitions

WAIT_TIMEOUT_S = 60.0
PG = "PostgreSQL → MinIO"
MSSQL = "MSSQL → S3"


def build_defs(emulator: Any, tmp_path: Path, yaml_text: str, api: str = "config") -> dg.Definitions:
    """Definitions from an airbyte_ops.yaml text ({url} and {api} filled in), as `dagster dev` loads them."""
    text = textwrap.dedent(yaml_text).format(url=emulator.url, api=api)
    config = parse_config(text, "airbyte_ops.yaml")
    return build_definitions(config, snapshot_dir=str(tmp_path / "snapshots"))


def tick(defs: dg.Definitions, name: str, instance: dg.DagsterInstance, cursor: str | None) -> Any:
    """Evaluate one tick of sensor `name` and report its asset events through the instance, as the
    sensor daemon does; returns Dagster's SensorExecutionData (asset_events, cursor, skip_message)."""
    repository = defs.get_repository_def()
    sensor = repository.get_sensor_def(name)
    resources = {  # what the code server hands a sensor: the top-level resources it requires
        key: value
        for key, value in repository.get_top_level_resources().items()
        if key in sensor.required_resource_keys
    }
    with dg.build_sensor_context(
        instance=instance, cursor=cursor, repository_def=repository, sensor_name=name, resources=resources
    ) as context:
        data = sensor.evaluate_tick(context)
    for event in data.asset_events:
        instance.report_runless_asset_event(event)
    return data


def client_for(emulator: Any, api: str = "config") -> AirbyteClient:
    return AirbyteClient(url=emulator.url, api=api, retry_backoff_s=0.01)  # type: ignore[arg-type]


def connection_id(emulator: Any, name: str) -> str:
    with client_for(emulator) as client:
        workspace = client.list_workspaces()[0].id
        return next(c.id for c in client.list_connections(workspace) if c.name == name)


def wait_until(condition: Callable[[], Any], what: str, timeout_s: float = WAIT_TIMEOUT_S) -> Any:
    """Poll `condition` until it is truthy (returns its value) or fail after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def wait_for_job_end(emulator: Any, job_id: int) -> dict[str, Any]:
    """The emulator's record of `job_id` once it has ended."""
    terminal = {"succeeded", "failed", "cancelled"}

    def ended() -> dict[str, Any] | None:
        job = next(j for j in emulator.admin.jobs() if j["jobId"] == job_id)
        return job if job["status"] in terminal else None

    return wait_until(ended, f"Airbyte job {job_id} to end")


def committed_by_stream(emulator: Any, job_id: int) -> dict[str, int]:
    """Records committed per stream, as Airbyte's Config API reports them for the job."""
    with client_for(emulator) as client:
        return {s.stream_name: s.records_committed for s in client.get_job(job_id).stream_stats}


def materializations(instance: dg.DagsterInstance, key: dg.AssetKey) -> list[dg.AssetMaterialization]:
    records = instance.fetch_materializations(key, limit=100).records
    return [r.asset_materialization for r in records if r.asset_materialization is not None]


def keys_of_group(defs: dg.Definitions, group: str) -> list[dg.AssetKey]:
    graph = defs.get_repository_def().asset_graph
    return sorted(k for k in graph.get_all_asset_keys() if graph.get(k).group_name == group)


class WebhookReceiver:
    """A Slack-like webhook on localhost that keeps every JSON body posted to it."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        received = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/services/T000/B000/secret-token"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @contextmanager
    def running(self) -> Iterator[WebhookReceiver]:
        self._thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()
            self.server.server_close()
