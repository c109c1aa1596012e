"""What both API flavours share: the operation list, 409 handling, and client-side job filtering.

The Config API and the public API offer the same operations with different paths, verbs, paging and
payloads. :class:`ApiFlavour` fixes the method names and signatures (``AirbyteClient`` delegates to
them one for one) and holds the few pieces of logic that do not depend on the flavour.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from ..errors import AirbyteApiError, SyncConflictError
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
from .transport import Transport

ApiName = Literal["config", "public"]


def conflict_error(exc: AirbyteApiError, connection_id: str, action: str) -> SyncConflictError:
    """A 409 on a trigger, as the error callers catch to attach to the running job."""
    detail = f": {exc.airbyte_message}" if exc.airbyte_message else ""
    return SyncConflictError(
        f"Airbyte refused to {action} connection {connection_id}: a job is already running{detail} "
        f"(attach to the running job instead of triggering another)",
        connection_id=connection_id,
        method=exc.method,
        path=exc.path,
        status=exc.status,
        airbyte_message=exc.airbyte_message,
    )


def as_utc(value: datetime) -> datetime:
    """Naive datetimes are taken as UTC, so filters compare like with like."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def iso_z(value: datetime) -> str:
    """``2024-05-01T12:00:00Z``: the date-time form both APIs accept as a filter."""
    return as_utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def normalise_statuses(statuses: Iterable[JobStatus | str] | None) -> list[JobStatus] | None:
    if statuses is None:
        return None
    out = []
    for status in statuses:
        try:
            out.append(JobStatus(status))
        except ValueError:
            allowed = ", ".join(s.value for s in JobStatus)
            raise ValueError(f"unknown job status {status!r}: use one of {allowed}") from None
    return out


def filter_jobs(
    jobs: Iterable[Job],
    *,
    connection_id: str | None,
    statuses: Sequence[JobStatus] | None,
    job_type: str | None,
    updated_after: datetime | None,
    created_after: datetime | None,
) -> list[Job]:
    """Apply every list_jobs filter locally too, newest first.

    Older Airbyte versions ignore some filters (statuses, time bounds) silently; filtering again here
    makes the result the same on every version.
    """
    kept = []
    for job in jobs:
        if connection_id is not None and job.connection_id != connection_id:
            continue
        if statuses is not None and job.status not in statuses:
            continue
        if job_type is not None and job.job_type != job_type:
            continue
        if updated_after is not None and (job.updated_at or job.created_at) <= as_utc(updated_after):
            continue
        if created_after is not None and job.created_at <= as_utc(created_after):
            continue
        kept.append(job)
    unique = {job.id: job for job in kept}
    return sorted(unique.values(), key=lambda j: (j.created_at, j.id), reverse=True)


class ApiFlavour(abc.ABC):
    """The operations of one Airbyte API flavour over a :class:`Transport`."""

    api: ApiName

    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    def close(self) -> None:
        self.transport.close()

    # -- workspaces and definitions ------------------------------------------------------------------
    @abc.abstractmethod
    def list_workspaces(self) -> list[Workspace]: ...

    @abc.abstractmethod
    def get_workspace(self, workspace_id: str) -> Workspace: ...

    @abc.abstractmethod
    def list_source_definitions(self, workspace_id: str | None = None) -> list[SourceDefinition]: ...

    @abc.abstractmethod
    def list_destination_definitions(
        self, workspace_id: str | None = None
    ) -> list[DestinationDefinition]: ...

    # -- sources -------------------------------------------------------------------------------------
    @abc.abstractmethod
    def list_sources(self, workspace_id: str) -> list[Source]: ...

    @abc.abstractmethod
    def get_source(self, source_id: str) -> Source: ...

    @abc.abstractmethod
    def create_source(
        self, workspace_id: str, name: str, definition_id: str, configuration: dict[str, Any]
    ) -> Source: ...

    @abc.abstractmethod
    def update_source(
        self, source_id: str, *, name: str | None = None, configuration: dict[str, Any] | None = None
    ) -> Source: ...

    @abc.abstractmethod
    def delete_source(self, source_id: str) -> None: ...

    @abc.abstractmethod
    def check_source(self, source_id: str) -> CheckResult: ...

    @abc.abstractmethod
    def discover_schema(self, source_id: str) -> list[Stream]: ...

    # -- destinations --------------------------------------------------------------------------------
    @abc.abstractmethod
    def list_destinations(self, workspace_id: str) -> list[Destination]: ...

    @abc.abstractmethod
    def get_destination(self, destination_id: str) -> Destination: ...

    @abc.abstractmethod
    def create_destination(
        self, workspace_id: str, name: str, definition_id: str, configuration: dict[str, Any]
    ) -> Destination: ...

    @abc.abstractmethod
    def update_destination(
        self, destination_id: str, *, name: str | None = None, configuration: dict[str, Any] | None = None
    ) -> Destination: ...

    @abc.abstractmethod
    def delete_destination(self, destination_id: str) -> None: ...

    @abc.abstractmethod
    def check_destination(self, destination_id: str) -> CheckResult: ...

    # -- connections ---------------------------------------------------------------------------------
    @abc.abstractmethod
    def list_connections(self, workspace_id: str) -> list[Connection]: ...

    @abc.abstractmethod
    def get_connection(self, connection_id: str) -> Connection: ...

    @abc.abstractmethod
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
    ) -> Connection: ...

    @abc.abstractmethod
    def update_connection(
        self,
        connection_id: str,
        *,
        name: str | None = None,
        status: Literal["active", "inactive"] | None = None,
        schedule: ConnectionSchedule | None = None,
    ) -> Connection: ...

    @abc.abstractmethod
    def delete_connection(self, connection_id: str) -> None: ...

    # -- jobs ----------------------------------------------------------------------------------------
    @abc.abstractmethod
    def trigger_sync(self, connection_id: str) -> Job: ...

    @abc.abstractmethod
    def trigger_reset(self, connection_id: str) -> Job: ...

    @abc.abstractmethod
    def get_job(self, job_id: int) -> Job: ...

    @abc.abstractmethod
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
    ) -> list[Job]: ...

    @abc.abstractmethod
    def cancel_job(self, job_id: int) -> Job: ...

    @abc.abstractmethod
    def health(self) -> bool: ...

    def find_running_job(self, connection_id: str) -> Job | None:
        """The newest non-terminal sync job of a connection, or None."""
        running = [s for s in JobStatus if not s.is_terminal]
        jobs = self.list_jobs(connection_id=connection_id, statuses=running, job_type="sync")
        return jobs[0] if jobs else None
