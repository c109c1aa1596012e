"""Trigger a sync, or find the job to attach to: the one place a sync's job comes from.

Airbyte runs one sync of a connection at a time and answers a second trigger with 409, so a 409
means "attach to the running job", never "retry". Every job this returns has passed the identity
check of `job_identity.py`: the trigger's answer must name our connection, a sync, created no
earlier than the trigger; the attach look-up must find a running sync of our connection.

The lost answer: a trigger can reach Airbyte and start a job while its answer never reaches us (a
dropped connection, a timeout, a 5xx from a proxy after Airbyte acted). Retrying blindly starts a
second job once the first has ended. So before every retry of a try whose outcome is unknown, and
once more after the last, the connection's sync jobs created since our trigger (minus
`ADOPTION_TOLERANCE_S`: Airbyte reports whole seconds) are listed, running or already ended; the
newest is adopted as the job this sync started. What this cannot tell apart: a job someone else
started in that second before our trigger while our own trigger never arrived (it is taken for
ours). And if Airbyte's clock runs more than that behind ours, the lost try's job is not found and
a retry that comes after it ended starts a second job, as before: keep both clocks on NTP.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Literal

from ..client import AirbyteClient, outcome_unknown
from ..client._jobs_extra import ConnectionInactiveError
from ..client._jobs_extra import trigger_sync as trigger_sync_or_refuse
from ..client.models import Job
from ..errors import AirbyteApiError, SyncConflictError
from .job_identity import ExpectedJob, describe, utc_now
from .schema_guard import inactive_failure

RunningSyncPolicy = Literal["attach", "fail", "skip"]
#: How much earlier than our trigger (our clock) the lost try's job may say it was created. Tight on
#: purpose: a wider window would adopt a job someone else started just before (a wrong job recorded
#: is worse than a second job).
ADOPTION_TOLERANCE_S = 1.0


class _Adopted(Exception):
    """Raised from the transport's before-retry hook: the lost try's job was found; stop retrying."""

    def __init__(self, job: Job) -> None:
        super().__init__(job.id)
        self.job = job


def trigger_or_attach(
    client: AirbyteClient, connection_id: str, *, policy: RunningSyncPolicy, log: logging.Logger
) -> tuple[Job, bool, ExpectedJob]:
    """(job, attached, what every later read of the job must answer)."""
    triggered_at = utc_now()
    try:
        return _checked_trigger(client, connection_id, triggered_at)
    except _Adopted as adopted:
        return _adopt(adopted.job, connection_id, triggered_at, log)
    except SyncConflictError:
        running = running_job(client, connection_id)
        if running is None:
            # The running job ended between Airbyte's 409 and our look-up: the way is free now.
            return _checked_trigger(client, connection_id, utc_now())
        if policy == "fail":
            raise SyncConflictError(
                f"Connection {connection_id} already has Airbyte job {running.id} running and "
                "on_running_sync='fail'; set on_running_sync='attach' to wait for it instead.",
                connection_id=connection_id,
                status=409,
            ) from None
        log.info("Connection %s already syncing (job %s); attaching to it.", connection_id, running.id)
        return running, True, ExpectedJob.of(running)
    except ConnectionInactiveError as error:
        # Airbyte will not run it: nothing to attach to, nothing to retry; say why and what to do.
        raise inactive_failure(client, connection_id, error) from None
    except AirbyteApiError as error:
        if not outcome_unknown(error):
            raise
        # The last try may have reached Airbyte although its answer did not reach us.
        started = started_since(client, connection_id, triggered_at)
        if started is None:
            raise
        return _adopt(started, connection_id, triggered_at, log)


def _adopt(
    job: Job, connection_id: str, triggered_at: dt.datetime, log: logging.Logger
) -> tuple[Job, bool, ExpectedJob]:
    log.warning(
        "The answer to the trigger of connection %s was lost, but Airbyte has started %s since: "
        "adopting it as this sync's job (not triggering again).",
        connection_id,
        describe(job),
    )
    return job, False, ExpectedJob.of(job, triggered_at=triggered_at)


def _checked_trigger(
    client: AirbyteClient, connection_id: str, triggered_at: dt.datetime
) -> tuple[Job, bool, ExpectedJob]:
    def look_for_the_lost_tries_job() -> None:
        started = started_since(client, connection_id, triggered_at)
        if started is not None:
            raise _Adopted(started)

    job = trigger_sync_or_refuse(client, connection_id, before_retry=look_for_the_lost_tries_job)
    expected = ExpectedJob(job.id, connection_id, not_before=triggered_at)
    wrong = expected.mismatches(job)
    if wrong:
        raise expected.error(job, wrong, reads=1)
    return job, False, expected.pinned(job)


def started_since(client: AirbyteClient, connection_id: str, triggered_at: dt.datetime) -> Job | None:
    """The newest sync job of the connection created since our trigger (running or ended), or None."""
    since = triggered_at - dt.timedelta(seconds=ADOPTION_TOLERANCE_S)
    for job in client.list_jobs(connection_id=connection_id, job_type="sync", created_after=since, limit=5):
        created = job.created_at if job.created_at.tzinfo else job.created_at.replace(tzinfo=dt.UTC)
        if not ExpectedJob(job.id, connection_id).mismatches(job) and created >= since:
            return job
    return None


def running_job(client: AirbyteClient, connection_id: str) -> Job | None:
    """The running sync of the connection, checked: never another connection's or type's job."""
    running = client.find_running_job(connection_id)
    if running is None:
        return None
    expected = ExpectedJob(running.id, connection_id)
    wrong = expected.mismatches(running) + (["it has ended"] if running.is_terminal else [])
    if wrong:
        raise expected.error(running, wrong, reads=1)
    return running
