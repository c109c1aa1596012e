"""Payload reading for every model: each access goes through ``_Fields`` so a bad payload names its field.

A payload that lacks a required field, or carries one of the wrong type, becomes an
:class:`~dagster_airbyte_ops.errors.AirbyteApiError` whose message names the API path and the field
(``connections/get: response field 'syncCatalog.streams[2].config.syncMode' is missing``) instead of a
``KeyError`` deep inside a caller.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, NoReturn, TypeVar, cast

from pydantic import BaseModel, ConfigDict, ValidationError

from ...errors import AirbyteApiError

_T = TypeVar("_T")


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

    def opt_count(self, key: str) -> int | None:
        """A row or byte count: a whole number, never negative (a negative one is Airbyte's bug)."""
        value = self.opt_int(key)
        if value is not None and value < 0:
            raise _Malformed(self._field(key), f"must not be negative, got {value}")
        return value

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


class _Model(BaseModel):
    """Base for every record: immutable, unknown attributes refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")
