"""`airbyte-ops`: the command line for people who live in a terminal (and for `make dev`)."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

from .assets.catalog import AirbyteCatalog, fetch_catalog
from .client.models import Connection
from .commands.dev import add_dev_parser
from .commands.lookup import candidates_of, find_connection
from .commands.progress import SyncProgress
from .commands.reach import Lookup, airbyte_url_from_dev, require_reachable, where
from .config import AirbyteOpsConfig, ConnectionEntry, load_config, resolve_instance_connections
from .config.instances import AirbyteInstance
from .definitions import build_load_time_resource, group_name_for
from .errors import AirbyteOpsError, ConfigError
from .resource.airbyte_resource import AirbyteResource
from .resource.polling import AdaptivePolling
from .resource.refresh_clear import run_job


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
        if getattr(args, "offline", False):
            return int(args.handler(args) or 0)
        with airbyte_url_from_dev() as lookup:
            args.lookup = lookup
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

    refresh = commands.add_parser(
        "refresh", help="re-read streams from scratch (Airbyte refresh; Config API only), with its row counts"
    )
    _add_config_argument(refresh)
    refresh.add_argument("connection", help="connection name or id")
    refresh.add_argument("--streams", nargs="+", metavar="STREAM", help="only these streams (default: all)")
    refresh.add_argument(
        "--mode",
        choices=("truncate", "merge"),
        default="truncate",
        help="replace the data (default) or merge",
    )
    refresh.set_defaults(handler=_run_refresh_or_clear, kind="refresh")

    clear = commands.add_parser("clear", help="delete streams' data in the destination and reset their state")
    _add_config_argument(clear)
    clear.add_argument("connection", help="connection name or id")
    clear.add_argument("--streams", nargs="+", metavar="STREAM", help="only these streams (default: all)")
    clear.set_defaults(handler=_run_refresh_or_clear, kind="clear")

    adopt = commands.add_parser(
        "adopt-schedules",
        help="hand Airbyte's schedules of `schedule: from_airbyte` connections to Dagster (plan; --apply)",
    )
    _add_config_argument(adopt)
    adopt.add_argument("--apply", action="store_true", help="set those connections to manual in Airbyte")
    adopt.set_defaults(handler=_run_adopt_schedules)

    from .cli_manage import add_commands

    add_commands(commands, _add_config_argument)

    pools = commands.add_parser(
        "pools",
        help="max_concurrent_syncs as Dagster pool limits in $DAGSTER_HOME's instance (plan; --apply)",
    )
    _add_config_argument(pools)
    pools.add_argument("--apply", action="store_true", help="set the limits on the instance")
    pools.set_defaults(handler=_run_pools, offline=True)  # needs no Airbyte

    add_dev_parser(commands)
    return parser


def _add_config_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config", default=None, help="configuration file (default: $AIRBYTE_OPS_CONFIG, ./airbyte_ops.yaml)"
    )


@dataclass(frozen=True)
class _Workspace:
    """One Airbyte of the file with its resource (secrets resolved) and its fetched catalog."""

    instance: AirbyteInstance
    resource: AirbyteResource
    catalog: AirbyteCatalog


def _workspaces(config: AirbyteOpsConfig, lookup: Lookup) -> list[_Workspace]:
    found = []
    for instance in config.airbyte_instances():
        require_reachable(lookup, config, instance)
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
    instances = config.airbyte_instances()
    for instance in instances:
        label = f"{instance.name}: " if instance.name else ""
        looked = where(args.lookup, config, instance)
        print(f"{label}looking for Airbyte at {instance.airbyte.url} ({looked})")
    print(f"{config.source_name}: valid ({len(config.connections)} connection entries)", flush=True)
    workspaces = []
    for instance in instances:
        label = f"{instance.name}: " if instance.name else ""
        require_reachable(args.lookup, config, instance)
        resource = build_load_time_resource(config, instance=instance)
        client = resource.get_client()
        catalog = fetch_catalog(client, workspace_id=instance.airbyte.workspace_id)
        print(
            f"{label}Airbyte at {instance.airbyte.url}: {client.api} API, "
            f"workspace {catalog.workspace_id}, {len(catalog.connections)} connections"
        )
        workspaces.append(_Workspace(instance, resource, catalog))
    pairs = _pairs(config, workspaces)
    streams = sum(len(connection.selected_streams) for _, connection in pairs)
    print(f"selected: {len(pairs)} connections, {streams} streams")
    return 0


def _run_connections(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    workspaces = _workspaces(config, args.lookup)
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


def _find_connection(
    config: AirbyteOpsConfig, workspaces: list[_Workspace], wanted: str
) -> tuple[_Workspace, Connection]:
    """By id, name (any case), the asset group Dagster shows, or `instance:` any of those."""
    groups = {
        (entry.instance, connection.id): group_name_for(config, entry, connection.name)
        for entry, connection in _pairs(config, workspaces)
    }
    found = find_connection(
        candidates_of(
            workspaces,
            instance_of=lambda w: w.instance.name,
            connections_of=lambda w: w.catalog.connections,
            groups=groups,
        ),
        wanted,
    )
    return found.workspace, found.connection


def _run_sync(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    workspaces = _workspaces(config, args.lookup)
    workspace, connection = _find_connection(config, workspaces, args.connection)
    resource = workspace.resource
    client = resource.get_client()
    job_id = resource.start_sync(connection.id)
    print(f"{connection.name}: job {job_id} — {resource.job_url(connection.id, job_id)}", flush=True)
    if args.no_wait:
        return 0
    started = time.monotonic()
    polling = AdaptivePolling(max_interval_s=resource.poll_interval_s)
    with SyncProgress(f"{connection.name} job {job_id}") as progress, resource.logs_to(progress.logger()):
        while True:
            job = client.get_job(job_id)
            elapsed = time.monotonic() - started
            progress.update(job.status.value, job.rows_synced, elapsed)
            if job.status.is_terminal:
                break
            time.sleep(polling.next_delay_s(elapsed))
        result = resource.wait(job_id, connection_id=connection.id)
    for name, stats in sorted(result.stream_stats.items()):
        print(f"  {name}: {stats.records_committed} rows, {stats.bytes_committed} bytes")
    print(f"{connection.name}: {result.status.value if result.status else '?'} in {elapsed:.1f}s")
    return 0


def _run_refresh_or_clear(args: argparse.Namespace) -> int:
    """`refresh` / `clear`: run the Airbyte job to its end and say what it did, stream by stream."""
    config = load_config(args.config)
    workspaces = _workspaces(config, args.lookup)
    workspace, connection = _find_connection(config, workspaces, args.connection)
    known = {s.name for s in connection.streams}
    unknown = sorted(set(args.streams or ()) - known)
    if unknown:
        raise ConfigError(
            f"--streams: {', '.join(unknown)} not in connection {connection.name} "
            f"(its streams: {', '.join(sorted(known))})"
        )
    resource = workspace.resource
    scope = ", ".join(args.streams) if args.streams else "all streams"
    print(f"{connection.name}: {args.kind} of {scope}…", flush=True)
    started = time.monotonic()
    on_job = lambda job, _a: print(f"  job {job.id} — {resource.job_url(connection.id, job.id)}", flush=True)  # noqa: E731
    if args.kind == "refresh":
        result = run_job(
            resource, connection.id, kind="refresh", streams=args.streams, mode=args.mode, on_job=on_job
        )
    else:
        result = run_job(resource, connection.id, kind="clear", streams=args.streams, on_job=on_job)
    if args.kind == "refresh":
        for name, stats in sorted(result.stream_stats.items()):
            print(f"  {name}: {stats.records_committed} rows, {stats.bytes_committed} bytes")
    else:
        print(f"  {scope}: data deleted, state reset (no rows written)")
    status = result.status.value if result.status else "?"
    elapsed = time.monotonic() - started
    print(f"{connection.name}: {result.job_type} job {result.job_id} {status} in {elapsed:.1f}s")
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
    workspaces = _workspaces(config, args.lookup)
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


if __name__ == "__main__":
    sys.exit(main())
