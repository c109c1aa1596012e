"""A newcomer's first hour, end to end: `make dev EMULATOR_PORT=... DAGSTER_PORT=...`, then in another
process (no flags, no environment variables) `airbyte-ops check` and `airbyte-ops sync <the group the UI
shows>`; the job link the sync prints opens a page; closing the terminal (SIGHUP to the process group,
make included) leaves nothing running or listening."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
from ports import free_port

REPO = Path(__file__).resolve().parents[2]
#: Bounds, not expectations (a loaded 2-core runner is slow to start Dagster).
START_TIMEOUT_S = 150.0
STOP_TIMEOUT_S = 60.0
#: Variables a newcomer's shell does not have; the commands must work without them.
UNSET = ("DAGSTER_HOME", "AIRBYTE_URL", "AIRBYTE_OPS_CONFIG", "AIRBYTE_OPS_DATA_DIR")

pytestmark = pytest.mark.timeout(420)


def _fresh_clone(root: Path) -> Path:
    """The files `make dev` runs from, as a clone has them (nothing of an earlier run), with this
    test run's virtualenv as its `.venv` (make is told not to rebuild it: `-o .venv/.installed-dev`)."""
    clone = root / "clone"
    clone.mkdir()
    for name in ("Makefile", "pyproject.toml", "workspace.yaml", "definitions.py", "airbyte_ops.yaml"):
        shutil.copy(REPO / name, clone / name)
    shutil.copytree(REPO / "demo", clone / "demo", ignore=shutil.ignore_patterns("__pycache__"))
    (clone / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    return clone


def _plain_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in UNSET}
    # The package itself comes from this checkout (in a clone: the .venv's editable install).
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


def _processes_with(marker: str) -> list[str]:
    """Every live process that inherited `marker` in its environment: the demo and all its children."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if marker.encode() in (proc / "environ").read_bytes():
                command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                found.append(f"{proc.name}: {command}")
        except OSError:
            continue
    return found


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _airbyte_ops(clone: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dagster_airbyte_ops.cli", *args],
        cwd=clone,
        env=_plain_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def _wait_for_the_ui_group_of(ui: str, stream: str, process: subprocess.Popen[bytes], log: Path) -> str:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"airbyte-ops dev exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            response = requests.post(
                f"{ui}/graphql", json={"query": "{ assetNodes { assetKey { path } groupName } }"}, timeout=10
            )
            nodes = response.json()["data"]["assetNodes"]
            for node in nodes:
                if node["assetKey"]["path"] == [stream]:
                    return str(node["groupName"])
        except (requests.RequestException, KeyError, TypeError, ValueError):
            pass
        time.sleep(1)
    pytest.fail(
        f"the demo UI did not list {stream} within {START_TIMEOUT_S:.0f} s:\n{log.read_text()[-3000:]}"
    )


def test_first_hour_check_sync_by_ui_group_job_page_and_sighup(tmp_path):
    clone = _fresh_clone(tmp_path)
    emulator_port, ui_port = free_port(), free_port()
    marker = f"AIRBYTE_OPS_FIRST_HOUR_TEST={uuid.uuid4().hex}"
    name, value = marker.split("=")
    log = tmp_path / "dev.log"
    with log.open("wb") as out:
        demo = subprocess.Popen(
            [
                *("make", "-o", ".venv/.installed-dev", "dev"),
                *(f"EMULATOR_PORT={emulator_port}", f"DAGSTER_PORT={ui_port}"),
            ],
            cwd=clone,
            env={**_plain_env(), name: value},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own terminal session, as a shell's job would be
        )
    try:
        group = _wait_for_the_ui_group_of(f"http://127.0.0.1:{ui_port}", "orders", demo, log)
        assert group == "shop_orders_sqlite"

        check = _airbyte_ops(clone, "check")
        assert check.returncode == 0, check.stdout + check.stderr
        state = clone / ".dagster_home" / "airbyte-ops-dev.json"
        assert re.fullmatch(
            re.escape(
                f"looking for Airbyte at http://127.0.0.1:{emulator_port} (the emulator of the running "
            )
            + r"`airbyte-ops dev` \(pid \d+, recorded in "
            + re.escape(f"{state}))"),
            check.stdout.splitlines()[0],
        ), check.stdout
        assert "selected: 4 connections, 12 streams" in check.stdout

        sync = _airbyte_ops(clone, "sync", group)
        assert sync.returncode == 0, sync.stdout + sync.stderr
        assert "Shop Orders → SQLite: succeeded" in sync.stdout
        job_id, link = re.search(r"Shop Orders → SQLite: job (\d+) — (\S+)", sync.stdout).groups()
        page = requests.get(link, timeout=10)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert f"Job {job_id}: <span class='succeeded'>succeeded</span>" in page.text
        assert len(_processes_with(marker)) >= 4  # dev, emulator, dagster dev and its services
    finally:
        os.killpg(demo.pid, signal.SIGHUP)  # the terminal closes: its session's process group gets SIGHUP
        with contextlib.suppress(subprocess.TimeoutExpired):
            demo.wait(timeout=STOP_TIMEOUT_S)
        deadline = time.monotonic() + STOP_TIMEOUT_S  # make may end before airbyte-ops dev has cleaned up
        while (left := _processes_with(marker)) and time.monotonic() < deadline:
            time.sleep(0.5)
        for line in left:  # clean up after a failure, then report it
            os.kill(int(line.split(":")[0]), signal.SIGKILL)
    assert demo.returncode is not None, f"airbyte-ops dev did not stop on SIGHUP:\n{log.read_text()[-3000:]}"
    assert left == [], "left running after SIGHUP:\n" + "\n".join(left)
    assert not _listening(emulator_port) and not _listening(ui_port)
    assert not (clone / ".dagster_home" / "airbyte-ops-dev.json").exists()
    avoidable = re.compile(r"[Nn]o dagster\.yaml|empty result|Warning|WARNING")
    noise = [line for line in log.read_text().splitlines() if avoidable.search(line)]
    assert noise == [], noise
