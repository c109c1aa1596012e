"""Durations and clock times, pinned by their numbers (issue 14, last bullet)."""

from __future__ import annotations

import datetime as dt

import pytest

from dagster_airbyte_ops.config import parse_config
from dagster_airbyte_ops.config.values import MAX_DURATION_DAYS, parse_duration
from dagster_airbyte_ops.errors import ConfigError


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1s", 1),
        ("90s", 90),
        ("1m", 60),
        ("30m", 1800),
        ("1h", 3600),
        ("2h", 7200),
        ("1d", 86400),
        ("2d", 172800),
        ("1w", 604800),
        ("2w", 1209600),
        ("1h30m", 5400),
        ("1d12h", 129600),
        ("1w1d1h1m1s", 694861),
        (" 2H ", 7200),
        ("3650d", 3650 * 86400),
    ],
)
def test_duration_seconds(text, seconds):
    assert parse_duration(text) == dt.timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["0s", "0m", "0d", "3651d", "522w", "1.5h", "-1h", "1y", "h", "", "5"])
def test_durations_refused(text):
    with pytest.raises(Exception) as raised:
        parse_duration(text)
    assert "Overflow" not in type(raised.value).__name__


def test_the_longest_duration_is_ten_years():
    assert MAX_DURATION_DAYS == 3650


def _window(between: str) -> str:
    return (
        f'connections: [{{name: a, schedule: {{cron: "*/5 * * * *", skip: [{{between: [{between}]}}]}}}}]\n'
    )


@pytest.mark.parametrize("between", ['"00:00", "23:59"', '"9:05", "17:30"', '"12:00", "12:59"'])
def test_clock_times_accepted(between):
    parse_config(_window(between), "airbyte_ops.yaml", environ={})


@pytest.mark.parametrize("bad", ["12:60", "24:00", "7:5", "25:00", "noon"])
def test_clock_minute_of_60_and_hour_of_24_refused(bad):
    with pytest.raises(ConfigError, match="is not a time of day; write it as HH:MM"):
        parse_config(_window(f'"{bad}", "18:00"'), "airbyte_ops.yaml", environ={})
