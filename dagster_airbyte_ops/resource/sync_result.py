"""What a finished (or attached, or skipped) sync hands back to its caller."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..client.models import Job, JobStatus, StreamStats


@dataclass(frozen=True)
class SyncResult:
    """The outcome of one Airbyte job as the assets and the CLI need it.

    `stream_stats` is keyed by stream name; it is empty where Airbyte does not report per-stream
    figures (the public API), in which case only the job totals `rows_synced`/`bytes_synced` are known.
    """

    connection_id: str
    job_id: int | None
    status: JobStatus | None
    job_url: str | None = None
    attempts: int = 0
    rows_synced: int | None = None
    bytes_synced: int | None = None
    duration_s: float | None = None
    stream_stats: dict[str, StreamStats] = field(default_factory=dict)
    attached: bool = False
    skipped: bool = False
    #: The Airbyte job type that ran: `sync`, `refresh` or `reset` (a clear).
    job_type: str = "sync"

    @property
    def succeeded(self) -> bool:
        return self.status is JobStatus.SUCCEEDED

    @classmethod
    def from_job(cls, job: Job, *, job_url: str | None, attached: bool = False) -> SyncResult:
        streams = {stats.stream_name: stats for stats in job.stream_stats}
        return cls(
            connection_id=job.connection_id,
            job_id=job.id,
            status=job.status,
            job_url=job_url,
            attempts=job.attempt_count,
            rows_synced=job.rows_synced,
            bytes_synced=job.bytes_synced,
            duration_s=job.duration_s,
            stream_stats=streams,
            attached=attached,
            job_type=job.job_type,
        )

    @classmethod
    def skipped_for(cls, connection_id: str, running_job: Job | None) -> SyncResult:
        return cls(
            connection_id=connection_id,
            job_id=running_job.id if running_job else None,
            status=running_job.status if running_job else None,
            skipped=True,
        )
