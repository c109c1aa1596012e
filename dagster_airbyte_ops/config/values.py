"""Field types of the configuration file: each one validates a value and says how to fix it.

These are `Annotated` types so the models read like the file (`timezone: TimeZone`) while the
checks — and their messages — live here once. Where Dagster has a rule (names, tags, owners,
asset selection strings, cron), the rule is Dagster's, so a value accepted here is one Dagster
accepts when the definitions are built.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
import zoneinfo
from collections.abc import Mapping
from functools import cache
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import AfterValidator, BeforeValidator, ValidationInfo

from ..execution.dagster_internals import (
    is_private_system_tag_key,
    is_valid_owner,
    is_valid_strict_tag_value,
    is_valid_tag_key,
)
from ._text import close_matches, custom_error, did_you_mean, show
from .cron import CRON_FIELDS_HELP, cron_problem
from .envrefs import resolve_scalar

DAGSTER_NAME_RE = re.compile(r"^[A-Za-z0-9_]+$")
KEY_PART_RE = re.compile(r"^[A-Za-z0-9_-]+$")
_DURATION_RE = re.compile(r"^(?:(\d+)([smhdw]))+$")
_DURATION_PART_RE = re.compile(r"(\d+)([smhdw])")
_DURATION_UNITS_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
MAX_DURATION_DAYS = (
    3650  # ten years: a lag or window beyond it is a typo, and Python's timedelta ends soon after
)

# Upper bounds of numeric settings: far above any sensible value, low enough that a typo is caught.
MAX_REQUEST_TIMEOUT_S = 3600  # also the longest retry backoff base
MAX_RETRIES = 100
MAX_INTERVAL_S = 86400  # poll and observer intervals: a day
MAX_SYNC_TIMEOUT_S = 365 * 86400  # a year
MAX_CONCURRENT_SYNCS = 1000
_TIME_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKDAY_NAMES = {
    "monday": "mon",
    "tuesday": "tue",
    "wednesday": "wed",
    "thursday": "thu",
    "friday": "fri",
    "saturday": "sat",
    "sunday": "sun",
}
_TZ_EXAMPLES = '"UTC", "Europe/Paris", "America/New_York"'


def _non_empty(value: str) -> str:
    if not value.strip():
        raise custom_error("must not be empty")
    return value


NonEmptyStr = Annotated[str, AfterValidator(_non_empty), BeforeValidator(resolve_scalar)]


# ---- URLs ------------------------------------------------------------------------------------


def check_http_url(value: str) -> str | None:
    """None when `value` is an absolute http(s) URL with a host, else what is wrong."""
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        return "is not a URL"
    if parts.scheme not in ("http", "https"):
        return "must start with http:// or https://"
    if not host:
        return "has no host name"
    return None


def _without_password(value: str) -> str:
    parts = urlsplit(value)
    user = parts.username or ""
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def _url(value: str) -> str:
    try:
        parts = urlsplit(value)
        has_credentials = parts.username is not None or parts.password is not None
    except ValueError:
        has_credentials = False
    if has_credentials:
        raise custom_error(
            f"{show(_without_password(value))} has credentials in it; a URL must not carry a secret: "
            "remove them and set auth: {basic: {username: ..., password: {env: AIRBYTE_PASSWORD}}}"
        )
    problem = check_http_url(value)
    if problem:
        example = "http://" + value if "://" not in value and value.strip() else "http://localhost:8000"
        raise custom_error(f'{show(value)} {problem}; write a full URL such as "{example}"')
    return value.rstrip("/")


HttpUrl = Annotated[str, AfterValidator(_url), BeforeValidator(resolve_scalar)]
"""An http(s) URL with a host; a trailing slash is dropped."""


# ---- time zones ------------------------------------------------------------------------------


@cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones() | {"UTC"})


def _timezone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
        return value
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        pass
    hint = did_you_mean(value, _time_zones(), n=1, cutoff=0.75)
    if hint is None:
        # "Paris" → "Europe/Paris": match on the last segment
        by_city = {z.rsplit("/", 1)[-1].lower(): z for z in sorted(_time_zones())}
        city = value.rsplit("/", 1)[-1].lower().replace(" ", "_")
        zone = by_city.get(city)
        if zone is None:
            near = close_matches(city, by_city, n=1, cutoff=0.8)
            zone = by_city[near[0]] if near else None
        hint = f'did you mean "{zone}"?' if zone else f"use an IANA name such as {_TZ_EXAMPLES}"
    raise custom_error(f"{show(value)} is not an IANA time zone; {hint}")


TimeZone = Annotated[str, AfterValidator(_timezone), BeforeValidator(resolve_scalar)]
"""An IANA time zone name, checked against the tz database (`zoneinfo`)."""


# ---- durations -------------------------------------------------------------------------------


def parse_duration(value: Any) -> dt.timedelta:
    """`90s`, `30m`, `2h`, `1d`, `1w` or combinations (`1h30m`) as a timedelta."""
    if isinstance(value, dt.timedelta):
        return value
    fix = "write a whole number and a unit: 90s, 30m, 2h, 1d, 1w (or combined: 1h30m)"
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise custom_error(f"{show(value)} is not a duration; {fix}")
    if isinstance(value, int):
        raise custom_error(f"{value} has no unit; {fix}")
    text = value.strip().lower().replace(" ", "")
    if not _DURATION_RE.match(text):
        raise custom_error(f"{show(value)} is not a duration; {fix}")
    seconds = sum(int(n) * _DURATION_UNITS_S[u] for n, u in _DURATION_PART_RE.findall(text))
    if seconds > MAX_DURATION_DAYS * 86400:
        raise custom_error(f"{show(value)} is too long: at most {MAX_DURATION_DAYS}d (ten years); {fix}")
    if seconds <= 0:
        raise custom_error(f"{show(value)} must be longer than 0; {fix}")
    return dt.timedelta(seconds=seconds)


Duration = Annotated[dt.timedelta, BeforeValidator(parse_duration), BeforeValidator(resolve_scalar)]


# ---- Dagster names, tags, owners, keys -------------------------------------------------------


def _dagster_name(value: str) -> str:
    if not DAGSTER_NAME_RE.match(value):
        suggestion = re.sub(r"_+", "_", re.sub(r"[^A-Za-z0-9_]", "_", value)).strip("_") or "my_name"
        raise custom_error(
            f'{show(value)} is not a valid Dagster name: use letters, digits and _ only, e.g. "{suggestion}"'
        )
    return value


DagsterName = Annotated[str, AfterValidator(_dagster_name), BeforeValidator(resolve_scalar)]
"""A name Dagster accepts for groups, schedules, sensors and jobs (`^[A-Za-z0-9_]+$`)."""


def _group_prefix(value: str) -> str:
    return value if value == "" else _dagster_name(value)


GroupPrefix = Annotated[str, AfterValidator(_group_prefix), BeforeValidator(resolve_scalar)]


def _key_part(value: str) -> str:
    if not KEY_PART_RE.match(value):
        raise custom_error(
            f"{show(value)} is not a valid asset key part: use letters, digits, _ and - "
            '(one list item per level: [bronze, airbyte], not "bronze/airbyte")'
        )
    return value


KeyPart = Annotated[str, AfterValidator(_key_part), BeforeValidator(resolve_scalar)]


def _one_or_many(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


KeyPrefix = Annotated[list[KeyPart], BeforeValidator(_one_or_many), BeforeValidator(resolve_scalar)]
"""Asset key prefix: a list of parts, or one string for a single part."""


def check_asset_key(value: str, *, example: str) -> str:
    """`value` when it is an asset key written as the UI shows it ("a/b/c", no blank part)."""
    if not value or any(not part.strip() for part in value.split("/")):
        raise custom_error(
            f'{show(value)} is not an asset key; write its parts separated by "/", e.g. "{example}"'
        )
    return value


def _asset_key_string(value: str) -> str:
    return check_asset_key(value, example="analytics/daily_revenue")


AssetKeyString = Annotated[str, AfterValidator(_asset_key_string), BeforeValidator(resolve_scalar)]


def _owner(value: str) -> str:
    if not is_valid_owner(value):
        raise custom_error(f'{show(value)} is not a valid owner: use an email address or "team:<name>"')
    return value


Owner = Annotated[str, AfterValidator(_owner), BeforeValidator(resolve_scalar)]


def _tags(value: dict[str, str]) -> dict[str, str]:
    for key, tag_value in value.items():
        if is_private_system_tag_key(key):
            raise custom_error(
                f'tag key "{key}" uses Dagster\'s reserved "dagster/" prefix; choose another key'
            )
        if not is_valid_tag_key(key):
            raise custom_error(
                f'tag key "{key}" is not valid in Dagster: use letters, digits, _ - . '
                '(at most 63), optionally after one "namespace/"'
            )
        if not is_valid_strict_tag_value(tag_value):
            raise custom_error(
                f'tag value "{tag_value}" (key "{key}") is not valid in Dagster: use letters, digits, _ - . '
                "(at most 63)"
            )
    return value


Tags = Annotated[
    dict[str, Annotated[str, BeforeValidator(resolve_scalar)]],
    AfterValidator(_tags),
]
"""Tags following Dagster's strict rules for asset tags."""


# ---- cron and schedules ----------------------------------------------------------------------


def _cron(value: str) -> str:
    problem = cron_problem(value)
    if problem:
        raise custom_error(f"{show(value)} is not a valid cron expression: {problem} ({CRON_FIELDS_HELP})")
    return value.strip()


Cron = Annotated[str, AfterValidator(_cron), BeforeValidator(resolve_scalar)]


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise custom_error(f'{show(value)} is not a date; write it as YYYY-MM-DD, e.g. "2026-12-25"')


Date = Annotated[dt.date, BeforeValidator(_date), BeforeValidator(resolve_scalar)]


def _clock(value: Any) -> dt.time:
    if isinstance(value, dt.time):
        return value
    match = _TIME_RE.match(value.strip()) if isinstance(value, str) else None
    if not match:
        raise custom_error(f'{show(value)} is not a time of day; write it as HH:MM (24-hour), e.g. "12:30"')
    return dt.time(int(match.group(1)), int(match.group(2)))


Clock = Annotated[dt.time, BeforeValidator(_clock), BeforeValidator(resolve_scalar)]


def _weekday(value: Any) -> str:
    if isinstance(value, str):
        text = value.strip().lower()
        text = _WEEKDAY_NAMES.get(text, text)
        if text in WEEKDAYS:
            return text
        hint = did_you_mean(text, WEEKDAYS)
        suffix = f"; {hint}" if hint else ""
        raise custom_error(f"{show(value)} is not a weekday{suffix} (use mon tue wed thu fri sat sun)")
    raise custom_error(f"{show(value)} is not a weekday (use mon tue wed thu fri sat sun)")


Weekday = Annotated[
    Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
    BeforeValidator(_weekday),
    BeforeValidator(resolve_scalar),
]


def _selection(value: str) -> str:
    import dagster as dg

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            dg.AssetSelection.from_string(value)
    except Exception:
        raise custom_error(
            f"{show(value)} is not an asset selection Dagster can parse; "
            'write it like the UI\'s filter, e.g. "group:analytics" or "key:analytics/daily_revenue+"'
        ) from None
    return value


SelectionString = Annotated[str, AfterValidator(_selection), BeforeValidator(resolve_scalar)]


def unique_items(value: list[Any], info: ValidationInfo | None = None) -> list[Any]:
    """Reject a list naming the same thing twice (usually a copy-paste slip)."""
    seen: set[Any] = set()
    for item in value:
        marker = item if not isinstance(item, Mapping) else id(item)
        if marker in seen:
            raise custom_error(f"{show(item)} is listed twice; remove one")
        seen.add(marker)
    return value
