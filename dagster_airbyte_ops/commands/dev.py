"""`airbyte-ops dev` (what `make dev` runs): the emulator in the background, then `dagster dev`.

Both children run in sessions of their own, so a signal reaches them once, from here, in order:
Dagster first (it stops its webserver, daemon and code servers), then the emulator. Ctrl-C, SIGTERM
and SIGHUP (the terminal closed) all take that path, and whatever is left of Dagster's process group
after it exits (or after `DAGSTER_STOP_TIMEOUT_S`) is killed, so the ports are free afterwards.
While it runs, the emulator's URL is recorded for the other commands (dev_state.py).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

from .dev_state import dagster_home, remove_state, write_state

EMULATOR_START_TIMEOUT_S = 30.0
#: How long `dagster dev` gets to stop its webserver, daemon and code servers after Ctrl-C.
DAGSTER_STOP_TIMEOUT_S = 30.0
LOCALHOST = "127.0.0.1"
#: An empty instance file: Dagster's defaults, without `dagster dev` warning that none was found.
DAGSTER_YAML = "# Dagster instance of the demo (airbyte-ops dev): Dagster's defaults, SQLite storage here.\n"


def add_dev_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    dev = commands.add_parser(
        "dev", help="start the emulator (demo data) in the background, then `dagster dev` on the demo"
    )
    dev.add_argument("--emulator-port", type=int, default=8001)
    dev.add_argument("--port", type=int, default=3000, help="port of the Dagster UI")
    dev.add_argument("--seed", default="demo")
    dev.add_argument(
        "--data-dir",
        default=None,
        help="where the Local SQLite destination writes (default: $AIRBYTE_OPS_DATA_DIR or ./data)",
    )
    dev.set_defaults(handler=run_dev, offline=True)  # starts its own Airbyte


def _say(text: str, *, error: bool = True) -> None:
    """Print, unless the terminal is gone (after SIGHUP a write may fail; stopping must go on)."""
    with contextlib.suppress(OSError):
        print(text, file=sys.stderr if error else sys.stdout, flush=True)


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((LOCALHOST, port))
        except OSError:
            return False
    return True


#: The dev instance's dagster.yaml: run monitoring marks a run whose worker died (e.g. killed) failed,
#: so its Airbyte job's claim lapses and the observer records the job (docs/reliability.md).
DEV_INSTANCE_SETTINGS = """\
# Written by `airbyte-ops dev` (make dev) when DAGSTER_HOME had no dagster.yaml.
run_monitoring:
  enabled: true
  start_timeout_seconds: 180
  cancel_timeout_seconds: 180
  poll_interval_seconds: 30
telemetry:
  enabled: false
"""


def _wait_until_healthy(url: str, process: subprocess.Popen[bytes]) -> bool:
    deadline = time.monotonic() + EMULATOR_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            if requests.get(f"{url}/api/v1/health", timeout=1).ok:
                return True
        except requests.RequestException:
            pass
        time.sleep(0.2)
    return False


_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
_Handlers = dict[signal.Signals, Any]


def _stop_on_signals() -> _Handlers:
    """Ctrl-C, SIGTERM and SIGHUP all raise KeyboardInterrupt here, even if SIGINT came in ignored.

    (A shell starting `make dev &` without job control ignores SIGINT in it; `dagster dev` would then
    ignore it too and could never be stopped cleanly. Closing the terminal sends SIGHUP, whose default
    would end this process alone and leave Dagster and the emulator holding the ports.)
    """

    def interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    previous = {signum: signal.getsignal(signum) for signum in _SIGNALS}
    for signum in _SIGNALS:
        signal.signal(signum, interrupt)
    return previous


def _ignore_further_signals() -> None:
    """While stopping, a second Ctrl-C or the SIGHUP that follows a SIGINT must not cut the clean-up."""
    for signum in _SIGNALS:
        signal.signal(signum, signal.SIG_IGN)


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _run_until_stopped(command: list[str], env: dict[str, str]) -> int:
    """Run `dagster dev` until it exits or we are interrupted; then let it stop its processes.

    It runs in its own session, so a Ctrl-C reaches it once, from here, and it shuts down its
    webserver, daemon and code servers; it is killed only if it has not finished after
    `DAGSTER_STOP_TIMEOUT_S`. Any process of its group still alive then is killed too.
    """
    child = subprocess.Popen(command, env=env, start_new_session=True, preexec_fn=_default_sigint)
    try:
        return child.wait()
    except KeyboardInterrupt:
        _ignore_further_signals()
        _say("Stopping Dagster and the emulator...")
        child.send_signal(signal.SIGINT)
        try:
            child.wait(timeout=DAGSTER_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            _kill_group(child.pid)
            child.wait()
        return 130
    finally:
        _kill_group(child.pid)  # stragglers of its group (a code server mid-start)


def _start_emulator(args: argparse.Namespace, data_dir: Path, log_path: Path) -> subprocess.Popen[bytes]:
    with log_path.open("ab") as log:  # in its own session: stopped by us, after Dagster
        return subprocess.Popen(
            [
                *(sys.executable, "-m", "dagster_airbyte_ops.emulator"),
                *("--port", str(args.emulator_port), "--seed", args.seed, "--data-dir", str(data_dir)),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def run_dev(args: argparse.Namespace) -> int:
    """Emulator + `dagster dev`, the emulator stopped whichever way `dagster dev` ends."""
    for port, what, variable in (
        (args.emulator_port, "the Airbyte emulator", "EMULATOR_PORT"),
        (args.port, "the Dagster UI", "DAGSTER_PORT"),
    ):
        if not _port_is_free(port):
            _say(
                f"airbyte-ops dev: port {port} (for {what}) is already in use. Stop whatever listens "
                f"there (`ss -ltnp | grep :{port}`) or pick another: make dev {variable}=<port>"
            )
            return 1
    previous_handlers = _stop_on_signals()
    url = f"http://{LOCALHOST}:{args.emulator_port}"
    ui_url = f"http://{LOCALHOST}:{args.port}"
    home = dagster_home()
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():  # a user's own instance settings stay untouched
        (home / "dagster.yaml").write_text(DEV_INSTANCE_SETTINGS)
    if not (home / "dagster.yaml").exists():
        (home / "dagster.yaml").write_text(DAGSTER_YAML)
    data_dir = Path(args.data_dir or os.environ.get("AIRBYTE_OPS_DATA_DIR") or Path.cwd() / "data").resolve()
    log_path = home / "airbyte-emulator.log"
    emulator = _start_emulator(args, data_dir, log_path)
    state = None
    try:
        if not _wait_until_healthy(url, emulator):
            tail = log_path.read_text(errors="replace").splitlines()[-15:]
            _say(
                f"airbyte-ops dev: the emulator did not come up on {url}; its log ({log_path}) ends with:\n"
                + "\n".join(tail)
            )
            return 1
        state = write_state(home, emulator_url=url, ui_url=ui_url)
        _say(
            f"Airbyte emulator (seed {args.seed!r}) on {url}, log in {log_path}; synced rows land in "
            f"{data_dir / 'airbyte.sqlite'}; its connections and job history are kept in "
            f"{data_dir / 'emulator-state.db'} across restarts (delete it to start over from the seed)."
            f"\nStarting Dagster on {ui_url} (DAGSTER_HOME={home}); "
            "Ctrl-C stops both. In another shell, `airbyte-ops check` and `airbyte-ops sync "
            "shop_orders_sqlite` find this emulator by themselves.",
            error=False,
        )
        env = {
            **os.environ,
            "AIRBYTE_URL": url,
            "DAGSTER_HOME": str(home),
            "AIRBYTE_OPS_DATA_DIR": str(data_dir),
        }
        dagster = [
            # `dagster dev` warns that `dg dev` supersedes it; the demo has no `dg` project to run instead.
            *(sys.executable, "-W", "ignore:Function `dev_command` is superseded", "-m", "dagster"),
            *("dev", "-w", "workspace.yaml"),
            *("-h", LOCALHOST, "-p", str(args.port)),
        ]
        return _run_until_stopped(dagster, env)
    except KeyboardInterrupt:  # before Dagster started
        return 130
    finally:
        _ignore_further_signals()
        if state is not None:
            remove_state(state)
        emulator.send_signal(signal.SIGTERM)
        try:
            emulator.wait(timeout=10)
        except subprocess.TimeoutExpired:
            _kill_group(emulator.pid)
            emulator.wait()
        for signum, handler in previous_handlers.items():
            signal.signal(signum, handler)
