"""Request validation against Airbyte's own OpenAPI request schemas, before any handler runs.

Airbyte's server never reaches a handler with a body it cannot read: Jackson maps the JSON onto the
generated request model (a non-object body, a wrongly typed field, an unknown enum value or a malformed
UUID fails there), then bean validation checks required fields. The emulator does the same from
``request_schemas.json``, extracted from the vendored ``config.yaml``/``api.yaml`` by
``tests/emulator/request_schemas.py``, so every endpoint, including ones added later, is checked the
same way, and handlers receive values of the declared types.

The check is a small subset of JSON Schema (types, formats uuid/date-time/int32/int64, enums, required,
nullable, minimum/maximum, items, properties, allOf/oneOf/anyOf), lenient where Jackson is: a number or
boolean is accepted for a string, an integer-looking string for an integer, ``"true"``/``"false"`` for a
boolean (Jackson's scalar coercions), and unknown properties are ignored. Values are returned coerced.

A :class:`Violation` is either ``mapping`` (Jackson could not build the model: Airbyte answers 422) or
``constraint`` (bean validation: 400); the API modules render them in their own error shapes.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, Literal

SCHEMAS_FILE = Path(__file__).with_name("request_schemas.json")
Api = Literal["config", "public"]
_INT_RANGE = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}
#: Nesting deeper than this is not walked (Jackson's own limit is far higher; this bounds the work).
MAX_DEPTH = 64


@dataclass(frozen=True)
class Violation:
    """One reason a request is refused: where, what was expected, and how Airbyte classifies it."""

    kind: Literal["mapping", "constraint"]
    path: str  # e.g. ``pagination.pageSize`` or ``configTypes[0]``
    message: str
    value: Any = None

    def describe(self) -> str:
        """``path: message`` (one line, the field named first)."""
        return f"{self.path or 'body'}: {self.message}"


@dataclass(frozen=True)
class Operation:
    """One operation of the spec: its id, body schema and parameters."""

    operation_id: str
    body: dict[str, Any] | None
    parameters: tuple[dict[str, Any], ...]


class Spec:
    """The request schemas of one API, with path-template lookup."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.schemas: dict[str, Any] = data["schemas"]
        self._exact: dict[tuple[str, str], Operation] = {}
        self._templated: list[tuple[str, re.Pattern[str], Operation]] = []
        for key, raw in data["operations"].items():
            method, path = key.split(" ", 1)
            op = Operation(raw.get("operationId", ""), raw.get("body"), tuple(raw.get("parameters", ())))
            if "{" in path:
                pattern = re.escape(path).replace(r"\{", "{").replace(r"\}", "}")
                pattern = re.sub(r"{[^}/]+}", "[^/]+", pattern)
                self._templated.append((method, re.compile(f"^{pattern}$"), op))
            else:
                self._exact[(method, path)] = op

    def operation(self, method: str, path: str) -> Operation | None:
        """The operation serving ``method path`` (path relative to the API's base), or None."""
        path = path.rstrip("/") or "/"
        found = self._exact.get((method, path))
        if found is not None:
            return found
        for m, pattern, op in self._templated:
            if m == method and pattern.match(path):
                return op
        return None

    def schema_name(self, schema: dict[str, Any] | None) -> str:
        """The component name a body schema refers to ("" for an inline schema)."""
        return str(schema.get("$ref", "")) if schema else ""

    # ------------------------------------------------------------------ checking
    def check(self, schema: dict[str, Any], value: Any, path: str = "") -> tuple[Any, list[Violation]]:
        """``value`` coerced as Jackson would, and every violation found (empty: valid)."""
        out: list[Violation] = []
        return self._check(schema, value, path, out, 0), out

    def _resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        seen = 0
        while "$ref" in schema and seen < MAX_DEPTH:
            schema = self.schemas.get(schema["$ref"], {})
            seen += 1
        return schema

    def _check(self, schema: dict[str, Any], value: Any, path: str, out: list[Violation], depth: int) -> Any:
        schema = self._resolve(schema)
        if depth > MAX_DEPTH:
            out.append(Violation("mapping", path, "nested too deeply", None))
            return value
        if value is None:
            return None  # a null is a missing value: only `required` (bean validation) refuses it
        for sub in schema.get("allOf", ()):
            value = self._check(sub, value, path, out, depth + 1)
        branches = [*schema.get("oneOf", ()), *schema.get("anyOf", ())]
        if branches:
            for sub in branches:
                trial: list[Violation] = []
                coerced = self._check(sub, value, path, trial, depth + 1)
                if not trial:
                    value = coerced
                    break
            else:
                out.append(Violation("mapping", path, "matches none of the allowed shapes", value))
                return value
        types = schema.get("type")
        if isinstance(types, list):
            types = next((t for t in types if t != "null"), None)
        if types is not None:
            value = self._typed(str(types), schema, value, path, out, depth)
        if "enum" in schema and value not in schema["enum"]:
            allowed = ", ".join(str(v) for v in schema["enum"] if v is not None)
            out.append(Violation("mapping", path, f"must be one of [{allowed}], got {_show(value)}", value))
        return value

    def _typed(
        self, kind: str, schema: dict[str, Any], value: Any, path: str, out: list[Violation], depth: int
    ) -> Any:
        fmt = str(schema.get("format") or "").lower()
        if kind == "object":
            if not isinstance(value, dict):
                out.append(Violation("mapping", path, f"must be an object, got {_kind(value)}", value))
                return value
            props: dict[str, Any] = schema.get("properties") or {}
            result = dict(value)
            for name, sub in props.items():
                if name in value:
                    result[name] = self._check(sub, value[name], _join(path, name), out, depth + 1)
            extra = schema.get("additionalProperties")
            if isinstance(extra, dict) and extra:
                for name in value.keys() - props.keys():
                    result[name] = self._check(extra, value[name], _join(path, name), out, depth + 1)
            for name in schema.get("required") or ():
                if result.get(name) is None and name in props:
                    out.append(Violation("constraint", _join(path, name), "must not be null", None))
            return result
        if kind == "array":
            if not isinstance(value, list):
                out.append(Violation("mapping", path, f"must be an array, got {_kind(value)}", value))
                return value
            items = schema.get("items") or {}
            return [self._check(items, v, f"{path}[{i}]", out, depth + 1) for i, v in enumerate(value)]
        if kind == "string":
            if isinstance(value, bool | int | float) and fmt not in ("uuid", "date-time", "date"):
                return str(value).lower() if isinstance(value, bool) else str(value)
            if not isinstance(value, str):
                out.append(Violation("mapping", path, f"must be a string, got {_kind(value)}", value))
                return value
            if fmt == "uuid" and not _is_uuid(value):
                out.append(Violation("mapping", path, f"must be a UUID, got {_show(value)}", value))
            elif fmt in ("date-time", "date") and not _is_datetime(value):
                message = f"must be an ISO-8601 {fmt}, got {_show(value)}"
                out.append(Violation("mapping", path, message, value))
            return value
        if kind == "integer":
            number = _integer(value)
            if number is None:
                out.append(Violation("mapping", path, f"must be an integer, got {_show(value)}", value))
                return value
            lo, hi = _INT_RANGE.get(fmt, _INT_RANGE["int64"])
            if not lo <= number <= hi:
                out.append(Violation("mapping", path, f"is out of range for an {fmt or 'int64'}", value))
                return value
            return self._bounded(schema, number, path, out)
        if kind == "number":
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                out.append(Violation("mapping", path, f"must be a number, got {_kind(value)}", value))
                return value
            try:
                return self._bounded(schema, float(value) if isinstance(value, str) else value, path, out)
            except ValueError:
                out.append(Violation("mapping", path, f"must be a number, got {_show(value)}", value))
                return value
        if kind == "boolean":
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lower() in ("true", "false"):
                return value.lower() == "true"
            out.append(Violation("mapping", path, f"must be a boolean, got {_show(value)}", value))
            return value
        return value

    def _bounded(self, schema: dict[str, Any], number: float, path: str, out: list[Violation]) -> Any:
        lo, hi = schema.get("minimum"), schema.get("maximum")
        if lo is not None and number < lo:
            out.append(Violation("constraint", path, f"must be greater than or equal to {lo}", number))
        if hi is not None and number > hi:
            out.append(Violation("constraint", path, f"must be less than or equal to {hi}", number))
        return number

    # ------------------------------------------------------------------ requests
    def check_body(self, op: Operation, raw: bytes) -> tuple[Any, list[Violation], str | None]:
        """Parse and check a JSON body: ``(value, violations, parse_error)``; empty means ``{}``."""
        if not raw.strip():
            data: Any = {}
        else:
            try:
                data = json.loads(raw)
            except (ValueError, RecursionError) as exc:
                return None, [], str(exc)
        if op.body is None:
            return data, [], None
        if data is None:
            return None, [Violation("mapping", "", "must be an object, got null", None)], None
        value, violations = self.check(op.body, data)
        return value, violations, None

    def check_query(
        self, op: Operation, params: dict[str, list[str]], path_params: dict[str, str]
    ) -> list[Violation]:
        """Check the declared query and path parameters present (query arrays: repeated or a,b)."""
        out: list[Violation] = []
        for p in op.parameters:
            name, schema = p["name"], self._resolve(p["schema"])
            if p["in"] == "path":
                continue  # unknown or malformed ids in paths are 404s, left to the handlers
            raw = params.get(name)
            if not raw:
                if p.get("required"):
                    out.append(Violation("constraint", name, "is required", None))
                continue
            if schema.get("type") == "array":
                values: Any = [v for item in raw for v in item.split(",") if v]
            else:
                values = raw[-1]
            self._check(schema, values, name, out, 0)
        return out


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    names: dict[type, str] = {dict: "an object", list: "an array", str: "a string"}
    return names.get(type(value), "null" if value is None else type(value).__name__)


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else value[:40] + "...")
    return _kind(value)


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _is_datetime(value: str) -> bool:
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str) and re.fullmatch(r"[+-]?\d{1,20}", value.strip()):
        return int(value)
    return None


@cache
def spec(api: Api) -> Spec:
    """The request schemas of ``api`` (``config`` or ``public``), loaded once per process."""
    with SCHEMAS_FILE.open(encoding="utf-8") as f:
        return Spec(json.load(f)[api])
