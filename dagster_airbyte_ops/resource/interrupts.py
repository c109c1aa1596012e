"""Waiting that a terminated run can interrupt, in a step thread as in a step process.

Signals reach only a process's main thread, so a terminated run cannot interrupt the step threads of
`airbyte_sync_executor` the way it interrupts a step process. The executor marks each step thread with
an event (`mark_step_thread`) and sets it on termination; waiting code (the sync's polling loop)
sleeps in `sleep_unless_interrupted`, wakes up and raises, and the sync then cancels its Airbyte job
as it would on a signal. This lives beside the resource so that the resource never imports the
executor: the executor depends on it, not the other way round.
"""

from __future__ import annotations

import threading
import time

import dagster as dg

_step_thread = threading.local()


def mark_step_thread(interrupted: threading.Event) -> None:
    """Called by the executor in each step thread: `interrupted` is set when the run is terminated."""
    _step_thread.interrupted = interrupted


def sleep_unless_interrupted(seconds: float) -> None:
    """`time.sleep`, except that a step thread of an interrupted run wakes up and raises.

    Outside step threads (the multiprocess executor, plain scripts): a plain sleep, interrupted by
    the signal Dagster sends the step process.
    """
    event: threading.Event | None = getattr(_step_thread, "interrupted", None)
    if event is None:
        time.sleep(seconds)
    elif event.wait(seconds):
        raise dg.DagsterExecutionInterruptedError("The run was terminated while this step was waiting.")
