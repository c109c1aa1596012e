"""Is the job Airbyte answered about the job we asked for? Checked on every job read.

An answer about another job is the worst kind of wrong result: recorded, it materializes a
connection's streams with someone else's job link and row counts, or declares a running sync done.
It happens for real: a proxy or cache serving a stale or mixed-up answer, and an Airbyte whose job
table was wiped (a restart without its database) hands the same job ids out again, to any connection.

So every read compares the answer with what was asked: the job id, the connection, the job type,
and time. The creation time is pinned once the job has been seen (a job's creation time never
changes; a reused id comes with a new one), and a job we triggered may not be older than the
trigger. Airbyte reports creation times in whole seconds and its clock is not ours, hence the
tolerances below. A mismatch is read again a few times (a transient mix-up heals), then fails with
`JobIdentityError` naming what was asked and what came back; nothing is recorded from it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from ..client.models import Job
from ..errors import AirbyteApiError

#: How much earlier than our trigger (by our clock) a job we started may say it was created: Airbyte
#: truncates creation times to whole seconds, and its clock may run a little behind ours.
TRIGGER_CLOCK_TOLERANCE_S = 5.0
#: A pinned creation time may differ by Airbyte's rounding only: the same job always reports the same.
PINNED_CREATION_TOLERANCE_S = 1.0
#: Reads of a job that keep answering about another job before the sync gives up.
IDENTITY_READ_TRIES = 3
IDENTITY_RETRY_DELAY_S = 0.5


class JobIdentityError(AirbyteApiError):
    """Airbyte kept answering about another job (id, connection, type or creation time differ).

    Nothing is recorded from such an answer: the message says what was asked and what came back.
    """

    def __init__(self, message: str, *, job_id: int, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.job_id = job_id


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def describe(job: Job) -> str:
    """`job 80 of connection <id> (sync, created 2026-…Z, succeeded)`."""
    created = _utc(job.created_at).isoformat(timespec="seconds").replace("+00:00", "Z")
    what = f"{job.job_type}, created {created}, {job.status.value}"
    return f"job {job.id} of connection {job.connection_id} ({what})"


@dataclass(frozen=True)
class ExpectedJob:
    """What a read must answer about: the job, its connection and type, and its time bounds."""

    job_id: int
    connection_id: str | None = None  # None: pinned from the first answer (a bare `wait(job_id)`)
    job_type: str = "sync"
    created_at: dt.datetime | None = None  # pinned once seen
    not_before: dt.datetime | None = None  # our trigger time, for a job we triggered

    @classmethod
    def of(cls, job: Job, *, triggered_at: dt.datetime | None = None) -> ExpectedJob:
        """The job as first seen (the trigger's answer or the attach look-up), pinned."""
        return cls(job.id, job.connection_id, job.job_type, job.created_at, triggered_at)

    def pinned(self, job: Job) -> ExpectedJob:
        """This expectation with the unknowns filled in from a matching answer."""
        return replace(
            self,
            connection_id=self.connection_id or job.connection_id,
            created_at=self.created_at or job.created_at,
        )

    def asked(self) -> str:
        connection = f" of connection {self.connection_id}" if self.connection_id else ""
        return f"job {self.job_id}{connection} ({self.job_type})"

    def mismatches(self, job: Job) -> list[str]:
        """What differs between the answer and the expectation; empty when it is our job."""
        found: list[str] = []
        if job.id != self.job_id:
            found.append(f"job id {job.id}, not {self.job_id}")
        if self.connection_id is not None and job.connection_id != self.connection_id:
            found.append(f"connection {job.connection_id}, not {self.connection_id}")
        if job.job_type != self.job_type:
            found.append(f"job type {job.job_type}, not {self.job_type}")
        created = _utc(job.created_at)
        if self.created_at is not None:
            pinned = _utc(self.created_at)
            if abs((created - pinned).total_seconds()) > PINNED_CREATION_TOLERANCE_S:
                found.append(f"created {created.isoformat()}, not {pinned.isoformat()} as first seen")
        if self.not_before is not None:
            earliest = _utc(self.not_before) - dt.timedelta(seconds=TRIGGER_CLOCK_TOLERANCE_S)
            if created < earliest:
                trigger = _utc(self.not_before).isoformat()
                found.append(f"created {created.isoformat()}, before our trigger at {trigger}")
        return found

    def error(self, job: Job, mismatches: list[str], *, reads: int) -> JobIdentityError:
        return JobIdentityError(
            f"Asked Airbyte for {self.asked()}, it answered {describe(job)} ({'; '.join(mismatches)}) "
            f"{reads} time(s) in a row; nothing was recorded from that answer. If Airbyte was restarted "
            "without its database, its job ids start again and name other jobs.",
            job_id=self.job_id,
        )


def read_checked(
    read: Callable[[], Job],
    expected: ExpectedJob,
    *,
    log: logging.Logger,
    sleep: Callable[[float], None],
    tries: int = IDENTITY_READ_TRIES,
) -> tuple[Job, ExpectedJob]:
    """Read the job until the answer is about it (at most `tries` reads); the answer and the
    expectation pinned by it. Raises JobIdentityError with the last wrong answer."""
    for attempt in range(1, tries + 1):
        job = read()
        wrong = expected.mismatches(job)
        if not wrong:
            return job, expected.pinned(job)
        if attempt == tries:
            raise expected.error(job, wrong, reads=tries)
        log.warning(
            "Asked Airbyte for %s, it answered %s (%s); reading it again.",
            expected.asked(),
            describe(job),
            "; ".join(wrong),
        )
        sleep(IDENTITY_RETRY_DELAY_S * attempt)
    raise AssertionError("unreachable")  # pragma: no cover
