"""With ``--data-dir`` the emulator keeps its state in SQLite, as Airbyte keeps its database (issue 14,
case 6): jobs survive a restart, even a ``kill -9``, job ids are never handed out twice, and what was
created through the API is still there. The emulator runs as a real process here, killed with SIGKILL.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from ports import free_port

from dagster_airbyte_ops import AirbyteResource
from dagster_airbyte_ops.emulator import EmulatorServer, EmulatorSettings
from dagster_airbyte_ops.emulator.store import STORE_FILE

from .helpers import config_post, connection_by_name, wait_for, workspace_id

START_TIMEOUT_S = 30.0


class EmulatorProcess:
    """``python -m dagster_airbyte_ops.emulator`` on a free port with a data dir; killable."""

    def __init__(self, data_dir: Path, log: Path) -> None:
        self.data_dir = data_dir
        self.log = log
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [
                    *(sys.executable, "-m", "dagster_airbyte_ops.emulator", "--port", str(self.port)),
                    *("--data-dir", str(self.data_dir), "--job-duration", "0.4"),
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()[-2000:]
            try:
                if requests.get(f"{self.url}/api/v1/health", timeout=1).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        pytest.fail(f"the emulator did not start:\n{self.log.read_text()[-2000:]}")

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as when a container or a laptop dies."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def emulator_process(tmp_path: Path) -> Iterator[EmulatorProcess]:
    process = EmulatorProcess(tmp_path / "data", tmp_path / "emulator.log")
    try:
        yield process
    finally:
        process.stop()


def _sync(url: str, connection_id: str) -> int:
    response = config_post(url, "connections/sync", {"connectionId": connection_id})
    response.raise_for_status()
    return int(response.json()["job"]["id"])


def _jobs(url: str) -> dict[int, dict[str, Any]]:
    body = config_post(url, "jobs/list", {"configTypes": ["sync", "reset_connection"]}).json()
    return {j["job"]["id"]: j["job"] for j in body["jobs"]}


def _status(url: str, job_id: int) -> str:
    return str(config_post(url, "jobs/get", {"id": job_id}).json()["job"]["status"])


def test_jobs_survive_a_kill_and_job_ids_are_never_reused(emulator_process: EmulatorProcess) -> None:
    emulator_process.start()
    url = emulator_process.url
    crm = connection_by_name(url, "CRM API → Postgres")["connectionId"]
    shop = connection_by_name(url, "Shop Orders → SQLite")["connectionId"]
    first = _sync(url, crm)
    wait_for(lambda: _status(url, first) == "succeeded", timeout=15)
    second = _sync(url, shop)
    wait_for(lambda: _status(url, second) == "succeeded", timeout=15)
    third = _sync(url, crm)  # killed while this one is still pending or running
    renamed = config_post(url, "connections/update", {"connectionId": crm, "name": "CRM, renamed"}).json()
    assert renamed["name"] == "CRM, renamed"
    before = _jobs(url)
    assert set(before) == {first, second, third}
    rows_before = _raw_rows(emulator_process.data_dir, "orders")
    assert rows_before > 0

    emulator_process.kill()
    emulator_process.start()

    after = _jobs(url)
    assert set(after) == {first, second, third}
    for job_id in (first, second):
        assert after[job_id] == before[job_id]  # same status, stats, times
    wait_for(lambda: _status(url, third) == "succeeded", timeout=15)  # its timeline goes on
    assert config_post(url, "connections/get", {"connectionId": crm}).json()["name"] == "CRM, renamed"
    fourth = _sync(url, crm)
    assert fourth > third
    # The seed was not applied again: the destination keeps its rows, the cursor its place, so the
    # next incremental sync of the SQLite connection appends only what is new.
    assert _raw_rows(emulator_process.data_dir, "orders") == rows_before
    fifth = _sync(url, shop)
    wait_for(lambda: _status(url, fifth) == "succeeded", timeout=15)
    assert fifth > fourth
    assert rows_before < _raw_rows(emulator_process.data_dir, "orders") < 2 * rows_before


def _raw_rows(data_dir: Path, stream: str) -> int:
    with sqlite3.connect(data_dir / "airbyte.sqlite") as con:
        return int(con.execute(f"SELECT COUNT(*) FROM _airbyte_raw_{stream}").fetchone()[0])


def test_our_client_after_a_restart_gets_its_own_job(emulator_process: EmulatorProcess) -> None:
    """The demo's failure: after a restart a CLI sync got job id 1 again and was skipped as already
    recorded. Now the resource's sync after a restart is a new job with a new id and its own figures."""
    emulator_process.start()
    resource = AirbyteResource(url=emulator_process.url, poll_interval_s=0.1, request_timeout_s=5.0)
    crm = connection_by_name(emulator_process.url, "CRM API → Postgres")["connectionId"]
    earlier = resource.sync(crm)
    assert earlier.job_id is not None and earlier.rows_synced
    emulator_process.kill()
    emulator_process.start()
    again = AirbyteResource(url=emulator_process.url, poll_interval_s=0.1, request_timeout_s=5.0).sync(crm)
    assert again.job_id is not None and again.job_id > earlier.job_id
    job = config_post(emulator_process.url, "jobs/get", {"id": again.job_id}).json()["job"]
    assert job["configId"] == crm and job["status"] == "succeeded"
    assert again.rows_synced == job["aggregatedStats"]["recordsCommitted"]
    assert set(_jobs(emulator_process.url)) == {earlier.job_id, again.job_id}


def test_the_seed_applies_only_to_a_new_store(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with EmulatorServer(EmulatorSettings(seed="empty", data_dir=str(data))) as server:
        assert (data / STORE_FILE).is_file()
        wid = workspace_id(server.url)
    with EmulatorServer(EmulatorSettings(seed="demo", data_dir=str(data))) as server:
        assert workspace_id(server.url) == wid
        assert config_post(server.url, "connections/list", {"workspaceId": wid}).json()["connections"] == []


def test_without_a_data_dir_nothing_is_stored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with EmulatorServer(EmulatorSettings()) as server:
        assert server.state.store is None
        _sync(server.url, connection_by_name(server.url, "CRM API → Postgres")["connectionId"])
    assert list(tmp_path.iterdir()) == []


def test_make_dev_names_the_store_it_keeps() -> None:
    """`airbyte-ops dev` cannot import the emulator (the library never does), so it spells the file."""
    from dagster_airbyte_ops.commands import dev

    assert STORE_FILE in Path(dev.__file__).read_text()
