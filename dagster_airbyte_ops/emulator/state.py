"""In-memory Airbyte entities shared by both APIs, guarded by one lock.

Both the Config API and the public API read and write the same objects, exactly like one Airbyte server
backs both; keeping a single store is what lets a test create a job through one API and watch it through
the other.
"""

from __future__ import annotations

import copy
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from dagster_airbyte_ops.emulator.profiles import VersionProfile, get_profile

if TYPE_CHECKING:
    from dagster_airbyte_ops.emulator.store import StateStore

AuthMode = Literal["none", "basic", "bearer", "client_credentials"]
Outcome = Literal["succeeded", "failed", "incomplete_then_succeeded", "stuck"]

#: Namespace for every deterministic id the emulator mints (uuid5 of a readable key).
ID_NAMESPACE = uuid.UUID("5d0c3f4e-8a61-4d8e-9d1a-7a1b0c2e4f60")


def stable_id(*parts: str) -> str:
    """A uuid5 from readable parts, so the same seed always yields the same ids across runs."""
    return str(uuid.uuid5(ID_NAMESPACE, "/".join(parts)))


@dataclass
class EmulatorSettings:
    """How an emulator instance behaves; every field has a default usable in tests."""

    seed: str = "demo"
    airbyte_version: str = "1.6"
    auth: AuthMode = "none"
    username: str = "airbyte"
    password: str = "password"
    token: str = "static-token"
    client_id: str = "emulator-client-id"
    client_secret: str = "emulator-client-secret"
    token_lifetime_s: float | None = None
    default_job_duration_s: float = 2.0
    time_scale: float = 1.0
    #: Run connections whose Airbyte schedule is basic or cron, as Airbyte's scheduler does
    #: (emulator/scheduler.py). Off by default so tests see only the jobs they start.
    scheduler: bool = False
    #: Where Airbyte's ``/local`` mount is (its ``LOCAL_ROOT``): local destinations such as SQLite
    #: write their files here. None: they write nothing (job stats are the same).
    data_dir: str | None = None

    @property
    def profile(self) -> VersionProfile:
        """The version profile named by ``airbyte_version``."""
        return get_profile(self.airbyte_version)

    @property
    def effective_token_lifetime_s(self) -> float:
        """Token lifetime: explicit setting, else what the impersonated release uses."""
        if self.token_lifetime_s is not None:
            return self.token_lifetime_s
        return float(self.profile.token_lifetime_s)

    def client_credentials(self) -> dict[str, str]:
        """What a client passes to get in under this auth mode (`AirbyteClient`/`AirbyteResource`
        keyword arguments): username/password, token, client id/secret, or nothing."""
        if self.auth == "basic":
            return {"username": self.username, "password": self.password}
        if self.auth == "bearer":
            return {"token": self.token}
        if self.auth == "client_credentials":
            return {"client_id": self.client_id, "client_secret": self.client_secret}
        return {}


@dataclass
class Definition:
    """A connector definition (source or destination), carrying Airbyte's real definition id."""

    definition_id: str
    kind: Literal["source", "destination"]
    name: str
    docker_repository: str
    docker_image_tag: str
    documentation_url: str
    release_stage: str = "generally_available"
    support_level: str = "certified"
    source_type: str | None = None

    @property
    def short_type(self) -> str:
        """The public API's ``sourceType``/``destinationType``: the image name without its prefix."""
        repo = self.docker_repository.split("/")[-1]
        return repo.removeprefix("source-").removeprefix("destination-")


@dataclass
class Workspace:
    """An Airbyte workspace."""

    workspace_id: str
    name: str
    slug: str
    organization_id: str
    customer_id: str
    email: str = "admin@example.com"


@dataclass
class Actor:
    """A configured source or destination."""

    actor_id: str
    kind: Literal["source", "destination"]
    workspace_id: str
    definition_id: str
    name: str
    configuration: dict[str, Any]
    created_at: int
    tombstone: bool = False
    #: Discoverable catalog for sources: list of Config API ``AirbyteStream`` dicts (the live schema;
    #: replaced, never mutated in place, so a fetched catalog may share it).
    catalog: list[dict[str, Any]] = field(default_factory=list)
    #: The most recent catalog a discover fetched (Airbyte's actor catalog cache); None: never discovered.
    fetched_catalog: list[dict[str, Any]] | None = None
    #: When that discover ran (epoch seconds; None: at creation).
    fetched_at: float | None = None


@dataclass
class Behaviour:
    """How the next jobs of a connection play out (copied into each job when it starts)."""

    duration_s: float | None = None
    outcome: Outcome = "succeeded"
    attempts: int = 1
    records_per_stream: int | dict[str, int] | None = None
    failure_message: str = "Something went wrong in the connector. See the logs for more details."
    failure_origin: str = "source"
    failure_type: str = "system_error"

    def update(self, data: dict[str, Any]) -> None:
        """Apply a partial update from the admin endpoint, validating the enumerated fields."""
        for key, value in data.items():
            if key == "outcome" and value not in (
                "succeeded",
                "failed",
                "incomplete_then_succeeded",
                "stuck",
            ):
                raise ValueError(f"unknown outcome {value!r}")
            if key == "attempts" and (not isinstance(value, int) or value < 1):
                raise ValueError("attempts must be a positive integer")
            if not hasattr(self, key):
                raise ValueError(f"unknown behaviour field {key!r}")
            setattr(self, key, value)


@dataclass
class Connection:
    """A connection, its configured catalog and its schedule, stored in Config API shape."""

    connection_id: str
    workspace_id: str
    name: str
    source_id: str
    destination_id: str
    sync_catalog: list[dict[str, Any]]
    status: str = "active"
    namespace_definition: str = "destination"
    namespace_format: str | None = None
    prefix: str = ""
    schedule_type: str = "manual"
    schedule_data: dict[str, Any] | None = None
    created_at: int = 0
    non_breaking_changes_preference: str = "ignore"
    behaviour: Behaviour = field(default_factory=Behaviour)
    #: The raw catalog the configured one was built from (``sourceCatalogId``); None: the sync catalog's
    #: streams, as Airbyte falls back to.
    source_catalog: list[dict[str, Any]] | None = None
    #: ``breakingChange``: rewritten by every discover run against the connection.
    breaking_change: bool = False

    def selected_streams(self) -> list[dict[str, Any]]:
        """The catalog entries whose ``config.selected`` is true (what a sync moves)."""
        return [s for s in self.sync_catalog if s.get("config", {}).get("selected", True)]


@dataclass
class JobPlan:
    """Frozen copy of a connection's behaviour plus the streams, taken when a job is created."""

    duration_s: float
    outcome: Outcome
    attempts: int
    streams: list[tuple[str, str | None, int]]  # (name, namespace, records)
    failure_message: str
    failure_origin: str
    failure_type: str


@dataclass
class Job:
    """A sync or reset job; its status is derived from the wall clock by :mod:`.jobs`."""

    job_id: int
    connection_id: str
    config_type: str  # "sync" | "reset_connection" | "refresh"
    created_at: float
    plan: JobPlan
    cancelled_at: float | None = None
    #: Streams a clear or refresh targets (``resetConfig.streamsToReset``,
    #: ``refreshConfig.streamsToRefresh``); None: all of them.
    scope: list[tuple[str, str | None]] | None = None
    #: ``Truncate`` or ``Merge`` for refresh jobs.
    refresh_mode: str | None = None


@dataclass
class Token:
    """An access token issued by ``applications/token``."""

    value: str
    client_id: str
    expires_at: float


@dataclass
class LoggedRequest:
    """One entry of the request log (Airbyte paths only)."""

    method: str
    path: str
    query: str
    status: int
    time: float
    fault: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON form served by ``GET /_emulator/requests``."""
        out: dict[str, Any] = {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "status": self.status,
            "time": self.time,
        }
        if self.fault:
            out["fault"] = self.fault
        return out


class EmulatorState:
    """Everything the emulator knows, behind a re-entrant lock.

    Handlers take ``state.lock`` for the whole of a read-modify-write so two concurrent syncs of the same
    connection cannot both slip past the "already running" check.
    """

    def __init__(self, settings: EmulatorSettings) -> None:
        self.settings = settings
        self.lock = threading.RLock()
        self.started_at = time.time()
        self.workspaces: dict[str, Workspace] = {}
        self.definitions: dict[str, Definition] = {}
        self.actors: dict[str, Actor] = {}
        self.connections: dict[str, Connection] = {}
        self.jobs: dict[int, Job] = {}
        self.tokens: dict[str, Token] = {}
        self.request_log: list[LoggedRequest] = []
        #: The id the next job gets (Airbyte's ``jobs`` sequence); persisted by :mod:`.store`.
        self.next_job_number = 1
        self.default_workspace_id = ""
        #: Per connection id: simulated source, cursors and unwritten batches of local destinations
        #: (``sqlite_destination.LocalSync``); cleared with the entities.
        self.local_syncs: dict[str, Any] = {}
        #: The SQLite store under ``data_dir`` (``store.StateStore``), or None: in memory only.
        self.store: StateStore | None = None

    def persist(self) -> None:
        """Save what changed to the store, if there is one (before an answer goes out)."""
        if self.store is not None:
            self.store.save(self)

    # ------------------------------------------------------------------ time
    def now(self) -> float:
        """Wall-clock seconds; the single time source so job life cycles stay consistent."""
        return time.time()

    @property
    def profile(self) -> VersionProfile:
        """The impersonated Airbyte release."""
        return self.settings.profile

    # ------------------------------------------------------------------ ids
    def next_job_id(self) -> int:
        """Allocate a job id (monotonic, like Airbyte's ``jobs`` sequence)."""
        job_id = self.next_job_number
        self.next_job_number += 1
        return job_id

    def reset_job_ids(self) -> None:
        """Restart the job id sequence, as a wiped database would."""
        self.next_job_number = 1

    # ------------------------------------------------------------------ lookups
    def workspace(self, workspace_id: str) -> Workspace | None:
        """A workspace by id, or None."""
        return self.workspaces.get(workspace_id)

    def source(self, source_id: str, include_tombstone: bool = False) -> Actor | None:
        """A live source by id, or None."""
        actor = self.actors.get(source_id)
        if actor is None or actor.kind != "source" or (actor.tombstone and not include_tombstone):
            return None
        return actor

    def destination(self, destination_id: str, include_tombstone: bool = False) -> Actor | None:
        """A live destination by id, or None."""
        actor = self.actors.get(destination_id)
        if actor is None or actor.kind != "destination" or (actor.tombstone and not include_tombstone):
            return None
        return actor

    def connection(self, connection_id: str) -> Connection | None:
        """A connection by id (deleted ones included: Airbyte keeps them as ``deprecated``)."""
        return self.connections.get(connection_id)

    def definition(self, definition_id: str, kind: str | None = None) -> Definition | None:
        """A connector definition by id, optionally restricted to a kind."""
        d = self.definitions.get(definition_id)
        if d is None or (kind is not None and d.kind != kind):
            return None
        return d

    def actors_of(self, kind: str, workspace_ids: list[str] | None = None) -> list[Actor]:
        """Live sources or destinations, optionally limited to some workspaces, in creation order."""
        return [
            a
            for a in self.actors.values()
            if a.kind == kind and not a.tombstone and (not workspace_ids or a.workspace_id in workspace_ids)
        ]

    def live_connections(self, workspace_ids: list[str] | None = None) -> list[Connection]:
        """Connections that are not deleted, optionally limited to some workspaces."""
        return [
            c
            for c in self.connections.values()
            if c.status != "deprecated" and (not workspace_ids or c.workspace_id in workspace_ids)
        ]

    def jobs_for(self, connection_id: str) -> list[Job]:
        """All jobs of one connection, oldest first."""
        return [j for j in self.jobs.values() if j.connection_id == connection_id]

    # ------------------------------------------------------------------ mutation helpers
    def add_actor(self, actor: Actor) -> Actor:
        """Store a source or destination."""
        self.actors[actor.actor_id] = actor
        return actor

    def add_connection(self, connection: Connection) -> Connection:
        """Store a connection."""
        self.connections[connection.connection_id] = connection
        return connection

    def clear_entities(self) -> None:
        """Drop every entity, job and token (the request log is kept; it has its own endpoint)."""
        self.workspaces.clear()
        self.definitions.clear()
        self.actors.clear()
        self.connections.clear()
        self.jobs.clear()
        self.tokens.clear()
        self.local_syncs.clear()
        self.reset_job_ids()

    def snapshot_catalog(self, catalog: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """A deep copy, so callers can never mutate stored catalogs through a response."""
        return copy.deepcopy(catalog)
