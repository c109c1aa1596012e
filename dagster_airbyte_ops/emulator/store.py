"""The emulator's database: its state kept in SQLite under ``--data-dir``, as Airbyte keeps its own.

A real Airbyte remembers its workspaces, sources, destinations, connections and jobs across restarts,
and its job ids come from a database sequence that never goes back. Without this, every restart of the
emulator (every ``make dev``) wiped the job table and handed out job ids from 1 again, so a sync after a
restart could be taken for an old job already recorded (issue 14, case 6).

With a data dir the state lives in ``<data-dir>/emulator-state.db`` (stdlib ``sqlite3``): one row per
workspace, definition, source or destination, connection and job (attempts are derived from the job and
the clock, see :mod:`.jobs`), the next job id, and the local destination's simulated source and cursors.
:meth:`StateStore.save` runs before the last byte of every response leaves (and after each scheduler
tick), writing only rows whose content changed, so a client that has read an answer can rely on it
surviving a ``kill -9``. Without a data dir nothing is stored and nothing is slower.

Rows are JSON of the entity dataclasses, rebuilt from their type hints, so a field added to an entity
is stored without touching this module. The local destination's simulator state is internal and is
pickled; a pickle that no longer loads (the code changed) is dropped with a warning: the next sync then
starts that connection's history over.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import pickle
import sqlite3
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dagster_airbyte_ops.emulator.state import Actor, Connection, Definition, EmulatorState, Job, Workspace

STORE_FILE = "emulator-state.db"
SCHEMA_VERSION = "1"

log = logging.getLogger(__name__)

_TABLES = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS entities (kind TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL, "
    "PRIMARY KEY (kind, id))",
    "CREATE TABLE IF NOT EXISTS jobs (id INTEGER PRIMARY KEY, connection_id TEXT NOT NULL, "
    "config_type TEXT NOT NULL, created_at REAL NOT NULL, data TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS local_syncs (connection_id TEXT PRIMARY KEY, data BLOB NOT NULL)",
)
#: Entity kind → (the state's dict of it, its dataclass).
_KINDS: dict[str, tuple[Callable[[EmulatorState], dict[str, Any]], type]] = {
    "workspace": (lambda s: s.workspaces, Workspace),
    "definition": (lambda s: s.definitions, Definition),
    "actor": (lambda s: s.actors, Actor),
    "connection": (lambda s: s.connections, Connection),
}


def _to_json(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_to_json(v) for v in value]
    return value


def _from_json(hint: Any, value: Any) -> Any:
    """``value`` (from JSON) rebuilt as ``hint`` says: dataclasses, tuples, lists and dicts of them."""
    if value is None:
        return None
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        return _from_json(options[0], value) if len(options) == 1 else value
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _build(hint, value)
    if origin is tuple and isinstance(value, list):
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_from_json(args[0], v) for v in value)
        return tuple(_from_json(a, v) for a, v in zip(args, value, strict=False))
    if origin is list and isinstance(value, list):
        return [_from_json(args[0], v) for v in value] if args else value
    if origin is dict and isinstance(value, dict) and len(args) == 2:
        return {k: _from_json(args[1], v) for k, v in value.items()}
    return value


def _build(cls: type, data: dict[str, Any]) -> Any:
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: _from_json(hints.get(k, Any), v) for k, v in data.items() if k in known})


def _dumps(entity: Any) -> str:
    return json.dumps(_to_json(entity), sort_keys=True, separators=(",", ":"))


class StateStore:
    """One emulator's SQLite database; callers hold ``state.lock`` around :meth:`load` and :meth:`save`."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        # One connection, used under the state lock from the server's and the scheduler's threads.
        self._db = sqlite3.connect(path, timeout=30, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        for statement in _TABLES:
            self._db.execute(statement)
        #: What each row last written holds, so a save writes only what changed.
        self._saved: dict[tuple[str, str], str | bytes] = {}

    @classmethod
    def in_data_dir(cls, data_dir: str | Path) -> StateStore:
        """The store of the emulator whose data dir is ``data_dir``."""
        return cls(Path(data_dir) / STORE_FILE)

    def is_new(self) -> bool:
        """Whether nothing was ever saved here (the seed applies only then)."""
        row = self._db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
        return row is None

    def close(self) -> None:
        """Close the database (the state stays on disk)."""
        self._db.close()

    # ------------------------------------------------------------------ load
    def load(self, state: EmulatorState) -> None:
        """Put everything saved into ``state`` (on top of the installed connector definitions)."""
        for kind, (table_of, cls) in _KINDS.items():
            table = table_of(state)
            if kind != "definition":
                table.clear()
            rows = self._db.execute(
                "SELECT id, data FROM entities WHERE kind = ? ORDER BY rowid", (kind,)
            ).fetchall()
            for ident, data in rows:
                table[ident] = _build(cls, json.loads(data))
                self._saved[(kind, ident)] = data
        state.jobs.clear()
        for job_id, data in self._db.execute("SELECT id, data FROM jobs ORDER BY id"):
            state.jobs[int(job_id)] = _build(Job, json.loads(data))
            self._saved[("job", str(job_id))] = data
        meta = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
        highest = max(state.jobs, default=0)
        state.next_job_number = max(int(meta.get("next_job_number", "1")), highest + 1)
        state.default_workspace_id = meta.get("default_workspace_id", "")
        state.local_syncs.clear()
        for connection_id, blob in self._db.execute("SELECT connection_id, data FROM local_syncs"):
            try:
                state.local_syncs[connection_id] = pickle.loads(blob)  # written by save() below only
            except Exception as error:  # the simulator's classes changed since it was written
                log.warning("emulator store: local sync state of %s dropped (%s)", connection_id, error)
                continue
            self._saved[("local", connection_id)] = bytes(blob)

    # ------------------------------------------------------------------ save
    def save(self, state: EmulatorState) -> None:
        """Write what changed since the last save, in one transaction."""
        with state.lock:
            upserts: list[tuple[str, str, str]] = []
            current: set[tuple[str, str]] = set()
            for kind, (table_of, _) in _KINDS.items():
                for ident, entity in table_of(state).items():
                    key = (kind, ident)
                    current.add(key)
                    data = _dumps(entity)
                    if self._saved.get(key) != data:
                        upserts.append((kind, ident, data))
            jobs: list[tuple[int, str, str, float, str]] = []
            for job in state.jobs.values():
                key = ("job", str(job.job_id))
                current.add(key)
                data = _dumps(job)
                if self._saved.get(key) != data:
                    jobs.append((job.job_id, job.connection_id, job.config_type, job.created_at, data))
            local: list[tuple[str, bytes]] = []
            for connection_id, sync in state.local_syncs.items():
                key = ("local", connection_id)
                current.add(key)
                blob = pickle.dumps(sync, protocol=pickle.HIGHEST_PROTOCOL)
                if self._saved.get(key) != blob:
                    local.append((connection_id, blob))
            gone = [key for key in self._saved if key not in current]
            meta = {
                "version": SCHEMA_VERSION,
                "next_job_number": str(state.next_job_number),
                "default_workspace_id": state.default_workspace_id,
                "seed": state.settings.seed,
            }
            self._write(upserts, jobs, local, gone, meta)

    def _write(
        self,
        upserts: list[tuple[str, str, str]],
        jobs: list[tuple[int, str, str, float, str]],
        local: list[tuple[str, bytes]],
        gone: list[tuple[str, str]],
        meta: dict[str, str],
    ) -> None:
        db = self._db
        db.execute("BEGIN")
        try:
            db.executemany(
                "INSERT INTO entities (kind, id, data) VALUES (?, ?, ?) "
                "ON CONFLICT (kind, id) DO UPDATE SET data = excluded.data",
                upserts,
            )
            db.executemany(
                "INSERT INTO jobs (id, connection_id, config_type, created_at, data) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET data = excluded.data, "
                "connection_id = excluded.connection_id, config_type = excluded.config_type, "
                "created_at = excluded.created_at",
                jobs,
            )
            db.executemany(
                "INSERT INTO local_syncs (connection_id, data) VALUES (?, ?) "
                "ON CONFLICT (connection_id) DO UPDATE SET data = excluded.data",
                local,
            )
            for kind, ident in gone:
                if kind == "job":
                    db.execute("DELETE FROM jobs WHERE id = ?", (int(ident),))
                elif kind == "local":
                    db.execute("DELETE FROM local_syncs WHERE connection_id = ?", (ident,))
                else:
                    db.execute("DELETE FROM entities WHERE kind = ? AND id = ?", (kind, ident))
            db.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                list(meta.items()),
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        for kind, ident, data in upserts:
            self._saved[(kind, ident)] = data
        for job_id, _, _, _, data in jobs:
            self._saved[("job", str(job_id))] = data
        for connection_id, blob in local:
            self._saved[("local", connection_id)] = blob
        for key in gone:
            self._saved.pop(key, None)
