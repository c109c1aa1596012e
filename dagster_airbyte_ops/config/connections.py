"""`connections:` of `airbyte_ops.yaml`: one entry selects Airbyte connections and says how to run them.

Also how a connection is named across instances (`onprem:Orders`) and how an `after:`/`when:` item is
resolved to (instance, name) pairs, so the loader and the selection read one rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Literal
from uuid import UUID

import dagster as dg
from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    PrivateAttr,
    model_validator,
)

from ._base import _NULLABLE, _exactly_one, _Model
from ._text import custom_error
from .declarations import ConnectionDeclaration
from .envrefs import EnvInt, resolve_scalar
from .instances import split_instance_ref
from .schedule import ScheduleField, ScheduleSpec
from .values import (
    MAX_CONCURRENT_SYNCS,
    DagsterName,
    Duration,
    KeyPrefix,
    NonEmptyStr,
    Owner,
    Tags,
    check_asset_key,
    unique_items,
)

AfterMode = Annotated[Literal["all", "any"], BeforeValidator(resolve_scalar)]
SyncMode = Annotated[Literal["sync", "deferred"], BeforeValidator(resolve_scalar)]
FreshnessSeverity = Annotated[Literal["warn", "error"], BeforeValidator(resolve_scalar)]


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
    # A connection name, or (with a "/") an asset key.
    return check_asset_key(value, example="analytics/orders") if "/" in value else value


def after_asset_key(ref: str) -> dg.AssetKey | None:
    """The asset key an `after:` item names ("a/b/c"), or None when it names a connection."""
    return dg.AssetKey(ref.split("/")) if "/" in ref else None


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
    max_concurrent_syncs: Annotated[EnvInt | None, _NULLABLE] = Field(
        default=None, ge=1, le=MAX_CONCURRENT_SYNCS
    )
    pool: Annotated[PoolName | None, _NULLABLE] = None
    declare: ConnectionDeclaration | None = None  # this file creates and keeps the connection (manage/)

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
        return [a for a in self.after if after_asset_key(a) is None]

    @property
    def after_assets(self) -> list[dg.AssetKey]:
        """`after:` items that are asset keys ("a/b/c")."""
        return [key for key in map(after_asset_key, self.after) if key is not None]
