"""`AirbyteCatalog`: what one Airbyte workspace syncs, fetched in as few calls as the API allows.

The code server fetches it once per load; run workers must rebuild identical definitions without
calling Airbyte and without the code server's disk, so the catalog travels inside Dagster's
reconstruction metadata (`StateBackedDefinitionsLoader`). The last good catalog is also written to
disk, but only for one purpose: letting the code server start while Airbyte is down.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import tempfile
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
from pydantic import BaseModel, ConfigDict

from ..client import AirbyteClient
from ..client.models import Connection, Destination
from ..errors import AirbyteApiError, ConfigError
from ..execution.dagster_internals import StateBackedDefinitionsLoader

log = logging.getLogger("dagster_airbyte_ops")

DEFAULT_SNAPSHOT_DIR = ".airbyte_ops/snapshots"


class AirbyteCatalog(BaseModel):
    """Connections (with their streams) and their destinations, as of `fetched_at`."""

    model_config = ConfigDict(frozen=True)

    workspace_id: str
    fetched_at: datetime
    connections: list[Connection]
    destinations: dict[str, Destination]

    def destination_of(self, connection: Connection) -> Destination | None:
        return self.destinations.get(connection.destination_id)

    def to_json(self) -> str:
        return self.model_dump_json()

    @classmethod
    def from_json(cls, text: str) -> AirbyteCatalog:
        return cls.model_validate_json(text)


def resolve_workspace_id(client: AirbyteClient, workspace_id: str | None) -> str:
    """The configured workspace, or the only one; several and none configured is a ConfigError."""
    if workspace_id:
        return workspace_id
    workspaces = client.list_workspaces()
    if len(workspaces) == 1:
        return workspaces[0].id
    names = ", ".join(f"{w.name} ({w.id})" for w in workspaces) or "none"
    raise ConfigError(
        f"airbyte.workspace_id: Airbyte has {len(workspaces)} workspaces ({names}); set "
        "airbyte.workspace_id to the one to load."
    )


def fetch_catalog(client: AirbyteClient, *, workspace_id: str | None = None) -> AirbyteCatalog:
    """Connections with catalogs in one listing, destinations in another (shared ones fetched once)."""
    workspace = resolve_workspace_id(client, workspace_id)
    connections = client.list_connections(workspace)
    destinations = {d.id: d for d in client.list_destinations(workspace)}
    return AirbyteCatalog(
        workspace_id=workspace,
        fetched_at=datetime.now(UTC),
        connections=connections,
        destinations=destinations,
    )


class CatalogSnapshots:
    """Last good catalog per definitions key, as JSON files written atomically."""

    def __init__(self, directory: str | os.PathLike[str] = DEFAULT_SNAPSHOT_DIR) -> None:
        self.directory = Path(directory)

    def path_for(self, key: str) -> Path:
        safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in key)
        return self.directory / f"{safe}.json"

    def save(self, key: str, catalog_json: str) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        target = self.path_for(key)
        with tempfile.NamedTemporaryFile("w", dir=self.directory, delete=False, suffix=".tmp") as handle:
            handle.write(catalog_json)
        os.replace(handle.name, target)

    def load(self, key: str) -> str | None:
        path = self.path_for(key)
        try:
            return path.read_text()
        except OSError:
            return None


def fetch_or_snapshot(
    key: str,
    fetch: Callable[[], AirbyteCatalog],
    snapshots: CatalogSnapshots,
    how_to_reach: str,
    *,
    what: str = "the Airbyte catalog",
) -> str:
    """The catalog's JSON, fetched now and saved as the snapshot `key`; the snapshot if Airbyte fails."""
    try:
        catalog_json = fetch().to_json()
    except AirbyteApiError as error:
        snapshot = snapshots.load(key)
        if snapshot is None:
            raise ConfigError(
                f"Could not load {what} and no snapshot exists yet "
                f"({snapshots.path_for(key)}): {error}. To fix: {how_to_reach}."
            ) from None
        fetched_at = AirbyteCatalog.from_json(snapshot).fetched_at.isoformat()
        log.warning(
            "Airbyte is unreachable (%s); using the last good catalog snapshot from %s%s.",
            error,
            fetched_at,
            "" if what == "the Airbyte catalog" else f" for {what}",
        )
        return snapshot
    previous = snapshots.load(key)
    if previous is not None:
        warn_removed_streams(previous, catalog_json)
    try:
        snapshots.save(key, catalog_json)
    except OSError as error:
        log.warning("Could not write the catalog snapshot %s: %s", snapshots.path_for(key), error)
    return catalog_json


def warn_removed_streams(previous_json: str, current_json: str) -> list[str]:
    """Warn, per connection, about streams Airbyte no longer syncs since the last load (Airbyte removed
    them, e.g. by propagating a schema change): they stop being assets. Returns the warnings."""
    try:
        before = AirbyteCatalog.from_json(previous_json)
        after = AirbyteCatalog.from_json(current_json)
    except ValueError:
        return []
    now = {c.id: {s.name for s in c.selected_streams} for c in after.connections}
    warnings = []
    for connection in before.connections:
        if connection.id not in now:
            continue
        gone = sorted({s.name for s in connection.selected_streams} - now[connection.id])
        if gone:
            warnings.append(
                f"Connection {connection.name}: Airbyte no longer syncs stream(s) {', '.join(gone)} "
                "(removed since the last load); they are no longer assets. Their past materializations "
                "stay in Dagster's history."
            )
    for text in warnings:
        log.warning(text)
    return warnings


_PACKED = "zlib+base64:"


def pack_state(catalog_json: str) -> str:
    """The catalog as it travels in reconstruction metadata: compressed, about a tenth of its JSON.

    The metadata is part of the repository snapshot every code server serializes and the webserver
    holds, and of what each run worker receives: at 1,000 connections the plain JSON was 8.7 MB of a
    66 MB snapshot. Catalog JSON repeats itself (the same keys, types and modes per stream).
    """
    return _PACKED + base64.b64encode(zlib.compress(catalog_json.encode(), 6)).decode("ascii")


def unpack_state(state: str) -> str:
    """The catalog JSON of `pack_state`'s output (plain JSON, as an earlier version carried it, as is)."""
    if not state.startswith(_PACKED):
        return state
    return zlib.decompress(base64.b64decode(state[len(_PACKED) :])).decode()


class AirbyteCatalogLoader(StateBackedDefinitionsLoader[str]):
    """Fetch on code-server load (snapshot as fallback); reuse the carried state everywhere else."""

    def __init__(
        self,
        *,
        key: str,
        fetch: Callable[[], AirbyteCatalog],
        build: Callable[[AirbyteCatalog], dg.Definitions],
        snapshots: CatalogSnapshots | None = None,
        how_to_reach: str = "check airbyte.url and that Airbyte is running",
    ) -> None:
        self._key = key
        self._fetch = fetch
        self._build = build
        self._snapshots = snapshots or CatalogSnapshots()
        self._how_to_reach = how_to_reach
        self._fetched: tuple[str, AirbyteCatalog] | None = None  # (state, its models) just fetched

    @property
    def defs_key(self) -> str:
        return f"dagster_airbyte_ops/{self._key}"

    def fetch_state(self) -> str:
        fetched: list[AirbyteCatalog] = []

        def fetch() -> AirbyteCatalog:
            fetched.append(self._fetch())
            return fetched[0]

        state = pack_state(fetch_or_snapshot(self._key, fetch, self._snapshots, self._how_to_reach))
        self._fetched = (state, fetched[0]) if fetched else None
        return state

    def defs_from_state(self, state: str) -> dg.Definitions:
        # On the code server the state is the catalog just fetched: build from those models rather
        # than parse 10 MB again (time, and a second copy at the memory peak). Run workers parse the
        # carried JSON; the JSON round trip of the models is exact.
        fetched, self._fetched = self._fetched, None
        if fetched is not None and fetched[0] == state:
            return self._build(fetched[1])
        return self._build(AirbyteCatalog.from_json(unpack_state(state)))


@dataclass(frozen=True)
class CatalogSource:
    """How to fetch one named instance's catalog, and what to tell the user when that fails."""

    fetch: Callable[[], AirbyteCatalog]
    how_to_reach: str


class InstanceCatalogsLoader(StateBackedDefinitionsLoader[str]):
    """`AirbyteCatalogLoader` for a file with `instances:`: one state holding every instance's catalog.

    One state (not one loader per instance) because the definitions are one pure function of all
    the catalogs: `after:` across instances and asset-key collisions are checked in one build, and a
    run worker rebuilds it all from the reconstruction metadata with no call to any Airbyte. Each
    instance falls back to its own last good snapshot (`<key>__<name>.json`), so one Airbyte down
    does not hide the others' fresh catalogs.
    """

    def __init__(
        self,
        *,
        key: str,
        sources: Mapping[str, CatalogSource],
        build: Callable[[dict[str, AirbyteCatalog]], dg.Definitions],
        snapshots: CatalogSnapshots | None = None,
    ) -> None:
        self._key = key
        self._sources = dict(sources)
        self._build = build
        self._snapshots = snapshots or CatalogSnapshots()

    @property
    def defs_key(self) -> str:
        return f"dagster_airbyte_ops/{self._key}"

    def fetch_state(self) -> str:
        catalogs = {
            name: json.loads(
                fetch_or_snapshot(
                    f"{self._key}__{name}",
                    source.fetch,
                    self._snapshots,
                    source.how_to_reach,
                    what=f'the Airbyte catalog of instance "{name}"',
                )
            )
            for name, source in self._sources.items()
        }
        return pack_state(json.dumps({"v": 1, "instances": catalogs}, sort_keys=True))

    def defs_from_state(self, state: str) -> dg.Definitions:
        data = json.loads(unpack_state(state))
        return self._build(
            {name: AirbyteCatalog.model_validate(value) for name, value in data["instances"].items()}
        )
