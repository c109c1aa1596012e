"""The pydantic model of the whole `airbyte_ops.yaml` (`AirbyteOpsConfig`) and its smaller sections.

`airbyte:`/`instances:` live in instances.py and `connections:` in connections.py; this module holds
`defaults:`, `downstream:`, `alerts:`, `observer:` and the file itself.

Every model forbids unknown keys: a typo (`pasword:`) must fail loudly rather than leave a default
in place. Sections whose shape is "exactly one of" (auth, connection selectors, downstream
targets) check that themselves so the message names the keys. Defaults from `defaults:` are
copied into each connection entry and schedule at load, so later code reads one place.
"""

from __future__ import annotations

import warnings
from typing import Annotated, Literal

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
from .connections import ConnectionEntry
from .declarations import ConnectorDeclaration
from .envrefs import EnvBool, EnvInt, EnvRef, Secret, environ_from, resolve_scalar
from .instances import AirbyteInstance, AirbyteSettings, InstanceSettings
from .schedule import DEFAULT_TIMEZONE
from .values import (
    DAGSTER_NAME_RE,
    MAX_CONCURRENT_SYNCS,
    MAX_INTERVAL_S,
    AssetKeyString,
    DagsterName,
    GroupPrefix,
    KeyPrefix,
    NonEmptyStr,
    SelectionString,
    TimeZone,
    check_http_url,
    unique_items,
)

AlertEventName = Literal["succeeded", "failed", "cancelled", "timed_out"]
AlertEvent = Annotated[AlertEventName, BeforeValidator(resolve_scalar)]


# ---- defaults: ---------------------------------------------------------------------------------


#: `airbyte-ops`: `[*key_prefix, destination namespace, prefix + stream]`, group = the connection's slug.
#: `dagster-airbyte`: dagster-airbyte 0.29's `[prefix + stream]` (after any key_prefix) in Dagster's
#: `default` group, so a code location switching to us keeps every asset's history, checks and lineage.
KeyStyle = Literal["airbyte-ops", "dagster-airbyte"]


class Defaults(_Model):
    """`defaults:` — values every connection entry inherits unless it sets its own."""

    key_prefix: KeyPrefix = Field(default_factory=list)
    timezone: TimeZone = DEFAULT_TIMEZONE
    include_inactive: EnvBool = False
    group_prefix: GroupPrefix = ""
    key_style: KeyStyle = "airbyte-ops"
    #: The per-stream `airbyte_schema` and `column_schema_change` checks (Config API). Off, each synced
    #: stream stores 2 events instead of 6 (docs/performance.md): for very large workspaces on SQLite.
    schema_checks: EnvBool = True


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
    interval_s: EnvInt = Field(default=60, ge=10, le=MAX_INTERVAL_S)


# ---- the file ----------------------------------------------------------------------------------


class AirbyteOpsConfig(_Model):
    """The whole of `airbyte_ops.yaml`, validated, with `defaults:` applied to every entry."""

    airbyte: AirbyteSettings = Field(default_factory=AirbyteSettings)
    instances: dict[str, InstanceSettings] | None = None  # instead of airbyte: (several Airbytes)
    defaults: Defaults = Field(default_factory=Defaults)
    connections: list[ConnectionEntry] = Field(default_factory=list)
    sources: list[ConnectorDeclaration] = Field(default_factory=list)  # Airbyte as code (manage/)
    destinations: list[ConnectorDeclaration] = Field(default_factory=list)
    downstream: list[DownstreamSpec] = Field(default_factory=list)
    alerts: Alerts = Field(default_factory=Alerts)
    observer: ObserverSettings = Field(default_factory=ObserverSettings)
    max_concurrent_syncs: Annotated[EnvInt | None, _NULLABLE] = Field(
        default=None, ge=1, le=MAX_CONCURRENT_SYNCS
    )

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
