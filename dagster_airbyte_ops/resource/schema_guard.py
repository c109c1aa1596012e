"""Why Airbyte refused or cancelled a sync when a schema change disabled the connection, and the fix.

Airbyte disables a connection on a breaking schema change (and on any change under the `disable`
preference); a sync of it is refused at once, and a sync already started ends `cancelled` when the
discover Airbyte runs first finds the change. Either way the step fails with this explanation: the
change (from what Airbyte stores, no discover) and what to do about it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import dagster as dg

from ..client import AirbyteClient
from ..client._jobs_extra import ConnectionInactiveError, schema_report
from ..client._schema import SchemaReport
from ..client.models import Job
from ..errors import AirbyteApiError, SyncFailedError

log = logging.getLogger(__name__)

FIX = (
    "To fix: review the change in Airbyte (the connection's Schema tab, 'Review changes') and enable the "
    "connection again; if the connection is managed as code, update its streams in the file and apply it. "
    "Then refresh the affected streams (airbyte-ops refresh {name} --streams ...) if their data must be "
    "re-read."
)


def read_report(client: AirbyteClient, connection_id: str) -> SchemaReport | None:
    """The schema report, or None when Airbyte cannot be read now (the caller explains without it)."""
    try:
        return schema_report(client, connection_id)
    except AirbyteApiError as error:
        log.warning("Could not read the schema state of connection %s: %s", connection_id, error)
        return None


def explain_disabled(report: SchemaReport | None, connection_id: str, name: str | None = None) -> str:
    """The failure message for a sync of a connection Airbyte will not run."""
    label = name or (report.connection_name if report else None) or connection_id
    status = report.status if report else "inactive"
    head = f"Connection {label} ({connection_id}) is {status}; only active connections can be synced."
    fix = FIX.format(name=f'"{label}"')
    if report is not None and report.breaking:
        return (
            f"{head} Airbyte disabled it because of a breaking schema change: {report.summary()}. "
            f"Nothing was synced. {fix}"
        )
    if report is not None and report.disabled and report.schema_change == "non_breaking":
        return (
            f"{head} Airbyte disabled it because its source's schema changed ({report.summary()}) and its "
            f"preference for non-breaking changes is to disable the connection. Nothing was synced. {fix}"
        )
    if report is not None and report.schema_change is None and status == "inactive":
        return (
            f"{head} Airbyte disables a connection by hand or on a breaking schema change (the public API "
            f"does not say which; the Config API does). Nothing was synced. {fix}"
        )
    return f"{head} Enable it in Airbyte (or in its file, if managed as code). Nothing was synced."


def inactive_failure(
    client: AirbyteClient, connection_id: str, error: ConnectionInactiveError
) -> SyncFailedError:
    """The error for a sync Airbyte refused because the connection is not active."""
    return SyncFailedError(
        explain_disabled(read_report(client, connection_id), connection_id),
        metadata={
            "airbyte/connection_id": dg.MetadataValue.text(connection_id),
            "airbyte/failure_reason": dg.MetadataValue.text(str(error)),
        },
    )


def cancelled_error(
    client: AirbyteClient,
    job: Job,
    connection_id: str,
    url: str,
    job_metadata: Callable[..., dict[str, Any]],
) -> SyncFailedError:
    """The error for a cancelled job: the schema explanation when Airbyte disabled the connection (the
    discover before a sync or refresh found a change), else a plain cancellation."""
    report = read_report(client, connection_id) if job.job_type != "reset" else None
    if report is not None and report.disabled:
        reason = "cancelled: the connection is disabled in Airbyte"
        return SyncFailedError(
            f"Airbyte job {job.id} was cancelled: {explain_disabled(report, connection_id)} Job: {url}",
            job_id=job.id,
            metadata=job_metadata(job, reason=reason),
        )
    return SyncFailedError(
        f"Airbyte job {job.id} of connection {connection_id} was cancelled in Airbyte. Job: {url}",
        job_id=job.id,
        metadata=job_metadata(job, reason="cancelled in Airbyte"),
    )
