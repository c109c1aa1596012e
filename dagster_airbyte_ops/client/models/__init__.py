"""Typed records of what Airbyte returns, built at the edge of the client.

Each model has two constructors, ``from_config_api`` (``/api/v1``, epoch-second timestamps, nested
``{job, attempts}`` records) and ``from_public_api`` (``/api/public/v1``, ISO-8601 timestamps, flat
records). Nothing past the client touches a raw payload. The ``source`` argument of every constructor
is the API path that produced the payload, so a malformed-payload error can say where it came from
(see ``_parse``).

One module per entity: ``_actors`` (workspaces, definitions, sources, destinations, checks),
``_connections`` (connections, streams, Airbyte's schedule), ``_jobs`` (jobs, attempts, figures).
"""

from ._actors import (
    CheckResult,
    ConnectorSpecification,
    Destination,
    DestinationDefinition,
    Source,
    SourceDefinition,
    Workspace,
    connector_slug,
)
from ._connections import PUBLIC_SYNC_MODES, Connection, ConnectionSchedule, NamespaceDefinition, Stream
from ._jobs import (
    Attempt,
    FailureSummary,
    Job,
    JobStatus,
    StreamStats,
    SyncStats,
    parse_iso_duration_s,
)

__all__ = [
    "PUBLIC_SYNC_MODES",
    "Attempt",
    "CheckResult",
    "Connection",
    "ConnectionSchedule",
    "ConnectorSpecification",
    "Destination",
    "DestinationDefinition",
    "FailureSummary",
    "Job",
    "JobStatus",
    "NamespaceDefinition",
    "Source",
    "SourceDefinition",
    "Stream",
    "StreamStats",
    "SyncStats",
    "Workspace",
    "connector_slug",
    "parse_iso_duration_s",
]
