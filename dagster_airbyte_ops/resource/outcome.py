"""A job that has ended, turned into what the caller gets: a SyncResult, or a SyncFailedError that
carries Airbyte's failure summary and the metadata alerts read (connection, job, status, link)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from ..client import AirbyteClient
from ..client.models import Job, JobStatus
from ..errors import SyncFailedError
from ..metadata import AirbyteMetadataSet
from .schema_guard import cancelled_error
from .sync_result import SyncResult

JobUrl = Callable[[str, int], str]


def result_or_raise(job: Job, *, attached: bool, job_url: JobUrl, client: AirbyteClient) -> SyncResult:
    """The result of a succeeded job; SyncFailedError for a failed or cancelled one (a cancellation
    by Airbyte on a schema change is explained: `schema_guard.py`)."""
    connection_id = job.connection_id
    url = job_url(connection_id, job.id)
    if job.status is JobStatus.SUCCEEDED:
        return SyncResult.from_job(job, job_url=url, attached=attached)
    if job.status is JobStatus.CANCELLED:  # by a user, or by Airbyte on a schema change (schema_guard)
        raise cancelled_error(
            client, job, connection_id, url, functools.partial(job_metadata, job_url=job_url)
        )
    reason = job.failure_reason()
    attempts = f" after {job.attempt_count} attempt(s)" if job.attempt_count else ""
    raise SyncFailedError(
        f"Airbyte job {job.id} of connection {connection_id} failed{attempts}: {reason}. Job: {url}",
        job_id=job.id,
        metadata=job_metadata(job, job_url=job_url, reason=reason),
    )


def job_metadata(job: Job, *, job_url: JobUrl, reason: str | None = None) -> dict[str, Any]:
    """What alerts read from a failed step: which connection, which job, and why
    (sensors/alert_sensors.py)."""
    return AirbyteMetadataSet(
        connection_id=job.connection_id,
        job_id=job.id,
        job_status=job.status.value,
        job_url=job_url(job.connection_id, job.id),
        failure_reason=reason,
    ).to_metadata()
