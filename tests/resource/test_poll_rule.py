"""The adaptive poll rule, pinned by its numbers (issue 14, last bullet).

`next_delay_s(elapsed) = min(max(max_interval, 0.25), max(0.25, elapsed * 0.1))`: a tenth of the time
watched, never under a quarter second, never over the ceiling. Swapping min and max, a fraction of 0
or 1, or dropping the ceiling each change a row here (only a wall-clock bound tested it before).
"""

from __future__ import annotations

import pytest

from dagster_airbyte_ops.client.models import JobStatus
from dagster_airbyte_ops.resource.polling import (
    ELAPSED_FRACTION,
    END_MARGIN_S,
    HISTORY_JOBS,
    LAG_FLOOR_S,
    LAG_FRACTION,
    MAX_SPARSE_INTERVAL_S,
    MAX_SPREAD_FRACTION,
    MIN_POLL_INTERVAL_S,
    SPARSE_FRACTION,
    AdaptivePolling,
    PredictedPolling,
    job_length_s,
    polling_for,
)

from .conftest import history_job


def test_the_constants():
    assert (MIN_POLL_INTERVAL_S, ELAPSED_FRACTION) == (0.25, 0.1)


@pytest.mark.parametrize(
    ("max_interval_s", "elapsed_s", "delay_s"),
    [
        (10.0, 0.0, 0.25),  # the floor: a first read right after the trigger
        (10.0, 1.0, 0.25),  # a tenth of 1 s is under the floor
        (10.0, 2.5, 0.25),  # exactly the floor
        (10.0, 3.0, 0.3),  # a tenth of the time watched
        (10.0, 40.0, 4.0),
        (10.0, 99.0, 9.9),
        (10.0, 100.0, 10.0),  # reaches the ceiling
        (10.0, 5000.0, 10.0),  # and stays there
        (2.0, 50.0, 2.0),  # a lower ceiling
        (0.1, 50.0, 0.25),  # a ceiling under the floor: the floor wins
        (0.1, 0.0, 0.25),
    ],
)
def test_next_delay(max_interval_s, elapsed_s, delay_s):
    assert AdaptivePolling(max_interval_s=max_interval_s).next_delay_s(elapsed_s) == pytest.approx(delay_s)


def test_a_first_read_is_not_delayed():
    assert AdaptivePolling(max_interval_s=10.0).wait_before_first_read is False


def test_a_six_hour_sync_costs_a_bounded_number_of_polls():
    """Walk the rule over six hours: polls grow with log(time) then linearly at the ceiling."""
    polling = AdaptivePolling(max_interval_s=10.0)
    elapsed, polls = 0.0, 0
    while elapsed < 6 * 3600:
        elapsed += polling.next_delay_s(elapsed)
        polls += 1
    assert 2100 <= polls <= 2200, polls  # ≈ 6 h / 10 s after the first 100 s


# -- the predicted rule (a connection with a steady history) -----------------------------------------


def _predicted(shortest: float, median: float, longest: float, ceiling: float = 10.0) -> PredictedPolling:
    return PredictedPolling(shortest_s=shortest, median_s=median, longest_s=longest, max_interval_s=ceiling)


def test_the_predicted_constants():
    assert (HISTORY_JOBS, MAX_SPREAD_FRACTION, LAG_FLOOR_S, LAG_FRACTION) == (5, 0.5, 1.0, 0.05)
    assert (MAX_SPARSE_INTERVAL_S, SPARSE_FRACTION, END_MARGIN_S) == (300.0, 0.25, 0.05)


@pytest.mark.parametrize(
    ("median_s", "lag_s"),
    [(10.0, 1.0), (20.0, 1.0), (40.0, 2.0), (600.0, 30.0)],  # max(1 s, 5 % of the median)
)
def test_the_lag_allowed(median_s, lag_s):
    assert _predicted(median_s, median_s, median_s).lag_allowed_s == pytest.approx(lag_s)


def test_the_dense_window():
    polling = _predicted(500.0, 600.0, 700.0)  # lag allowed: 30 s
    assert polling.window_start_s == pytest.approx(500.05)  # 50 ms after the shortest (not lag-relative)
    assert polling.window_end_s == pytest.approx(760.0)  # twice the lag after the longest
    assert polling.wait_before_first_read is True


@pytest.mark.parametrize(
    ("elapsed_s", "delay_s"),
    [
        (0.0, 150.0),  # sparse: a quarter of the 600 s median
        (100.0, 150.0),
        (200.0, 150.0),
        (275.0, 150.0),
        (275.05, 225.0),  # the next sparse poll would land one half-interval before the window: skip it
        (283.0, 217.05),
        (400.0, 100.05),
        (500.0, 0.05),
        (500.05, 24.0),  # dense: 0.8 of the 30 s lag allowed
        (600.0, 24.0),
        (760.0, 24.0),  # the window's last instant
        (761.0, 10.0),  # past it: the adaptive rule (a tenth of 761 s, capped at 10 s)
    ],
)
def test_next_predicted_delay(elapsed_s, delay_s):
    assert _predicted(500.0, 600.0, 700.0).next_delay_s(elapsed_s) == pytest.approx(delay_s)


@pytest.mark.parametrize(
    ("polling", "elapsed_s", "delay_s"),
    [
        (_predicted(4000.0, 4000.0, 4000.0), 0.0, 300.0),  # sparse polls are capped at 5 minutes
        (_predicted(8.0, 8.0, 8.0, ceiling=3.0), 0.0, 3.0),  # ... and never closer than the interval
        (_predicted(8.0, 8.0, 8.0), 0.0, 8.05),  # 10 s apart would overshoot: wait for the window
        (_predicted(8.0, 8.0, 8.0), 9.0, 0.8),  # dense: never under 0.8 of the 1 s lag floor
        (_predicted(0.2, 0.2, 0.2), 0.5, 0.8),
        (_predicted(8.0, 8.0, 8.0), 30.0, 3.0),  # past the window: a tenth of the time watched
        (_predicted(8.0, 8.0, 8.0, ceiling=2.0), 30.0, 2.0),  # ... capped by the interval
    ],
)
def test_next_predicted_delay_at_the_edges(polling, elapsed_s, delay_s):
    assert polling.next_delay_s(elapsed_s) == pytest.approx(delay_s)


def test_the_floor_of_the_dense_polls():
    """The lag allowed is at least 1 s, so dense polls are 0.8 s apart at least (a zero median)."""
    assert _predicted(0.0, 0.0, 0.0).next_delay_s(0.5) == pytest.approx(0.8)


@pytest.mark.parametrize(
    ("job", "length_s"),
    [
        (history_job(60.0), 60.0),  # ended - created
        (history_job(60.0, updated_s=65.0), 65.0),  # the later of the end and the last update
        (history_job(60.0, updated_s=30.0), 60.0),
        (history_job(None, updated_s=42.0), 42.0),  # the public API: its last update is the end
        (history_job(None, duration_s=17.0), 17.0),  # neither: Airbyte's duration
        (history_job(None), None),
        (history_job(-5.0), 0.0),  # a clock that went backwards gives no negative length
    ],
)
def test_job_length(job, length_s):
    assert job_length_s(job) == length_s


@pytest.mark.parametrize(
    ("lengths", "shortest", "median", "longest"),
    [
        ([100.0], 100.0, 100.0, 100.0),
        ([1.0, 1.0], 1.0, 1.0, 1.0),  # a one-second sync has a history too
        ([90.0, 100.0, 120.0], 90.0, 100.0, 120.0),
        ([80.0, 100.0, 130.0], 80.0, 100.0, 130.0),  # a spread of exactly half the median predicts
        ([100.0, 100.0, 100.0, 100.0, 100.0, 5000.0], 100.0, 100.0, 100.0),  # the newest 5 only
    ],
)
def test_a_steady_history_predicts(lengths, shortest, median, longest):
    polling = polling_for([history_job(length, n=i) for i, length in enumerate(lengths)], max_interval_s=7.0)
    assert polling == PredictedPolling(
        shortest_s=shortest, median_s=median, longest_s=longest, max_interval_s=7.0
    )


@pytest.mark.parametrize(
    "history",
    [
        [],
        # spread just over half the median
        [history_job(79.0, n=0), history_job(100.0, n=1), history_job(130.0, n=2)],
        [history_job(0.0, n=0), history_job(0.0, n=1)],  # a zero median predicts nothing
        [history_job(None, n=0)],  # no length known
        [history_job(60.0, status=JobStatus.FAILED)],  # only successes predict
        [history_job(60.0, status=JobStatus.CANCELLED)],
        [history_job(60.0, job_type="reset_connection")],  # only syncs
    ],
)
def test_without_a_usable_history_the_rule_is_adaptive(history):
    assert polling_for(history, max_interval_s=7.0) == AdaptivePolling(max_interval_s=7.0)


def test_unusable_jobs_are_skipped_not_counted():
    """A failed job and a reset in the history are skipped; the 5 newest usable syncs predict."""
    history = [
        history_job(9000.0, status=JobStatus.FAILED, n=0),
        history_job(9000.0, job_type="reset_connection", n=1),
        history_job(None, n=2),
        *[history_job(100.0, n=3 + i) for i in range(5)],
        history_job(5000.0, n=9),
    ]
    polling = polling_for(history, max_interval_s=7.0)
    assert polling == PredictedPolling(100.0, 100.0, 100.0, 7.0)
