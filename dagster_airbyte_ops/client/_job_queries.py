"""Job queries both flavours share: status names, date-time filters, and filtering jobs locally.

Older Airbyte versions ignore some ``list_jobs`` filters (statuses, time bounds) silently; both flavours
filter again here so the result is the same on every version.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from .models import Job, JobStatus

__all__ = ["as_utc", "filter_jobs", "iso_z", "normalise_statuses"]


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
