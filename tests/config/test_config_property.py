"""Whatever the file holds, loading it either succeeds or raises ConfigError — never anything else.

A user's typo must never surface as a KeyError or a pydantic traceback from deep inside. The
documents are built from the file's real keys and plausible values, mixed with junk, so the
generator reaches the validators rather than stopping at the first unknown key.
"""

from __future__ import annotations

import datetime as dt
import math
import string
import types
import typing
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from dagster_airbyte_ops.config import AirbyteOpsConfig, EnvRef, parse_config
from dagster_airbyte_ops.errors import ConfigError

KEYS = [
    # sections and their keys
    "airbyte", "defaults", "connections", "downstream", "alerts", "max_concurrent_syncs",
    "url", "api", "public_api_url", "ui_url", "workspace_id", "auth", "none", "basic", "bearer",
    "client_credentials", "username", "password", "token", "client_id", "client_secret",
    "request_timeout_s", "max_retries", "retry_backoff_s", "poll_interval_s", "sync_timeout_s",
    "cancel_on_termination", "on_running_sync", "verify_tls", "key_prefix", "timezone",
    "include_inactive", "group_prefix", "name", "id", "match", "group", "tags", "owners", "schedule",
    "cron", "enabled", "skip", "dates", "weekdays", "between", "after", "after_mode", "freshness",
    "max_lag", "mode", "streams", "when", "select", "assets", "groups", "webhooks", "on",
    "env", "default",
    # junk
    "pasword", "shedule", "", "dagster/kind", "<<", "x y",
]  # fmt: skip
WORDS = [
    "0 25 * * *", "0 6-18 * * *", "*/90 * * * *", "@daily", "@nope", "Europe/Paris", "europe/paris",
    "Mars/Base", "2h", "1h30m", "0s", "2x", "http://127.0.0.1:8001", "ftp://x", "localhost", "http://",
    "from_airbyte", "none", "config", "public", "auto", "attach", "skip", "all", "any", "sync",
    "deferred", "failed", "timed_out", "mon", "satu", "12:00", "25:00", "2026-12-25", "2026-02-30",
    "team:data", "bob", "a@b.co", "analytics/daily_revenue", "a//b", "group:analytics", "(((",
    "c1b6a7d0-3f4e-4d8a-9c1e-0a1b2c3d4e5f", "PostgreSQL → MinIO", "CRM*", "SET", "UNSET", "1BAD",
    "\x00", "\u202e", "",
]  # fmt: skip
ENVIRON = {"SET": "https://example.com/x", "NUMBER": "12", "AIRBYTE_PASSWORD": "pw"}

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(WORDS),
    st.text(max_size=12),
)
keys = st.one_of(st.sampled_from(KEYS), st.text(alphabet=string.ascii_letters + "_", max_size=8))
env_refs = st.fixed_dictionaries(
    {"env": st.sampled_from(["SET", "UNSET", "NUMBER", "AIRBYTE_PASSWORD", "1BAD"])},
    optional={"default": scalars},
)
documents = st.recursive(
    st.one_of(scalars, env_refs),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(keys, children, max_size=5),
    ),
    max_leaves=30,
)
top_level = st.dictionaries(st.sampled_from([*KEYS[:6], "junk"]), documents, max_size=6)


def _for_type(annotation: Any) -> st.SearchStrategy[Any]:
    """Values shaped like `annotation` (the models' own field types), occasionally anything at all."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _for_type(args[0])
    if origin is typing.Union or origin is types.UnionType:
        return st.one_of([_for_type(a) for a in args if a is not type(None)] + [st.none()])
    if origin is list:
        return st.lists(_for_type(args[0]), max_size=3)
    if origin is dict:
        return st.dictionaries(
            st.sampled_from(["team", "tier", "dagster/kind", "x y"]), _for_type(args[1]), max_size=2
        )
    if origin is typing.Literal:
        shaped: st.SearchStrategy[Any] = st.sampled_from(args)
    elif isinstance(annotation, type) and issubclass(annotation, EnvRef):
        return st.one_of(env_refs, st.sampled_from(WORDS))
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
        fields = {name: _for_type(f.annotation) for name, f in annotation.model_fields.items()}
        model = st.fixed_dictionaries({}, optional={**fields, "junk": scalars})
        return st.one_of(model, model, model, scalars)
    elif annotation is bool:
        shaped = st.one_of(st.booleans(), st.sampled_from(["true", "no", "maybe"]))
    elif annotation in (int, float):
        shaped = st.one_of(st.integers(-3, 100), st.floats(-1, 1e6), st.sampled_from(["5", "five"]))
    elif annotation in (dt.timedelta, dt.date, dt.time, str):
        shaped = st.sampled_from(WORDS)
    else:
        shaped = scalars
    return st.one_of(shaped, shaped, shaped, env_refs, scalars)


shaped_documents = _for_type(AirbyteOpsConfig)


def _check(text: str) -> None:
    try:
        config = parse_config(text, "airbyte_ops.yaml", environ=ENVIRON)
    except ConfigError as exc:
        message = str(exc)
        assert message.startswith("airbyte_ops.yaml")
        assert "Input should" not in message and "type=" not in message
    else:
        assert isinstance(config, AirbyteOpsConfig)
        config.airbyte.resource_kwargs(environ=ENVIRON)


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(top_level)
def test_any_structured_document_loads_or_raises_config_error(data: dict[str, Any]) -> None:
    _check(_dump(data))


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shaped_documents)
def test_any_schema_shaped_document_loads_or_raises_config_error(data: Any) -> None:
    _check(_dump(data))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {"name": st.sampled_from(["a", "b", "c"])},
            optional={
                "after": st.lists(st.sampled_from(["a", "b", "c", "x/y"]), max_size=3),
                "schedule": st.one_of(
                    st.fixed_dictionaries({"cron": st.sampled_from(WORDS)}, optional={"timezone": scalars}),
                    st.sampled_from(WORDS),
                ),
                "freshness": st.fixed_dictionaries({"max_lag": scalars}),
                "streams": st.lists(st.text(max_size=3), max_size=3),
            },
        ),
        max_size=5,
    )
)
def test_any_connections_list_loads_or_raises_config_error(entries: list[dict[str, Any]]) -> None:
    _check(_dump({"connections": entries}))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from([*":-[]{}&*!|>'\"%@`#,? \n\t", "a", "1", "airbyte", "connections", "  ", "env"]),
        max_size=40,
    ).map("".join)
)
def test_any_text_loads_or_raises_config_error(text: str) -> None:
    _check(text)


def test_nan_is_never_a_timeout() -> None:
    try:
        parse_config("airbyte: {request_timeout_s: .nan}", environ={})
    except ConfigError:
        return
    raise AssertionError(f"nan accepted ({math.nan})")
