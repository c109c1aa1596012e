"""Airbyte's Local SQLite destination, for real: a succeeded sync writes its rows to a SQLite file.

Connections whose destination is ``airbyte/destination-sqlite`` read from a simulated source
(:mod:`.records`) and write what they read the way the real connector does: one table per stream named
``_airbyte_raw_<stream>`` with ``_airbyte_ab_id`` (a uuid), ``_airbyte_emitted_at`` (ISO time) and
``_airbyte_data`` (the record as JSON); ``overwrite`` drops the table first, every other destination
sync mode appends (the connector supports no deduplication). The destination's ``destination_path``
lives under ``/local``, which Airbyte mounts from ``LOCAL_ROOT``; here ``/local`` is
``EmulatorSettings.data_dir`` (with no data dir nothing is written, and everything else is the same).

When a job is created its batch is read from the source and frozen, so the job's stream stats
(``recordsCommitted``) are exactly the rows the batch holds. The batch is written, and the connection's
cursors advance, in the request that first sees the job ``succeeded``, so a client that reads
"succeeded" finds the rows on disk. A failed or cancelled job writes nothing and leaves the cursors
where they were, so the next sync reads those rows again, as Airbyte's state handling does. A reset job
empties the tables and forgets the cursors.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dagster_airbyte_ops.emulator.records import SourceSimulator, StreamSpec
from dagster_airbyte_ops.emulator.state import ID_NAMESPACE, Connection, EmulatorState, Job

SQLITE_REPOSITORY = "airbyte/destination-sqlite"
#: The container path Airbyte mounts from ``LOCAL_ROOT`` (``/tmp/airbyte_local`` by default).
LOCAL_MOUNT = "/local"
RAW_TABLE_PREFIX = "_airbyte_raw_"

log = logging.getLogger(__name__)


@dataclass
class Batch:
    """What one job moves: the rows per stream, frozen when the job was created."""

    config_type: str
    path: Path | None
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    modes: dict[str, str] = field(default_factory=dict)
    cursors: dict[str, str | None] = field(default_factory=dict)


@dataclass
class LocalSync:
    """Per connection: the simulated source, the saved cursors, and batches not yet written."""

    source: SourceSimulator
    cursors: dict[str, str | None] = field(default_factory=dict)
    pending: dict[int, Batch] = field(default_factory=dict)


def raw_table(stream: str) -> str:
    """The connector's table name for ``stream`` (namespaces are not supported by it)."""
    return f"{RAW_TABLE_PREFIX}{stream}"


def container_path(destination_path: str) -> str:
    """``destination_path`` normalized as the connector does: under ``/local``, else a ValueError."""
    path = (
        destination_path
        if destination_path.startswith(LOCAL_MOUNT)
        else os.path.join(LOCAL_MOUNT, destination_path)
    )
    path = os.path.normpath(path)
    if not path.startswith(LOCAL_MOUNT):
        raise ValueError(f"destination_path={path} is not a valid path. A valid path starts with /local")
    return path


def host_path(data_dir: str | os.PathLike[str], destination_path: str) -> Path:
    """Where ``destination_path`` lands on this machine: ``/local`` replaced by ``data_dir``."""
    inside = container_path(destination_path)[len(LOCAL_MOUNT) :].lstrip("/")
    return Path(data_dir) / inside


def database_path(state: EmulatorState, connection: Connection) -> Path | None:
    """The SQLite file ``connection`` writes to, or None (no data dir, or not a SQLite destination)."""
    if not is_sqlite(state, connection) or not state.settings.data_dir:
        return None
    destination = state.destination(connection.destination_id, include_tombstone=True)
    configured = str((destination.configuration if destination else {}).get("destination_path") or "")
    try:
        return host_path(state.settings.data_dir, configured or "/local/airbyte.sqlite")
    except ValueError as error:
        log.warning("connection %s: %s; nothing is written", connection.name, error)
        return None


def is_sqlite(state: EmulatorState, connection: Connection) -> bool:
    """Whether the connection's destination is Airbyte's Local SQLite connector."""
    destination = state.destination(connection.destination_id, include_tombstone=True)
    definition = state.definition(destination.definition_id) if destination else None
    return definition is not None and definition.docker_repository == SQLITE_REPOSITORY


def stream_specs(connection: Connection) -> list[StreamSpec]:
    """The generator's view of the connection's selected streams."""
    specs = []
    for entry in connection.selected_streams():
        stream, config = entry["stream"], entry.get("config", {})
        keys = config.get("primaryKey") or stream.get("sourceDefinedPrimaryKey") or []
        cursor = config.get("cursorField") or stream.get("defaultCursorField") or []
        specs.append(
            StreamSpec(
                name=stream["name"],
                columns=dict((stream.get("jsonSchema") or {}).get("properties") or {}),
                primary_key=keys[0][0] if keys and keys[0] else None,
                cursor=cursor[0] if cursor else None,
                incremental=config.get("syncMode") == "incremental",
            )
        )
    return specs


def _local(state: EmulatorState, connection: Connection) -> LocalSync:
    local = state.local_syncs.get(connection.connection_id)
    if local is None:
        local = LocalSync(SourceSimulator(connection.connection_id))
        state.local_syncs[connection.connection_id] = local
    return local


def prepare_job(
    state: EmulatorState,
    connection: Connection,
    job_id: int,
    config_type: str,
    *,
    status_of: Callable[[Job], str],
    scope: list[tuple[str, str | None]] | None = None,
    refresh_mode: str | None = None,
) -> dict[str, int] | None:
    """Freeze the batch of a new job; returns rows per stream (None: not a SQLite connection).

    ``status_of`` derives a job's status; earlier jobs seen succeeded only now are written first, so the
    new batch starts from their cursors. A refresh reads its streams (``scope``, else all) from scratch
    and, in ``Truncate`` mode, replaces their tables; ``Merge`` adds to them. A clear (reset) empties the
    tables of its streams (``scope``, else all) and forgets their cursors.
    """
    if not is_sqlite(state, connection):
        return None
    with state.lock:
        local = _local(state, connection)
        for earlier in list(local.pending):
            job = state.jobs.get(earlier)
            # Seeing a succeeded job writes it (see `land`); failed and cancelled ones never will.
            if job is None or status_of(job) in ("failed", "cancelled"):
                local.pending.pop(earlier, None)
        specs = stream_specs(connection)
        batch = Batch(config_type, database_path(state, connection))
        names = {name for name, _ in scope} if scope is not None else None
        if config_type in ("sync", "refresh"):
            local.source.update_streams(specs)
            local.source.advance(state.now(), connection.behaviour.records_per_stream)
            for spec in specs:
                refreshed = config_type == "refresh" and (names is None or spec.name in names)
                saved = local.cursors.get(spec.name) if spec.incremental and not refreshed else None
                rows = local.source.read(spec.name, saved)
                batch.rows[spec.name] = rows
                batch.modes[spec.name] = (
                    "overwrite"
                    if refreshed and refresh_mode == "Truncate"
                    else _destination_mode(connection, spec.name)
                )
                batch.cursors[spec.name] = _max_cursor(rows, spec, saved)
        else:
            for spec in specs:
                if names is not None and spec.name not in names:
                    continue
                batch.rows[spec.name] = []
                batch.modes[spec.name] = "overwrite"
                batch.cursors[spec.name] = None
        local.pending[job_id] = batch
        return {name: len(rows) for name, rows in batch.rows.items()}


def land(state: EmulatorState, job: Job) -> None:
    """Write a succeeded job's batch (once) and advance the connection's cursors."""
    local = state.local_syncs.get(job.connection_id)
    if local is None or job.job_id not in local.pending:
        return
    with state.lock:
        batch = local.pending.pop(job.job_id, None)
        if batch is None:
            return
        if batch.path is not None:
            write_batch(batch.path, batch, emitted_at=state.now(), job_id=job.job_id)
        if batch.config_type in ("sync", "refresh"):
            local.cursors.update(batch.cursors)
        else:
            for stream in batch.rows:
                local.cursors.pop(stream, None)


def write_batch(path: Path, batch: Batch, *, emitted_at: float, job_id: int) -> None:
    """Write ``batch`` in destination-sqlite's layout (one transaction for the whole job)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    emitted = dt.datetime.fromtimestamp(emitted_at, dt.UTC).replace(tzinfo=None).isoformat()
    con = sqlite3.connect(path, timeout=30)
    try:
        with con:
            for stream, rows in batch.rows.items():
                table = _quoted(raw_table(stream))
                if batch.modes.get(stream) == "overwrite":
                    con.execute(f"DROP TABLE IF EXISTS {table}")
                con.execute(
                    f"CREATE TABLE IF NOT EXISTS {table} "
                    "(_airbyte_ab_id TEXT PRIMARY KEY, _airbyte_emitted_at TEXT, _airbyte_data TEXT)"
                )
                con.executemany(
                    f"INSERT INTO {table} VALUES (?, ?, ?)",
                    [
                        (str(uuid.uuid5(ID_NAMESPACE, f"{job_id}/{stream}/{i}")), emitted, json.dumps(row))
                        for i, row in enumerate(rows)
                    ],
                )
    finally:
        con.close()


def drop_tables(state: EmulatorState) -> None:
    """Empty the raw tables of every SQLite connection (a fresh workspace has a fresh destination).

    The cursors live in memory; rows left by an earlier emulator would no longer match them.
    """
    for connection in state.live_connections():
        path = database_path(state, connection)
        if path is None or not path.exists():
            continue
        con = sqlite3.connect(path, timeout=30)
        try:
            with con:
                for spec in stream_specs(connection):
                    con.execute(f"DROP TABLE IF EXISTS {_quoted(raw_table(spec.name))}")
        finally:
            con.close()


def _destination_mode(connection: Connection, stream: str) -> str:
    for entry in connection.selected_streams():
        if entry["stream"]["name"] == stream:
            return str(entry.get("config", {}).get("destinationSyncMode") or "append")
    return "append"


def _max_cursor(rows: list[dict[str, Any]], spec: StreamSpec, saved: str | None) -> str | None:
    if not spec.incremental or not spec.cursor:
        return None
    values = [str(r[spec.cursor]) for r in rows if r.get(spec.cursor) is not None]
    return max([*values, *([saved] if saved else [])], default=None)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
