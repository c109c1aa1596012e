"""``AirbyteClient``: one interface over Airbyte's two HTTP APIs.

It picks the API flavour and the auth strategy from its arguments, builds one :class:`Transport`, and
delegates every operation to :class:`ConfigApi` or :class:`PublicApi` under the same method name.

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
from collections.abc import Iterable, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Literal
from urllib.parse import urlsplit

from ..errors import ConfigError
from ._base import ApiFlavour, ApiName
from .config_api import ConfigApi
from .models import (
    CheckResult,
    Connection,
    ConnectionSchedule,
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
from .public_api import PublicApi
from .transport import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_REQUEST_TIMEOUT_S,
    DEFAULT_RETRY_BACKOFF_S,
    Auth,
    BasicAuth,
    BearerAuth,
    ClientCredentialsAuth,
    Transport,
)

__all__ = ["CLOUD_PUBLIC_API_URL", "AirbyteClient", "build_auth", "resolve_api"]

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


class AirbyteClient:
    """Talk to Airbyte (OSS or Cloud) through its Config API or public API.

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
        root = (url or "").rstrip("/")
        if root.endswith(PUBLIC_API_PATH):
            public_api_url = public_api_url or root
            root = root[: -len(PUBLIC_API_PATH)]
        elif root.endswith(CONFIG_API_PATH):
            root = root[: -len(CONFIG_API_PATH)]
        if not root and not public_api_url:
            raise ConfigError(
                "url: give Airbyte's server root (e.g. http://localhost:8000) or public_api_url"
            )
        if public_api_url is None:
            public_api_url = CLOUD_PUBLIC_API_URL if _is_cloud(root) else root + PUBLIC_API_PATH
        self.url = root
        self.public_api_url = public_api_url.rstrip("/")
        self.api: ApiName = resolve_api(
            api, root or None, self.public_api_url if not root else public_api_url
        )
        if self.api == "config" and not root:
            raise ConfigError("api='config' needs url (Airbyte's server root, e.g. http://localhost:8000)")
        auth = build_auth(
            token_url=self.public_api_url + TOKEN_PATH,
            username=username,
            password=password,
            token=token,
            client_id=client_id,
            client_secret=client_secret,
        )
        base_url = root + CONFIG_API_PATH if self.api == "config" else self.public_api_url
        self.transport = Transport(
            base_url,
            auth=auth,
            request_timeout_s=request_timeout_s,
            max_retries=max_retries,
            retry_backoff_s=retry_backoff_s,
            verify_tls=verify_tls,
            logger=logger,
        )
        self.flavour: ApiFlavour = (
            ConfigApi(self.transport) if self.api == "config" else PublicApi(self.transport)
        )

    def __repr__(self) -> str:
        return f"AirbyteClient(api={self.api!r}, url={self.url!r}, auth={self.transport.auth!r})"

    def close(self) -> None:
        """Close the HTTP session."""
        self.flavour.close()

    def __enter__(self) -> AirbyteClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- workspaces and definitions ------------------------------------------------------------------

    def list_workspaces(self) -> list[Workspace]:
        return self.flavour.list_workspaces()

    def get_workspace(self, workspace_id: str) -> Workspace:
        return self.flavour.get_workspace(workspace_id)

    def list_source_definitions(self, workspace_id: str | None = None) -> list[SourceDefinition]:
        return self.flavour.list_source_definitions(workspace_id)

    def list_destination_definitions(self, workspace_id: str | None = None) -> list[DestinationDefinition]:
        return self.flavour.list_destination_definitions(workspace_id)

    # -- sources -------------------------------------------------------------------------------------

    def list_sources(self, workspace_id: str) -> list[Source]:
        return self.flavour.list_sources(workspace_id)

    def get_source(self, source_id: str) -> Source:
        return self.flavour.get_source(source_id)

    def create_source(
        self, workspace_id: str, name: str, definition_id: str, configuration: dict[str, Any]
    ) -> Source:
        return self.flavour.create_source(workspace_id, name, definition_id, configuration)

    def update_source(
        self, source_id: str, *, name: str | None = None, configuration: dict[str, Any] | None = None
    ) -> Source:
        return self.flavour.update_source(source_id, name=name, configuration=configuration)

    def delete_source(self, source_id: str) -> None:
        self.flavour.delete_source(source_id)

    def check_source(self, source_id: str) -> CheckResult:
        """Config API only; the public API has no check endpoint (AirbyteApiError)."""
        return self.flavour.check_source(source_id)

    def discover_schema(self, source_id: str) -> list[Stream]:
        """Streams of a source; JSON schemas only on the Config API."""
        return self.flavour.discover_schema(source_id)

    # -- destinations --------------------------------------------------------------------------------

    def list_destinations(self, workspace_id: str) -> list[Destination]:
        return self.flavour.list_destinations(workspace_id)

    def get_destination(self, destination_id: str) -> Destination:
        return self.flavour.get_destination(destination_id)

    def create_destination(
        self, workspace_id: str, name: str, definition_id: str, configuration: dict[str, Any]
    ) -> Destination:
        return self.flavour.create_destination(workspace_id, name, definition_id, configuration)

    def update_destination(
        self, destination_id: str, *, name: str | None = None, configuration: dict[str, Any] | None = None
    ) -> Destination:
        return self.flavour.update_destination(destination_id, name=name, configuration=configuration)

    def delete_destination(self, destination_id: str) -> None:
        self.flavour.delete_destination(destination_id)

    def check_destination(self, destination_id: str) -> CheckResult:
        """Config API only; the public API has no check endpoint (AirbyteApiError)."""
        return self.flavour.check_destination(destination_id)

    # -- connections ---------------------------------------------------------------------------------

    def list_connections(self, workspace_id: str) -> list[Connection]:
        """All connections with their streams (one call on the Config API, pages on the public API)."""
        return self.flavour.list_connections(workspace_id)

    def get_connection(self, connection_id: str) -> Connection:
        return self.flavour.get_connection(connection_id)

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
        return self.flavour.create_connection(
            source_id,
            destination_id,
            name=name,
            streams=streams,
            schedule=schedule,
            status=status,
            namespace_definition=namespace_definition,
            namespace_format=namespace_format,
            prefix=prefix,
        )

    def update_connection(
        self,
        connection_id: str,
        *,
        name: str | None = None,
        status: Literal["active", "inactive"] | None = None,
        schedule: ConnectionSchedule | None = None,
    ) -> Connection:
        return self.flavour.update_connection(connection_id, name=name, status=status, schedule=schedule)

    def delete_connection(self, connection_id: str) -> None:
        self.flavour.delete_connection(connection_id)

    # -- jobs ----------------------------------------------------------------------------------------

    def trigger_sync(self, connection_id: str) -> Job:
        """Start a sync; SyncConflictError (not retried) when one is already running."""
        return self.flavour.trigger_sync(connection_id)

    def trigger_reset(self, connection_id: str) -> Job:
        """Start a reset; SyncConflictError (not retried) when a job is already running."""
        return self.flavour.trigger_reset(connection_id)

    def get_job(self, job_id: int) -> Job:
        return self.flavour.get_job(job_id)

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
        return self.flavour.list_jobs(
            connection_id=connection_id,
            workspace_id=workspace_id,
            statuses=statuses,
            job_type=job_type,
            updated_after=updated_after,
            created_after=created_after,
            limit=limit,
        )

    def cancel_job(self, job_id: int) -> Job:
        """Cancel a job; a job no longer running is returned unchanged."""
        return self.flavour.cancel_job(job_id)

    def find_running_job(self, connection_id: str) -> Job | None:
        """The newest non-terminal sync job of the connection (to attach to after a 409), or None."""
        return self.flavour.find_running_job(connection_id)

    def health(self) -> bool:
        """True when Airbyte answers its health check (one try, no retries)."""
        return self.flavour.health()
