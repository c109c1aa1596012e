"""Airbyte's own schedule of a connection, as a 5-field cron Dagster can run (`schedule: from_airbyte`).

Airbyte stores cron schedules in Quartz syntax — seconds first, an optional year last, `?` for "no
specific value", day-of-week numbered 1 (Sunday) to 7 (Saturday) — and "basic" schedules as "every
N units". Dagster schedules take 5-field Unix cron (minute hour day-of-month month day-of-week, Sunday
= 0). Most Quartz expressions translate field by field; the ones that do not (`L`, `W`, `#`, seconds
other than 0, a restricted year, both day fields restricted) are refused with the reason rather than
approximated, because a schedule that silently fires on other days than Airbyte's is worse than none.

Nothing here knows about `airbyte_ops.yaml`: `schedules.py` turns `UnconvertibleSchedule` into a
`ConfigError` that names the file, the entry and the fix.

Example:
    ```python
    from dagster_airbyte_ops.schedules.quartz import quartz_to_cron

    assert quartz_to_cron("0 30 2 ? * MON-FRI") == "30 2 * * MON-FRI"  # 02:30 on weekdays
    ```
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..client.models import ConnectionSchedule
from ..config import cron_problem

# Quartz day-of-week numbers (1 = Sunday … 7 = Saturday) → Unix cron (0 = Sunday … 6 = Saturday).
_QUARTZ_DOW_OFFSET = 1
# (field name, highest value in Unix cron) for the five fields that survive conversion.
_FIELD_MAX = {"minute": 59, "hour": 23, "day-of-month": 31, "month": 12, "day-of-week": 6}
_NUMBER = re.compile(r"^\d+$")


class UnconvertibleSchedule(ValueError):
    """An Airbyte schedule with no faithful 5-field cron equivalent; the message says which part."""


@dataclass(frozen=True)
class ConvertedSchedule:
    """A schedule Dagster can run: 5-field `cron` in `timezone`, and what it was made from."""

    cron: str
    timezone: str
    origin: str  # Airbyte's own wording, for descriptions: 'Quartz cron "0 0 2 * * ?"'


def quartz_to_cron(expression: str) -> str:
    """The 5-field cron that fires at exactly the instants Quartz `expression` does.

    Raises:
        UnconvertibleSchedule: a Quartz feature with no 5-field equivalent, named in the message.

    Example:
        ```python
        from dagster_airbyte_ops.schedules.quartz import quartz_to_cron

        assert quartz_to_cron("0 0 2 * * ?") == "0 2 * * *"  # every day at 02:00
        ```
    """
    parts = expression.split()
    if len(parts) not in (6, 7):
        raise UnconvertibleSchedule(
            f'Quartz cron "{expression}" has {len(parts)} fields; Quartz expects 6 or 7 '
            "(second minute hour day-of-month month day-of-week [year])"
        )
    second, minute, hour, dom, month, dow = parts[:6]
    year = parts[6] if len(parts) == 7 else "*"
    if second not in ("0", "00"):
        raise UnconvertibleSchedule(
            f'seconds field "{second}": Dagster schedules fire on whole minutes, so only 0 converts'
        )
    if year != "*":
        raise UnconvertibleSchedule(f'year field "{year}": 5-field cron cannot restrict the year')
    for name, value in (("day-of-month", dom), ("day-of-week", dow)):
        _refuse_quartz_only(name, value)
    if _restricts(dom) and _restricts(dow):
        raise UnconvertibleSchedule(
            f'both day-of-month "{dom}" and day-of-week "{dow}" are set; Quartz requires "?" in one '
            "of them (Unix cron would fire on either)"
        )
    for name, value in (("minute", minute), ("hour", hour), ("month", month)):
        _refuse_quartz_only(name, value)
    fields = [
        _field(minute, "minute"),
        _field(hour, "hour"),
        _field(dom, "day-of-month"),
        _field(month, "month"),
        _day_of_week(dow),
    ]
    cron = " ".join(fields)
    problem = cron_problem(cron)
    if problem is not None:
        raise UnconvertibleSchedule(f'Quartz cron "{expression}" becomes "{cron}", which {problem}')
    return cron


def basic_to_cron(units: int | None, time_unit: str | None) -> str:
    """A clock-aligned cron for Airbyte's "every N units" when one exists.

    Airbyte counts a basic schedule from the last sync; Dagster ticks on the clock. The two agree
    only when N divides the next larger unit (every 6 hours → 00:00, 06:00, 12:00, 18:00), so
    other intervals are refused rather than drift.

    Raises:
        UnconvertibleSchedule: an interval with no clock-aligned cron, or missing fields.
    """
    if units is None or time_unit is None or units < 1:
        raise UnconvertibleSchedule(
            f"the basic schedule is incomplete (units {units}, time unit {time_unit})"
        )
    every = f"every {units} {time_unit}"
    if time_unit == "minutes" and 60 % units == 0:
        return "* * * * *" if units == 1 else f"*/{units} * * * *"  # every minute / every N minutes
    if time_unit == "hours" and units % 24 == 0:
        return basic_to_cron(units // 24, "days")
    if time_unit == "hours" and 24 % units == 0:
        return "0 * * * *" if units == 1 else f"0 */{units} * * *"  # hourly / every N hours, on the hour
    if time_unit == "days" and units == 1:
        return "0 0 * * *"  # every day at midnight
    if time_unit == "weeks" and units == 1:
        return "0 0 * * 0"  # every Sunday at midnight
    if time_unit == "months" and 12 % units == 0:
        return "0 0 1 * *" if units == 1 else f"0 0 1 */{units} *"  # first of every (N-th) month
    raise UnconvertibleSchedule(
        f"{every} has no clock-aligned cron (Airbyte counts it from the last sync; "
        "cron needs an interval that divides the next larger unit)"
    )


def airbyte_schedule_to_cron(schedule: ConnectionSchedule) -> ConvertedSchedule | None:
    """The Dagster-runnable form of a connection's Airbyte schedule; None for a manual one.

    Raises:
        UnconvertibleSchedule: see `quartz_to_cron` and `basic_to_cron`.
    """
    if schedule.schedule_type == "cron":
        expression = (schedule.cron_expression or "").strip()
        return ConvertedSchedule(
            cron=quartz_to_cron(expression),
            timezone=schedule.timezone or "UTC",
            origin=f'Quartz cron "{expression}"',
        )
    if schedule.schedule_type == "basic":
        return ConvertedSchedule(
            cron=basic_to_cron(schedule.basic_units, schedule.basic_time_unit),
            timezone="UTC",  # Airbyte's basic schedules carry no time zone
            origin=f"basic schedule every {schedule.basic_units} {schedule.basic_time_unit}",
        )
    return None


def _restricts(value: str) -> bool:
    return value not in ("?", "*")


def _refuse_quartz_only(name: str, value: str) -> None:
    upper = value.upper()
    if "#" in upper:
        raise UnconvertibleSchedule(
            f'{name} "{value}": "#" (the n-th weekday of the month) has no 5-field cron equivalent'
        )
    if re.search(r"\d+W|LW|^W$", upper):
        raise UnconvertibleSchedule(f'{name} "{value}": "W" (nearest weekday) has no 5-field cron equivalent')
    if re.search(r"(^|[^A-Z])L($|[^A-Z])|\dL", upper):
        raise UnconvertibleSchedule(f'{name} "{value}": "L" (last day) has no 5-field cron equivalent')


def _field(value: str, name: str) -> str:
    """One Quartz field in Unix cron: `?` → `*`, `a/b` → `a-max/b` (Quartz's meaning, any croniter)."""
    if value == "?":
        return "*"
    items = []
    for item in value.split(","):
        base, slash, step = item.partition("/")
        if slash and _NUMBER.match(base):
            item = f"{base}-{_FIELD_MAX[name]}/{step}"
        items.append(item)
    return ",".join(items)


def _day_of_week(value: str) -> str:
    """Quartz day-of-week (1 = Sunday) in Unix numbering (0 = Sunday); names pass unchanged."""
    if value in ("?", "*"):
        return "*"
    items = []
    for item in value.split(","):
        base, slash, step = item.partition("/")
        if base == "*":
            shifted = "*"
        else:
            first, dash, last = base.partition("-")
            shifted = _dow_number(first) + (f"-{_dow_number(last)}" if dash else "")
            if slash and not dash:
                shifted = f"{shifted}-{_FIELD_MAX['day-of-week']}"
        items.append(shifted + (f"/{step}" if slash else ""))
    return ",".join(items)


def _dow_number(token: str) -> str:
    if not _NUMBER.match(token):
        return token  # SUN..SAT mean the same days in both syntaxes
    number = int(token)
    if not 1 <= number <= 7:
        raise UnconvertibleSchedule(f'day-of-week "{token}": Quartz numbers days 1 (Sunday) to 7 (Saturday)')
    return str(number - _QUARTZ_DOW_OFFSET)
