"""`airbyte-ops`: the command line for people who live in a terminal (and for `make dev`)."""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import requests

EMULATOR_START_TIMEOUT_S = 30.0
LOCALHOST = "127.0.0.1"


def main(argv: Sequence[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        return 130


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="airbyte-ops", description=__doc__)
    commands = parser.add_subparsers(title="commands")

    emulator = commands.add_parser("emulator", help="run the Airbyte API emulator in the foreground")
    _add_emulator_arguments(emulator)
    emulator.set_defaults(handler=_run_emulator)

    dev = commands.add_parser(
        "dev", help="start the emulator (demo data) in the background, then `dagster dev` on the demo"
    )
    dev.add_argument("--emulator-port", type=int, default=8001)
    dev.add_argument("--port", type=int, default=3000, help="port of the Dagster UI")
    dev.add_argument("--seed", default="demo")
    dev.set_defaults(handler=_run_dev)
    return parser


def _add_emulator_arguments(parser: argparse.ArgumentParser) -> None:
    from .emulator.__main__ import add_arguments

    add_arguments(parser)


def _run_emulator(args: argparse.Namespace) -> int:
    from .emulator.__main__ import run_from_arguments

    return run_from_arguments(args)


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((LOCALHOST, port))
        except OSError:
            return False
    return True


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


def _run_dev(args: argparse.Namespace) -> int:
    """Emulator + `dagster dev`, the emulator stopped whichever way `dagster dev` ends."""
    for port, what, variable in (
        (args.emulator_port, "the Airbyte emulator", "EMULATOR_PORT"),
        (args.port, "the Dagster UI", "DAGSTER_PORT"),
    ):
        if not _port_is_free(port):
            print(
                f"airbyte-ops dev: port {port} (for {what}) is already in use. Stop whatever listens "
                f"there (`ss -ltnp | grep :{port}`) or pick another: make dev {variable}=<port>",
                file=sys.stderr,
            )
            return 1
    url = f"http://{LOCALHOST}:{args.emulator_port}"
    emulator = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dagster_airbyte_ops.emulator",
            "--port",
            str(args.emulator_port),
            "--seed",
            args.seed,
        ]
    )
    try:
        if not _wait_until_healthy(url, emulator):
            print(f"airbyte-ops dev: the emulator did not come up on {url}.", file=sys.stderr)
            return 1
        print(
            f"Airbyte emulator (seed {args.seed!r}) on {url}; starting Dagster on http://{LOCALHOST}:{args.port}"
        )
        env = {**os.environ, "AIRBYTE_URL": url}
        env.setdefault("DAGSTER_HOME", str(Path.cwd() / ".dagster_home"))
        Path(env["DAGSTER_HOME"]).mkdir(parents=True, exist_ok=True)
        dagster = [
            sys.executable,
            "-m",
            "dagster",
            "dev",
            "-w",
            "workspace.yaml",
            "-h",
            LOCALHOST,
            "-p",
            str(args.port),
        ]
        return subprocess.call(dagster, env=env)
    finally:
        emulator.send_signal(signal.SIGTERM)
        try:
            emulator.wait(timeout=10)
        except subprocess.TimeoutExpired:
            emulator.kill()


if __name__ == "__main__":
    sys.exit(main())
