"""How long to wait before asking Airbyte about a job again.

A fixed interval is wrong at both ends: a 10 s interval adds up to 10 s to a one-second sync, and a
1 s interval makes 21,600 requests for a six-hour one.

**With history** (`PredictedPolling`): a connection's syncs tend to last about as long as its last
ones, so the sync's end is predicted from the durations of its recent successful jobs (one jobs-list
call per sync). Before the shortest of them, polls are sparse: a quarter of the predicted length
apart (at least `poll_interval_s`, at most `MAX_SPARSE_INTERVAL_S`), enough to notice a sync that
fails early. The first dense poll comes `END_MARGIN_S` (50 ms) after that shortest duration, counted
from the trigger's answer (Airbyte created the job before answering, so a job as long as its
shortest predecessor has ended by then): a margin proportional to the lag allowed would spend the
whole allowance of a short sync waiting, before Dagster has even started recording the step's results
(about 0.8 s for 10 streams with their checks, measured). From there until past the longest, polls
are dense: a bit less than the lag allowed, `max(1 s, 5 % of the predicted length)`, apart. A sync
that runs past the window falls back to the rule below. With identical past durations, a 10 s sync
is polled once, a 60 s one 4 times, a 300 s one 4 times, a six-hour one 73 times (fixed 10 s
polling: 1, 6, 30 and 2,160), each seen ending 50 ms after its end.

**Without history** (`AdaptivePolling`: a new connection, durations too spread to predict, the list
call failed, or a job attached to rather than started): wait about a tenth of the time already
elapsed, which keeps the expected completion lag near 5 % of the sync's length while the number of
polls grows only with the logarithm of the duration, until the ceiling (`poll_interval_s`) takes over.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from ..client.models import Job, JobStatus

MIN_POLL_INTERVAL_S = 0.25
ELAPSED_FRACTION = 0.1
#: How many recent successful syncs of the connection predict the next one's length.
HISTORY_JOBS = 5
#: Durations spread wider than this share of their median are too unsteady to predict from.
MAX_SPREAD_FRACTION = 0.5
#: The lag allowed after a predicted end: max(1 s, 5 % of the sync).
LAG_FLOOR_S = 1.0
LAG_FRACTION = 0.05
#: Before the predicted end, polls are at most this far apart (a six-hour sync: 72 polls).
MAX_SPARSE_INTERVAL_S = 300.0
SPARSE_FRACTION = 0.25
#: The first dense poll comes this long after the shortest recent duration (counted from the
#: trigger's answer): covers sleep and clock jitter, not Airbyte's whole-second timestamps.
END_MARGIN_S = 0.05


@dataclass(frozen=True)
class AdaptivePolling:
    """Poll delay as a function of the time the job has been watched."""

    max_interval_s: float
    min_interval_s: float = MIN_POLL_INTERVAL_S
    elapsed_fraction: float = ELAPSED_FRACTION
    wait_before_first_read: bool = False  # read at once: a short sync may already be done

    def next_delay_s(self, elapsed_s: float) -> float:
        ceiling = max(self.max_interval_s, self.min_interval_s)
        return min(ceiling, max(self.min_interval_s, elapsed_s * self.elapsed_fraction))


@dataclass(frozen=True)
class PredictedPolling:
    """Sparse polls until the shortest recent duration, dense ones until past the longest.

    `elapsed_s` counts from the trigger's answer: the job was created before it, so a job that lasts
    `shortest_s` has ended `shortest_s` after it.
    """

    shortest_s: float
    median_s: float
    longest_s: float
    max_interval_s: float
    wait_before_first_read: bool = True  # the trigger answered; the next read is the first poll

    @property
    def lag_allowed_s(self) -> float:
        return max(LAG_FLOOR_S, LAG_FRACTION * self.median_s)

    @property
    def window_start_s(self) -> float:
        """First dense poll: just after the shortest recent duration (`END_MARGIN_S`)."""
        return self.shortest_s + END_MARGIN_S

    @property
    def window_end_s(self) -> float:
        return self.longest_s + 2 * self.lag_allowed_s

    def next_delay_s(self, elapsed_s: float) -> float:
        start = self.window_start_s
        if elapsed_s < start:
            sparse = min(MAX_SPARSE_INTERVAL_S, max(self.max_interval_s, SPARSE_FRACTION * self.median_s))
            # A sparse poll landing just before the window would be one request too many.
            if elapsed_s + sparse >= start - sparse / 2:
                return max(start - elapsed_s, 0.0)
            return sparse
        if elapsed_s <= self.window_end_s:
            return max(MIN_POLL_INTERVAL_S, 0.8 * self.lag_allowed_s)
        return AdaptivePolling(max_interval_s=self.max_interval_s).next_delay_s(elapsed_s)


def job_length_s(job: Job) -> float | None:
    """From Airbyte's creation of the job to its end: what a poller that triggered it waits.

    The end is the later of the job's end and its last update: the public API's `duration` starts
    at the first attempt, not at the trigger, while its `lastUpdatedAt` is the end of a finished job.
    Both APIs give whole seconds, so a length is known to about a second.
    """
    ends = [moment for moment in (job.ended_at, job.updated_at) if moment is not None]
    if ends:
        return max(0.0, (max(ends) - job.created_at).total_seconds())
    return job.duration_s


def polling_for(history: Sequence[Job], *, max_interval_s: float) -> AdaptivePolling | PredictedPolling:
    """The polling for a sync given the connection's recent jobs (newest first; any status).

    Only successful syncs predict; too few of them, or lengths spread wider than half their median,
    give the adaptive rule.
    """
    lengths = [
        length
        for job in history
        if job.status == JobStatus.SUCCEEDED and job.job_type == "sync"
        for length in [job_length_s(job)]
        if length is not None
    ][:HISTORY_JOBS]
    if not lengths:
        return AdaptivePolling(max_interval_s=max_interval_s)
    median = statistics.median(lengths)
    shortest, longest = min(lengths), max(lengths)
    if median <= 0 or longest - shortest > MAX_SPREAD_FRACTION * median:
        return AdaptivePolling(max_interval_s=max_interval_s)
    return PredictedPolling(
        shortest_s=shortest, median_s=median, longest_s=longest, max_interval_s=max_interval_s
    )
