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
from dataclasses import dataclass
from pathlib import Path

import requests

from .assets.catalog import AirbyteCatalog, fetch_catalog
from .client.models import Connection
from .config import AirbyteOpsConfig, ConnectionEntry, load_config, resolve_instance_connections
from .config.instances import AirbyteInstance
from .definitions import build_load_time_resource
from .errors import AirbyteOpsError
from .resource.airbyte_resource import AirbyteResource
from .resource.polling import AdaptivePolling

EMULATOR_START_TIMEOUT_S = 30.0
#: How long `dagster dev` gets to stop its webserver, daemon and code servers after Ctrl-C.
DAGSTER_STOP_TIMEOUT_S = 30.0
LOCALHOST = "127.0.0.1"


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["emulator"]:
        # The emulator owns its flags (python -m dagster_airbyte_ops.emulator takes the same ones).
        from .emulator.__main__ import main as emulator_main

        emulator_main(arguments[1:])
        return 0
    parser = _build_parser()
    args = parser.parse_args(arguments)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        return int(args.handler(args) or 0)
    except AirbyteOpsError as error:
        print(f"airbyte-ops: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="airbyte-ops", description=__doc__)
    commands = parser.add_subparsers(title="commands")

    commands.add_parser(
        "emulator",
        help="run the Airbyte API emulator in the foreground (flags: airbyte-ops emulator --help)",
        add_help=False,
    )

    check = commands.add_parser("check", help="validate the configuration file and reach Airbyte")
    _add_config_argument(check)
    check.set_defaults(handler=_run_check)

    connections = commands.add_parser("connections", help="list Airbyte connections, streams and schedules")
    _add_config_argument(connections)
    connections.set_defaults(handler=_run_connections)

    sync = commands.add_parser("sync", help="run one connection's sync from the terminal, with progress")
    _add_config_argument(sync)
    sync.add_argument("connection", help="connection name or id")
    sync.add_argument("--no-wait", action="store_true", help="start the sync and return its job id")
    sync.set_defaults(handler=_run_sync)

    adopt = commands.add_parser(
        "adopt-schedules",
        help="hand Airbyte's schedules of `schedule: from_airbyte` connections to Dagster (plan; --apply)",
    )
    _add_config_argument(adopt)
    adopt.add_argument("--apply", action="store_true", help="set those connections to manual in Airbyte")
    adopt.set_defaults(handler=_run_adopt_schedules)

    pools = commands.add_parser(
        "pools",
        help="max_concurrent_syncs as Dagster pool limits in $DAGSTER_HOME's instance (plan; --apply)",
    )
    _add_config_argument(pools)
    pools.add_argument("--apply", action="store_true", help="set the limits on the instance")
    pools.set_defaults(handler=_run_pools)

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
    dev.set_defaults(handler=_run_dev)
    return parser


def _add_config_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config", default=None, help="configuration file (default: $AIRBYTE_OPS_CONFIG, ./airbyte_ops.yaml)"
    )


def _load(args: argparse.Namespace) -> tuple[AirbyteOpsConfig, AirbyteResource]:
    config = load_config(args.config)
    return config, build_load_time_resource(config)


@dataclass(frozen=True)
class _Workspace:
    """One Airbyte of the file with its resource (secrets resolved) and its fetched catalog."""

    instance: AirbyteInstance
    resource: AirbyteResource
    catalog: AirbyteCatalog


def _workspaces(config: AirbyteOpsConfig) -> list[_Workspace]:
    found = []
    for instance in config.airbyte_instances():
        resource = build_load_time_resource(config, instance=instance)
        catalog = fetch_catalog(resource.get_client(), workspace_id=instance.airbyte.workspace_id)
        found.append(_Workspace(instance, resource, catalog))
    return found


def _pairs(
    config: AirbyteOpsConfig, workspaces: list[_Workspace]
) -> list[tuple[ConnectionEntry, Connection]]:
    return resolve_instance_connections(config, {w.instance.name: w.catalog.connections for w in workspaces})


def _run_check(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    print(f"{config.source_name}: valid ({len(config.connections)} connection entries)")
    workspaces = []
    for instance in config.airbyte_instances():
        label = f"{instance.name}: " if instance.name else ""
        resource = build_load_time_resource(config, instance=instance)
        client = resource.get_client()
        print(f"{label}Airbyte at {instance.airbyte.url}: {client.api} API, ", end="")
        catalog = fetch_catalog(client, workspace_id=instance.airbyte.workspace_id)
        print(f"workspace {catalog.workspace_id}, {len(catalog.connections)} connections")
        workspaces.append(_Workspace(instance, resource, catalog))
    pairs = _pairs(config, workspaces)
    streams = sum(len(connection.selected_streams) for _, connection in pairs)
    print(f"selected: {len(pairs)} connections, {streams} streams")
    return 0


def _run_connections(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    workspaces = _workspaces(config)
    entries = {connection.id: entry for entry, connection in _pairs(config, workspaces)}
    several = len(workspaces) > 1
    header = ("CONNECTION", "STATUS", "STREAMS", "AIRBYTE SCHEDULE", "DAGSTER SCHEDULE", "ID")
    rows = [(("INSTANCE",) if several else ()) + header]
    for workspace in workspaces:
        for connection in sorted(workspace.catalog.connections, key=lambda c: c.name):
            entry = entries.get(connection.id)
            schedule = connection.schedule
            airbyte_schedule = schedule.cron_expression or schedule.schedule_type
            if schedule.schedule_type == "basic":
                airbyte_schedule = f"every {schedule.basic_units} {schedule.basic_time_unit}"
            dagster_schedule = "not selected"
            if entry is not None:
                crons = [f"{spec.cron} ({spec.timezone})" for spec in entry.schedules]
                dagster_schedule = "; ".join(crons) or (
                    "from_airbyte" if entry.schedule_from_airbyte else "-"
                )
            row = (
                connection.name,
                str(connection.status),
                str(len(connection.selected_streams)),
                str(airbyte_schedule),
                dagster_schedule,
                connection.id,
            )
            rows.append(((workspace.instance.name or "",) if several else ()) + row)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for line in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())
    return 0


def _find_connection(workspaces: list[_Workspace], wanted: str) -> tuple[_Workspace, Connection] | None:
    """By id, name, or `instance:name` (the form for a name several instances share)."""
    instance_name, _, plain = wanted.partition(":") if ":" in wanted else (None, "", wanted)
    for workspace in workspaces:
        if instance_name is not None and workspace.instance.name != instance_name:
            continue
        for connection in workspace.catalog.connections:
            if plain in (connection.id, connection.name) or wanted in (connection.id, connection.name):
                return workspace, connection
    return None


def _run_sync(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    workspaces = _workspaces(config)
    found = _find_connection(workspaces, args.connection)
    if found is None:
        names = ", ".join(sorted(c.name for w in workspaces for c in w.catalog.connections))
        print(f"airbyte-ops sync: no connection named {args.connection!r}; known: {names}", file=sys.stderr)
        return 1
    workspace, connection = found
    resource = workspace.resource
    client = resource.get_client()
    job_id = resource.start_sync(connection.id)
    print(f"{connection.name}: job {job_id} — {resource.job_url(connection.id, job_id)}")
    if args.no_wait:
        return 0
    started = time.monotonic()
    polling = AdaptivePolling(max_interval_s=resource.poll_interval_s)
    while True:
        job = client.get_job(job_id)
        elapsed = time.monotonic() - started
        rows = job.rows_synced if job.rows_synced is not None else "?"
        print(f"  {elapsed:7.1f}s  {job.status.value:<10}  rows so far: {rows}", flush=True)
        if job.status.is_terminal:
            break
        time.sleep(polling.next_delay_s(elapsed))
    result = resource.wait(job_id, connection_id=connection.id)
    for name, stats in sorted(result.stream_stats.items()):
        print(f"  {name}: {stats.records_committed} rows, {stats.bytes_committed} bytes")
    print(f"{connection.name}: {result.status.value if result.status else '?'} in {elapsed:.1f}s")
    return 0


def _run_pools(args: argparse.Namespace) -> int:
    import dagster as dg

    from .execution.pools import pools_command

    config = load_config(args.config)
    if not os.environ.get("DAGSTER_HOME"):
        print("airbyte-ops: set DAGSTER_HOME to the directory of your Dagster instance", file=sys.stderr)
        return 1
    with dg.DagsterInstance.get() as instance:
        print("\n".join(pools_command(config, apply=args.apply, instance=instance)))
    return 0


def _run_adopt_schedules(args: argparse.Namespace) -> int:
    from .schedules.adopt import adopt_schedules

    config = load_config(args.config)
    workspaces = _workspaces(config)
    if config.instances is None:
        [workspace] = workspaces
        return adopt_schedules(
            config, workspace.resource.get_client(), workspace.catalog.connections, apply=args.apply
        )
    return adopt_schedules(
        config,
        {w.instance.name: w.resource.get_client() for w in workspaces},
        {w.instance.name: w.catalog.connections for w in workspaces},
        apply=args.apply,
    )


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


def _stop_on_signals() -> None:
    """Ctrl-C and SIGTERM both raise KeyboardInterrupt here, even if SIGINT came in ignored.

    (A shell starting `make dev &` without job control ignores SIGINT in it; `dagster dev` would then
    ignore it too and could never be stopped cleanly.)
    """

    def interrupt(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _run_until_stopped(command: list[str], env: dict[str, str]) -> int:
    """Run `dagster dev` until it exits or we are interrupted; then let it stop its processes.

    It runs in its own session, so a Ctrl-C reaches it once, from here, and it shuts down its
    webserver, daemon and code servers; it is killed only if it has not finished after
    `DAGSTER_STOP_TIMEOUT_S`.
    """
    child = subprocess.Popen(command, env=env, start_new_session=True, preexec_fn=_default_sigint)
    try:
        return child.wait()
    except KeyboardInterrupt:
        print("Stopping Dagster and the emulator...", file=sys.stderr, flush=True)
        child.send_signal(signal.SIGINT)
        try:
            child.wait(timeout=DAGSTER_STOP_TIMEOUT_S)
        except (subprocess.TimeoutExpired, KeyboardInterrupt):
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
        return 130


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
    _stop_on_signals()
    url = f"http://{LOCALHOST}:{args.emulator_port}"
    home = Path(os.environ.get("DAGSTER_HOME") or Path.cwd() / ".dagster_home").resolve()
    home.mkdir(parents=True, exist_ok=True)
    data_dir = Path(args.data_dir or os.environ.get("AIRBYTE_OPS_DATA_DIR") or Path.cwd() / "data").resolve()
    log_path = home / "airbyte-emulator.log"
    with log_path.open("ab") as log:  # in its own session: stopped by us, after Dagster
        emulator = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "dagster_airbyte_ops.emulator",
                "--port",
                str(args.emulator_port),
                "--seed",
                args.seed,
                "--data-dir",
                str(data_dir),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        if not _wait_until_healthy(url, emulator):
            tail = log_path.read_text(errors="replace").splitlines()[-15:]
            print(
                f"airbyte-ops dev: the emulator did not come up on {url}; its log ({log_path}) ends with:\n"
                + "\n".join(tail),
                file=sys.stderr,
            )
            return 1
        print(
            f"Airbyte emulator (seed {args.seed!r}) on {url}, log in {log_path}; synced rows land in "
            f"{data_dir / 'airbyte.sqlite'}.\nStarting Dagster on http://{LOCALHOST}:{args.port} "
            f"(DAGSTER_HOME={home}); Ctrl-C stops both.",
            flush=True,
        )
        env = {
            **os.environ,
            "AIRBYTE_URL": url,
            "DAGSTER_HOME": str(home),
            "AIRBYTE_OPS_DATA_DIR": str(data_dir),
        }
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
        return _run_until_stopped(dagster, env)
    finally:
        emulator.send_signal(signal.SIGTERM)
        try:
            emulator.wait(timeout=10)
        except subprocess.TimeoutExpired:
            emulator.kill()


if __name__ == "__main__":
    sys.exit(main())
