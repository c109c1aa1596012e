"""The sync path's decisions as tables: is an answer about our job (`job_identity.py`), and may this
run cancel it (`ownership.py`). The over-HTTP cases (a real mix-up, a real reset job table, real runs
attached to one job) are in test_job_identity.py and tests/reliability/; these rows pin the rules'
numbers and words, each of which a mutation of the rule changes (docs/testing.md).
"""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from dagster_airbyte_ops.client.models import Job, JobStatus
from dagster_airbyte_ops.errors import AirbyteApiError
from dagster_airbyte_ops.resource.job_identity import (
    IDENTITY_READ_TRIES,
    IDENTITY_RETRY_DELAY_S,
    PINNED_CREATION_TOLERANCE_S,
    TRIGGER_CLOCK_TOLERANCE_S,
    ExpectedJob,
    JobIdentityError,
    describe,
    read_checked,
    utc_now,
)
from dagster_airbyte_ops.resource.ownership import refusal, release

T0 = dt.datetime(2026, 1, 5, 6, 0, tzinfo=dt.UTC)
LOG = logging.getLogger("tests.identity_rules")
PARIS = dt.timezone(dt.timedelta(hours=1))


def _job(
    job_id: int = 7,
    connection: str = "conn-a",
    *,
    job_type: str = "sync",
    created: dt.datetime = T0,
    status: JobStatus = JobStatus.RUNNING,
) -> Job:
    return Job(id=job_id, connection_id=connection, job_type=job_type, status=status, created_at=created)


def _s(seconds: float) -> dt.timedelta:
    return dt.timedelta(seconds=seconds)


def test_the_tolerances():
    assert (TRIGGER_CLOCK_TOLERANCE_S, PINNED_CREATION_TOLERANCE_S) == (5.0, 1.0)
    assert (IDENTITY_READ_TRIES, IDENTITY_RETRY_DELAY_S) == (3, 0.5)


def test_utc_now_is_aware_and_now():
    before = dt.datetime.now(dt.UTC)
    now = utc_now()
    assert now.tzinfo is not None and now.utcoffset() == dt.timedelta(0)
    assert before <= now <= dt.datetime.now(dt.UTC)


def test_describe():
    naive = _job(80, "c-1", created=dt.datetime(2026, 1, 5, 6, 0, 1, 500), status=JobStatus.SUCCEEDED)
    assert describe(naive) == "job 80 of connection c-1 (sync, created 2026-01-05T06:00:01Z, succeeded)"


@pytest.mark.parametrize(
    ("expected", "answer", "mismatches"),
    [
        (ExpectedJob(7, "conn-a"), _job(), []),
        (ExpectedJob(7), _job(), []),  # a bare wait(job_id): any connection, pinned from this answer
        (ExpectedJob(7, "conn-a"), _job(8), ["job id 8, not 7"]),
        (ExpectedJob(7, "conn-a"), _job(connection="conn-b"), ["connection conn-b, not conn-a"]),
        (
            ExpectedJob(7, "conn-a"),
            _job(job_type="reset_connection"),
            ["job type reset_connection, not sync"],
        ),
        (ExpectedJob(7, "conn-a", "reset_connection"), _job(job_type="reset_connection"), []),
        (
            ExpectedJob(7, "conn-a"),
            _job(8, "conn-b", job_type="clear"),
            ["job id 8, not 7", "connection conn-b, not conn-a", "job type clear, not sync"],
        ),
        # the creation time, once seen, may move by Airbyte's rounding (1 s) only
        (ExpectedJob(7, "conn-a", created_at=T0), _job(created=T0 + _s(1)), []),
        (ExpectedJob(7, "conn-a", created_at=T0), _job(created=T0 - _s(1)), []),
        (ExpectedJob(7, "conn-a", created_at=T0), _job(created=T0.astimezone(PARIS)), []),  # same instant
        (
            ExpectedJob(7, "conn-a", created_at=T0),
            _job(created=T0 + _s(1.5)),
            ["created 2026-01-05T06:00:01.500000+00:00, not 2026-01-05T06:00:00+00:00 as first seen"],
        ),
        (
            ExpectedJob(7, "conn-a", created_at=T0.replace(tzinfo=None)),  # naive times are UTC
            _job(created=(T0 - _s(2)).replace(tzinfo=None)),
            ["created 2026-01-05T05:59:58+00:00, not 2026-01-05T06:00:00+00:00 as first seen"],
        ),
        # a job we triggered is not older than the trigger (5 s of clock skew and rounding allowed)
        (ExpectedJob(7, "conn-a", not_before=T0), _job(created=T0 - _s(5)), []),
        (ExpectedJob(7, "conn-a", not_before=T0), _job(created=T0 + _s(60)), []),
        (
            ExpectedJob(7, "conn-a", not_before=T0),
            _job(created=T0 - _s(5.5)),
            ["created 2026-01-05T05:59:54.500000+00:00, before our trigger at 2026-01-05T06:00:00+00:00"],
        ),
        (
            ExpectedJob(7, "conn-a", not_before=T0.replace(tzinfo=None)),
            _job(created=(T0 - _s(6)).replace(tzinfo=None)),
            ["created 2026-01-05T05:59:54+00:00, before our trigger at 2026-01-05T06:00:00+00:00"],
        ),
    ],
)
def test_mismatches(expected, answer, mismatches):
    assert expected.mismatches(answer) == mismatches


def test_of_pins_the_job_as_first_seen():
    job = _job(created=T0)
    assert ExpectedJob.of(job) == ExpectedJob(7, "conn-a", "sync", T0, None)
    assert ExpectedJob.of(job, triggered_at=T0) == ExpectedJob(7, "conn-a", "sync", T0, T0)


def test_pinned_fills_in_only_the_unknowns():
    assert ExpectedJob(7).pinned(_job()) == ExpectedJob(7, "conn-a", "sync", T0)
    later = _job(connection="conn-b", created=T0 + _s(30))
    assert ExpectedJob(7, "conn-a", created_at=T0).pinned(later) == ExpectedJob(7, "conn-a", created_at=T0)


def test_asked():
    assert ExpectedJob(7, "conn-a").asked() == "job 7 of connection conn-a (sync)"
    assert ExpectedJob(7, job_type="clear").asked() == "job 7 (clear)"


def test_the_error_says_what_was_asked_and_answered():
    error = ExpectedJob(7, "conn-a").error(_job(8), ["job id 8, not 7"], reads=3)
    assert isinstance(error, JobIdentityError) and isinstance(error, AirbyteApiError)
    assert error.job_id == 7
    assert str(error) == (
        "Asked Airbyte for job 7 of connection conn-a (sync), it answered job 8 of connection conn-a "
        "(sync, created 2026-01-05T06:00:00Z, running) (job id 8, not 7) 3 time(s) in a row; nothing "
        "was recorded from that answer. If Airbyte was restarted without its database, its job ids "
        "start again and name other jobs."
    )


def test_the_error_carries_the_call_like_every_api_error():
    error = JobIdentityError("m", job_id=7, method="POST", path="/api/v1/jobs/get", status=200)
    assert (error.job_id, error.method, error.path, error.status) == (7, "POST", "/api/v1/jobs/get", 200)


class _Reads:
    """Answers in turn, and the sleeps between them."""

    def __init__(self, *answers: Job) -> None:
        self.answers = list(answers)
        self.reads = 0
        self.slept: list[float] = []

    def read(self) -> Job:
        self.reads += 1
        return self.answers.pop(0)


def test_read_checked_returns_the_first_right_answer_pinned():
    reads = _Reads(_job(created=T0))
    job, pinned = read_checked(reads.read, ExpectedJob(7), log=LOG, sleep=reads.slept.append)
    assert (job.id, pinned, reads.reads, reads.slept) == (7, ExpectedJob(7, "conn-a", created_at=T0), 1, [])


def test_read_checked_reads_again_after_a_wrong_answer(caplog):
    reads = _Reads(_job(8), _job(9), _job(7))
    with caplog.at_level(logging.WARNING, logger=LOG.name):
        job, _ = read_checked(reads.read, ExpectedJob(7, "conn-a"), log=LOG, sleep=reads.slept.append)
    assert (job.id, reads.reads, reads.slept) == (7, 3, [0.5, 1.0])
    assert caplog.messages[0] == (
        "Asked Airbyte for job 7 of connection conn-a (sync), it answered job 8 of connection conn-a "
        "(sync, created 2026-01-05T06:00:00Z, running) (job id 8, not 7); reading it again."
    )


def test_every_difference_is_named(caplog):
    other = _job(8, "conn-b")
    reads = _Reads(other, other, other)
    with caplog.at_level(logging.WARNING, logger=LOG.name), pytest.raises(JobIdentityError) as raised:
        read_checked(reads.read, ExpectedJob(7, "conn-a"), log=LOG, sleep=reads.slept.append)
    assert "(job id 8, not 7; connection conn-b, not conn-a) 3 time(s)" in str(raised.value)
    assert caplog.messages[0].endswith("(job id 8, not 7; connection conn-b, not conn-a); reading it again.")


def test_read_checked_gives_up_after_three_wrong_answers():
    reads = _Reads(_job(8), _job(8), _job(9), _job(7))
    with pytest.raises(JobIdentityError, match=r"answered job 9 .* 3 time\(s\) in a row") as raised:
        read_checked(reads.read, ExpectedJob(7, "conn-a"), log=LOG, sleep=reads.slept.append)
    assert (raised.value.job_id, reads.reads, reads.slept) == (7, 3, [0.5, 1.0])


def test_read_checked_with_other_tries():
    reads = _Reads(_job(8), _job(7))
    with pytest.raises(JobIdentityError, match=r"1 time\(s\) in a row"):
        read_checked(reads.read, ExpectedJob(7), log=LOG, sleep=reads.slept.append, tries=1)
    assert reads.reads == 1


# -- ownership ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attached", "others", "cancel_on_termination", "timed_out", "reason"),
    [
        (False, [], True, False, None),
        (False, [], False, True, None),  # a timeout cancels regardless of cancel_on_termination
        (False, [], True, True, None),
        (False, [], False, False, "cancel_on_termination is off"),
        (False, ["run-b"], True, True, "Dagster run(s) run-b are attached to it"),
        (False, ["run-b", "run-c"], True, False, "Dagster run(s) run-b, run-c are attached to it"),
        (
            True,
            [],
            True,
            True,
            "this run attached to it (another run, Airbyte's scheduler or a person started it)",
        ),
    ],
)
def test_refusal(attached, others, cancel_on_termination, timed_out, reason):
    assert (
        refusal(
            attached=attached, others=others, cancel_on_termination=cancel_on_termination, timed_out=timed_out
        )
        == reason
    )


class _Ownership:
    """A caller's view of who else waits (the assets' is backed by the run storage)."""

    def __init__(self, others: list[str]) -> None:
        self.others = others
        self.asked: list[tuple[int, str]] = []
        self.settled_jobs: list[Job] = []

    def others_waiting(self, job_id: int, connection_id: str) -> list[str]:
        self.asked.append((job_id, connection_id))
        return self.others

    def settled(self, job: Job) -> None:
        self.settled_jobs.append(job)


def _release(ownership, *, attached=False, cancel_on_termination=True, timed_out=False, cancel=None):
    cancelled: list[int] = []

    def do_cancel() -> Job:
        cancelled.append(7)
        return _job(status=JobStatus.CANCELLED)

    said = release(
        cancel or do_cancel,
        7,
        "conn-a",
        attached=attached,
        ownership=ownership,
        cancel_on_termination=cancel_on_termination,
        timed_out=timed_out,
        log=LOG,
    )
    return said, cancelled


def test_release_cancels_its_own_job_and_settles_it():
    ownership = _Ownership([])
    assert _release(ownership) == ("was cancelled", [7])
    assert ownership.asked == [(7, "conn-a")]
    assert [job.status for job in ownership.settled_jobs] == [JobStatus.CANCELLED]
    assert _release(None) == ("was cancelled", [7])


def test_release_detaches_when_others_wait():
    ownership = _Ownership(["run-b"])
    said, cancelled = _release(ownership, timed_out=True)
    assert said == "was not cancelled: detached from it, because Dagster run(s) run-b are attached to it"
    assert (cancelled, ownership.settled_jobs) == ([], [])


def test_an_attached_run_does_not_even_ask_who_waits():
    ownership = _Ownership(["run-b"])
    said, cancelled = _release(ownership, attached=True)
    assert said.startswith("was not cancelled: detached from it, because this run attached to it")
    assert (cancelled, ownership.asked) == ([], [])


def test_a_timeout_cancels_even_when_cancelling_on_termination_is_off():
    assert _release(_Ownership([]), cancel_on_termination=False, timed_out=True) == ("was cancelled", [7])


def test_release_detaches_on_termination_when_cancelling_is_off():
    assert _release(_Ownership([]), cancel_on_termination=False) == (
        "was not cancelled: detached from it, because cancel_on_termination is off",
        [],
    )


def test_a_failed_cancel_is_said_and_logged(caplog):
    def refuse() -> Job:
        raise AirbyteApiError("HTTP 500 from jobs/cancel")

    ownership = _Ownership([])
    with caplog.at_level(logging.ERROR, logger=LOG.name):
        said, _ = _release(ownership, cancel=refuse)
    assert said == "could not be cancelled (HTTP 500 from jobs/cancel)"
    assert caplog.messages == ["Could not cancel Airbyte job 7: HTTP 500 from jobs/cancel"]
    assert ownership.settled_jobs == []
