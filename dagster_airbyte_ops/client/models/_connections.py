"""Connections, their streams (catalog entries) and Airbyte's own schedule of a connection."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal, cast
from zoneinfo import ZoneInfo

from pydantic import Field

from ...errors import AirbyteApiError
from ._parse import _build, _Fields, _Malformed, _Model

NamespaceDefinition = Literal["source", "destination", "customformat"]
SyncMode = Literal["full_refresh", "incremental"]
ScheduleType = Literal["manual", "basic", "cron"]
ConnectionStatus = Literal["active", "inactive", "deprecated", "locked"]

# Public API combined sync modes -> (source sync mode, destination sync mode).
PUBLIC_SYNC_MODES: dict[str, tuple[SyncMode, str]] = {
    "full_refresh_overwrite": ("full_refresh", "overwrite"),
    "full_refresh_overwrite_deduped": ("full_refresh", "overwrite_dedup"),
    "full_refresh_append": ("full_refresh", "append"),
    "full_refresh_update": ("full_refresh", "update"),
    "full_refresh_soft_delete": ("full_refresh", "soft_delete"),
    "incremental_append": ("incremental", "append"),
    "incremental_deduped_history": ("incremental", "append_dedup"),
    "incremental_update": ("incremental", "update"),
    "incremental_soft_delete": ("incremental", "soft_delete"),
}
_PUBLIC_SYNC_MODE_BY_PAIR = {pair: name for name, pair in PUBLIC_SYNC_MODES.items()}


# --------------------------------------------------------------------------------------------------
# Connections and streams
# --------------------------------------------------------------------------------------------------


class Stream(_Model):
    """One stream of a connection's catalog (or of a discovered schema)."""

    name: str
    namespace: str | None = None
    json_schema: dict[str, Any] | None = None
    sync_mode: SyncMode = "full_refresh"
    destination_sync_mode: str = "overwrite"
    cursor_field: list[str] = Field(default_factory=list)
    primary_key: list[list[str]] = Field(default_factory=list)
    selected: bool = True
    #: What the source offers for this stream (discovered streams only; None when the API does not say).
    supported_sync_modes: list[str] | None = None
    source_defined_cursor: bool = False
    default_cursor_field: list[str] = Field(default_factory=list)
    source_defined_primary_key: list[list[str]] = Field(default_factory=list)

    @property
    def public_sync_mode(self) -> str | None:
        """The public API's combined mode (``incremental_deduped_history``) or None if it has none."""
        return _PUBLIC_SYNC_MODE_BY_PAIR.get((self.sync_mode, self.destination_sync_mode))

    @classmethod
    def from_config_api(cls, payload: Mapping[str, Any], *, source: str | None = None) -> Stream:
        """From a Config API ``AirbyteStreamAndConfiguration`` (``{stream, config}``)."""
        return _build(cls, source, payload, _config_stream)

    @classmethod
    def from_public_api(cls, payload: Mapping[str, Any], *, source: str | None = None) -> Stream:
        """From a public API ``StreamConfiguration`` (a connection's stream; always selected).

        The public API carries no JSON schema for a connection's streams, so ``json_schema`` is None.
        """
        return _build(cls, source, payload, _public_stream)

    @classmethod
    def from_public_stream_properties(
        cls, payload: Mapping[str, Any], *, source: str | None = None
    ) -> Stream:
        """From a public API ``StreamProperties`` (``GET /streams?sourceId=``): a discovered stream.

        The first supported sync mode is used; ``selected`` is True; no JSON schema is available.
        """

        def build(f: _Fields) -> Stream:
            modes = f.str_list("syncModes")
            default: tuple[SyncMode, str] = ("full_refresh", "overwrite")
            sync_mode, dest_mode = PUBLIC_SYNC_MODES.get(modes[0], default) if modes else default
            source_modes: list[str] = sorted(
                {PUBLIC_SYNC_MODES[m][0] for m in modes if m in PUBLIC_SYNC_MODES}
            )
            return cls(
                name=f.text("streamName"),
                namespace=f.opt_str("streamnamespace") or f.opt_str("streamNamespace"),
                sync_mode=sync_mode,
                destination_sync_mode=dest_mode,
                cursor_field=f.str_list("defaultCursorField"),
                primary_key=f.str_list_list("sourceDefinedPrimaryKey"),
                supported_sync_modes=source_modes or None,
                source_defined_cursor=bool(f.opt_bool("sourceDefinedCursorField")),
                default_cursor_field=f.str_list("defaultCursorField"),
                source_defined_primary_key=f.str_list_list("sourceDefinedPrimaryKey"),
            )

        return _build(cls, source, payload, build)

    def to_config_api(self) -> dict[str, Any]:
        """As a Config API ``AirbyteStreamAndConfiguration`` (for connections/create)."""
        stream: dict[str, Any] = {"name": self.name, "jsonSchema": self.json_schema or {}}
        if self.namespace is not None:
            stream["namespace"] = self.namespace
        # What discover said about the stream travels back with it, as Airbyte's UI sends it.
        if self.supported_sync_modes is not None:
            stream["supportedSyncModes"] = list(self.supported_sync_modes)
        if self.source_defined_cursor:
            stream["sourceDefinedCursor"] = True
        if self.default_cursor_field:
            stream["defaultCursorField"] = list(self.default_cursor_field)
        if self.source_defined_primary_key:
            stream["sourceDefinedPrimaryKey"] = [list(k) for k in self.source_defined_primary_key]
        return {
            "stream": stream,
            "config": {
                "syncMode": self.sync_mode,
                "destinationSyncMode": self.destination_sync_mode,
                "cursorField": list(self.cursor_field),
                "primaryKey": [list(k) for k in self.primary_key],
                "selected": self.selected,
                "aliasName": self.name,
            },
        }

    def to_public_api(self) -> dict[str, Any]:
        """As a public API ``StreamConfiguration``."""
        out: dict[str, Any] = {"name": self.name}
        if self.namespace is not None:
            out["namespace"] = self.namespace
        mode = self.public_sync_mode
        if mode is not None:
            out["syncMode"] = mode
        if self.cursor_field:
            out["cursorField"] = list(self.cursor_field)
        if self.primary_key:
            out["primaryKey"] = [list(k) for k in self.primary_key]
        return out


def _check_column_types(json_schema: Mapping[str, Any], where: str, stream_name: str) -> None:
    """Each top-level property's `type` is a JSON type name or a list of them (the translator reads it)."""
    properties = json_schema.get("properties")
    if not isinstance(properties, Mapping):
        return
    for column, prop in properties.items():
        raw = prop.get("type") if isinstance(prop, Mapping) else None
        if raw is None or isinstance(raw, str):
            continue
        if isinstance(raw, list) and all(isinstance(item, str) for item in raw):
            continue
        raise _Malformed(
            f"{where}.properties.{column}.type",
            f'of stream "{stream_name}" is {json.dumps(raw)}, not a JSON type name or a list of them',
        )


def _config_stream(f: _Fields) -> Stream:
    stream = f.obj("stream")
    config = f.opt_obj("config")
    json_schema = stream.opt_dict("jsonSchema")
    schema_field = "jsonSchema"
    if json_schema is None:
        json_schema = stream.opt_dict("json_schema")
        schema_field = "json_schema"
    if json_schema is not None:
        _check_column_types(json_schema, stream._field(schema_field), stream.text("name"))
    sync_mode: str = "full_refresh"
    dest_mode = "overwrite"
    cursor: list[str] = []
    pk: list[list[str]] = []
    selected = True  # Airbyte before `selected` existed synced every stream of the catalog
    if config is not None:
        sync_mode = config.literal("syncMode", ("full_refresh", "incremental"))
        dest_mode = config.text("destinationSyncMode")
        cursor = config.str_list("cursorField")
        pk = config.str_list_list("primaryKey")
        flag = config.opt_bool("selected")
        selected = True if flag is None else flag
    if not cursor and sync_mode == "incremental":
        cursor = stream.str_list("defaultCursorField")
    if not pk:
        pk = stream.str_list_list("sourceDefinedPrimaryKey")
    return Stream(
        name=stream.text("name"),
        namespace=stream.opt_str("namespace"),
        json_schema=json_schema,
        sync_mode=cast(SyncMode, sync_mode),
        destination_sync_mode=dest_mode,
        cursor_field=cursor,
        primary_key=pk,
        selected=selected,
        supported_sync_modes=stream.str_list("supportedSyncModes") or None,
        source_defined_cursor=bool(stream.opt_bool("sourceDefinedCursor")),
        default_cursor_field=stream.str_list("defaultCursorField"),
        source_defined_primary_key=stream.str_list_list("sourceDefinedPrimaryKey"),
    )


def _public_stream(f: _Fields) -> Stream:
    mode = f.opt_str("syncMode")
    if mode is None:
        sync_mode, dest_mode = "full_refresh", "overwrite"
    elif mode in PUBLIC_SYNC_MODES:
        sync_mode, dest_mode = PUBLIC_SYNC_MODES[mode]
    else:
        raise _Malformed(f._field("syncMode"), f"{mode!r} is not a known sync mode")
    return Stream(
        name=f.text("name"),
        namespace=f.opt_str("namespace"),
        json_schema=None,
        sync_mode=cast(SyncMode, sync_mode),
        destination_sync_mode=dest_mode,
        cursor_field=f.str_list("cursorField"),
        primary_key=f.str_list_list("primaryKey"),
        selected=True,
    )


_TIME_UNITS = ("minutes", "hours", "days", "weeks", "months")


def _looks_like_timezone(token: str) -> bool:
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_+\-/]*", token):
        return False
    try:
        ZoneInfo(token)
    except Exception:
        return False
    return True


class ConnectionSchedule(_Model):
    """When Airbyte itself runs a connection.

    ``cron_expression`` is Airbyte's Quartz cron (seconds first: ``0 30 2 * * ?``), not Unix cron.
    """

    schedule_type: ScheduleType = "manual"
    cron_expression: str | None = None
    timezone: str | None = None
    basic_units: int | None = None
    basic_time_unit: str | None = None

    @classmethod
    def manual(cls) -> ConnectionSchedule:
        return cls(schedule_type="manual")

    @classmethod
    def cron(cls, expression: str, timezone: str = "UTC") -> ConnectionSchedule:
        return cls(schedule_type="cron", cron_expression=expression, timezone=timezone)

    @classmethod
    def from_config_api(cls, payload: Mapping[str, Any], *, source: str | None = None) -> ConnectionSchedule:
        """From a Config API ``ConnectionRead`` (reads ``scheduleType``/``scheduleData``/``schedule``)."""
        return _build(cls, source, payload, _config_schedule)

    @classmethod
    def from_public_api(cls, payload: Mapping[str, Any], *, source: str | None = None) -> ConnectionSchedule:
        """From a public API ``ConnectionScheduleResponse`` (cron read back as ``"<expr> <tz>"``)."""
        return _build(cls, source, payload, _public_schedule)

    def to_config_api(self) -> dict[str, Any]:
        """Fields of a Config API ConnectionCreate/ConnectionUpdate."""
        if self.schedule_type == "cron":
            return {
                "scheduleType": "cron",
                "scheduleData": {
                    "cron": {"cronExpression": self.cron_expression, "cronTimeZone": self.timezone or "UTC"}
                },
            }
        if self.schedule_type == "basic":
            basic = {"units": self.basic_units, "timeUnit": self.basic_time_unit}
            return {"scheduleType": "basic", "scheduleData": {"basicSchedule": basic}}
        return {"scheduleType": "manual"}

    def to_public_api(self) -> dict[str, Any]:
        """A public API ``AirbyteApiConnectionSchedule``: ``manual`` or ``cron`` only.

        The time zone travels appended to the expression, the way Airbyte reads it back.
        """
        if self.schedule_type == "cron":
            expression = self.cron_expression or ""
            if self.timezone:
                expression = f"{expression} {self.timezone}"
            return {"scheduleType": "cron", "cronExpression": expression}
        if self.schedule_type == "basic":
            raise AirbyteApiError(
                "the public API cannot set a 'basic' schedule (only manual or cron); "
                "use a cron schedule or api='config'"
            )
        return {"scheduleType": "manual"}


def _config_schedule(f: _Fields) -> ConnectionSchedule:
    schedule_type = f.opt_str("scheduleType")
    data = f.opt_obj("scheduleData")
    legacy = f.opt_obj("schedule")
    if schedule_type is None:
        schedule_type = "basic" if legacy is not None else "manual"
    if schedule_type not in ("manual", "basic", "cron"):
        raise _Malformed(f._field("scheduleType"), f"{schedule_type!r} is not one of manual, basic, cron")
    if schedule_type == "cron":
        cron = data.obj("cron") if data is not None else f.obj("scheduleData")
        return ConnectionSchedule(
            schedule_type="cron",
            cron_expression=cron.text("cronExpression"),
            timezone=cron.opt_str("cronTimeZone") or "UTC",
        )
    if schedule_type == "basic":
        basic = data.opt_obj("basicSchedule") if data is not None else None
        basic = basic or legacy
        if basic is None:
            raise _Malformed(f._field("scheduleData.basicSchedule"), "is missing")
        return ConnectionSchedule(
            schedule_type="basic",
            basic_units=basic.integer("units"),
            basic_time_unit=basic.literal("timeUnit", _TIME_UNITS),
        )
    return ConnectionSchedule(schedule_type="manual")


def _public_schedule(f: _Fields) -> ConnectionSchedule:
    schedule_type = f.literal("scheduleType", ("manual", "basic", "cron"))
    if schedule_type == "cron":
        raw = f.text("cronExpression").strip()
        parts = raw.split()
        timezone = None
        if len(parts) > 6 and _looks_like_timezone(parts[-1]):  # Quartz has 6-7 fields, then the zone
            timezone = parts[-1]
            raw = " ".join(parts[:-1])
        return ConnectionSchedule(schedule_type="cron", cron_expression=raw, timezone=timezone or "UTC")
    if schedule_type == "basic":
        timing = f.opt_str("basicTiming") or ""
        match = re.search(r"(\d+)\s*([A-Za-z]+)", timing)
        units = int(match.group(1)) if match else None
        unit = match.group(2).lower() if match else None
        if unit and not unit.endswith("s"):
            unit += "s"
        return ConnectionSchedule(
            schedule_type="basic",
            basic_units=units,
            basic_time_unit=unit if unit in _TIME_UNITS else None,
        )
    return ConnectionSchedule(schedule_type="manual")


class Connection(_Model):
    """An Airbyte connection with its configured streams."""

    id: str
    name: str
    workspace_id: str | None = None
    source_id: str
    destination_id: str
    status: ConnectionStatus
    schedule: ConnectionSchedule = Field(default_factory=ConnectionSchedule)
    namespace_definition: NamespaceDefinition = "source"
    namespace_format: str | None = None
    prefix: str = ""
    streams: list[Stream] = Field(default_factory=list)
    created_at: datetime | None = None

    @property
    def selected_streams(self) -> list[Stream]:
        return [s for s in self.streams if s.selected]

    @classmethod
    def from_config_api(cls, payload: Mapping[str, Any], *, source: str | None = None) -> Connection:
        """From a Config API ``ConnectionRead`` (its ``syncCatalog`` carries JSON schemas)."""

        def build(f: _Fields) -> Connection:
            catalog = f.opt_obj("syncCatalog")
            try:
                streams = [_config_stream(s) for s in catalog.objs("streams")] if catalog is not None else []
            except _Malformed as exc:  # name the connection too: the stream alone is ambiguous
                raise _Malformed(exc.field, f'{exc.problem} in connection "{f.opt_str("name")}"') from None
            return cls(
                id=f.text("connectionId"),
                name=f.text("name"),
                workspace_id=f.opt_str("workspaceId"),
                source_id=f.text("sourceId"),
                destination_id=f.text("destinationId"),
                status=cast(Any, f.literal("status", ("active", "inactive", "deprecated", "locked"))),
                schedule=_config_schedule(f),
                namespace_definition=cast(
                    Any, f.literal("namespaceDefinition", ("source", "destination", "customformat"), "source")
                ),
                namespace_format=f.opt_str("namespaceFormat"),
                prefix=f.opt_str("prefix") or "",
                streams=streams,
                created_at=f.epoch("created_at") or f.epoch("createdAt"),
            )

        return _build(cls, source, payload, build)

    @classmethod
    def from_public_api(cls, payload: Mapping[str, Any], *, source: str | None = None) -> Connection:
        """From a public API ``ConnectionResponse``.

        Its streams have no JSON schema (``json_schema`` None) and are all selected: the public API
        lists only the streams it syncs.
        """

        def build(f: _Fields) -> Connection:
            configurations = f.opt_obj("configurations")
            streams = (
                [_public_stream(s) for s in configurations.objs("streams")]
                if configurations is not None
                else []
            )
            namespace = f.opt_str("namespaceDefinition") or "destination"
            if namespace == "custom_format":
                namespace = "customformat"
            if namespace not in ("source", "destination", "customformat"):
                raise _Malformed(
                    f._field("namespaceDefinition"), f"{namespace!r} is not a namespace definition"
                )
            schedule = f.opt_obj("schedule")
            return cls(
                id=f.text("connectionId"),
                name=f.text("name"),
                workspace_id=f.opt_str("workspaceId"),
                source_id=f.text("sourceId"),
                destination_id=f.text("destinationId"),
                status=cast(Any, f.literal("status", ("active", "inactive", "deprecated", "locked"))),
                schedule=_public_schedule(schedule) if schedule is not None else ConnectionSchedule(),
                namespace_definition=cast(Any, namespace),
                namespace_format=f.opt_str("namespaceFormat"),
                prefix=f.opt_str("prefix") or "",
                streams=streams,
                created_at=f.iso("createdAt"),
            )

        return _build(cls, source, payload, build)
