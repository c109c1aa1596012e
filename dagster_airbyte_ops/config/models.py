"""The pydantic models of `airbyte_ops.yaml`, one class per section.

Every model forbids unknown keys: a typo (`pasword:`) must fail loudly rather than leave a default
in place. Sections whose shape is "exactly one of" (auth, connection selectors, downstream
targets) check that themselves so the message names the keys. Defaults from `defaults:` are
copied into each connection entry and schedule at load, so later code reads one place.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Mapping
from typing import Annotated, Any, Literal
from uuid import UUID

import dagster as dg
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ._text import custom_error
from .cron import describe_cron
from .envrefs import EnvBool, EnvFloat, EnvInt, EnvRef, Secret, environ_from, resolve_scalar
from .values import (
    AssetKeyString,
    Clock,
    Cron,
    DagsterName,
    Date,
    Duration,
    GroupPrefix,
    HttpUrl,
    KeyPrefix,
    NonEmptyStr,
    Owner,
    SelectionString,
    Tags,
    TimeZone,
    Weekday,
    check_http_url,
    unique_items,
)

DEFAULT_AIRBYTE_URL = "http://localhost:8000"
DEFAULT_REQUEST_TIMEOUT_S = 30.0
DEFAULT_MAX_RETRIES = 5
DEFAULT_RETRY_BACKOFF_S = 1.0
DEFAULT_POLL_INTERVAL_S = 10.0
DEFAULT_SYNC_TIMEOUT_S = 86400.0
DEFAULT_TIMEZONE = "UTC"
# Discriminator tags of the `schedule:` union; the error renderer drops them from field paths.
UNION_TAGS = frozenset({"·single", "·list", "·from_airbyte"})

ApiFlavour = Annotated[Literal["config", "public", "auto"], BeforeValidator(resolve_scalar)]
RunningSyncPolicy = Annotated[Literal["attach", "fail", "skip"], BeforeValidator(resolve_scalar)]
AfterMode = Annotated[Literal["all", "any"], BeforeValidator(resolve_scalar)]
SyncMode = Annotated[Literal["sync", "deferred"], BeforeValidator(resolve_scalar)]
AlertEventName = Literal["succeeded", "failed", "cancelled", "timed_out"]
AlertEvent = Annotated[AlertEventName, BeforeValidator(resolve_scalar)]


# Optional scalars resolve `{env: ..., default: null}` before the None check, so a default of
# null means "unset" rather than "expected text, got null".
_NULLABLE = BeforeValidator(resolve_scalar)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, validate_default=False)


def _exactly_one(model: BaseModel, keys: tuple[str, ...], what: str) -> None:
    given = [k for k in keys if getattr(model, k) is not None]
    options = ", ".join(keys[:-1]) + f" or {keys[-1]}"
    if not given:
        raise custom_error(f"{what} with exactly one of {options}; none given")
    if len(given) > 1:
        both = " and ".join(given)
        raise custom_error(f"has {both}; {what} with exactly one of {options}")


# ---- airbyte: ----------------------------------------------------------------------------------


class NoAuth(_Model):
    """No credentials (a local Airbyte behind its own network boundary)."""


class BasicAuth(_Model):
    """HTTP basic auth (Airbyte OSS behind its default login)."""

    username: NonEmptyStr
    password: Secret


class BearerAuth(_Model):
    """A static bearer token (an Airbyte API key)."""

    token: Secret


class ClientCredentialsAuth(_Model):
    """OAuth client credentials (Airbyte Cloud, or OSS ≥ 1.0 applications)."""

    client_id: NonEmptyStr
    client_secret: Secret


AuthKind = Literal["none", "basic", "bearer", "client_credentials"]
_AUTH_EXAMPLES = {
    "basic": "{username: ..., password: {env: AIRBYTE_PASSWORD}}",
    "bearer": "{token: {env: AIRBYTE_TOKEN}}",
    "client_credentials": "{client_id: ..., client_secret: {env: AIRBYTE_CLIENT_SECRET}}",
}


class AuthSettings(_Model):
    """`auth:` — exactly one of none, basic, bearer, client_credentials (`auth: none` works too)."""

    none: NoAuth | None = None
    basic: BasicAuth | None = None
    bearer: BearerAuth | None = None
    client_credentials: ClientCredentialsAuth | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if value is None or value == "none":
            return {"none": {}}
        if isinstance(value, str) and value in _AUTH_EXAMPLES:
            raise custom_error(
                f"{value} needs its settings: write auth: {{{value}: {_AUTH_EXAMPLES[value]}}}"
            )
        if isinstance(value, Mapping) and "none" in value and value["none"] is None:
            return {**value, "none": {}}
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> AuthSettings:
        _exactly_one(self, ("none", "basic", "bearer", "client_credentials"), "choose the authentication")
        return self

    @property
    def kind(self) -> AuthKind:
        """Which of the four modes is configured."""
        for kind in ("basic", "bearer", "client_credentials"):
            if getattr(self, kind) is not None:
                return kind  # type: ignore[return-value]
        return "none"


class AirbyteSettings(_Model):
    """`airbyte:` — where Airbyte is and how to talk to it; mirrors `AirbyteResource`'s fields."""

    url: HttpUrl = DEFAULT_AIRBYTE_URL
    api: ApiFlavour = "auto"
    public_api_url: Annotated[HttpUrl | None, _NULLABLE] = None
    ui_url: Annotated[HttpUrl | None, _NULLABLE] = None
    workspace_id: Annotated[NonEmptyStr | None, _NULLABLE] = None
    auth: AuthSettings = Field(default_factory=lambda: AuthSettings(none=NoAuth()))
    request_timeout_s: EnvFloat = Field(default=DEFAULT_REQUEST_TIMEOUT_S, gt=0)
    max_retries: EnvInt = Field(default=DEFAULT_MAX_RETRIES, ge=0)
    retry_backoff_s: EnvFloat = Field(default=DEFAULT_RETRY_BACKOFF_S, ge=0)
    poll_interval_s: EnvFloat = Field(default=DEFAULT_POLL_INTERVAL_S, gt=0)
    sync_timeout_s: Annotated[EnvFloat | None, _NULLABLE] = Field(default=DEFAULT_SYNC_TIMEOUT_S, gt=0)
    cancel_on_termination: EnvBool = True
    on_running_sync: RunningSyncPolicy = "attach"
    verify_tls: EnvBool = True

    def secrets(self) -> dict[str, EnvRef]:
        """The secret fields that are set, by resource field name."""
        auth = self.auth
        if auth.basic is not None:
            return {"password": auth.basic.password}
        if auth.bearer is not None:
            return {"token": auth.bearer.token}
        if auth.client_credentials is not None:
            return {"client_secret": auth.client_credentials.client_secret}
        return {}

    def resource_kwargs(self, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
        """Keyword arguments for `AirbyteResource(...)`, secrets as `dg.EnvVar(NAME)`.

        Example:
            ```python
            from dagster_airbyte_ops.config import load_config
            from dagster_airbyte_ops.resource import AirbyteResource

            airbyte = AirbyteResource(**load_config().airbyte.resource_kwargs())
            ```
        """
        kwargs: dict[str, Any] = {
            "url": self.url,
            "api": self.api,
            "public_api_url": self.public_api_url,
            "ui_url": self.ui_url,
            "workspace_id": self.workspace_id,
            "request_timeout_s": self.request_timeout_s,
            "max_retries": self.max_retries,
            "retry_backoff_s": self.retry_backoff_s,
            "poll_interval_s": self.poll_interval_s,
            "sync_timeout_s": self.sync_timeout_s,
            "cancel_on_termination": self.cancel_on_termination,
            "on_running_sync": self.on_running_sync,
            "verify_tls": self.verify_tls,
        }
        if self.auth.basic is not None:
            kwargs["username"] = self.auth.basic.username
        if self.auth.client_credentials is not None:
            kwargs["client_id"] = self.auth.client_credentials.client_id
        for field, ref in self.secrets().items():
            kwargs[field] = ref.as_dagster_value(environ)
        return kwargs


# ---- defaults: ---------------------------------------------------------------------------------


class Defaults(_Model):
    """`defaults:` — values every connection entry inherits unless it sets its own."""

    key_prefix: KeyPrefix = Field(default_factory=list)
    timezone: TimeZone = DEFAULT_TIMEZONE
    include_inactive: EnvBool = False
    group_prefix: GroupPrefix = ""


# ---- connections: ------------------------------------------------------------------------------


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


class Freshness(_Model):
    """`freshness:` — how stale the connection's assets may get before a check fails."""

    max_lag: Duration


def _after_ref(value: str) -> str:
    if "/" in value:
        parts = value.split("/")
        if any(not p.strip() for p in parts):
            raise custom_error(
                f'"{value}" is not an asset key; write its parts separated by "/", e.g. "analytics/orders"'
            )
    return value


AfterRef = Annotated[str, AfterValidator(_after_ref), BeforeValidator(resolve_scalar)]


def _connection_id(value: str) -> str:
    try:
        UUID(value)
    except ValueError:
        raise custom_error(
            f'"{value}" is not an Airbyte connection id '
            '(a UUID like "c1b6a7d0-3f4e-4d8a-9c1e-0a1b2c3d4e5f"); '
            "to select by name use name:, by pattern use match:"
        ) from None
    return value


ConnectionId = Annotated[str, AfterValidator(_connection_id), BeforeValidator(resolve_scalar)]


class ConnectionEntry(_Model):
    """One item of `connections:` — selects Airbyte connections by exactly one of name, id, match."""

    name: NonEmptyStr | None = None
    id: ConnectionId | None = None
    match: NonEmptyStr | None = None
    key_prefix: KeyPrefix | None = None
    group: Annotated[DagsterName | None, _NULLABLE] = None
    tags: Tags = Field(default_factory=dict)
    owners: Annotated[list[Owner], AfterValidator(unique_items)] = Field(default_factory=list)
    schedule: ScheduleField | None = None
    after: Annotated[list[AfterRef], AfterValidator(unique_items)] = Field(default_factory=list)
    after_mode: AfterMode = "all"
    freshness: Freshness | None = None
    mode: SyncMode = "sync"
    streams: Annotated[list[NonEmptyStr], Field(min_length=1), AfterValidator(unique_items)] | None = None

    _index: int = PrivateAttr(default=-1)

    @model_validator(mode="after")
    def _one_selector(self) -> ConnectionEntry:
        _exactly_one(self, ("name", "id", "match"), "select a connection")
        return self

    @property
    def selector(self) -> tuple[Literal["name", "id", "match"], str]:
        """The key this entry selects by and its value, e.g. `("match", "CRM*")`."""
        for key in ("name", "id", "match"):
            value = getattr(self, key)
            if value is not None:
                return key, value  # type: ignore[return-value]
        raise AssertionError("validated entries have a selector")

    @property
    def index(self) -> int:
        """Position in `connections:` (0-based), for messages."""
        return self._index

    @property
    def path(self) -> str:
        """Field path of this entry, e.g. `connections[2]`."""
        return f"connections[{self._index}]"

    def describe(self) -> str:
        """`connections[2] (match "CRM*")`: how messages point at this entry."""
        key, value = self.selector
        return f'{self.path} ({key} "{value}")'

    @property
    def schedules(self) -> list[ScheduleSpec]:
        """The cron schedules (empty for none and for `from_airbyte`)."""
        if isinstance(self.schedule, ScheduleSpec):
            return [self.schedule]
        if isinstance(self.schedule, list):
            return list(self.schedule)
        return []

    @property
    def schedule_from_airbyte(self) -> bool:
        """Whether the schedule is the one configured on the connection in Airbyte."""
        return self.schedule == "from_airbyte"

    @property
    def after_connections(self) -> list[str]:
        """`after:` items that name connections (the ones without a "/")."""
        return [a for a in self.after if "/" not in a]

    @property
    def after_assets(self) -> list[dg.AssetKey]:
        """`after:` items that are asset keys ("a/b/c")."""
        return [dg.AssetKey(a.split("/")) for a in self.after if "/" in a]


# ---- downstream: / alerts: ---------------------------------------------------------------------


class DownstreamSpec(_Model):
    """One `downstream:` item: materialize a selection when connections have landed."""

    name: DagsterName
    when: Annotated[list[NonEmptyStr], Field(min_length=1), AfterValidator(unique_items)]
    select: SelectionString | None = None
    assets: Annotated[list[AssetKeyString], Field(min_length=1), AfterValidator(unique_items)] | None = None
    groups: Annotated[list[DagsterName], Field(min_length=1), AfterValidator(unique_items)] | None = None

    @model_validator(mode="after")
    def _one_target(self) -> DownstreamSpec:
        _exactly_one(self, ("select", "assets", "groups"), "choose what to run")
        return self

    def asset_selection(self) -> dg.AssetSelection:
        """The target as a Dagster `AssetSelection`."""
        if self.assets is not None:
            return dg.AssetSelection.assets(*(dg.AssetKey(a.split("/")) for a in self.assets))
        if self.groups is not None:
            return dg.AssetSelection.groups(*self.groups)
        with warnings.catch_warnings():  # group: selections emit a BetaWarning in dagster 1.13
            warnings.simplefilter("ignore", category=dg.BetaWarning)
            return dg.AssetSelection.from_string(self.select or "")


def _default_alert_events() -> list[AlertEventName]:
    return ["failed", "timed_out"]


class Webhook(_Model):
    """An alert webhook (Slack-compatible); its URL is a secret."""

    url: Secret
    on: Annotated[list[AlertEvent], Field(min_length=1), AfterValidator(unique_items)] = Field(
        default_factory=_default_alert_events
    )

    @field_validator("url")
    @classmethod
    def _http_url(cls, ref: EnvRef, info: ValidationInfo) -> EnvRef:
        value = ref.resolve(environ_from(info))
        if check_http_url(value):
            raise custom_error(
                f"the value of {ref.env} is not an http(s) URL; set it to the webhook's https://... address"
            )
        return ref


class Alerts(_Model):
    """`alerts:` — where failures are announced."""

    webhooks: list[Webhook] = Field(default_factory=list)


# ---- the file ----------------------------------------------------------------------------------


class AirbyteOpsConfig(_Model):
    """The whole of `airbyte_ops.yaml`, validated, with `defaults:` applied to every entry."""

    airbyte: AirbyteSettings = Field(default_factory=AirbyteSettings)
    defaults: Defaults = Field(default_factory=Defaults)
    connections: list[ConnectionEntry] = Field(default_factory=list)
    downstream: list[DownstreamSpec] = Field(default_factory=list)
    alerts: Alerts = Field(default_factory=Alerts)
    max_concurrent_syncs: Annotated[EnvInt | None, _NULLABLE] = Field(default=None, ge=1)

    _source: str = PrivateAttr(default="airbyte_ops.yaml")

    @model_validator(mode="after")
    def _apply_defaults(self) -> AirbyteOpsConfig:
        for index, entry in enumerate(self.connections):
            entry._index = index
            if entry.key_prefix is None:
                entry.key_prefix = list(self.defaults.key_prefix)
            for spec in entry.schedules:
                if spec.timezone is None:
                    spec.timezone = self.defaults.timezone
        return self

    @property
    def source_name(self) -> str:
        """The file this configuration came from, for messages."""
        return self._source
