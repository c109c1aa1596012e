"""The field types of the configuration file, value by value: what each accepts, and the exact
message for what it refuses (a user reads the message: its words are behaviour). The rows come from
mutation testing (docs/testing.md): each one fails if a rule or a message of `config/values.py`
changes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from dagster_airbyte_ops.config import values

FIX_URL = 'write a full URL such as "http://localhost:8000"'
CREDENTIALS = (
    "has credentials in it; a URL must not carry a secret: remove them and set auth: "
    "{basic: {username: ..., password: {env: AIRBYTE_PASSWORD}}}"
)
FIX_DURATION = "write a whole number and a unit: 90s, 30m, 2h, 1d, 1w (or combined: 1h30m)"
NOT_A_ZONE = "is not an IANA time zone"
NAME_RULE = "is not a valid Dagster name: use letters, digits and _ only, e.g."
NOT_A_KEY = 'is not an asset key; write its parts separated by "/", e.g. "analytics/daily_revenue"'
WEEKDAYS = "(use mon tue wed thu fri sat sun)"


def _accepts(kind: Any, value: Any) -> Any:
    return TypeAdapter(kind).validate_python(value)


def _refusal(kind: Any, value: Any) -> str:
    with pytest.raises(ValidationError) as raised:
        TypeAdapter(kind).validate_python(value)
    return str(raised.value.errors()[0]["msg"])


@pytest.mark.parametrize(
    ("url", "clean"),
    [
        ("http://localhost:8000", "http://localhost:8000"),
        ("http://localhost:8000///", "http://localhost:8000"),  # trailing slashes dropped
        ("https://airbyte.example.com/api/", "https://airbyte.example.com/api"),
        ("http://BOX/", "http://BOX"),  # only slashes are dropped
    ],
)
def test_urls_accepted(url, clean):
    assert _accepts(values.HttpUrl, url) == clean


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://user:pw@host:8000/api/", f'"http://user:***@host:8000/api/" {CREDENTIALS}'),
        ("http://user@host/", f'"http://user:***@host/" {CREDENTIALS}'),  # a user alone is refused too
        ("http://:pw@host/", f'"http://:***@host/" {CREDENTIALS}'),
        ("http://a@b:pw@host/", f'"http://a@b:***@host/" {CREDENTIALS}'),  # the password never shows
        ("http://[::1", f'"http://[::1" is not a URL; {FIX_URL}'),
        ("ftp://x", f'"ftp://x" must start with http:// or https://; {FIX_URL}'),
        (
            "localhost:8000",
            '"localhost:8000" must start with http:// or https://; write a full URL such as '
            '"http://localhost:8000"',
        ),
        (
            "airbyte",
            '"airbyte" must start with http:// or https://; write a full URL such as "http://airbyte"',
        ),
        ("http:///x", f'"http:///x" has no host name; {FIX_URL}'),
        ("  ", f'"  " must start with http:// or https://; {FIX_URL}'),
    ],
)
def test_urls_refused(url, message):
    assert _refusal(values.HttpUrl, url) == message


def test_check_http_url():
    assert values.check_http_url("https://h") is None
    assert values.check_http_url("http://[::1") == "is not a URL"


@pytest.mark.parametrize(
    ("zone", "hint"),
    [
        ("Europe/Pariss", 'did you mean "Europe/Paris"?'),  # a typo of the whole name
        ("Europe/Parisxyz", 'did you mean "Europe/Paris"?'),  # close as a whole, far as a city
        ("Paris", 'did you mean "Europe/Paris"?'),  # the city alone
        ("paris", 'did you mean "Europe/Paris"?'),
        ("America/New York", 'did you mean "America/New_York"?'),  # spaces for underscores
        ("Isle of Man", 'did you mean "Europe/Isle_of_Man"?'),
        ("Somewhere/Else/Hong Kong", 'did you mean "Asia/Hong_Kong"?'),  # not the alias "Hongkong"
        ("Tell City", 'did you mean "America/Indiana/Tell_City"?'),  # the last of three segments
        ("Foo/Bar/Tell City", 'did you mean "America/Indiana/Tell_City"?'),
        ("Somewhere/Else/Tell City", 'did you mean "America/Indiana/Tell_City"?'),
        ("kolkatta", 'did you mean "Asia/Kolkata"?'),  # a typo of the city
        ("Cu", 'use an IANA name such as "UTC", "Europe/Paris", "America/New_York"'),  # nothing close
        ("abidqq", 'use an IANA name such as "UTC", "Europe/Paris", "America/New_York"'),
        ("Xyzzy", 'use an IANA name such as "UTC", "Europe/Paris", "America/New_York"'),
    ],
)
def test_time_zones_refused_with_a_hint(zone, hint):
    assert _refusal(values.TimeZone, zone) == f'"{zone}" {NOT_A_ZONE}; {hint}'


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (True, f"true is not a duration; {FIX_DURATION}"),  # a boolean is not a number of seconds
        (1.5, f"1.5 is not a duration; {FIX_DURATION}"),
        (None, f"null is not a duration; {FIX_DURATION}"),
        (90, f"90 has no unit; {FIX_DURATION}"),
        ("x", f'"x" is not a duration; {FIX_DURATION}'),
        ("3650d1s", f'"3650d1s" is too long: at most 3650d (ten years); {FIX_DURATION}'),
        ("0s", f'"0s" must be longer than 0; {FIX_DURATION}'),
    ],
)
def test_durations_refused(value, message):
    assert _refusal(values.Duration, value) == message


def test_durations_ignore_spaces_and_case():
    assert _accepts(values.Duration, " 1 H 30 m ") == dt.timedelta(minutes=90)
    assert _accepts(values.Duration, dt.timedelta(hours=1)) == dt.timedelta(hours=1)


@pytest.mark.parametrize(
    ("name", "suggestion"),
    [
        ("my group!", "my_group"),
        ("a--b", "a_b"),  # runs of bad characters become one _
        ("Ab Cd", "Ab_Cd"),  # capitals are kept
        ("Xmas!", "Xmas"),
        ("!!!", "my_name"),  # nothing usable left
    ],
)
def test_dagster_names_refused_with_a_suggestion(name, suggestion):
    assert _refusal(values.DagsterName, name) == f'"{name}" {NAME_RULE} "{suggestion}"'


def test_group_prefix():
    assert _accepts(values.GroupPrefix, "") == ""  # no prefix
    assert _accepts(values.GroupPrefix, "raw") == "raw"
    assert _refusal(values.GroupPrefix, "a b") == f'"a b" {NAME_RULE} "a_b"'


@pytest.mark.parametrize("key", ["", "a//b", "a/ /b", "/a"])
def test_asset_keys_refused(key):
    assert _refusal(values.AssetKeyString, key) == f'"{key}" {NOT_A_KEY}'


@pytest.mark.parametrize("key", ["a", "a/b", "analytics/daily-revenue"])
def test_asset_keys_accepted(key):
    assert _accepts(values.AssetKeyString, key) == key


def test_dates():
    assert _accepts(values.Date, dt.date(2026, 1, 1)) == dt.date(2026, 1, 1)
    assert _accepts(values.Date, " 2026-12-25 ") == dt.date(2026, 12, 25)
    assert _refusal(values.Date, dt.datetime(2026, 1, 1)) == (
        '2026-01-01 00:00:00 is not a date; write it as YYYY-MM-DD, e.g. "2026-12-25"'
    )


def test_clock_times():
    assert _accepts(values.Clock, dt.time(1, 2)) == dt.time(1, 2)
    assert _accepts(values.Clock, "7:05") == dt.time(7, 5)
    assert _refusal(values.Clock, 5) == '5 is not a time of day; write it as HH:MM (24-hour), e.g. "12:30"'


@pytest.mark.parametrize(
    ("value", "weekday"), [("MONDAY", "mon"), ("Tuesday", "tue"), ("Fri", "fri"), (" sun ", "sun")]
)
def test_weekdays_accepted(value, weekday):
    assert _accepts(values.Weekday, value) == weekday


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("mondy", f'"mondy" is not a weekday; did you mean "mon"? {WEEKDAYS}'),
        ("xyz", f'"xyz" is not a weekday {WEEKDAYS}'),
        (3, f"3 is not a weekday {WEEKDAYS}"),
    ],
)
def test_weekdays_refused(value, message):
    assert _refusal(values.Weekday, value) == message


def test_unique_items():
    assert values.unique_items(["a", "b"]) == ["a", "b"]
    same = [{"name": "x"}, {"name": "x"}]  # mappings are told apart by the checks that know them
    assert values.unique_items(same) == same
    with pytest.raises(Exception) as raised:
        values.unique_items(["a", "b", "a"])
    assert str(raised.value) == '"a" is listed twice; remove one'
