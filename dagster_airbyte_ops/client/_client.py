"""``AirbyteClient``: one interface over Airbyte's two HTTP APIs.

``AirbyteClient`` is the one interface: it declares every operation (abstract), and building one
picks the API flavour and the auth strategy from the arguments and returns the flavour's class,
:class:`ConfigApi` or :class:`PublicApi`, which implements the operations over one :class:`Transport`.
So ``AirbyteClient(url=...)`` is a ``ConfigApi`` (or ``PublicApi``) and nothing forwards calls by hand.

Choosing the flavour (``api="auto"``) is deliberately simple:

* the public API on Airbyte Cloud (``api.airbyte.com`` / ``cloud.airbyte.com``) or when only
  ``public_api_url`` is given;
* the Config API otherwise: on a self-hosted Airbyte it returns catalogs with JSON schemas in one call
  and per-stream stats, which the public API does not.

Example:
    >>> from dagster_airbyte_ops.client import AirbyteClient
    >>> with AirbyteClient(url="http://localhost:8000", username="airbyte", password="password") as client:
    ...     for workspace in client.list_workspaces():
    ...         print(workspace.name)  # doctest: +SKIP
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, ClassVar, Literal
from urllib.parse import urlsplit

from ..errors import ConfigError
from ._auth import Auth, BasicAuth, BearerAuth, ClientCredentialsAuth
from ._transport import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_REQUEST_TIMEOUT_S,
    DEFAULT_RETRY_BACKOFF_S,
    Transport,
)
from .models import (
    CheckResult,
    Connection,
    ConnectionSchedule,
    ConnectorSpecification,
    Destination,
    DestinationDefinition,
    Job,
    JobStatus,
    NamespaceDefinition,
    Source,
    SourceDefinition,
    Stream,
    Workspace,
)

__all__ = ["CLOUD_PUBLIC_API_URL", "AirbyteClient", "ApiName", "build_auth", "resolve_api"]

ApiName = Literal["config", "public"]

CLOUD_PUBLIC_API_URL = "https://api.airbyte.com/v1"
CONFIG_API_PATH = "/api/v1"
PUBLIC_API_PATH = "/api/public/v1"
TOKEN_PATH = "/applications/token"
_CLOUD_HOSTS = ("api.airbyte.com", "cloud.airbyte.com")


def _is_cloud(url: str | None) -> bool:
    return bool(url) and (urlsplit(url or "").hostname or "") in _CLOUD_HOSTS


def resolve_api(
    api: Literal["config", "public", "auto"], url: str | None, public_api_url: str | None
) -> ApiName:
    """The flavour ``api="auto"`` stands for (see the module docstring)."""
    if api in ("config", "public"):
        return api
    if api != "auto":
        raise ConfigError(f"api: {api!r} is not one of 'config', 'public', 'auto'")
    if _is_cloud(url) or _is_cloud(public_api_url) or (not url and public_api_url):
        return "public"
    return "config"


def build_auth(
    *,
    token_url: str,
    username: str | None = None,
    password: str | None = None,
    token: str | None = None,
    client_id: str | None = None,
    client_secret: str | None = None,
) -> Auth:
    """The auth strategy the given credentials describe; exactly one kind (or none) may be given."""
    kinds = []
    if username or password:
        if not (username and password):
            raise ConfigError("basic auth needs both username and password: set the missing one")
        kinds.append("username/password")
    if token:
        kinds.append("token")
    if client_id or client_secret:
        if not (client_id and client_secret):
            raise ConfigError("client credentials need both client_id and client_secret: set the missing one")
        kinds.append("client_id/client_secret")
    if len(kinds) > 1:
        raise ConfigError(f"give one kind of Airbyte credentials, not {' and '.join(kinds)}")
    if username and password:
        return BasicAuth(username, password)
    if token:
        return BearerAuth(token)
    if client_id and client_secret:
        return ClientCredentialsAuth(token_url, client_id, client_secret)
    return Auth()


@dataclass(frozen=True)
class _Endpoints:
    root: str  # server root, "" when only the public API URL is known
    public_api_url: str
    api: ApiName


def _endpoints(
    url: str | None, api: Literal["config", "public", "auto"], public_api_url: str | None
) -> _Endpoints:
    """Server root, public API root and flavour from the constructor's arguments."""
    root = (url or "").rstrip("/")
    if root.endswith(PUBLIC_API_PATH):
        public_api_url = public_api_url or root
        root = root[: -len(PUBLIC_API_PATH)]
    elif root.endswith(CONFIG_API_PATH):
        root = root[: -len(CONFIG_API_PATH)]
    if not root and not public_api_url:
        raise ConfigError("url: give Airbyte's server root (e.g. http://localhost:8000) or public_api_url")
    if public_api_url is None:
        public_api_url = CLOUD_PUBLIC_API_URL if _is_cloud(root) else root + PUBLIC_API_PATH
    stripped = public_api_url.rstrip("/")
    flavour = resolve_api(api, root or None, stripped if not root else public_api_url)
    if flavour == "config" and not root:
        raise ConfigError("api='config' needs url (Airbyte's server root, e.g. http://localhost:8000)")
    return _Endpoints(root, stripped, flavour)


class AirbyteClient:
    """Talk to Airbyte (OSS or Cloud) through its Config API or public API.

    ``AirbyteClient(...)`` builds the flavour's class (:class:`ConfigApi` or :class:`PublicApi`, both
    subclasses): the operations below are the interface they implement, each flavour in its own module.

    Args:
        url: Airbyte's server root, e.g. ``http://localhost:8000`` (not the ``/api/v1`` path).
        api: ``"config"``, ``"public"`` or ``"auto"`` (see :func:`resolve_api`).
        public_api_url: public API root; default ``url + "/api/public/v1"`` (Cloud:
            ``https://api.airbyte.com/v1``). The client-credentials token URL is
            ``public_api_url + "/applications/token"`` for both flavours.
        username, password: HTTP basic auth.
        token: a static bearer token.
        client_id, client_secret: OAuth client credentials (tokens fetched and refreshed).
        request_timeout_s: timeout of every HTTP call, in seconds.
        max_retries: retries of a failed call (connection errors, timeouts, 429, 5xx).
        retry_backoff_s: first retry delay in seconds (exponential, full jitter, capped at 30 s).
        verify_tls: verify Airbyte's TLS certificate.
        logger: receives retry warnings.
    """

    api: ClassVar[ApiName]
    _flavours: ClassVar[dict[str, type[AirbyteClient]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Register a flavour, and refuse one that leaves an operation unimplemented."""
        super().__init_subclass__(**kwargs)
        missing = [name for name in _OPERATIONS if getattr(cls, name) is getattr(AirbyteClient, name)]
        if missing:
            raise TypeError(f"{cls.__name__} does not implement {', '.join(missing)}")
        AirbyteClient._flavours.setdefault(cls.api, cls)

    def __new__(cls, **kwargs: Any) -> AirbyteClient:
        if cls is AirbyteClient:
            ends = _endpoints(kwargs.get("url"), kwargs.get("api", "auto"), kwargs.get("public_api_url"))
            cls = AirbyteClient._flavours[ends.api]
        return super().__new__(cls)

    def __init__(
        self,
        *,
        url: str | None = None,
        api: Literal["config", "public", "auto"] = "auto",
        public_api_url: str | None = None,
        username: str | None = None,
        password: str | None = None,
        token: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        request_timeout_s: float = DEFAULT_REQUEST_TIMEOUT_S,
        max_retries: int = DEFAULT_MAX_RETRIES,
        retry_backoff_s: float = DEFAULT_RETRY_BACKOFF_S,
        verify_tls: bool = True,
        logger: logging.Logger | None = None,
    ) -> None:
        ends = _endpoints(url, api, public_api_url)
        if ends.api != self.api:
            raise ConfigError(f"{type(self).__name__} speaks api={self.api!r}, not {ends.api!r}")
        self.url = ends.root
        self.public_api_url = ends.public_api_url
        auth = build_auth(
            token_url=self.public_api_url + TOKEN_PATH,
            username=username,
            password=password,
            token=token,
            client_id=client_id,
            client_secret=client_secret,
        )
        self.transport = Transport(
            ends.root + CONFIG_API_PATH if self.api == "config" else self.public_api_url,
            auth=auth,
            request_timeout_s=request_timeout_s,
            max_retries=max_retries,
            retry_backoff_s=retry_backoff_s,
            verify_tls=verify_tls,
            logger=logger,
        )

    @property
    def flavour(self) -> AirbyteClient:
        """The object implementing the operations: the client itself (kept for older callers)."""
        return self

    def __repr__(self) -> str:
        return f"AirbyteClient(api={self.api!r}, url={self.url!r}, auth={self.transport.auth!r})"

    def close(self) -> None:
        """Close the HTTP session."""
        self.transport.close()

    def __enter__(self) -> AirbyteClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- workspaces and definitions ------------------------------------------------------------------
    def list_workspaces(self) -> list[Workspace]:
        raise NotImplementedError

    def get_workspace(self, workspace_id: str) -> Workspace:
        raise NotImplementedError

    def list_source_definitions(self, workspace_id: str | None = None) -> list[SourceDefinition]:
        raise NotImplementedError

    def list_destination_definitions(self, workspace_id: str | None = None) -> list[DestinationDefinition]:
        raise NotImplementedError

    # -- sources -------------------------------------------------------------------------------------
    def list_sources(self, workspace_id: str) -> list[Source]:
        raise NotImplementedError

    def get_source(self, source_id: str) -> Source:
        raise NotImplementedError

    def create_source(
        self, workspace_id: str, name: str, definition_id: str, configuration: dict[str, Any]
    ) -> Source:
        raise NotImplementedError

    def update_source(
        self,
        source_id: str,
        *,
        name: str | None = None,
        configuration: dict[str, Any] | None = None,
        replace_configuration: bool = False,
    ) -> Source:
        """Change name and/or configuration; `replace_configuration` drops fields not sent."""
        raise NotImplementedError

    def delete_source(self, source_id: str) -> None:
        raise NotImplementedError

    def check_source(self, source_id: str) -> CheckResult:
        """Config API only; the public API has no check endpoint (AirbyteApiError)."""
        raise NotImplementedError

    def discover_schema(self, source_id: str) -> list[Stream]:
        """Streams of a source; JSON schemas only on the Config API."""
        raise NotImplementedError

    # -- destinations --------------------------------------------------------------------------------
    def list_destinations(self, workspace_id: str) -> list[Destination]:
        raise NotImplementedError

    def get_destination(self, destination_id: str) -> Destination:
        raise NotImplementedError

    def create_destination(
        self, workspace_id: str, name: str, definition_id: str, configuration: dict[str, Any]
    ) -> Destination:
        raise NotImplementedError

    def update_destination(
        self,
        destination_id: str,
        *,
        name: str | None = None,
        configuration: dict[str, Any] | None = None,
        replace_configuration: bool = False,
    ) -> Destination:
        """Change name and/or configuration; `replace_configuration` drops fields not sent."""
        raise NotImplementedError

    def delete_destination(self, destination_id: str) -> None:
        raise NotImplementedError

    def get_connector_specification(
        self, kind: Literal["source", "destination"], definition_id: str, workspace_id: str
    ) -> ConnectorSpecification | None:
        """A definition's specification (Config API); None on the public API, which serves none."""
        raise NotImplementedError

    def check_destination(self, destination_id: str) -> CheckResult:
        """Config API only; the public API has no check endpoint (AirbyteApiError)."""
        raise NotImplementedError

    # -- connections ---------------------------------------------------------------------------------
    def list_connections(self, workspace_id: str) -> list[Connection]:
        """All connections with their streams (one call on the Config API, pages on the public API)."""
        raise NotImplementedError

    def get_connection(self, connection_id: str) -> Connection:
        raise NotImplementedError

    def create_connection(
        self,
        source_id: str,
        destination_id: str,
        *,
        name: str,
        streams: Sequence[Stream] | None = None,
        schedule: ConnectionSchedule | None = None,
        status: Literal["active", "inactive"] = "active",
        namespace_definition: NamespaceDefinition = "destination",
        namespace_format: str | None = None,
        prefix: str = "",
    ) -> Connection:
        raise NotImplementedError

    def update_connection(
        self,
        connection_id: str,
        *,
        name: str | None = None,
        status: Literal["active", "inactive"] | None = None,
        schedule: ConnectionSchedule | None = None,
        streams: Sequence[Stream] | None = None,
        namespace_definition: NamespaceDefinition | None = None,
        namespace_format: str | None = None,
        prefix: str | None = None,
    ) -> Connection:
        """Change the given settings; the others (the catalog when `streams` is None) are kept."""
        raise NotImplementedError

    def delete_connection(self, connection_id: str) -> None:
        raise NotImplementedError

    # -- jobs ----------------------------------------------------------------------------------------
    def trigger_sync(self, connection_id: str, *, before_retry: Callable[[], None] | None = None) -> Job:
        """Start a sync; SyncConflictError (not retried) when one is already running.

        `before_retry` runs before each retry of a try whose outcome is unknown (see `Transport.request`).
        """
        raise NotImplementedError

    def trigger_reset(self, connection_id: str) -> Job:
        """Start a reset; SyncConflictError (not retried) when a job is already running."""
        raise NotImplementedError

    def get_job(self, job_id: int) -> Job:
        """The job now; AirbyteJobNotFoundError when Airbyte no longer knows it."""
        raise NotImplementedError

    def list_jobs(
        self,
        *,
        connection_id: str | None = None,
        workspace_id: str | None = None,
        statuses: Iterable[JobStatus | str] | None = None,
        job_type: str | None = "sync",
        updated_after: datetime | None = None,
        created_after: datetime | None = None,
        limit: int | None = None,
    ) -> list[Job]:
        """Jobs newest first; ``job_type=None`` lists every type."""
        raise NotImplementedError

    def cancel_job(self, job_id: int) -> Job:
        """Cancel a job; a job no longer running is returned unchanged."""
        raise NotImplementedError

    def health(self) -> bool:
        """True when Airbyte answers its health check (one try, no retries)."""
        raise NotImplementedError

    def find_running_job(self, connection_id: str) -> Job | None:
        """The newest non-terminal sync job of a connection, or None."""
        running = [s for s in JobStatus if not s.is_terminal]
        jobs = self.list_jobs(connection_id=connection_id, statuses=running, job_type="sync")
        return jobs[0] if jobs else None


_OPERATIONS = tuple(
    name
    for name, value in vars(AirbyteClient).items()
    if callable(value) and not name.startswith("_") and name not in ("close", "find_running_job")
)
