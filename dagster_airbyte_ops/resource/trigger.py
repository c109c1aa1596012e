"""Trigger a sync, or find the job to attach to: the one place a sync's job comes from.

Airbyte runs one sync of a connection at a time and answers a second trigger with 409, so a 409
means "attach to the running job", never "retry". Every job this returns has passed the identity
check of `job_identity.py`: the trigger's answer must name our connection, a sync, created no
earlier than the trigger; the attach look-up must find a running sync of our connection.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Literal

from ..client import AirbyteClient, outcome_unknown
from ..client.jobs_extra import ConnectionInactiveError
from ..client.jobs_extra import trigger_sync as trigger_sync_or_refuse
from ..client.models import Job
from ..errors import AirbyteApiError, SyncConflictError
from .job_identity import ExpectedJob, utc_now
from .schema_guard import inactive_failure

RunningSyncPolicy = Literal["attach", "fail", "skip"]


def trigger_or_attach(
    client: AirbyteClient, connection_id: str, *, policy: RunningSyncPolicy, log: logging.Logger
) -> tuple[Job, bool, ExpectedJob]:
    """(job, attached, what every later read of the job must answer)."""
    triggered_at = utc_now()
    try:
        return _checked_trigger(client, connection_id, triggered_at)
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
        # The trigger may have reached Airbyte although its answer did not reach us.
        running = running_job(client, connection_id)
        if running is None:
            raise
        log.warning(
            "Trigger of connection %s failed (%s) but job %s is running; attaching to it.",
            connection_id,
            error,
            running.id,
        )
        return running, True, ExpectedJob.of(running)


def _checked_trigger(
    client: AirbyteClient, connection_id: str, triggered_at: dt.datetime
) -> tuple[Job, bool, ExpectedJob]:
    job = trigger_sync_or_refuse(client, connection_id)
    expected = ExpectedJob(job.id, connection_id, not_before=triggered_at)
    wrong = expected.mismatches(job)
    if wrong:
        raise expected.error(job, wrong, reads=1)
    return job, False, expected.pinned(job)


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
