"""Typed records of what Airbyte returns, built at the edge of the client.

Each model has two constructors, ``from_config_api`` (``/api/v1``, epoch-second timestamps, nested
``{job, attempts}`` records) and ``from_public_api`` (``/api/public/v1``, ISO-8601 timestamps, flat
records). Nothing past the client touches a raw payload.

A payload that lacks a required field, or carries one of the wrong type, becomes an
:class:`~dagster_airbyte_ops.errors.AirbyteApiError` whose message names the API path and the field
(``connections/get: response field 'syncCatalog.streams[2].config.syncMode' is missing``) instead of a
``KeyError`` deep inside a caller. The ``source`` argument of every constructor is the API path that
produced the payload, so the message can say where the bad data came from.

Secrets: ``Source.configuration`` and ``Destination.configuration`` hold Airbyte's
``connectionConfiguration``, which carries passwords. They are excluded from ``repr``/``str`` and from
``model_dump`` so they never end up in logs, Dagster metadata or serialized catalogs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, ClassVar, Literal, NoReturn, TypeVar, cast
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import AirbyteApiError

__all__ = [
    "Attempt",
    "CheckResult",
    "Connection",
    "ConnectionSchedule",
    "Destination",
    "DestinationDefinition",
    "FailureSummary",
    "Job",
    "JobStatus",
    "Source",
    "SourceDefinition",
    "Stream",
    "StreamStats",
    "SyncStats",
    "Workspace",
    "connector_slug",
    "parse_iso_duration_s",
]

_T = TypeVar("_T")

NamespaceDefinition = Literal["source", "destination", "customformat"]
SyncMode = Literal["full_refresh", "incremental"]
ScheduleType = Literal["manual", "basic", "cron"]
ConnectionStatus = Literal["active", "inactive", "deprecated", "locked"]

# Definition ids are identical in every Airbyte instance (SOURCE.md); they are the most reliable way
# to name a connector's type when the Config API only returns the display name.
KNOWN_DEFINITION_SLUGS: dict[str, str] = {
    "decd338e-5647-4c0b-adf4-da0e75f5a750": "postgres",
    "435bb9a5-7887-4809-aa58-28c27df0d7ad": "mysql",
    "b5ea17b1-f170-46dc-bc31-cc744ca984c1": "mssql",
    "4816b78f-1489-44c1-9060-4b19d5fa9362": "s3",
    "25c5221d-dce2-4163-ade9-739ef790f503": "postgres",
    "b76be0a6-27dc-4560-95f6-2623da0bd7b6": "sqlite",
}

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
# Payload reading: every access goes through _Fields so a bad payload names its field path.
# --------------------------------------------------------------------------------------------------


class _Malformed(Exception):
    """Internal: a payload field is missing or mistyped; turned into AirbyteApiError at the top."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


def _type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


class _Fields:
    """Typed, path-aware access to one JSON object of a response."""

    def __init__(self, data: Any, where: str = "") -> None:
        if not isinstance(data, Mapping):
            raise _Malformed(where or "<body>", f"expected a JSON object, got {_type_name(data)}")
        self.data = data
        self.where = where

    def _field(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def _get(self, key: str, types: type | tuple[type, ...], required: bool, what: str) -> Any:
        value = self.data.get(key)
        if value is None:
            if required:
                raise _Malformed(self._field(key), "is missing")
            return None
        if isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
            raise _Malformed(self._field(key), f"expected {what}, got bool")
        if not isinstance(value, types):
            raise _Malformed(self._field(key), f"expected {what}, got {_type_name(value)}")
        return value

    def text(self, key: str) -> str:
        return cast(str, self._get(key, str, True, "a string"))

    def opt_str(self, key: str) -> str | None:
        return cast("str | None", self._get(key, str, False, "a string"))

    def integer(self, key: str) -> int:
        return cast(int, self._get(key, int, True, "an integer"))

    def opt_int(self, key: str) -> int | None:
        return cast("int | None", self._get(key, int, False, "an integer"))

    def opt_num(self, key: str) -> float | None:
        value = self._get(key, (int, float), False, "a number")
        return None if value is None else float(value)

    def opt_bool(self, key: str) -> bool | None:
        return cast("bool | None", self._get(key, bool, False, "a boolean"))

    def opt_dict(self, key: str) -> dict[str, Any] | None:
        return cast("dict[str, Any] | None", self._get(key, Mapping, False, "an object"))

    def obj(self, key: str) -> _Fields:
        return _Fields(self._get(key, Mapping, True, "an object"), self._field(key))

    def opt_obj(self, key: str) -> _Fields | None:
        value = self._get(key, Mapping, False, "an object")
        return None if value is None else _Fields(value, self._field(key))

    def array(self, key: str, required: bool = False) -> list[Any]:
        value = self._get(key, list, required, "an array")
        return [] if value is None else list(value)

    def objs(self, key: str, required: bool = False) -> list[_Fields]:
        return [_Fields(item, f"{self._field(key)}[{i}]") for i, item in enumerate(self.array(key, required))]

    def str_list(self, key: str) -> list[str]:
        items = self.array(key)
        for i, item in enumerate(items):
            if not isinstance(item, str):
                raise _Malformed(f"{self._field(key)}[{i}]", f"expected a string, got {_type_name(item)}")
        return items

    def str_list_list(self, key: str) -> list[list[str]]:
        items = self.array(key)
        for i, item in enumerate(items):
            if not isinstance(item, list) or not all(isinstance(part, str) for part in item):
                raise _Malformed(f"{self._field(key)}[{i}]", "expected an array of strings")
        return [list(item) for item in items]

    def epoch(self, key: str, required: bool = False) -> datetime | None:
        """Config API timestamps: epoch seconds."""
        value = self.opt_num(key)
        if value is None:
            if required:
                raise _Malformed(self._field(key), "is missing")
            return None
        return datetime.fromtimestamp(value, tz=UTC)

    def iso(self, key: str, required: bool = False) -> datetime | None:
        """Public API timestamps: ISO-8601 strings (naive ones are UTC)."""
        value = self.data.get(key)
        if value is None:
            if required:
                raise _Malformed(self._field(key), "is missing")
            return None
        if isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, tz=UTC)
        if not isinstance(value, str):
            raise _Malformed(self._field(key), f"expected an ISO-8601 string, got {_type_name(value)}")
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise _Malformed(self._field(key), f"{value!r} is not an ISO-8601 timestamp") from None
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)

    def literal(self, key: str, allowed: Sequence[str], default: str | None = None) -> str:
        value = self.opt_str(key)
        if value is None:
            if default is None:
                raise _Malformed(self._field(key), "is missing")
            return default
        if value not in allowed:
            raise _Malformed(self._field(key), f"{value!r} is not one of {', '.join(allowed)}")
        return value


def _build(cls: type[_T], source: str | None, payload: Any, build: Any) -> _T:
    """Run ``build(_Fields(payload))`` and turn any payload problem into one AirbyteApiError."""
    where = source or "Airbyte payload"
    try:
        return cast(_T, build(_Fields(payload)))
    except _Malformed as exc:
        _raise_malformed(cls, where, source, exc.field, exc.problem)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first.get("loc", ())) or "<body>"
        _raise_malformed(cls, where, source, field, first.get("msg", "is invalid"))


def _raise_malformed(cls: type, where: str, source: str | None, field: str, problem: str) -> NoReturn:
    raise AirbyteApiError(
        f"{where}: unexpected response from Airbyte, field {field!r} {problem} "
        f"(while reading a {cls.__name__}); the Airbyte version may not match the API flavour in use",
        path=source,
    ) from None


# --------------------------------------------------------------------------------------------------
# Small helpers shared by the models.
# --------------------------------------------------------------------------------------------------

_ISO_DURATION = re.compile(
    r"^P(?:(?P<weeks>\d+(?:\.\d+)?)W)?(?:(?P<days>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<hours>-?\d+(?:\.\d+)?)H)?(?:(?P<minutes>-?\d+(?:\.\d+)?)M)?"
    r"(?:(?P<seconds>-?\d+(?:\.\d+)?)S)?)?$"
)


def parse_iso_duration_s(value: str) -> float:
    """Seconds in an ISO-8601 duration as Airbyte (Java's ``Duration``) writes it: ``PT8H6M12S``.

    Raises:
        ValueError: ``value`` is not such a duration.
    """
    match = _ISO_DURATION.match(value.strip())
    if not match or value.strip() in ("P", "PT"):
        raise ValueError(f"{value!r} is not an ISO-8601 duration")
    parts = {k: float(v) for k, v in match.groupdict().items() if v is not None}
    return timedelta(
        weeks=parts.get("weeks", 0),
        days=parts.get("days", 0),
        hours=parts.get("hours", 0),
        minutes=parts.get("minutes", 0),
        seconds=parts.get("seconds", 0),
    ).total_seconds()


def connector_slug(
    *, definition_id: str | None = None, docker_repository: str | None = None, name: str | None = None
) -> str | None:
    """A short connector type such as ``"s3"``, ``"postgres"`` or ``"sqlite"``.

    Airbyte's Config API returns only the definition's display name ("Local SQLite") with a source or
    destination; the public API returns the slug. The slug is what Dagster ``kinds`` want, so both
    flavours agree on it: known definition id first, then the docker repository
    (``airbyte/destination-s3``), then a normalised display name.
    """
    if definition_id and definition_id in KNOWN_DEFINITION_SLUGS:
        return KNOWN_DEFINITION_SLUGS[definition_id]
    if docker_repository:
        tail = docker_repository.rsplit("/", 1)[-1]
        tail = re.sub(r"^(source|destination)-", "", tail)
        return re.sub(r"-strict-encrypt$", "", tail) or None
    if name:
        paren = re.search(r"\(([^)]+)\)", name)
        if paren:
            return re.sub(r"[^a-z0-9]+", "-", paren.group(1).lower()).strip("-") or None
        words = [w for w in re.split(r"[^a-z0-9]+", name.lower()) if w and w not in ("local", "destination")]
        words = [w for w in words if w != "source"]
        return "-".join(words) or None
    return None


def _public_slug(value: str | None) -> str | None:
    return None if value is None else value.strip().lower().replace(" ", "-") or None


class _Model(BaseModel):
    """Base for every record: immutable, unknown attributes refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


# --------------------------------------------------------------------------------------------------
# Workspaces and definitions
# --------------------------------------------------------------------------------------------------


class Workspace(_Model):
    """An Airbyte workspace."""

    id: str
    name: str
    slug: str | None = None

    @classmethod
    def from_config_api(cls, payload: Mapping[str, Any], *, source: str | None = None) -> Workspace:
        """From a Config API ``WorkspaceRead``."""
        return _build(
            cls,
            source,
            payload,
            lambda f: cls(id=f.text("workspaceId"), name=f.text("name"), slug=f.opt_str("slug")),
        )

    @classmethod
    def from_public_api(cls, payload: Mapping[str, Any], *, source: str | None = None) -> Workspace:
        """From a public API ``WorkspaceResponse`` (it has no slug)."""
        return _build(cls, source, payload, lambda f: cls(id=f.text("workspaceId"), name=f.text("name")))


class SourceDefinition(_Model):
    """A source connector definition (the same id in every Airbyte instance)."""

    id: str
    name: str
    docker_repository: str | None = None
    docker_image_tag: str | None = None

    config_id_key: ClassVar[str] = "sourceDefinitionId"

    @classmethod
    def from_config_api(cls, payload: Mapping[str, Any], *, source: str | None = None) -> Any:
        """From a Config API ``SourceDefinitionRead`` / ``DestinationDefinitionRead``."""
        return _build(
            cls,
            source,
            payload,
            lambda f: cls(
                id=f.text(cls.config_id_key),
                name=f.text("name"),
                docker_repository=f.opt_str("dockerRepository"),
                docker_image_tag=f.opt_str("dockerImageTag"),
            ),
        )

    @classmethod
    def from_public_api(cls, payload: Mapping[str, Any], *, source: str | None = None) -> Any:
        """From a public API ``DefinitionResponse``."""
        return _build(
            cls,
            source,
            payload,
            lambda f: cls(
                id=f.text("id"),
                name=f.text("name"),
                docker_repository=f.opt_str("dockerRepository"),
                docker_image_tag=f.opt_str("dockerImageTag"),
            ),
        )

    @property
    def slug(self) -> str | None:
        """Short connector type (``"postgres"``), see :func:`connector_slug`."""
        return connector_slug(definition_id=self.id, docker_repository=self.docker_repository, name=self.name)


class DestinationDefinition(SourceDefinition):
    """A destination connector definition."""

    config_id_key: ClassVar[str] = "destinationDefinitionId"


# --------------------------------------------------------------------------------------------------
# Sources and destinations
# --------------------------------------------------------------------------------------------------


class Source(_Model):
    """A configured source. ``configuration`` holds secrets: hidden from repr and dumps."""

    id: str
    name: str
    workspace_id: str
    definition_id: str | None = None
    source_type: str | None = None
    configuration: dict[str, Any] | None = Field(default=None, repr=False, exclude=True)

    @classmethod
    def from_config_api(cls, payload: Mapping[str, Any], *, source: str | None = None) -> Source:
        """From a Config API ``SourceRead``."""

        def build(f: _Fields) -> Source:
            definition_id = f.opt_str("sourceDefinitionId")
            return cls(
                id=f.text("sourceId"),
                name=f.text("name"),
                workspace_id=f.text("workspaceId"),
                definition_id=definition_id,
                source_type=connector_slug(definition_id=definition_id, name=f.opt_str("sourceName")),
                configuration=f.opt_dict("connectionConfiguration"),
            )

        return _build(cls, source, payload, build)

    @classmethod
    def from_public_api(cls, payload: Mapping[str, Any], *, source: str | None = None) -> Source:
        """From a public API ``SourceResponse``."""
        return _build(
            cls,
            source,
            payload,
            lambda f: cls(
                id=f.text("sourceId"),
                name=f.text("name"),
                workspace_id=f.text("workspaceId"),
                definition_id=f.opt_str("definitionId"),
                source_type=_public_slug(f.opt_str("sourceType")),
                configuration=f.opt_dict("configuration"),
            ),
        )


# Where destinations keep the namespace streams land in when the connection says "destination".
# Only these non-secret keys are ever read from a destination's configuration.
DEFAULT_NAMESPACE_KEYS = ("schema", "dataset_id", "s3_bucket_path", "gcs_bucket_path", "database")


def default_namespace_of(configuration: Mapping[str, Any] | None) -> str | None:
    """The destination's default namespace (schema, dataset, bucket path), if it has one."""
    for key in DEFAULT_NAMESPACE_KEYS:
        value = (configuration or {}).get(key)
        if isinstance(value, str) and value.strip():
            return value.strip().strip("/")
    return None


class Destination(_Model):
    """A configured destination. ``destination_type`` is a slug: ``"s3"``, ``"postgres"``, ``"sqlite"``."""

    id: str
    name: str
    workspace_id: str
    definition_id: str | None = None
    destination_type: str | None = None
    default_namespace: str | None = None
    configuration: dict[str, Any] | None = Field(default=None, repr=False, exclude=True)

    @classmethod
    def from_config_api(cls, payload: Mapping[str, Any], *, source: str | None = None) -> Destination:
        """From a Config API ``DestinationRead`` (type derived from definition id or display name)."""

        def build(f: _Fields) -> Destination:
            definition_id = f.opt_str("destinationDefinitionId")
            return cls(
                id=f.text("destinationId"),
                name=f.text("name"),
                workspace_id=f.text("workspaceId"),
                definition_id=definition_id,
                destination_type=connector_slug(
                    definition_id=definition_id, name=f.opt_str("destinationName")
                ),
                default_namespace=default_namespace_of(f.opt_dict("connectionConfiguration")),
                configuration=f.opt_dict("connectionConfiguration"),
            )

        return _build(cls, source, payload, build)

    @classmethod
    def from_public_api(cls, payload: Mapping[str, Any], *, source: str | None = None) -> Destination:
        """From a public API ``DestinationResponse``."""
        return _build(
            cls,
            source,
            payload,
            lambda f: cls(
                id=f.text("destinationId"),
                name=f.text("name"),
                workspace_id=f.text("workspaceId"),
                definition_id=f.opt_str("definitionId"),
                destination_type=_public_slug(f.opt_str("destinationType")),
                default_namespace=default_namespace_of(f.opt_dict("configuration")),
                configuration=f.opt_dict("configuration"),
            ),
        )


class CheckResult(_Model):
    """Outcome of a connection check of a source or destination."""

    status: Literal["succeeded", "failed"]
    message: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "succeeded"

    @classmethod
    def from_config_api(cls, payload: Mapping[str, Any], *, source: str | None = None) -> CheckResult:
        """From a Config API ``CheckConnectionRead``."""
        return _build(
            cls,
            source,
            payload,
            lambda f: cls(
                status=cast(Any, f.literal("status", ("succeeded", "failed"))), message=f.opt_str("message")
            ),
        )

    @classmethod
    def from_public_api(cls, payload: Mapping[str, Any], *, source: str | None = None) -> CheckResult:
        """The public API has no check endpoint; accepts the same shape for symmetry."""
        return cls.from_config_api(payload, source=source)


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
            return cls(
                name=f.text("streamName"),
                namespace=f.opt_str("streamnamespace") or f.opt_str("streamNamespace"),
                sync_mode=sync_mode,
                destination_sync_mode=dest_mode,
                cursor_field=f.str_list("defaultCursorField"),
                primary_key=f.str_list_list("sourceDefinedPrimaryKey"),
            )

        return _build(cls, source, payload, build)

    def to_config_api(self) -> dict[str, Any]:
        """As a Config API ``AirbyteStreamAndConfiguration`` (for connections/create)."""
        stream: dict[str, Any] = {"name": self.name, "jsonSchema": self.json_schema or {}}
        if self.namespace is not None:
            stream["namespace"] = self.namespace
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


def _config_stream(f: _Fields) -> Stream:
    stream = f.obj("stream")
    config = f.opt_obj("config")
    json_schema = stream.opt_dict("jsonSchema")
    if json_schema is None:
        json_schema = stream.opt_dict("json_schema")
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
            streams = [_config_stream(s) for s in catalog.objs("streams")] if catalog is not None else []
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


# --------------------------------------------------------------------------------------------------
# Jobs
# --------------------------------------------------------------------------------------------------


class JobStatus(StrEnum):
    """Airbyte job status. ``incomplete`` (an attempt failed, Airbyte will retry) and ``queued``
    (Airbyte >= 2.0: waiting for capacity) are not terminal."""

    PENDING = "pending"
    QUEUED = "queued"
    RUNNING = "running"
    INCOMPLETE = "incomplete"
    FAILED = "failed"
    SUCCEEDED = "succeeded"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        return self in (JobStatus.FAILED, JobStatus.SUCCEEDED, JobStatus.CANCELLED)

    def __str__(self) -> str:
        return self.value


_JOB_STATUSES = tuple(s.value for s in JobStatus)


class SyncStats(_Model):
    """Records and bytes of an attempt or a job."""

    records_emitted: int = 0
    records_committed: int = 0
    bytes_emitted: int = 0
    bytes_committed: int = 0

    @classmethod
    def from_config_api(cls, payload: Mapping[str, Any], *, source: str | None = None) -> SyncStats:
        """From a Config API ``AttemptStats`` or ``JobAggregatedStats``."""
        return _build(cls, source, payload, _stats)

    @classmethod
    def from_public_api(cls, payload: Mapping[str, Any], *, source: str | None = None) -> SyncStats:
        """From a public ``JobResponse``: only committed figures (``rowsSynced``/``bytesSynced``) exist."""

        def build(f: _Fields) -> SyncStats:
            rows = f.opt_int("rowsSynced") or 0
            size = f.opt_int("bytesSynced") or 0
            return cls(records_emitted=rows, records_committed=rows, bytes_emitted=size, bytes_committed=size)

        return _build(cls, source, payload, build)


def _stats(f: _Fields) -> SyncStats:
    return SyncStats(
        records_emitted=f.opt_int("recordsEmitted") or 0,
        records_committed=f.opt_int("recordsCommitted") or 0,
        bytes_emitted=f.opt_int("bytesEmitted") or 0,
        bytes_committed=f.opt_int("bytesCommitted") or 0,
    )


class StreamStats(_Model):
    """Per-stream figures of one attempt (Config API only)."""

    stream_name: str
    stream_namespace: str | None = None
    records_emitted: int = 0
    records_committed: int = 0
    bytes_emitted: int = 0
    bytes_committed: int = 0

    @classmethod
    def from_config_api(cls, payload: Mapping[str, Any], *, source: str | None = None) -> StreamStats:
        """From a Config API ``AttemptStreamStats``."""
        return _build(cls, source, payload, _stream_stats)

    @classmethod
    def from_public_api(cls, payload: Mapping[str, Any], *, source: str | None = None) -> StreamStats:
        """The public API has no per-stream figures; accepts the Config API shape for symmetry."""
        return cls.from_config_api(payload, source=source)


def _stream_stats(f: _Fields) -> StreamStats:
    stats = _stats(f.obj("stats"))
    return StreamStats(
        stream_name=f.text("streamName"),
        stream_namespace=f.opt_str("streamNamespace"),
        **stats.model_dump(),
    )


class FailureSummary(_Model):
    """Why an attempt failed: Airbyte's first failure reason."""

    failure_origin: str | None = None
    failure_type: str | None = None
    external_message: str | None = None

    @classmethod
    def from_config_api(cls, payload: Mapping[str, Any], *, source: str | None = None) -> FailureSummary:
        """From a Config API ``AttemptFailureSummary`` (``{failures: [FailureReason]}``)."""
        return _build(cls, source, payload, _failure)

    @classmethod
    def from_public_api(cls, payload: Mapping[str, Any], *, source: str | None = None) -> FailureSummary:
        """The public API exposes no failure reasons; accepts the Config API shape for symmetry."""
        return cls.from_config_api(payload, source=source)


def _failure(f: _Fields) -> FailureSummary:
    failures = f.objs("failures")
    if not failures:
        return FailureSummary()
    first = failures[0]
    return FailureSummary(
        failure_origin=first.opt_str("failureOrigin"),
        failure_type=first.opt_str("failureType"),
        external_message=first.opt_str("externalMessage"),
    )


class Attempt(_Model):
    """One attempt of a job (Config API only)."""

    id: int
    status: str
    created_at: datetime
    ended_at: datetime | None = None
    total_stats: SyncStats | None = None
    stream_stats: list[StreamStats] = Field(default_factory=list)
    failure: FailureSummary | None = None

    @classmethod
    def from_config_api(cls, payload: Mapping[str, Any], *, source: str | None = None) -> Attempt:
        """From a Config API ``AttemptRead`` or ``AttemptInfoRead`` (``{attempt, logs}``)."""
        return _build(cls, source, payload, _attempt)

    @classmethod
    def from_public_api(cls, payload: Mapping[str, Any], *, source: str | None = None) -> Attempt:
        """The public API exposes no attempts; accepts the Config API shape for symmetry."""
        return cls.from_config_api(payload, source=source)


def _attempt(f: _Fields) -> Attempt:
    if "attempt" in f.data:  # AttemptInfoRead (jobs/get) wraps the AttemptRead
        f = f.obj("attempt")
    total = f.opt_obj("totalStats")
    failure = f.opt_obj("failureSummary")
    return Attempt(
        id=f.integer("id"),
        status=f.literal("status", ("running", "failed", "succeeded")),
        created_at=cast(datetime, f.epoch("createdAt", required=True)),
        ended_at=f.epoch("endedAt"),
        total_stats=_stats(total) if total is not None else None,
        stream_stats=[_stream_stats(s) for s in f.objs("streamStats")],
        failure=_failure(failure) if failure is not None else None,
    )


_JOB_TYPES_FROM_CONFIG = {"reset_connection": "reset"}


class Job(_Model):
    """An Airbyte job (sync, reset, refresh, clear) with its attempts when the API gives them."""

    id: int
    connection_id: str
    job_type: str
    status: JobStatus
    created_at: datetime
    updated_at: datetime | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    duration_s: float | None = None
    attempts: list[Attempt] = Field(default_factory=list)
    rows_synced: int | None = None
    bytes_synced: int | None = None

    @property
    def is_terminal(self) -> bool:
        return self.status.is_terminal

    @property
    def attempt_count(self) -> int:
        return len(self.attempts)

    @property
    def stream_stats(self) -> list[StreamStats]:
        """Per-stream figures of the last attempt; empty on the public API (it has none)."""
        return list(self.attempts[-1].stream_stats) if self.attempts else []

    @property
    def failure_summary(self) -> FailureSummary | None:
        """The failure of the last failed attempt (Config API only)."""
        for attempt in reversed(self.attempts):
            if attempt.failure is not None and (
                attempt.status == "failed" or attempt.failure.external_message
            ):
                return attempt.failure
        return None

    def failure_reason(self) -> str:
        """Airbyte's own account of why the job failed, in one line (origin, type, message).

        The public API reports neither attempts nor failure summaries; the text then says so and
        where to look, rather than claiming "0 attempts".
        """
        summary = self.failure_summary
        if summary is not None:
            parts = [p for p in (summary.failure_origin, summary.failure_type) if p]
            where = f"{' '.join(parts)}: " if parts else ""
            return f"{where}{summary.external_message or 'no message'}"
        if not self.attempts:
            return "Airbyte's public API reports no failure reason; see the job's logs in Airbyte"
        return "no failure reason reported"

    @classmethod
    def from_config_api(cls, payload: Mapping[str, Any], *, source: str | None = None) -> Job:
        """From a Config API ``JobInfoRead`` (jobs/get, connections/sync) or ``JobWithAttemptsRead``."""
        return _build(cls, source, payload, _config_job)

    @classmethod
    def from_public_api(cls, payload: Mapping[str, Any], *, source: str | None = None) -> Job:
        """From a public API ``JobResponse``: no attempts; rows/bytes are the committed totals."""
        return _build(cls, source, payload, _public_job)


def _config_job(f: _Fields) -> Job:
    job = f.obj("job")
    attempts = [_attempt(a) for a in f.objs("attempts")]
    status = JobStatus(job.literal("status", _JOB_STATUSES))
    created = cast(datetime, job.epoch("createdAt", required=True))
    updated = job.epoch("updatedAt")
    started = job.epoch("startedAt") or (attempts[0].created_at if attempts else None)
    ended = None
    if status.is_terminal:
        ended = (attempts[-1].ended_at if attempts else None) or updated
    duration = None
    if ended is not None:
        duration = max(0.0, (ended - (started or created)).total_seconds())
    aggregated = job.opt_obj("aggregatedStats")
    if aggregated is not None:
        stats: SyncStats | None = _stats(aggregated)
    elif any(a.total_stats is not None for a in attempts):
        stats = SyncStats(
            records_committed=sum(a.total_stats.records_committed for a in attempts if a.total_stats),
            bytes_committed=sum(a.total_stats.bytes_committed for a in attempts if a.total_stats),
        )
    else:
        stats = None
    config_type = job.text("configType")
    return Job(
        id=job.integer("id"),
        connection_id=job.text("configId"),
        job_type=_JOB_TYPES_FROM_CONFIG.get(config_type, config_type),
        status=status,
        created_at=created,
        updated_at=updated,
        started_at=started,
        ended_at=ended,
        duration_s=duration,
        attempts=attempts,
        rows_synced=stats.records_committed if stats else None,
        bytes_synced=stats.bytes_committed if stats else None,
    )


def _public_job(f: _Fields) -> Job:
    status = JobStatus(f.literal("status", _JOB_STATUSES))
    started = cast(datetime, f.iso("startTime", required=True))
    updated = f.iso("lastUpdatedAt")
    duration = None
    raw_duration = f.opt_str("duration")
    if raw_duration:
        try:
            duration = parse_iso_duration_s(raw_duration)
        except ValueError:
            raise _Malformed("duration", f"{raw_duration!r} is not an ISO-8601 duration") from None
    ended = None
    if status.is_terminal:
        ended = started + timedelta(seconds=duration) if duration is not None else updated
    return Job(
        id=f.integer("jobId"),
        connection_id=f.text("connectionId"),
        job_type=f.text("jobType"),
        status=status,
        created_at=started,
        updated_at=updated,
        started_at=started,
        ended_at=ended,
        duration_s=duration,
        attempts=[],
        rows_synced=f.opt_int("rowsSynced"),
        bytes_synced=f.opt_int("bytesSynced"),
    )
