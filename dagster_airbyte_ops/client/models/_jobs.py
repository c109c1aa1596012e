"""Jobs: status, attempts, per-stream and total figures, failure reasons."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, cast

from pydantic import Field

from ._parse import _build, _Fields, _Malformed, _Model

_ISO_DURATION = re.compile(
    r"^P(?:(?P<weeks>\d+(?:\.\d+)?)W)?(?:(?P<days>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<hours>-?\d+(?:\.\d+)?)H)?(?:(?P<minutes>-?\d+(?:\.\d+)?)M)?"
    r"(?:(?P<seconds>-?\d+(?:\.\d+)?)S)?)?$"
)


def parse_iso_duration_s(value: str) -> float:
    """Seconds in an ISO-8601 duration as Airbyte (Java's ``Duration``) writes it: ``PT8H6M12S``.

    Raises:
        ValueError: ``value`` is not such a duration.
    """
    match = _ISO_DURATION.match(value.strip())
    if not match or value.strip() in ("P", "PT"):
        raise ValueError(f"{value!r} is not an ISO-8601 duration")
    parts = {k: float(v) for k, v in match.groupdict().items() if v is not None}
    return timedelta(
        weeks=parts.get("weeks", 0),
        days=parts.get("days", 0),
        hours=parts.get("hours", 0),
        minutes=parts.get("minutes", 0),
        seconds=parts.get("seconds", 0),
    ).total_seconds()


# --------------------------------------------------------------------------------------------------
# Jobs
# --------------------------------------------------------------------------------------------------


class JobStatus(StrEnum):
    """Airbyte job status. ``incomplete`` (an attempt failed, Airbyte will retry) and ``queued``
    (Airbyte >= 2.0: waiting for capacity) are not terminal."""

    PENDING = "pending"
    QUEUED = "queued"
    RUNNING = "running"
    INCOMPLETE = "incomplete"
    FAILED = "failed"
    SUCCEEDED = "succeeded"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        return self in (JobStatus.FAILED, JobStatus.SUCCEEDED, JobStatus.CANCELLED)

    def __str__(self) -> str:
        return self.value


_JOB_STATUSES = tuple(s.value for s in JobStatus)


class SyncStats(_Model):
    """Records and bytes of an attempt or a job."""

    records_emitted: int = 0
    records_committed: int = 0
    bytes_emitted: int = 0
    bytes_committed: int = 0

    @classmethod
    def from_config_api(cls, payload: Mapping[str, Any], *, source: str | None = None) -> SyncStats:
        """From a Config API ``AttemptStats`` or ``JobAggregatedStats``."""
        return _build(cls, source, payload, _stats)

    @classmethod
    def from_public_api(cls, payload: Mapping[str, Any], *, source: str | None = None) -> SyncStats:
        """From a public ``JobResponse``: only committed figures (``rowsSynced``/``bytesSynced``) exist."""

        def build(f: _Fields) -> SyncStats:
            rows = f.opt_count("rowsSynced") or 0
            size = f.opt_count("bytesSynced") or 0
            return cls(records_emitted=rows, records_committed=rows, bytes_emitted=size, bytes_committed=size)

        return _build(cls, source, payload, build)


def _stats(f: _Fields) -> SyncStats:
    return SyncStats(
        records_emitted=f.opt_count("recordsEmitted") or 0,
        records_committed=f.opt_count("recordsCommitted") or 0,
        bytes_emitted=f.opt_count("bytesEmitted") or 0,
        bytes_committed=f.opt_count("bytesCommitted") or 0,
    )


class StreamStats(_Model):
    """Per-stream figures of one attempt (Config API only)."""

    stream_name: str
    stream_namespace: str | None = None
    records_emitted: int = 0
    records_committed: int = 0
    bytes_emitted: int = 0
    bytes_committed: int = 0

    @classmethod
    def from_config_api(cls, payload: Mapping[str, Any], *, source: str | None = None) -> StreamStats:
        """From a Config API ``AttemptStreamStats``."""
        return _build(cls, source, payload, _stream_stats)

    @classmethod
    def from_public_api(cls, payload: Mapping[str, Any], *, source: str | None = None) -> StreamStats:
        """The public API has no per-stream figures; accepts the Config API shape for symmetry."""
        return cls.from_config_api(payload, source=source)


def _stream_stats(f: _Fields) -> StreamStats:
    stats = _stats(f.obj("stats"))
    return StreamStats(
        stream_name=f.text("streamName"),
        stream_namespace=f.opt_str("streamNamespace"),
        **stats.model_dump(),
    )


class FailureSummary(_Model):
    """Why an attempt failed: Airbyte's first failure reason."""

    failure_origin: str | None = None
    failure_type: str | None = None
    external_message: str | None = None

    @classmethod
    def from_config_api(cls, payload: Mapping[str, Any], *, source: str | None = None) -> FailureSummary:
        """From a Config API ``AttemptFailureSummary`` (``{failures: [FailureReason]}``)."""
        return _build(cls, source, payload, _failure)

    @classmethod
    def from_public_api(cls, payload: Mapping[str, Any], *, source: str | None = None) -> FailureSummary:
        """The public API exposes no failure reasons; accepts the Config API shape for symmetry."""
        return cls.from_config_api(payload, source=source)


def _failure(f: _Fields) -> FailureSummary:
    failures = f.objs("failures")
    if not failures:
        return FailureSummary()
    first = failures[0]
    return FailureSummary(
        failure_origin=first.opt_str("failureOrigin"),
        failure_type=first.opt_str("failureType"),
        external_message=first.opt_str("externalMessage"),
    )


class Attempt(_Model):
    """One attempt of a job (Config API only)."""

    id: int
    status: str
    created_at: datetime
    ended_at: datetime | None = None
    total_stats: SyncStats | None = None
    stream_stats: list[StreamStats] = Field(default_factory=list)
    failure: FailureSummary | None = None

    @classmethod
    def from_config_api(cls, payload: Mapping[str, Any], *, source: str | None = None) -> Attempt:
        """From a Config API ``AttemptRead`` or ``AttemptInfoRead`` (``{attempt, logs}``)."""
        return _build(cls, source, payload, _attempt)

    @classmethod
    def from_public_api(cls, payload: Mapping[str, Any], *, source: str | None = None) -> Attempt:
        """The public API exposes no attempts; accepts the Config API shape for symmetry."""
        return cls.from_config_api(payload, source=source)


def _attempt(f: _Fields) -> Attempt:
    if "attempt" in f.data:  # AttemptInfoRead (jobs/get) wraps the AttemptRead
        f = f.obj("attempt")
    total = f.opt_obj("totalStats")
    failure = f.opt_obj("failureSummary")
    return Attempt(
        id=f.integer("id"),
        status=f.literal("status", ("running", "failed", "succeeded")),
        created_at=cast(datetime, f.epoch("createdAt", required=True)),
        ended_at=f.epoch("endedAt"),
        total_stats=_stats(total) if total is not None else None,
        stream_stats=[_stream_stats(s) for s in f.objs("streamStats")],
        failure=_failure(failure) if failure is not None else None,
    )


_JOB_TYPES_FROM_CONFIG = {"reset_connection": "reset"}


class Job(_Model):
    """An Airbyte job (sync, reset, refresh, clear) with its attempts when the API gives them."""

    id: int
    connection_id: str
    job_type: str
    status: JobStatus
    created_at: datetime
    updated_at: datetime | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    duration_s: float | None = None
    attempts: list[Attempt] = Field(default_factory=list)
    rows_synced: int | None = None
    bytes_synced: int | None = None

    @property
    def is_terminal(self) -> bool:
        return self.status.is_terminal

    @property
    def attempt_count(self) -> int:
        return len(self.attempts)

    @property
    def stream_stats(self) -> list[StreamStats]:
        """Per-stream figures of the last attempt; empty on the public API (it has none)."""
        return list(self.attempts[-1].stream_stats) if self.attempts else []

    @property
    def failure_summary(self) -> FailureSummary | None:
        """The failure of the last failed attempt (Config API only)."""
        for attempt in reversed(self.attempts):
            if attempt.failure is not None and (
                attempt.status == "failed" or attempt.failure.external_message
            ):
                return attempt.failure
        return None

    def failure_reason(self) -> str:
        """Airbyte's own account of why the job failed, in one line (origin, type, message).

        The public API reports neither attempts nor failure summaries; the text then says so and
        where to look, rather than claiming "0 attempts".
        """
        summary = self.failure_summary
        if summary is not None:
            parts = [p for p in (summary.failure_origin, summary.failure_type) if p]
            where = f"{' '.join(parts)}: " if parts else ""
            return f"{where}{summary.external_message or 'no message'}"
        if not self.attempts:
            return "Airbyte's public API reports no failure reason; see the job's logs in Airbyte"
        return "no failure reason reported"

    @classmethod
    def from_config_api(cls, payload: Mapping[str, Any], *, source: str | None = None) -> Job:
        """From a Config API ``JobInfoRead`` (jobs/get, connections/sync) or ``JobWithAttemptsRead``."""
        return _build(cls, source, payload, _config_job)

    @classmethod
    def from_public_api(cls, payload: Mapping[str, Any], *, source: str | None = None) -> Job:
        """From a public API ``JobResponse``: no attempts; rows/bytes are the committed totals."""
        return _build(cls, source, payload, _public_job)


def _config_job(f: _Fields) -> Job:
    job = f.obj("job")
    attempts = [_attempt(a) for a in f.objs("attempts")]
    status = JobStatus(job.literal("status", _JOB_STATUSES))
    created = cast(datetime, job.epoch("createdAt", required=True))
    updated = job.epoch("updatedAt")
    started = job.epoch("startedAt") or (attempts[0].created_at if attempts else None)
    ended = None
    if status.is_terminal:
        ended = (attempts[-1].ended_at if attempts else None) or updated
    duration = None
    if ended is not None:
        duration = max(0.0, (ended - (started or created)).total_seconds())
    aggregated = job.opt_obj("aggregatedStats")
    if aggregated is not None:
        stats: SyncStats | None = _stats(aggregated)
    elif any(a.total_stats is not None for a in attempts):
        stats = SyncStats(
            records_committed=sum(a.total_stats.records_committed for a in attempts if a.total_stats),
            bytes_committed=sum(a.total_stats.bytes_committed for a in attempts if a.total_stats),
        )
    else:
        stats = None
    config_type = job.text("configType")
    return Job(
        id=job.integer("id"),
        connection_id=job.text("configId"),
        job_type=_JOB_TYPES_FROM_CONFIG.get(config_type, config_type),
        status=status,
        created_at=created,
        updated_at=updated,
        started_at=started,
        ended_at=ended,
        duration_s=duration,
        attempts=attempts,
        rows_synced=stats.records_committed if stats else None,
        bytes_synced=stats.bytes_committed if stats else None,
    )


def _public_job(f: _Fields) -> Job:
    status = JobStatus(f.literal("status", _JOB_STATUSES))
    started = cast(datetime, f.iso("startTime", required=True))
    updated = f.iso("lastUpdatedAt")
    duration = None
    raw_duration = f.opt_str("duration")
    if raw_duration:
        try:
            duration = parse_iso_duration_s(raw_duration)
        except ValueError:
            raise _Malformed("duration", f"{raw_duration!r} is not an ISO-8601 duration") from None
    ended = None
    if status.is_terminal:
        ended = started + timedelta(seconds=duration) if duration is not None else updated
    return Job(
        id=f.integer("jobId"),
        connection_id=f.text("connectionId"),
        job_type=f.text("jobType"),
        status=status,
        created_at=started,
        updated_at=updated,
        started_at=started,
        ended_at=ended,
        duration_s=duration,
        attempts=[],
        rows_synced=f.opt_count("rowsSynced"),
        bytes_synced=f.opt_count("bytesSynced"),
    )
