"""The public API flavour (``/api/public/v1`` on OSS, ``https://api.airbyte.com/v1`` on Cloud).

REST verbs, ``limit``/``offset`` paging (at most 100 a page), ISO-8601 timestamps. It is the only API
on Airbyte Cloud. What it cannot give, and what this flavour returns instead:

* per-stream stats, attempts and failure reasons of a job: none (``Job.attempts`` is empty, so
  ``Job.stream_stats`` is empty and ``Job.failure_summary`` None); only the committed totals
  ``rowsSynced``/``bytesSynced``;
* connection checks (``check_source``/``check_destination``): no endpoint; an AirbyteApiError says so;
* JSON schemas of streams: not in connection responses, so ``Stream.json_schema`` is None.
  ``discover_schema`` uses ``GET /streams?sourceId=`` (stream names, sync modes, cursors, keys but
  no JSON schema). Fetching it for every connection on ``list_connections`` would cost one call per
  source, so it is not done there;
* ``basic`` schedules cannot be set (only ``manual``/``cron``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, Literal, TypeVar

from ..errors import AirbyteApiError
from ._client import AirbyteClient
from ._errors import AirbyteJobNotFoundError, AirbyteNotFoundError, conflict_error
from ._job_queries import as_utc, filter_jobs, iso_z, normalise_statuses
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

__all__ = ["PublicApi"]

PUBLIC_API_PAGE_SIZE = 100  # the public API's maximum `limit`

_T = TypeVar("_T")


def _data(payload: Any, path: str, *, bare_array: bool = True) -> list[Any]:
    if bare_array and isinstance(payload, list):  # /streams answers a bare array
        return payload
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), list):
        raise AirbyteApiError(
            f"GET {path}: unexpected response from Airbyte, field 'data' is missing or not an array",
            path=path,
        )
    return list(payload["data"])


class PublicApi(AirbyteClient):
    """Airbyte's public API over a :class:`Transport` whose base URL is the public API root."""

    api = "public"

    page_size = PUBLIC_API_PAGE_SIZE

    # -- plumbing ------------------------------------------------------------------------------------

    def _get(self, path: str, build: Callable[..., _T], params: dict[str, Any] | None = None) -> _T:
        return build(self.transport.request("GET", path, params=params), source=f"GET {path}")

    def _send(self, method: str, path: str, body: dict[str, Any], build: Callable[..., _T]) -> _T:
        return build(self.transport.request(method, path, json=body), source=f"{method} {path}")

    def _pages(self, path: str, params: dict[str, Any], limit: int | None = None) -> Iterable[list[Any]]:
        """Raw pages of a list endpoint: ``limit`` + ``offset`` until a short or empty page."""
        offset = 0
        while True:
            size = self.page_size if limit is None else max(1, min(self.page_size, limit))
            items = _data(
                self.transport.request("GET", path, params={**params, "limit": size, "offset": offset}),
                path,
                bare_array=False,  # paged lists are always {"data": [...]}; a bare array is not Airbyte
            )
            yield items
            if len(items) < size or not items:
                return
            offset += len(items)

    def _list(self, path: str, params: dict[str, Any], build: Callable[..., _T]) -> list[_T]:
        return [build(item, source=f"GET {path}") for page in self._pages(path, params) for item in page]

    # -- workspaces and definitions ------------------------------------------------------------------

    def list_workspaces(self) -> list[Workspace]:
        return self._list("workspaces", {}, Workspace.from_public_api)

    def get_workspace(self, workspace_id: str) -> Workspace:
        return self._get(f"workspaces/{workspace_id}", Workspace.from_public_api)

    def _workspace_or_only(self, workspace_id: str | None) -> str:
        if workspace_id is not None:
            return workspace_id
        workspaces = self.list_workspaces()
        if len(workspaces) != 1:
            raise AirbyteApiError(
                f"the public API lists definitions per workspace and {len(workspaces)} workspaces exist: "
                "pass workspace_id"
            )
        return workspaces[0].id

    def list_source_definitions(self, workspace_id: str | None = None) -> list[SourceDefinition]:
        """Definitions of the workspace (the only workspace when none is given)."""
        path = f"workspaces/{self._workspace_or_only(workspace_id)}/definitions/sources"
        payload = self.transport.request("GET", path)
        return [SourceDefinition.from_public_api(item, source=f"GET {path}") for item in _data(payload, path)]

    def list_destination_definitions(self, workspace_id: str | None = None) -> list[DestinationDefinition]:
        path = f"workspaces/{self._workspace_or_only(workspace_id)}/definitions/destinations"
        payload = self.transport.request("GET", path)
        return [
            DestinationDefinition.from_public_api(item, source=f"GET {path}") for item in _data(payload, path)
        ]

    def _create_actor(
        self,
        collection: str,
        workspace_id: str,
        name: str,
        definition_id: str,
        configuration: dict[str, Any],
        parse: Callable[..., _T],
    ) -> _T:
        body = {"workspaceId": workspace_id, "name": name, "definitionId": definition_id}
        return self._send("POST", collection, {**body, "configuration": configuration}, parse)

    def _update_actor(
        self,
        path: str,
        name: str | None,
        configuration: dict[str, Any] | None,
        current_name: Callable[[], str] | None,
        parse: Callable[..., _T],
    ) -> _T:
        """PATCH what is given; with ``current_name`` (a full replace), PUT the configuration whole.

        PUT needs a name, so an unchanged one is read back from Airbyte."""
        body: dict[str, Any] = {}
        if name is not None:
            body["name"] = name
        if configuration is not None:
            body["configuration"] = configuration
        if current_name is not None and configuration is not None:
            body.setdefault("name", current_name())
            return self._send("PUT", path, body, parse)
        return self._send("PATCH", path, body, parse)

    # -- sources -------------------------------------------------------------------------------------

    def list_sources(self, workspace_id: str) -> list[Source]:
        return self._list("sources", {"workspaceIds": [workspace_id]}, Source.from_public_api)

    def get_source(self, source_id: str) -> Source:
        return self._get(f"sources/{source_id}", Source.from_public_api)

    def create_source(
        self, workspace_id: str, name: str, definition_id: str, configuration: dict[str, Any]
    ) -> Source:
        return self._create_actor(
            "sources", workspace_id, name, definition_id, configuration, Source.from_public_api
        )

    def update_source(
        self,
        source_id: str,
        *,
        name: str | None = None,
        configuration: dict[str, Any] | None = None,
        replace_configuration: bool = False,
    ) -> Source:
        current_name = (lambda: self.get_source(source_id).name) if replace_configuration else None
        return self._update_actor(
            f"sources/{source_id}", name, configuration, current_name, Source.from_public_api
        )

    def delete_source(self, source_id: str) -> None:
        self.transport.request("DELETE", f"sources/{source_id}")

    def _no_check(self, kind: str, actor_id: str) -> CheckResult:
        raise AirbyteApiError(
            f"cannot check {kind} {actor_id}: the public API has no connection-check endpoint; "
            "use api='config' (Airbyte OSS) to run checks",
        )

    def check_source(self, source_id: str) -> CheckResult:
        """Not offered by the public API: raises AirbyteApiError."""
        return self._no_check("source", source_id)

    def discover_schema(self, source_id: str) -> list[Stream]:
        """Streams from ``GET /streams?sourceId=`` (fresh, ``ignoreCache``); no JSON schemas."""
        path = "streams"
        payload = self.transport.request("GET", path, params={"sourceId": source_id, "ignoreCache": "true"})
        return [
            Stream.from_public_stream_properties(item, source=f"GET {path}") for item in _data(payload, path)
        ]

    # -- destinations --------------------------------------------------------------------------------

    def list_destinations(self, workspace_id: str) -> list[Destination]:
        return self._list("destinations", {"workspaceIds": [workspace_id]}, Destination.from_public_api)

    def get_destination(self, destination_id: str) -> Destination:
        return self._get(f"destinations/{destination_id}", Destination.from_public_api)

    def create_destination(
        self, workspace_id: str, name: str, definition_id: str, configuration: dict[str, Any]
    ) -> Destination:
        return self._create_actor(
            "destinations", workspace_id, name, definition_id, configuration, Destination.from_public_api
        )

    def update_destination(
        self,
        destination_id: str,
        *,
        name: str | None = None,
        configuration: dict[str, Any] | None = None,
        replace_configuration: bool = False,
    ) -> Destination:
        current_name = (lambda: self.get_destination(destination_id).name) if replace_configuration else None
        return self._update_actor(
            f"destinations/{destination_id}", name, configuration, current_name, Destination.from_public_api
        )

    def delete_destination(self, destination_id: str) -> None:
        self.transport.request("DELETE", f"destinations/{destination_id}")

    def get_connector_specification(
        self, kind: Literal["source", "destination"], definition_id: str, workspace_id: str
    ) -> ConnectorSpecification | None:
        """The public API serves no connector specifications (it lists definitions only): None."""
        return None

    def check_destination(self, destination_id: str) -> CheckResult:
        """Not offered by the public API: raises AirbyteApiError."""
        return self._no_check("destination", destination_id)

    # -- connections ---------------------------------------------------------------------------------

    def list_connections(self, workspace_id: str) -> list[Connection]:
        """Every connection of the workspace, 100 a page. Streams carry no JSON schema."""
        return self._list("connections", {"workspaceIds": [workspace_id]}, Connection.from_public_api)

    def get_connection(self, connection_id: str) -> Connection:
        return self._get(f"connections/{connection_id}", Connection.from_public_api)

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
        """Create a connection; without ``streams`` Airbyte selects every stream with its defaults."""
        body: dict[str, Any] = {
            "sourceId": source_id,
            "destinationId": destination_id,
            "name": name,
            "status": status,
            "namespaceDefinition": "custom_format"
            if namespace_definition == "customformat"
            else namespace_definition,
            "prefix": prefix,
            "schedule": (schedule or ConnectionSchedule()).to_public_api(),
        }
        if namespace_format is not None:
            body["namespaceFormat"] = namespace_format
        if streams is not None:
            body["configurations"] = {"streams": [s.to_public_api() for s in streams if s.selected]}
        return self._send("POST", "connections", body, Connection.from_public_api)

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
        body: dict[str, Any] = {}
        if name is not None:
            body["name"] = name
        if status is not None:
            body["status"] = status
        if schedule is not None:
            body["schedule"] = schedule.to_public_api()
        if streams is not None:
            body["configurations"] = {"streams": [s.to_public_api() for s in streams if s.selected]}
        if namespace_definition is not None:
            body["namespaceDefinition"] = (
                "custom_format" if namespace_definition == "customformat" else namespace_definition
            )
        if namespace_format is not None:
            body["namespaceFormat"] = namespace_format
        if prefix is not None:
            body["prefix"] = prefix
        return self._send("PATCH", f"connections/{connection_id}", body, Connection.from_public_api)

    def delete_connection(self, connection_id: str) -> None:
        self.transport.request("DELETE", f"connections/{connection_id}")

    # -- jobs ----------------------------------------------------------------------------------------

    def _trigger(
        self, connection_id: str, job_type: str, action: str, before_retry: Callable[[], None] | None = None
    ) -> Job:
        body = {"connectionId": connection_id, "jobType": job_type}
        try:
            payload = self.transport.request("POST", "jobs", json=body, before_retry=before_retry)
        except AirbyteApiError as exc:
            if exc.status == 409:
                # Airbyte answers 409 both to a second sync (try-again-later) and to a connection that
                # is not active (state-conflict, "Could not fulfill request"): only the first is a job
                # to attach to; the second is read as the connection's status.
                state_conflict = (exc.airbyte_message or "").startswith("state-conflict")
                status = self._connection_status(connection_id) if state_conflict else None
                if status not in (None, "active"):
                    raise AirbyteApiError(
                        f"Connection {connection_id} is {status}; only active connections can be synced "
                        f"(Airbyte refused to {action} it: {exc.airbyte_message or 'HTTP 409'})",
                        method=exc.method,
                        path=exc.path,
                        status=exc.status,
                        airbyte_message=exc.airbyte_message,
                    ) from None
                raise conflict_error(exc, connection_id, action) from None
            raise
        return Job.from_public_api(payload, source="POST jobs")

    def _connection_status(self, connection_id: str) -> str | None:
        """The connection's status, or None when it cannot be read (the 409 then stands as it is)."""
        try:
            return self.get_connection(connection_id).status
        except AirbyteApiError:
            return None

    def trigger_sync(self, connection_id: str, *, before_retry: Callable[[], None] | None = None) -> Job:
        """Start a sync. Raises SyncConflictError (409, not retried) if one is already running."""
        return self._trigger(connection_id, "sync", "sync", before_retry)

    def trigger_reset(self, connection_id: str) -> Job:
        """Start a reset of the connection's data. 409 -> SyncConflictError."""
        return self._trigger(connection_id, "reset", "reset")

    def get_job(self, job_id: int) -> Job:
        """The job's status and committed totals (no attempts or per-stream stats on this API)."""
        try:
            return self._get(f"jobs/{int(job_id)}", Job.from_public_api)
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

        The API filters by one status at a time: with several, they are filtered locally.
        """
        wanted = normalise_statuses(statuses)
        params: dict[str, Any] = {"orderBy": "createdAt|DESC"}
        if connection_id is not None:
            params["connectionId"] = connection_id
        if workspace_id is not None:
            params["workspaceIds"] = [workspace_id]
        if job_type is not None:
            params["jobType"] = job_type
        if wanted is not None and len(wanted) == 1:
            params["status"] = wanted[0].value
        if updated_after is not None:
            params["updatedAtStart"] = iso_z(updated_after)
        if created_after is not None:
            params["createdAtStart"] = iso_z(created_after)

        source = "GET jobs"
        found: list[Job] = []
        seen: set[int] = set()
        matched: list[Job] = []
        for page in self._pages("jobs", params, limit=None if wanted and len(wanted) > 1 else limit):
            jobs = [Job.from_public_api(item, source=source) for item in page]
            fresh = [job for job in jobs if job.id not in seen]
            seen.update(job.id for job in jobs)
            found.extend(fresh)
            matched = filter_jobs(
                found,
                connection_id=connection_id,
                statuses=wanted,
                job_type=job_type,
                updated_after=updated_after,
                created_after=created_after,
            )
            if limit is not None and len(matched) >= limit:
                return matched[:limit]
            if jobs and not fresh:
                break  # the server ignores offset: we have everything
            if (
                created_after is not None
                and jobs
                and all(j.created_at <= as_utc(created_after) for j in jobs)
            ):
                break
        return matched

    def cancel_job(self, job_id: int) -> Job:
        """Cancel a job (``DELETE /jobs/{id}``); a job that is not running (409) is returned as it is."""
        try:
            path = f"jobs/{int(job_id)}"
            return Job.from_public_api(self.transport.request("DELETE", path), source=f"DELETE {path}")
        except AirbyteApiError as exc:
            if exc.status != 409:
                raise
        return self.get_job(job_id)

    def health(self) -> bool:
        """``GET /health`` answers 200 when Airbyte is up; one try, no retries."""
        try:
            self.transport.request("GET", "health", max_retries=0, expect_json=False)
        except AirbyteApiError as exc:
            if exc.status in (401, 403):
                raise
            return False
        return True
