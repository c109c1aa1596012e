"""Cron expressions: Dagster decides validity, this module explains the verdict.

Dagster's `is_valid_cron_string` is the authority (a string it accepts is one its schedules will
run), but it only answers yes or no. `cron_problem` adds the reason a person needs ("hour must be
0-23") with a small per-field range check, and rejects steps larger than their field (`*/90` in
the minute field runs hourly, not every 90 minutes), which Dagster accepts but only warns about.
`describe_cron` puts an expression into words for schedule descriptions.
"""

from __future__ import annotations

import functools
import re

from cron_descriptor import Options, get_description

from ..execution.dagster_internals import has_out_of_range_cron_interval, is_valid_cron_string

CRON_FIELDS_HELP = "5 fields: minute hour day-of-month month day-of-week"
MACROS = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}
_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
# (name, lowest, highest, names mapped to numbers)
_FIELDS: list[tuple[str, int, int, dict[str, int]]] = [
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day-of-month", 1, 31, {}),
    ("month", 1, 12, {m: i + 1 for i, m in enumerate(_MONTHS)}),
    ("day-of-week", 0, 7, {d: i for i, d in enumerate(_WEEKDAYS)}),
]
_DOM_SPECIAL = re.compile(r"^(?:\?|L)$", re.IGNORECASE)
_DOW_SPECIAL = re.compile(r"^(?:\?|\w{1,3}#[1-5])$", re.IGNORECASE)


def cron_problem(expression: str) -> str | None:
    """None when Dagster can schedule `expression`, else why not, in words."""
    text = expression.strip()
    try:
        valid = is_valid_cron_string(text)
    except Exception:  # croniter may raise on exotic input; treat as invalid
        valid = False
    if valid:
        try:
            too_big = has_out_of_range_cron_interval(text)
        except Exception:
            too_big = False
        if too_big:
            return _step_too_big(text) or "a step is larger than its field's range"
        return None
    return _explain(text) or "Dagster cannot schedule it"


_PERIOD_OF = {
    "minute": "hour",
    "hour": "day",
    "day-of-month": "month",
    "month": "year",
    "day-of-week": "week",
}
_UNIT_OF = {
    "minute": "minutes",
    "hour": "hours",
    "day-of-month": "days",
    "month": "months",
    "day-of-week": "days",
}


def _step_too_big(text: str) -> str | None:
    parts = text.split()
    if len(parts) != 5:
        return None
    for part, (name, low, high, _) in zip(parts, _FIELDS, strict=True):
        for item in part.split(","):
            _, slash, step = item.partition("/")
            if slash and step.isdigit() and int(step) > high:
                return (
                    f"{name} step {step} is larger than its range {low}-{high}: it would run once per "
                    f"{_PERIOD_OF[name]}, not every {step} {_UNIT_OF[name]}"
                )
    return None


def _explain(text: str) -> str | None:
    if text.startswith("@"):
        return f"unknown shortcut {text.split()[0]}; use one of {', '.join(MACROS)}"
    parts = text.split()
    if len(parts) != 5:
        return f"it has {len(parts)} field{'s' if len(parts) != 1 else ''}"
    for part, (name, low, high, names) in zip(parts, _FIELDS, strict=True):
        for item in part.split(","):
            reason = _item_problem(item, name, low, high, names)
            if reason:
                return reason
    if parts[3] in ("2", "feb", "FEB") and parts[2] in ("30", "31"):
        return f"February has no day {parts[2]}"
    return None


def _item_problem(item: str, name: str, low: int, high: int, names: dict[str, int]) -> str | None:
    if item == "":
        return f"{name} has an empty list item (check the commas)"
    if name == "day-of-month" and _DOM_SPECIAL.match(item):
        return None
    if name == "day-of-week" and _DOW_SPECIAL.match(item):
        return None
    base, slash, step = item.partition("/")
    if slash and not (step.isdigit() and int(step) > 0):
        return f'{name} step must be a positive whole number, got "{step}"'
    if base in ("*", "?"):
        return None
    first, dash, last = base.partition("-")
    bounds = [first, last] if dash else [first]
    values: list[int] = []
    for bound in bounds:
        number = names.get(bound.lower()) if names else None
        if number is None and bound.isdigit():
            number = int(bound)
        if number is None:
            return f'{name} has an unrecognised value "{bound}"'
        if not low <= number <= high:
            return f"{name} must be {low}-{high}"
        values.append(number)
    if len(values) == 2 and values[0] > values[1]:
        return f"{name} range {base} runs backwards; write it low-high"
    return None


@functools.lru_cache(maxsize=1024)
def describe_cron(expression: str) -> str:
    """The expression in words, for schedule descriptions (24-hour clock).

    Remembered: cron-descriptor reloads its locale on every call (~0.5 ms), most of the cost of
    building 1,000 schedules, and a workspace's schedules share few distinct expressions.

    Example:
        ```python
        from dagster_airbyte_ops.config import describe_cron

        assert describe_cron("0 */6 * * *") == "Every 6 hours"
        ```
    """
    text = MACROS.get(expression.strip().lower(), expression.strip())
    options = Options()
    options.use_24hour_time_format = True
    try:
        return str(get_description(text, options))
    except Exception:  # cron_descriptor is stricter than croniter on a few forms
        return f"cron {expression}"
