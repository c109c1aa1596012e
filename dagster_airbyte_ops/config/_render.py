"""pydantic's validation errors, rewritten as `file: field.path: what is wrong; how to fix it`.

pydantic's own text ("Input should be a valid integer, unable to parse string as an integer
[type=int_parsing, input_value='five', input_type=str]") speaks Python; the person editing
the YAML file needs the path as they see it (`connections[1].schedule.cron`), the value they wrote,
and the fix. Unknown keys get a difflib suggestion from the keys the section really has.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from ._text import close_matches, did_you_mean, show
from .schedule import UNION_TAGS

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MAX_ERRORS = 20


def render_path(loc: Iterable[Any]) -> str:
    """`("connections", 1, "schedule", "cron")` → `connections[1].schedule.cron`."""
    text = ""
    for part in loc:
        if part in UNION_TAGS:
            continue
        if isinstance(part, int):
            text += f"[{part}]"
        elif _IDENTIFIER.match(str(part)):
            text += f".{part}" if text else str(part)
        else:
            text += f'["{part}"]'
    return text or "(top level)"


#: A message starting with this names a place below the field: `SUBPATH + ".password: problem"`.
SUBPATH = "\u21b3"


def _join_subpath(path: str, message: str) -> list[str]:
    """`path: message`, where messages about places inside free-form data (one a line, each starting
    with SUBPATH) extend the path."""
    if not message.startswith(SUBPATH):
        return [f"{path}: {message}"]
    out = []
    for part in message.split("\n"):
        below, rest = part[len(SUBPATH) :].split(": ", 1)
        out.append(f"{path}{below}: {rest}")
    return out


def render_validation_error(exc: ValidationError, root: type[BaseModel]) -> list[str]:
    """One `field.path: message` line per problem, in file order, duplicates removed."""
    lines: list[str] = []
    errors = exc.errors(include_url=False)
    explained = _missing_explained_by_typos(errors, root)
    for error in errors:
        loc = tuple(error["loc"])
        if error["type"] == "missing" and loc in explained:
            continue
        for line in _join_subpath(render_path(loc), _message(error, root, loc)):
            if line not in lines:
                lines.append(line)
    return lines


def _missing_explained_by_typos(errors: list[ErrorDetails], root: type[BaseModel]) -> set[tuple[Any, ...]]:
    """Locations of missing keys that an unknown sibling key is a typo of (`pasword` → `password`).

    Reporting both would tell the user twice about one slip; the typo line carries the fix.
    """
    explained: set[tuple[Any, ...]] = set()
    for error in errors:
        if error["type"] != "extra_forbidden":
            continue
        loc = tuple(error["loc"])
        allowed = _allowed_keys(root, loc[:-1]) or []
        for guess in close_matches(str(loc[-1]), allowed):
            explained.add((*loc[:-1], guess))
    return explained


def _message(error: ErrorDetails, root: type[BaseModel], loc: tuple[Any, ...]) -> str:
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    if kind == "airbyte_ops":
        return str(ctx.get("message", error["msg"]))
    if kind == "airbyte_ops_shape":
        return f"{error['msg']}, got {show(value)}"
    if kind == "extra_forbidden":
        return _unknown_key(root, loc)
    if kind == "missing":
        return "missing required key; add it"
    if kind == "literal_error":
        allowed = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        text = f"{show(value)} is not one of {', '.join(allowed)}"
        hint = did_you_mean(str(value), allowed) if isinstance(value, str) else None
        return f"{text}; {hint}" if hint else text
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"expected a whole number, got {show(value)}"
    if kind in ("float_type", "float_parsing"):
        return f"expected a number, got {show(value)}"
    if kind in ("bool_type", "bool_parsing"):
        return f"expected true or false, got {show(value)}"
    if kind == "finite_number":
        return f"expected a finite number, got {show(value)}"
    if kind == "string_type":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return f'expected text, got {show(value)}; quote it: "{value}"'
        if isinstance(value, dict):
            return "expected text, got a mapping (to read an environment variable write {env: NAME})"
        return f"expected text, got {show(value)}"
    if kind == "list_type":
        return f"expected a list, got {show(value)}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"expected a mapping (key: value), got {show(value)}"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        words = {
            "greater_than": "greater than",
            "greater_than_equal": "at least",
            "less_than": "less than",
            "less_than_equal": "at most",
        }[kind]
        limit = next(iter(ctx.values()), "?")
        if isinstance(limit, float) and limit.is_integer():
            limit = int(limit)
        return f"must be {words} {limit}, got {show(value)}"
    if kind == "too_short":
        wanted = ctx.get("min_length", 1)
        return "must not be empty" if wanted == 1 else f"needs at least {wanted} items"
    if kind == "too_long":
        return f"too many items (at most {ctx.get('max_length')})"
    if kind == "string_pattern_mismatch":
        return f"{show(value)} has the wrong form (expected {ctx.get('pattern')})"
    return f"{error['msg']} (got {show(value)})"


def _unknown_key(root: type[BaseModel], loc: tuple[Any, ...]) -> str:
    key = str(loc[-1])
    allowed = _allowed_keys(root, loc[:-1])
    if not allowed:
        return "unknown key; remove it"
    hint = did_you_mean(key, allowed)
    if hint:
        return f"unknown key; {hint}"
    return f"unknown key; the keys here are: {', '.join(allowed)}"


def _allowed_keys(root: type[BaseModel], loc: tuple[Any, ...]) -> list[str] | None:
    candidates: list[Any] = [root]
    for part in loc:
        if part in UNION_TAGS:
            continue
        candidates = [nxt for c in candidates for nxt in _step(c, part)]
    for candidate in candidates:
        for t in _flatten(candidate):
            if isinstance(t, type) and issubclass(t, BaseModel):
                return list(t.model_fields)
    return None


def _flatten(t: Any) -> list[Any]:
    origin = typing.get_origin(t)
    if origin is typing.Annotated:
        return _flatten(typing.get_args(t)[0])
    if origin is typing.Union or origin is types.UnionType:
        return [x for arg in typing.get_args(t) if arg is not type(None) for x in _flatten(arg)]
    return [t]


def _step(t: Any, part: Any) -> list[Any]:
    found: list[Any] = []
    for option in _flatten(t):
        origin = typing.get_origin(option)
        if isinstance(part, int) and origin is list:
            found.append(typing.get_args(option)[0])
        elif isinstance(option, type) and issubclass(option, BaseModel) and part in option.model_fields:
            found.append(option.model_fields[part].annotation)
        elif origin is dict:
            found.append(typing.get_args(option)[1])
    return found
