"""The pydantic models of `airbyte_ops.yaml`, one class per section.

Every model forbids unknown keys: a typo (`pasword:`) must fail loudly rather than leave a default
in place. Sections whose shape is "exactly one of" (auth, connection selectors, downstream
targets) check that themselves so the message names the keys. Defaults from `defaults:` are
copied into each connection entry and schedule at load, so later code reads one place.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from uuid import UUID

import dagster as dg
from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ._base import _NULLABLE, _exactly_one, _Model
from ._text import custom_error
from .envrefs import EnvBool, EnvFloat, EnvInt, EnvRef, Secret, environ_from, resolve_scalar
from .schedule import DEFAULT_TIMEZONE, ScheduleField, ScheduleSpec
from .values import (
    DAGSTER_NAME_RE,
    AssetKeyString,
    DagsterName,
    Duration,
    GroupPrefix,
    HttpUrl,
    KeyPrefix,
    NonEmptyStr,
    Owner,
    SelectionString,
    Tags,
    TimeZone,
    check_http_url,
    unique_items,
)

DEFAULT_AIRBYTE_URL = "http://localhost:8000"
DEFAULT_REQUEST_TIMEOUT_S = 30.0
DEFAULT_MAX_RETRIES = 5
DEFAULT_RETRY_BACKOFF_S = 1.0
DEFAULT_POLL_INTERVAL_S = 10.0
DEFAULT_SYNC_TIMEOUT_S = 86400.0

ApiFlavour = Annotated[Literal["config", "public", "auto"], BeforeValidator(resolve_scalar)]
RunningSyncPolicy = Annotated[Literal["attach", "fail", "skip"], BeforeValidator(resolve_scalar)]
AfterMode = Annotated[Literal["all", "any"], BeforeValidator(resolve_scalar)]
SyncMode = Annotated[Literal["sync", "deferred"], BeforeValidator(resolve_scalar)]
FreshnessSeverity = Annotated[Literal["warn", "error"], BeforeValidator(resolve_scalar)]
AlertEventName = Literal["succeeded", "failed", "cancelled", "timed_out"]
AlertEvent = Annotated[AlertEventName, BeforeValidator(resolve_scalar)]


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


# ---- instances: --------------------------------------------------------------------------------


class InstanceSettings(_Model):
    """One entry of `instances:` — an Airbyte, and how its connections are named in Dagster."""

    airbyte: AirbyteSettings
    key_prefix: KeyPrefix | None = None  # default: defaults.key_prefix
    group_prefix: GroupPrefix | None = None  # default: defaults.group_prefix + "<name>_"

    @model_validator(mode="before")
    @classmethod
    def _airbyte_keys_one_level_up(cls, value: Any) -> Any:
        if isinstance(value, Mapping):
            misplaced = [k for k in value if k in AirbyteSettings.model_fields]
            if misplaced:
                keys = ", ".join(f"{k}:" for k in misplaced)
                verb = "belongs" if len(misplaced) == 1 else "belong"
                raise custom_error(
                    f"{keys} {verb} under airbyte:; write {{airbyte: {{{misplaced[0]}: ...}}}} "
                    "(an instance has airbyte, key_prefix, group_prefix)"
                )
        return value


@dataclass(frozen=True)
class AirbyteInstance:
    """One Airbyte as the definitions use it: the `airbyte:` section, or one entry of `instances:`.

    `name` is None for the single `airbyte:` section, so a file without `instances:` keeps its
    resource key (`airbyte`) and every Dagster name exactly as they were.
    """

    name: str | None
    airbyte: AirbyteSettings
    key_prefix: tuple[str, ...]
    group_prefix: str

    @property
    def path(self) -> str:
        """Where its settings are in the file, for messages: `airbyte` or `instances.cloud.airbyte`."""
        return "airbyte" if self.name is None else f"instances.{self.name}.airbyte"

    def resource_key(self, base: str = "airbyte") -> str:
        """`airbyte` for the single `airbyte:` section, `airbyte_<name>` for a named instance."""
        return base if self.name is None else f"{base}_{self.name}"

    @property
    def slug_prefix(self) -> str:
        """What starts its connections' Dagster names (op, job, schedules, sensors): `""` or `"<name>_"`."""
        return "" if self.name is None else f"{self.name}_"


def split_instance_ref(ref: str, instance_names: Iterable[str]) -> tuple[str, str] | None:
    """`"onprem:Orders"` → `("onprem", "Orders")` when `onprem` is an instance; else None."""
    head, sep, rest = ref.partition(":")
    if sep and rest and head in set(instance_names):
        return head, rest
    return None


def connection_label(instance: str | None, name: str) -> str:
    """How messages and `after:` name a connection: `Orders`, or `onprem:Orders` in a named instance."""
    return name if instance is None else f"{instance}:{name}"


def resolve_connection_ref(
    ref: str, known: Iterable[tuple[str | None, str]], instance_names: Iterable[str]
) -> list[tuple[str | None, str]]:
    """The (instance, name) pairs an `after:`/`when:` item can mean: a plain name in any instance,
    or `instance:name`. One result is a match; several mean the plain name is ambiguous."""
    pool = list(dict.fromkeys(known))
    found = [k for k in pool if k[1] == ref]
    split = split_instance_ref(ref, instance_names)
    if split is not None and split in pool and split not in found:
        found.append(split)
    return found


# ---- connections: ------------------------------------------------------------------------------


class Freshness(_Model):
    """`freshness:` — how stale the connection's assets may get before a check fails."""

    max_lag: Duration
    severity: FreshnessSeverity = "warn"  # "error" for failures that alert policies treat as errors


def _after_ref(value: str) -> str:
    if "/" in value:
        parts = value.split("/")
        if any(not p.strip() for p in parts):
            raise custom_error(
                f'"{value}" is not an asset key; write its parts separated by "/", e.g. "analytics/orders"'
            )
    return value


AfterRef = Annotated[str, AfterValidator(_after_ref), BeforeValidator(resolve_scalar)]


def _pool_name(value: str) -> str:
    if not value or any(c.isspace() for c in value):
        raise custom_error(
            f'"{value}" is not a Dagster pool name: '
            'use non-blank characters without spaces, e.g. "airbyte/crm"'
        )
    return value


PoolName = Annotated[str, AfterValidator(_pool_name), BeforeValidator(resolve_scalar)]


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
    instance: Annotated[NonEmptyStr | None, _NULLABLE] = None  # an `instances:` name
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
    max_concurrent_syncs: Annotated[EnvInt | None, _NULLABLE] = Field(default=None, ge=1)
    pool: Annotated[PoolName | None, _NULLABLE] = None

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


class ObserverSettings(_Model):
    """`observer:` — the sensor that records syncs Dagster did not start (on unless `enabled: false`)."""

    enabled: EnvBool = True
    interval_s: EnvInt = Field(default=60, ge=10)


# ---- the file ----------------------------------------------------------------------------------


class AirbyteOpsConfig(_Model):
    """The whole of `airbyte_ops.yaml`, validated, with `defaults:` applied to every entry."""

    airbyte: AirbyteSettings = Field(default_factory=AirbyteSettings)
    instances: dict[str, InstanceSettings] | None = None  # instead of airbyte: (several Airbytes)
    defaults: Defaults = Field(default_factory=Defaults)
    connections: list[ConnectionEntry] = Field(default_factory=list)
    downstream: list[DownstreamSpec] = Field(default_factory=list)
    alerts: Alerts = Field(default_factory=Alerts)
    observer: ObserverSettings = Field(default_factory=ObserverSettings)
    max_concurrent_syncs: Annotated[EnvInt | None, _NULLABLE] = Field(default=None, ge=1)

    _source: str = PrivateAttr(default="airbyte_ops.yaml")

    @field_validator("instances")
    @classmethod
    def _instance_names(cls, value: dict[str, InstanceSettings] | None) -> dict[str, InstanceSettings] | None:
        if value is None:
            return None
        if not value:
            raise custom_error(
                "is empty; name at least one Airbyte (instances: {onprem: {airbyte: {url: ...}}}), "
                "or remove instances: and write airbyte: instead"
            )
        for name in value:
            if not DAGSTER_NAME_RE.match(name):
                fixed = "".join(c if c.isascii() and (c.isalnum() or c == "_") else "_" for c in name)
                suggestion = fixed.strip("_") or "onprem"
                raise custom_error(
                    f'"{name}" is not a valid instance name: it becomes part of Dagster names '
                    f'(resource airbyte_<name>), so use letters, digits and _ only, e.g. "{suggestion}"'
                )
        return value

    @model_validator(mode="after")
    def _apply_defaults(self) -> AirbyteOpsConfig:
        instances = self.instances or {}
        for index, entry in enumerate(self.connections):
            entry._index = index
            if entry.instance is None and len(instances) == 1:
                entry.instance = next(iter(instances))
            if entry.key_prefix is None:
                own = instances.get(entry.instance or "")
                prefix = own.key_prefix if own is not None and own.key_prefix is not None else None
                entry.key_prefix = list(prefix if prefix is not None else self.defaults.key_prefix)
            for spec in entry.schedules:
                if spec.timezone is None:
                    spec.timezone = self.defaults.timezone
        return self

    @property
    def source_name(self) -> str:
        """The file this configuration came from, for messages."""
        return self._source

    def airbyte_instances(self) -> list[AirbyteInstance]:
        """Every Airbyte of the file, in file order: the `airbyte:` section, or each of `instances:`.

        Example:
            ```python
            from dagster_airbyte_ops.config import load_config
            from dagster_airbyte_ops.resource import AirbyteResource

            config = load_config()
            resources = {
                instance.resource_key(): AirbyteResource(**instance.airbyte.resource_kwargs())
                for instance in config.airbyte_instances()
            }
            ```
        """
        defaults = self.defaults
        if self.instances is None:
            return [AirbyteInstance(None, self.airbyte, tuple(defaults.key_prefix), defaults.group_prefix)]
        return [
            AirbyteInstance(
                name=name,
                airbyte=settings.airbyte,
                key_prefix=tuple(
                    settings.key_prefix if settings.key_prefix is not None else defaults.key_prefix
                ),
                group_prefix=(
                    settings.group_prefix
                    if settings.group_prefix is not None
                    else f"{defaults.group_prefix}{name}_"
                ),
            )
            for name, settings in self.instances.items()
        ]

    def instance_of(self, entry: ConnectionEntry) -> AirbyteInstance:
        """The Airbyte an entry selects from (validated files always have exactly one)."""
        for instance in self.airbyte_instances():
            if instance.name == entry.instance:
                return instance
        raise KeyError(f"{entry.path}.instance: {entry.instance!r} is not an instance of this file")
