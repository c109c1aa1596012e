"""`sources:`, `destinations:` and a connection entry's `declare:` block: Airbyte as code.

A declaration says what should exist in Airbyte; `airbyte-ops plan` compares it with what does and
`airbyte-ops apply` makes it so (see dagster_airbyte_ops/manage). Only the shape is checked here, without
Airbyte: whether a configuration fits its connector is checked against the connector's specification at
plan time, before any write.

A configuration is free-form (each connector has its own fields), but its values are scalars, lists,
mappings, or `{env: NAME[, default]}` references. References stay references (`EnvRef`) so secrets are
read from the environment only when written to Airbyte; a literal value under a key that names a secret
(`password`, `secret`, `token`, `key`, ...) is rejected here, and at plan time any field the connector's
specification marks `airbyte_secret` must be a reference too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, ValidationInfo, field_validator, model_validator

from ._base import _NULLABLE, _Model
from ._render import SUBPATH
from ._text import custom_error, show
from .envrefs import ENV_VAR_NAME_PATTERN, EnvRef, environ_from, resolve_scalar
from .values import NonEmptyStr, unique_items

#: Key names that hold secrets in Airbyte's connector specifications (checked before the spec is known).
SECRET_KEY_RE = re.compile(
    r"(password|secret|token|api_?key|access_key|private_key|credentials_json|service_account_json|ssh_key)",
    re.IGNORECASE,
)
PublicSyncMode = Literal[
    "full_refresh_overwrite", "full_refresh_append", "incremental_append", "incremental_deduped_history"
]
_REF_KEYS = ("env", "default")


def _configuration_value(value: Any, path: str, environ: Mapping[str, str], problems: list[str]) -> Any:
    """A configuration tree with `{env: ...}` mappings turned into EnvRefs; every problem collected
    (each line starts with SUBPATH and its place below `configuration`)."""
    if isinstance(value, Mapping):
        if "env" in value:
            unknown = [k for k in value if k not in _REF_KEYS]
            name = value["env"]
            default = value.get("default")
            if unknown:
                problems.append(
                    f'{SUBPATH}{path}: unknown key "{unknown[0]}" in {{env: ...}}; '
                    "a reference has only env and default"
                )
            elif not isinstance(name, str) or re.fullmatch(ENV_VAR_NAME_PATTERN, name) is None:
                problems.append(
                    f"{SUBPATH}{path}: env: {show(name)} is not an environment variable name; "
                    "use letters, digits and _, e.g. PG_PASSWORD"
                )
            elif default is None and name not in environ:
                problems.append(
                    f"{SUBPATH}{path}: environment variable {name} is not set; export it before running"
                )
            else:
                return EnvRef(env=name, default=None if default is None else str(default))
            return None
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                problems.append(f"{SUBPATH}{path}: key {show(key)} is not text; quote it")
                continue
            sub = f"{path}.{key}"
            if (
                SECRET_KEY_RE.search(key)
                and isinstance(item, str | int | float)
                and not isinstance(item, bool)
            ):
                problems.append(
                    f"{SUBPATH}{sub}: a secret must come from the environment, not the file: "
                    "write {env: VARIABLE_NAME} and export VARIABLE_NAME"
                )
                continue
            out[key] = _configuration_value(item, sub, environ, problems)
        return out
    if isinstance(value, list):
        return [_configuration_value(item, f"{path}[{i}]", environ, problems) for i, item in enumerate(value)]
    return value


class ConnectorDeclaration(_Model):
    """One item of `sources:` or `destinations:`: a named, configured connector Airbyte should have."""

    name: NonEmptyStr
    connector: NonEmptyStr  # Airbyte's definition name ("Postgres") or definition id
    configuration: dict[str, Any] = Field(default_factory=dict)
    check: Annotated[bool, BeforeValidator(resolve_scalar)] = True  # run check_connection after writing

    @field_validator("configuration", mode="before")
    @classmethod
    def _configuration(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise custom_error(f"expected a mapping of the connector's fields, got {show(value)}")
        problems: list[str] = []
        out = _configuration_value(value, "", environ_from(info), problems)
        if problems:
            raise custom_error("\n".join(problems))
        return out


def _key_path(value: Any) -> Any:
    """`id` → `[["id"]]`, `[id, tenant]` → `[["id"], ["tenant"]]`; nested lists kept (field paths)."""
    value = resolve_scalar(value, None)  # type: ignore[arg-type]
    if isinstance(value, str):
        return [[value]]
    if isinstance(value, list):
        return [[v] if isinstance(v, str) else v for v in value]
    return value


def _cursor(value: Any) -> Any:
    if isinstance(value, str):
        return [value]
    return value


class StreamDeclaration(_Model):
    """One stream a declared connection syncs, and how."""

    name: NonEmptyStr
    namespace: Annotated[str | None, _NULLABLE] = None
    sync_mode: Annotated[PublicSyncMode, BeforeValidator(resolve_scalar)] = "full_refresh_overwrite"
    cursor_field: Annotated[list[NonEmptyStr] | None, BeforeValidator(_cursor)] = None
    primary_key: Annotated[list[list[NonEmptyStr]] | None, BeforeValidator(_key_path)] = None


class AirbyteSchedule(_Model):
    """Airbyte's own schedule for a declared connection: Quartz cron (seconds first) and a time zone."""

    cron: NonEmptyStr
    timezone: NonEmptyStr = "UTC"


class ConnectionDeclaration(_Model):
    """`declare:` of a `connections:` entry: the connection this file creates and keeps as written."""

    source: NonEmptyStr  # a `sources:` name
    destination: NonEmptyStr  # a `destinations:` name
    streams: Annotated[list[StreamDeclaration], Field(min_length=1)]
    namespace: Annotated[
        Literal["source", "destination", "custom_format"], BeforeValidator(resolve_scalar)
    ] = "destination"
    namespace_format: Annotated[str | None, _NULLABLE] = None
    prefix: Annotated[str, BeforeValidator(resolve_scalar)] = ""
    status: Annotated[Literal["active", "inactive"], BeforeValidator(resolve_scalar)] = "active"
    airbyte_schedule: AirbyteSchedule | None = None  # none: manual (Dagster runs it)

    @model_validator(mode="after")
    def _format_with_custom(self) -> ConnectionDeclaration:
        if self.namespace == "custom_format" and not self.namespace_format:
            raise custom_error(
                "namespace: custom_format needs namespace_format, "
                'e.g. namespace_format: "crm_${SOURCE_NAMESPACE}"'
            )
        if self.namespace != "custom_format" and self.namespace_format is not None:
            raise custom_error("namespace_format is only used with namespace: custom_format; remove it")
        return self

    @field_validator("streams")
    @classmethod
    def _unique_streams(cls, value: list[StreamDeclaration]) -> list[StreamDeclaration]:
        unique_items([f"{s.namespace or ''}.{s.name}" for s in value])
        return value
