"""Helpers for the reliability suite: both API flavours, spec-checked emulators, Airbyte's job table.

Every case here runs against the emulator over real HTTP with its fault injection; "exactly one
Airbyte job" is read from the emulator's own job table (``/_emulator/jobs``), not from our client.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from dagster_airbyte_ops import AirbyteResource
from dagster_airbyte_ops.emulator import EmulatorServer, EmulatorSettings

APIS = ["config", "public"]
PG = "PostgreSQL → MinIO"
#: Fast retries and polls: the cases measure behaviour, not patience.
FAST: dict[str, Any] = {"retry_backoff_s": 0.01, "request_timeout_s": 5.0, "poll_interval_s": 0.2}
WAIT_S = 30.0


def trigger_path(api: str) -> str:
    """Regex of the request that starts a sync."""
    return r"^/api/v1/connections/sync$" if api == "config" else r"^/api/public/v1/jobs$"


def poll_path(api: str) -> str:
    """Regex of the request that reads one job."""
    return r"^/api/v1/jobs/get$" if api == "config" else r"^/api/public/v1/jobs/\d+$"


def token_path() -> str:
    return r"/applications/token$"


def resource_for(server: EmulatorServer, api: str, **overrides: Any) -> AirbyteResource:
    """A resource speaking ``api`` to ``server`` with the credentials its auth mode expects."""
    credentials = server.settings.client_credentials()
    return AirbyteResource(url=server.url, api=api, **{**credentials, **FAST, **overrides})


def connection_id(server: EmulatorServer, name: str = PG) -> str:
    """The id of the connection called ``name`` (read over the Config API, no faults queued yet)."""
    client = resource_for(server, "config").get_client()
    workspace = client.list_workspaces()[0].id
    return next(c.id for c in client.list_connections(workspace) if c.name == name)


def jobs_of(server: EmulatorServer, conn: str) -> list[dict[str, Any]]:
    """Airbyte's own record of the connection's jobs."""
    return [job for job in server.admin.jobs() if job["connectionId"] == conn]


def wait_until(predicate: Callable[[], Any], timeout_s: float = WAIT_S, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout_s:g} s")
        time.sleep(0.05)


class WhileRunning:
    """Runs ``action`` in a thread as soon as the connection has a running job: "mid-sync" faults."""

    def __init__(self, server: EmulatorServer, conn: str, action: Callable[[], Any]) -> None:
        self.error: BaseException | None = None
        self.done = threading.Event()

        def watch() -> None:
            try:
                wait_until(
                    lambda: any(j["status"] == "running" for j in jobs_of(server, conn)),
                    what="a running job",
                )
                action()
            except BaseException as exc:  # reported by check()
                self.error = exc
            finally:
                self.done.set()

        self._thread = threading.Thread(target=watch, name="while-running", daemon=True)
        self._thread.start()

    def check(self) -> None:
        """Assert the action ran (and did not fail)."""
        assert self.done.wait(WAIT_S), "the mid-sync action never ran"
        if self.error is not None:
            raise self.error


@pytest.fixture(params=APIS, ids=[f"{a}-api" for a in APIS])
def api(request: pytest.FixtureRequest) -> str:
    """Both Airbyte API flavours: the Config API (OSS) and the public API (Cloud)."""
    return str(request.param)


@pytest.fixture
def start_emulator(
    spec_checked_emulators: Callable[..., EmulatorServer],
) -> Iterator[Callable[..., EmulatorServer]]:
    """``start_emulator(auth=..., ...)``: a spec-checked emulator with short jobs by default."""

    def start(**settings: Any) -> EmulatorServer:
        return spec_checked_emulators(EmulatorSettings(**{"default_job_duration_s": 0.6, **settings}), port=0)

    yield start


DEFS_CONFIG = """
airbyte:
  url: "{url}"
  api: {api}
  retry_backoff_s: 0.01
  poll_interval_s: 0.2
{extra}connections:
{connections}"""


def definitions_for(
    server: EmulatorServer,
    api: str,
    snapshot_dir: str,
    *,
    connections: tuple[str, ...] = (PG,),
    **airbyte: Any,
) -> Any:
    """``build_definitions`` over an airbyte_ops.yaml pointing at ``server`` (no auth)."""
    import json

    from dagster_airbyte_ops.config import parse_config
    from dagster_airbyte_ops.definitions import build_definitions

    extra = "".join(f"  {key}: {json.dumps(value)}\n" for key, value in airbyte.items())
    entries = "".join(f"  - name: {json.dumps(name)}\n" for name in connections)
    text = DEFS_CONFIG.format(url=server.url, api=api, extra=extra, connections=entries)
    return build_definitions(parse_config(text, "airbyte_ops.yaml"), snapshot_dir=snapshot_dir)


def run_messages(instance: Any, run_id: str) -> list[str]:
    """Every message Dagster logged for a run (its event log, as the UI shows it)."""
    return [entry.user_message for entry in instance.all_logs(run_id)]
