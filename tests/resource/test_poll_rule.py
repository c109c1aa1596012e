"""The adaptive poll rule, pinned by its numbers (issue 14, last bullet).

`next_delay_s(elapsed) = min(max(max_interval, 0.25), max(0.25, elapsed * 0.1))`: a tenth of the time
watched, never under a quarter second, never over the ceiling. Swapping min and max, a fraction of 0
or 1, or dropping the ceiling each change a row here (only a wall-clock bound tested it before).
"""

from __future__ import annotations

import pytest

from dagster_airbyte_ops.resource.polling import (
    ELAPSED_FRACTION,
    MIN_POLL_INTERVAL_S,
    AdaptivePolling,
)


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
