"""`schedule:` of a connection entry: cron schedules with a time zone and skip rules.

A connection's `schedule:` is one `{cron: ...}`, a list of them, or `"from_airbyte"` (use the
schedule set on the connection in Airbyte). The three shapes are a tagged union, so a mistake in
one shape is reported for that shape alone, not once per alternative.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Discriminator, Field, Tag, field_validator, model_validator

from ._base import _NULLABLE, _Model
from ._text import custom_error
from .cron import describe_cron
from .envrefs import EnvBool
from .values import Clock, Cron, DagsterName, Date, TimeZone, Weekday, unique_items

DEFAULT_TIMEZONE = "UTC"
# Discriminator tags of the `schedule:` union; the error renderer drops them from field paths.
UNION_TAGS = frozenset({"·single", "·list", "·from_airbyte"})


class SkipRule(_Model):
    """One `skip:` rule: a tick is skipped when it matches every condition the rule gives."""

    dates: Annotated[list[Date], Field(min_length=1), AfterValidator(unique_items)] | None = None
    weekdays: Annotated[list[Weekday], Field(min_length=1), AfterValidator(unique_items)] | None = None
    between: Annotated[list[Clock], Field(min_length=2, max_length=2)] | None = None

    @field_validator("between", mode="before")
    @classmethod
    def _two_times(cls, value: Any) -> Any:
        if not isinstance(value, list) or len(value) != 2:
            raise custom_error('between takes two times, start and end: ["12:00", "13:00"]')
        return value

    @model_validator(mode="after")
    def _some_condition(self) -> SkipRule:
        if self.dates is None and self.weekdays is None and self.between is None:
            raise custom_error("give at least one of dates, weekdays or between")
        if self.between is not None and self.between[0] == self.between[1]:
            raise custom_error('between: start and end are equal; give a window such as ["12:00", "13:00"]')
        return self

    def matches(self, moment: dt.datetime) -> bool:
        """Whether a tick at `moment` (in the schedule's time zone) falls under this rule.

        `between` includes its start and excludes its end; a window whose end is before its start
        wraps past midnight (`["22:00", "06:00"]`).
        """
        if self.dates is not None and moment.date() not in self.dates:
            return False
        if self.weekdays is not None and moment.strftime("%a").lower() not in self.weekdays:
            return False
        if self.between is not None:
            start, end = self.between
            now = moment.time().replace(tzinfo=None)
            inside = start <= now < end if start < end else (now >= start or now < end)
            if not inside:
                return False
        return True


class ScheduleSpec(_Model):
    """One cron schedule of a connection. `timezone` is filled from `defaults.timezone` at load."""

    cron: Cron
    timezone: Annotated[TimeZone | None, _NULLABLE] = None
    enabled: EnvBool = False
    name: DagsterName | None = None
    skip: list[SkipRule] = Field(default_factory=list)

    @property
    def description(self) -> str:
        """The cron in words, with its time zone."""
        return f"{describe_cron(self.cron)} ({self.timezone or DEFAULT_TIMEZONE})"

    def skips(self, moment: dt.datetime) -> bool:
        """Whether any skip rule covers a tick at `moment`."""
        return any(rule.matches(moment) for rule in self.skip)


def _schedule_shape(value: Any) -> str | None:
    if isinstance(value, Mapping | ScheduleSpec):
        return "·single"
    if isinstance(value, list):
        return "·list"
    if value == "from_airbyte":
        return "·from_airbyte"
    return None


ScheduleField = Annotated[
    Annotated[ScheduleSpec, Tag("·single")]
    | Annotated[list[ScheduleSpec], Tag("·list")]
    | Annotated[Literal["from_airbyte"], Tag("·from_airbyte")],
    Discriminator(
        _schedule_shape,
        custom_error_type="airbyte_ops_shape",
        custom_error_message='expected {cron: "..."}, a list of them, or "from_airbyte"',
    ),
]
