"""Quartz and basic-schedule conversion, pinned by their numbers (issue 14, last bullet).

A Quartz step `a/b` means "from a to the field's maximum, every b": the maximum is 59 for minutes,
23 for hours and 12 for months. A basic schedule of 0 units is incomplete, never "every 0 hours".
"""

from __future__ import annotations

import pytest

from dagster_airbyte_ops.client.models import ConnectionSchedule
from dagster_airbyte_ops.schedules.quartz import (
    ConvertedSchedule,
    UnconvertibleSchedule,
    airbyte_schedule_to_cron,
    basic_to_cron,
    quartz_to_cron,
)


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


@pytest.mark.parametrize(
    ("quartz", "cron"),
    [
        ("0 0 2 * * *", "0 2 * * *"),  # "*" in both day fields restricts neither
        ("0 5,10/20 * * * ?", "5,10-59/20 * * * *"),  # a step inside a list
        ("0 0 2 ? * */2", "0 2 * * */2"),  # every other day of the week from Sunday
        ("0 0 2 ? * 2/2", "0 2 * * 1-6/2"),
        ("0 0 2 ? * 2-6", "0 2 * * 1-5"),
        ("0 0 2 ? * MON-FRI", "0 2 * * MON-FRI"),
    ],
)
def test_quartz_fields_that_convert(quartz, cron):
    assert quartz_to_cron(quartz) == cron


@pytest.mark.parametrize(
    ("quartz", "message"),
    [
        (
            "0 0 2 * *",
            'Quartz cron "0 0 2 * *" has 5 fields; Quartz expects 6 or 7 '
            "(second minute hour day-of-month month day-of-week [year])",
        ),
        (
            "0 0 2 1 * MON",
            'both day-of-month "1" and day-of-week "MON" are set; Quartz requires "?" in one '
            "of them (Unix cron would fire on either)",
        ),
        ("0 0 2 L * ?", 'day-of-month "L": "L" (last day) has no 5-field cron equivalent'),
        (
            "0 0 2 ? * 6#3",
            'day-of-week "6#3": "#" (the n-th weekday of the month) has no 5-field cron equivalent',
        ),
        ("0 0/5L * * * ?", 'minute "0/5L": "L" (last day) has no 5-field cron equivalent'),
        ("0 0 1#2 * * ?", 'hour "1#2": "#" (the n-th weekday of the month) has no 5-field cron equivalent'),
        ("0 0 0 1 1W ?", 'month "1W": "W" (nearest weekday) has no 5-field cron equivalent'),
        ("0 0/5/2 * * * ?", 'Quartz cron "0 0/5/2 * * * ?" becomes "0-59/5/2 * * * *", which '),
    ],
)
def test_what_a_refused_quartz_cron_says(quartz, message):
    with pytest.raises(UnconvertibleSchedule) as refused:
        quartz_to_cron(quartz)
    assert str(refused.value).startswith(message)


def test_what_a_refused_basic_schedule_says():
    with pytest.raises(UnconvertibleSchedule) as refused:
        basic_to_cron(48, "hours")  # 2 days: whole days, but not every day
    assert str(refused.value) == (
        "every 2 days has no clock-aligned cron (Airbyte counts it from the last sync; "
        "cron needs an interval that divides the next larger unit)"
    )


def test_airbyte_schedules():
    basic = airbyte_schedule_to_cron(
        ConnectionSchedule(schedule_type="basic", basic_units=6, basic_time_unit="hours")
    )
    assert basic == ConvertedSchedule(
        cron="0 */6 * * *", timezone="UTC", origin="basic schedule every 6 hours"
    )
    no_zone = airbyte_schedule_to_cron(
        ConnectionSchedule(schedule_type="cron", cron_expression=" 0 0 2 * * ? ")
    )
    assert no_zone == ConvertedSchedule(cron="0 2 * * *", timezone="UTC", origin='Quartz cron "0 0 2 * * ?"')
    with pytest.raises(UnconvertibleSchedule, match=r'^Quartz cron "" has 0 fields'):
        airbyte_schedule_to_cron(ConnectionSchedule(schedule_type="cron"))
