"""Whose job is it? The rules for cancelling an Airbyte job when a run is terminated or times out.

One Airbyte job can have several waiters: the run that triggered it, runs that attached to it (a
second materialization, a retried step), and people or Airbyte's own scheduler, who started jobs that
our runs attached to. Cancelling on behalf of one waiter fails all the others, so a run cancels a job
only when all of these hold:

1. it triggered the job itself (an attached run never cancels: it may be Airbyte's scheduler's or
   a person's job, or another run's);
2. no other live Dagster run is attached to it (the caller's `JobOwnership.others_waiting`: run tags
   and the instance's run storage);
3. on termination, `cancel_on_termination` is on (a timeout cancels regardless).

Otherwise the run detaches: it stops waiting, logs why, and the job runs on for its other waiters.
The resource knows nothing of Dagster runs; the assets pass a `JobOwnership` that does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Protocol

from ..client.models import Job
from ..errors import AirbyteApiError


class JobOwnership(Protocol):
    """What the caller of `AirbyteResource.sync` knows about who else waits for a job."""

    def others_waiting(self, job_id: int, connection_id: str) -> Sequence[str]:
        """Ids of the other live Dagster runs attached to the job (empty: nobody else waits)."""
        ...

    def settled(self, job: Job) -> None:
        """This run cancelled the job: its outcome is known and handled here."""
        ...


def refusal(
    *, attached: bool, others: Sequence[str], cancel_on_termination: bool, timed_out: bool
) -> str | None:
    """Why this run must not cancel the job, or None when it may (the rules above)."""
    if attached:
        return "this run attached to it (another run, Airbyte's scheduler or a person started it)"
    if others:
        return f"Dagster run(s) {', '.join(others)} are attached to it"
    if not timed_out and not cancel_on_termination:
        return "cancel_on_termination is off"
    return None


def release(
    cancel: Callable[[], Job],
    job_id: int,
    connection_id: str,
    *,
    attached: bool,
    ownership: JobOwnership | None,
    cancel_on_termination: bool,
    timed_out: bool,
    log: logging.Logger,
) -> str:
    """Cancel the job (`cancel`) if the rules allow, else detach; says which happened."""
    others = ownership.others_waiting(job_id, connection_id) if ownership and not attached else ()
    reason = refusal(
        attached=attached, others=others, cancel_on_termination=cancel_on_termination, timed_out=timed_out
    )
    if reason is not None:
        return f"was not cancelled: detached from it, because {reason}"
    try:
        cancelled = cancel()
    except AirbyteApiError as error:
        log.error("Could not cancel Airbyte job %s: %s", job_id, error)
        return f"could not be cancelled ({error})"
    if ownership is not None:
        ownership.settled(cancelled)
    return "was cancelled"
