"""Airbyte's Quartz crons and basic schedules → 5-field cron, as a table.

Each converted row is also checked against Dagster's own tick iterator: the cron must fire at the
instants the Quartz expression means (read from its comment), not merely parse.
"""

from __future__ import annotations

import datetime as dt

import pytest
from dagster._utils.schedules import cron_string_iterator

from dagster_airbyte_ops.client.models import ConnectionSchedule
from dagster_airbyte_ops.schedules.quartz import (
    UnconvertibleSchedule,
    airbyte_schedule_to_cron,
    basic_to_cron,
    quartz_to_cron,
)

CONVERTS = [
    # (Quartz, 5-field cron, meaning)
    ("0 0 2 * * ?", "0 2 * * *", "every day at 02:00 (Airbyte's default form)"),
    ("0 30 2 ? * *", "30 2 * * *", "every day at 02:30, ? in day-of-week"),
    ("00 15 10 * * ? *", "15 10 * * *", "every day at 10:15, with a year field of *"),
    ("0 0/15 * * * ?", "0-59/15 * * * *", "every 15 minutes from minute 0"),
    ("0 5/20 * * * ?", "5-59/20 * * * *", "minutes 5, 25, 45"),
    ("0 0 */6 * * ?", "0 */6 * * *", "every 6 hours"),
    ("0 0 6-18 ? * MON-FRI", "0 6-18 * * MON-FRI", "hourly 06:00-18:00 on weekdays, by name"),
    ("0 0 8 ? * 2-6", "0 8 * * 1-5", "08:00 Monday-Friday: Quartz 2-6 is Unix 1-5"),
    ("0 0 8 ? * 1,7", "0 8 * * 0,6", "08:00 Sunday and Saturday"),
    ("0 0 8 ? * 2/2", "0 8 * * 1-6/2", "08:00 Monday, Wednesday, Friday"),
    ("0 0 0 1 * ?", "0 0 1 * *", "midnight on the 1st of each month"),
    ("0 0 0 1/10 * ?", "0 0 1-31/10 * *", "midnight on the 1st, 11th, 21st, 31st"),
    ("0 0 12 ? JAN,JUL *", "0 12 * JAN,JUL *", "noon every day of January and July"),
]


@pytest.mark.parametrize(("quartz", "cron", "meaning"), CONVERTS, ids=[row[2] for row in CONVERTS])
def test_quartz_converts(quartz, cron, meaning):
    assert quartz_to_cron(quartz) == cron


def _first_ticks(cron: str, start: dt.datetime, n: int) -> list[dt.datetime]:
    ticks = cron_string_iterator(start.timestamp(), cron, "UTC")
    return [next(ticks) for _ in range(n)]


def test_converted_day_of_week_fires_on_the_quartz_days():
    # Quartz "0 0 8 ? * 2-6" is 08:00 Monday-Friday; 2026-03-02 is a Monday.
    ticks = _first_ticks(quartz_to_cron("0 0 8 ? * 2-6"), dt.datetime(2026, 3, 1, tzinfo=dt.UTC), 6)
    assert [t.strftime("%a %H:%M") for t in ticks] == [
        "Mon 08:00", "Tue 08:00", "Wed 08:00", "Thu 08:00", "Fri 08:00", "Mon 08:00"
    ]  # fmt: skip


def test_converted_step_fires_on_the_quartz_minutes():
    # Quartz "0 5/20 * * * ?" fires at minutes 5, 25 and 45 of every hour.
    ticks = _first_ticks(quartz_to_cron("0 5/20 * * * ?"), dt.datetime(2026, 3, 1, tzinfo=dt.UTC), 4)
    assert [t.strftime("%H:%M") for t in ticks] == ["00:05", "00:25", "00:45", "01:05"]


REFUSED = [
    # (Quartz, the reason in the message)
    ("0 0 2 L * ?", '"L" (last day)'),
    ("0 0 2 L-3 * ?", '"L" (last day)'),
    ("0 0 2 ? * 6L", '"L" (last day)'),
    ("0 0 2 15W * ?", '"W" (nearest weekday)'),
    ("0 0 2 LW * ?", '"W" (nearest weekday)'),
    ("0 0 2 ? * 6#3", '"#" (the n-th weekday of the month)'),
    ("30 0 2 * * ?", "only 0 converts"),
    ("*/10 * * * * ?", "only 0 converts"),
    ("0 0 2 * * ? 2027", "cannot restrict the year"),
    ("0 0 2 1 * MON", 'Quartz requires "?" in one of them'),
    ("0 0 2 * *", "Quartz expects 6 or 7"),
    ("0 0 25 * * ?", "hour must be 0-23"),
    ("0 0 2 ? * 8", "Quartz numbers days 1 (Sunday) to 7 (Saturday)"),
]


@pytest.mark.parametrize(("quartz", "reason"), REFUSED, ids=[row[0] for row in REFUSED])
def test_quartz_without_a_five_field_equivalent_is_refused(quartz, reason):
    with pytest.raises(UnconvertibleSchedule) as raised:
        quartz_to_cron(quartz)
    assert reason in str(raised.value)


BASIC = [
    (1, "minutes", "* * * * *"),  # every minute
    (15, "minutes", "*/15 * * * *"),  # every 15 minutes
    (1, "hours", "0 * * * *"),  # hourly
    (6, "hours", "0 */6 * * *"),  # every 6 hours
    (24, "hours", "0 0 * * *"),  # every day at midnight
    (1, "days", "0 0 * * *"),  # every day at midnight
    (1, "weeks", "0 0 * * 0"),  # Sundays at midnight
    (1, "months", "0 0 1 * *"),  # the 1st of every month
    (3, "months", "0 0 1 */3 *"),  # the 1st of every third month
]


@pytest.mark.parametrize(("units", "unit", "cron"), BASIC, ids=[f"{u} {t}" for u, t, _ in BASIC])
def test_basic_schedules_convert_when_clock_aligned(units, unit, cron):
    assert basic_to_cron(units, unit) == cron


@pytest.mark.parametrize(("units", "unit"), [(7, "minutes"), (5, "hours"), (2, "days"), (2, "weeks")])
def test_basic_schedules_that_would_drift_are_refused(units, unit):
    with pytest.raises(UnconvertibleSchedule, match=f"every {units} {unit} has no clock-aligned cron"):
        basic_to_cron(units, unit)


def test_airbyte_schedule_keeps_the_time_zone_and_says_where_it_came_from():
    converted = airbyte_schedule_to_cron(ConnectionSchedule.cron("0 30 2 * * ?", "Europe/Paris"))
    assert converted is not None
    assert (converted.cron, converted.timezone, converted.origin) == (
        "30 2 * * *",  # every day at 02:30
        "Europe/Paris",
        'Quartz cron "0 30 2 * * ?"',
    )
    assert airbyte_schedule_to_cron(ConnectionSchedule.manual()) is None
