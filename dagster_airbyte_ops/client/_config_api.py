"""The Config API flavour (``/api/v1``): every call a POST with a JSON body.

This is the API Airbyte's own UI uses; it is the richer of the two: connection catalogs with JSON
schemas in one ``connections/list`` call, per-stream stats and failure reasons in ``jobs/get``,
connection checks and schema discovery.

Version differences handled here:

* ``workspaces/list`` was removed in Airbyte 1.7 (``list_paginated`` replaces it), which old versions
  lack: the first call tries one, falls back to the other on 404/405 and remembers which works; the
  same for ``sources/`` and ``destinations/list_paginated``.
* ``sources/partial_update`` falls back to ``sources/update`` (with the current values filled in).
* Job filters the server does not know are applied again locally (see ``_job_queries.filter_jobs``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from functools import partial
from typing import Any, Literal, TypeVar

from ..errors import AirbyteApiError
from ._client import AirbyteClient
from ._config_paging import CONFIG_API_PAGE_SIZE, MISSING_ENDPOINT, items, jobs_request, page_jobs, paginate
from ._errors import AirbyteJobNotFoundError, AirbyteNotFoundError, conflict_error
from ._job_queries import filter_jobs, normalise_statuses
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

__all__ = ["ConfigApi"]

_T = TypeVar("_T")


class ConfigApi(AirbyteClient):
    """Airbyte's Config API over a :class:`Transport` whose base URL ends in ``/api/v1``."""

    api = "config"

    page_size = CONFIG_API_PAGE_SIZE

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._paginated: dict[str, bool] = {}  # endpoint family -> does list_paginated exist here?

    # -- plumbing ------------------------------------------------------------------------------------

    def _post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return self.transport.post(path, body or {})

    def _read(self, path: str, body: dict[str, Any], build: Callable[..., _T]) -> _T:
        return build(self._post(path, body), source=path)

    def _read_list(self, path: str, body: dict[str, Any], key: str, build: Callable[..., _T]) -> list[_T]:
        return [build(item, source=path) for item in items(self._post(path, body), key, path)]

    def _paginated_or_plain(
        self,
        family: str,
        paginated: tuple[str, dict[str, Any]],
        plain: tuple[str, dict[str, Any]],
        key: str,
        build: Callable[..., _T],
    ) -> list[_T]:
        """Use ``*_list_paginated`` where it exists, else the plain list; remember which works."""
        if self._paginated.get(family, True):
            try:
                result = paginate(self._post, self.page_size, *paginated, key, build)
            except AirbyteApiError as exc:
                if exc.status not in MISSING_ENDPOINT:
                    raise
                self._paginated[family] = False
            else:
                self._paginated[family] = True
                return result
        return self._read_list(plain[0], plain[1], key, build)

    # -- workspaces and definitions ------------------------------------------------------------------

    def list_workspaces(self) -> list[Workspace]:
        """All workspaces: ``workspaces/list_paginated``, else ``workspaces/list`` (Airbyte < 1.7)."""
        workspaces = self._paginated_or_plain(
            "workspaces",
            ("workspaces/list_paginated", {"workspaceIds": []}),
            ("workspaces/list", {}),
            "workspaces",
            Workspace.from_config_api,
        )
        if not workspaces and self._paginated.get("workspaces"):
            # Some versions read an empty workspaceIds as "none of them"; the plain list knows better.
            try:
                workspaces = self._read_list("workspaces/list", {}, "workspaces", Workspace.from_config_api)
            except AirbyteApiError as exc:
                if exc.status not in MISSING_ENDPOINT:
                    raise
        return workspaces

    def get_workspace(self, workspace_id: str) -> Workspace:
        return self._read("workspaces/get", {"workspaceId": workspace_id}, Workspace.from_config_api)

    def list_source_definitions(self, workspace_id: str | None = None) -> list[SourceDefinition]:
        """Definitions usable in the workspace (all of the instance when no workspace is given)."""
        if workspace_id is None:
            return self._read_list(
                "source_definitions/list", {}, "sourceDefinitions", SourceDefinition.from_config_api
            )
        return self._read_list(
            "source_definitions/list_for_workspace",
            {"workspaceId": workspace_id},
            "sourceDefinitions",
            SourceDefinition.from_config_api,
        )

    def list_destination_definitions(self, workspace_id: str | None = None) -> list[DestinationDefinition]:
        if workspace_id is None:
            return self._read_list(
                "destination_definitions/list",
                {},
                "destinationDefinitions",
                DestinationDefinition.from_config_api,
            )
        return self._read_list(
            "destination_definitions/list_for_workspace",
            {"workspaceId": workspace_id},
            "destinationDefinitions",
            DestinationDefinition.from_config_api,
        )

    # -- sources -------------------------------------------------------------------------------------

    def list_sources(self, workspace_id: str) -> list[Source]:
        return self._paginated_or_plain(
            "sources",
            ("sources/list_paginated", {"workspaceIds": [workspace_id]}),
            ("sources/list", {"workspaceId": workspace_id}),
            "sources",
            Source.from_config_api,
        )

    def get_source(self, source_id: str) -> Source:
        return self._read("sources/get", {"sourceId": source_id}, Source.from_config_api)

    def create_source(
        self, workspace_id: str, name: str, definition_id: str, configuration: dict[str, Any]
    ) -> Source:
        body = {
            "workspaceId": workspace_id,
            "name": name,
            "sourceDefinitionId": definition_id,
            "connectionConfiguration": configuration,
        }
        return self._read("sources/create", body, Source.from_config_api)

    def update_source(
        self,
        source_id: str,
        *,
        name: str | None = None,
        configuration: dict[str, Any] | None = None,
        replace_configuration: bool = False,
    ) -> Source:
        """Change name and/or configuration; unspecified values are kept."""
        body: dict[str, Any] = {"sourceId": source_id}
        if name is not None:
            body["name"] = name
        if configuration is not None:
            body["connectionConfiguration"] = configuration
        if replace_configuration and configuration is not None:
            current = self.get_source(source_id)
            body.setdefault("name", current.name)
            return self._read("sources/update", body, Source.from_config_api)
        try:
            return self._read("sources/partial_update", body, Source.from_config_api)
        except AirbyteApiError as exc:
            if exc.status not in MISSING_ENDPOINT:
                raise
        current = self.get_source(source_id)  # 404 here means the source really is unknown
        full = {
            "sourceId": source_id,
            "name": name if name is not None else current.name,
            "connectionConfiguration": configuration
            if configuration is not None
            else current.configuration or {},
        }
        return self._read("sources/update", full, Source.from_config_api)

    def delete_source(self, source_id: str) -> None:
        self._post("sources/delete", {"sourceId": source_id})

    def check_source(self, source_id: str) -> CheckResult:
        return self._read("sources/check_connection", {"sourceId": source_id}, CheckResult.from_config_api)

    def discover_schema(self, source_id: str) -> list[Stream]:
        """The source's streams as Airbyte discovers them now (``disable_cache``), with JSON schemas."""
        path = "sources/discover_schema"
        payload = self._post(path, {"sourceId": source_id, "disable_cache": True})
        catalog = payload.get("catalog") if isinstance(payload, dict) else None
        if not isinstance(catalog, dict):
            job_info = payload.get("jobInfo") if isinstance(payload, dict) else None
            reason = job_info.get("failureReason") if isinstance(job_info, dict) else None
            message = reason.get("externalMessage") if isinstance(reason, dict) else None
            raise AirbyteApiError(
                f"POST {path}: Airbyte could not discover the schema of source {source_id}"
                + (f": {message}" if message else " (no catalog in the response)")
                + "; check the source's configuration with check_source",
                method="POST",
                path=path,
                airbyte_message=message,
            )
        return [Stream.from_config_api(item, source=path) for item in items(catalog, "streams", path)]

    # -- destinations --------------------------------------------------------------------------------

    def list_destinations(self, workspace_id: str) -> list[Destination]:
        return self._paginated_or_plain(
            "destinations",
            ("destinations/list_paginated", {"workspaceIds": [workspace_id]}),
            ("destinations/list", {"workspaceId": workspace_id}),
            "destinations",
            Destination.from_config_api,
        )

    def get_destination(self, destination_id: str) -> Destination:
        return self._read("destinations/get", {"destinationId": destination_id}, Destination.from_config_api)

    def create_destination(
        self, workspace_id: str, name: str, definition_id: str, configuration: dict[str, Any]
    ) -> Destination:
        body = {
            "workspaceId": workspace_id,
            "name": name,
            "destinationDefinitionId": definition_id,
            "connectionConfiguration": configuration,
        }
        return self._read("destinations/create", body, Destination.from_config_api)

    def update_destination(
        self,
        destination_id: str,
        *,
        name: str | None = None,
        configuration: dict[str, Any] | None = None,
        replace_configuration: bool = False,
    ) -> Destination:
        body: dict[str, Any] = {"destinationId": destination_id}
        if name is not None:
            body["name"] = name
        if configuration is not None:
            body["connectionConfiguration"] = configuration
        if replace_configuration and configuration is not None:
            current = self.get_destination(destination_id)
            body.setdefault("name", current.name)
            return self._read("destinations/update", body, Destination.from_config_api)
        try:
            return self._read("destinations/partial_update", body, Destination.from_config_api)
        except AirbyteApiError as exc:
            if exc.status not in MISSING_ENDPOINT:
                raise
        current = self.get_destination(destination_id)
        full = {
            "destinationId": destination_id,
            "name": name if name is not None else current.name,
            "connectionConfiguration": configuration
            if configuration is not None
            else current.configuration or {},
        }
        return self._read("destinations/update", full, Destination.from_config_api)

    def delete_destination(self, destination_id: str) -> None:
        self._post("destinations/delete", {"destinationId": destination_id})

    def get_connector_specification(
        self, kind: Literal["source", "destination"], definition_id: str, workspace_id: str
    ) -> ConnectorSpecification | None:
        path = f"{kind}_definition_specifications/get"
        body = {f"{kind}DefinitionId": definition_id, "workspaceId": workspace_id}
        payload = self._post(path, body)
        return ConnectorSpecification.from_config_api(payload, kind=kind, source=f"POST {path}")

    def check_destination(self, destination_id: str) -> CheckResult:
        return self._read(
            "destinations/check_connection", {"destinationId": destination_id}, CheckResult.from_config_api
        )

    # -- connections ---------------------------------------------------------------------------------

    def list_connections(self, workspace_id: str) -> list[Connection]:
        """Every connection of the workspace with its full catalog, in one ``connections/list`` call."""
        return self._read_list(
            "connections/list", {"workspaceId": workspace_id}, "connections", Connection.from_config_api
        )

    def get_connection(self, connection_id: str) -> Connection:
        return self._read("connections/get", {"connectionId": connection_id}, Connection.from_config_api)

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
        """Create a connection; without ``streams``, every discovered stream of the source is synced."""
        if streams is None:
            streams = self.discover_schema(source_id)
        body: dict[str, Any] = {
            "sourceId": source_id,
            "destinationId": destination_id,
            "name": name,
            "status": status,
            "namespaceDefinition": namespace_definition,
            "prefix": prefix,
            "syncCatalog": {"streams": [s.to_config_api() for s in streams]},
            **(schedule or ConnectionSchedule()).to_config_api(),
        }
        if namespace_format is not None:
            body["namespaceFormat"] = namespace_format
        return self._read("connections/create", body, Connection.from_config_api)

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
        body: dict[str, Any] = {"connectionId": connection_id}
        if name is not None:
            body["name"] = name
        if status is not None:
            body["status"] = status
        if schedule is not None:
            body.update(schedule.to_config_api())
        if streams is not None:
            body["syncCatalog"] = {"streams": [s.to_config_api() for s in streams]}
        if namespace_definition is not None:
            body["namespaceDefinition"] = namespace_definition
        if namespace_format is not None:
            body["namespaceFormat"] = namespace_format
        if prefix is not None:
            body["prefix"] = prefix
        return self._read("connections/update", body, Connection.from_config_api)

    def delete_connection(self, connection_id: str) -> None:
        self._post("connections/delete", {"connectionId": connection_id})

    # -- jobs ----------------------------------------------------------------------------------------

    def _trigger(
        self, path: str, connection_id: str, action: str, before_retry: Callable[[], None] | None = None
    ) -> Job:
        try:
            payload = self.transport.request(
                "POST", path, json={"connectionId": connection_id}, before_retry=before_retry
            )
        except AirbyteApiError as exc:
            if exc.status == 409:
                raise conflict_error(exc, connection_id, action) from None
            raise
        return Job.from_config_api(payload, source=path)

    def trigger_sync(self, connection_id: str, *, before_retry: Callable[[], None] | None = None) -> Job:
        """Start a sync. Raises SyncConflictError (409, not retried) if one is already running."""
        return self._trigger("connections/sync", connection_id, "sync", before_retry)

    def trigger_reset(self, connection_id: str) -> Job:
        """Start a reset (clear) of the connection's data. 409 -> SyncConflictError."""
        return self._trigger("connections/reset", connection_id, "reset")

    def get_job(self, job_id: int) -> Job:
        """The job with its attempts, per-stream stats and failure reasons."""
        try:
            return self._read("jobs/get", {"id": int(job_id)}, Job.from_config_api)
        except AirbyteNotFoundError as exc:
            raise AirbyteJobNotFoundError.of(job_id, exc) from None

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
        """Jobs newest first, every page followed (or until ``limit`` jobs matched).

        With neither ``connection_id`` nor ``workspace_id``, jobs of every workspace are listed.
        """
        wanted = normalise_statuses(statuses)
        path, body = jobs_request(
            connection_id=connection_id,
            workspace_ids=None if connection_id is not None or workspace_id is None else [workspace_id],
            list_workspaces=lambda: [w.id for w in self.list_workspaces()],
            statuses=wanted,
            job_type=job_type,
            updated_after=updated_after,
            created_after=created_after,
        )
        keep = partial(filter_jobs, connection_id=connection_id, statuses=wanted, job_type=job_type)
        keep = partial(keep, updated_after=updated_after, created_after=created_after)
        size = self.page_size if limit is None else max(1, min(self.page_size, limit))
        return page_jobs(self._post, size, path, body, keep, limit=limit, created_after=created_after)

    def cancel_job(self, job_id: int) -> Job:
        """Cancel a job; a job that is no longer running (409) is returned as it is."""
        try:
            return self._read("jobs/cancel", {"id": int(job_id)}, Job.from_config_api)
        except AirbyteApiError as exc:
            if exc.status != 409:
                raise
        return self.get_job(job_id)

    def health(self) -> bool:
        """``GET /api/v1/health`` answers ``{available: true}``; one try, no retries."""
        try:
            payload = self.transport.request("GET", "health", max_retries=0)
        except AirbyteApiError as exc:
            if exc.status in (401, 403):
                raise
            return False
        return bool(payload.get("available")) if isinstance(payload, dict) else False
