"""Quartz and basic-schedule conversion, pinned by their numbers (issue 14, last bullet).

A Quartz step `a/b` means "from a to the field's maximum, every b": the maximum is 59 for minutes,
23 for hours and 12 for months. A basic schedule of 0 units is incomplete, never "every 0 hours".
"""

from __future__ import annotations

import pytest

from dagster_airbyte_ops.schedules.quartz import UnconvertibleSchedule, basic_to_cron, quartz_to_cron


@pytest.mark.parametrize(
    ("quartz", "cron"),
    [
        ("0 0/15 * * * ?", "0-59/15 * * * *"),
        ("0 5/20 * * * ?", "5-59/20 * * * *"),
        ("0 0 0/6 * * ?", "0 0-23/6 * * *"),
        ("0 0 3/4 * * ?", "0 3-23/4 * * *"),
        ("0 30 1/12 * * ?", "30 1-23/12 * * *"),
        ("0 0 0 1 1/3 ?", "0 0 1 1-12/3 *"),
        ("0 0 0 1 2/6 ?", "0 0 1 2-12/6 *"),
        ("0 0 0 1/10 * ?", "0 0 1-31/10 * *"),
        ("0 0 2 * * ?", "0 2 * * *"),
        ("0 0 2 ? * 1", "0 2 * * 0"),  # Quartz Sunday = 1, cron Sunday = 0
        ("0 0 2 ? * 7", "0 2 * * 6"),
        ("0 0 12 * * ? *", "0 12 * * *"),
    ],
)
def test_quartz_to_cron(quartz, cron):
    assert quartz_to_cron(quartz) == cron


@pytest.mark.parametrize(
    ("units", "unit", "cron"),
    [
        (1, "minutes", "* * * * *"),
        (5, "minutes", "*/5 * * * *"),
        (30, "minutes", "*/30 * * * *"),
        (60, "minutes", "*/60 * * * *"),
        (1, "hours", "0 * * * *"),
        (6, "hours", "0 */6 * * *"),
        (12, "hours", "0 */12 * * *"),
        (24, "hours", "0 0 * * *"),
        (1, "days", "0 0 * * *"),
        (1, "weeks", "0 0 * * 0"),
        (1, "months", "0 0 1 * *"),
        (3, "months", "0 0 1 */3 *"),
        (12, "months", "0 0 1 */12 *"),
    ],
)
def test_basic_to_cron(units, unit, cron):
    assert basic_to_cron(units, unit) == cron


@pytest.mark.parametrize(
    ("units", "unit"),
    [
        (0, "minutes"),
        (0, "hours"),
        (0, "days"),
        (-1, "hours"),
        (None, "hours"),
        (1, None),
        (7, "minutes"),
        (5, "hours"),
        (48, "hours"),
        (2, "days"),
        (2, "weeks"),
        (5, "months"),
    ],
)
def test_basic_schedules_without_a_clock_aligned_cron_are_refused(units, unit):
    with pytest.raises(UnconvertibleSchedule):
        basic_to_cron(units, unit)


def test_zero_units_is_incomplete_not_every_zero():
    with pytest.raises(UnconvertibleSchedule, match=r"incomplete \(units 0, time unit hours\)"):
        basic_to_cron(0, "hours")
