"""`airbyte:` and `instances:` of `airbyte_ops.yaml`: where each Airbyte is and how to reach it.

`AirbyteSettings` mirrors `AirbyteResource`'s fields (`resource_kwargs()` builds one); `AirbyteInstance`
is the form the definitions use, one per Airbyte, whether the file has one `airbyte:` or several
`instances:`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    Field,
    model_validator,
)

from ..names import DEFAULT_RESOURCE_KEY
from ._base import _NULLABLE, _exactly_one, _Model
from ._text import custom_error
from .envrefs import EnvBool, EnvFloat, EnvInt, EnvRef, Secret, resolve_scalar
from .values import (
    MAX_INTERVAL_S,
    MAX_REQUEST_TIMEOUT_S,
    MAX_RETRIES,
    MAX_SYNC_TIMEOUT_S,
    GroupPrefix,
    HttpUrl,
    KeyPrefix,
    NonEmptyStr,
)

DEFAULT_AIRBYTE_URL = "http://localhost:8000"
DEFAULT_REQUEST_TIMEOUT_S = 30.0
DEFAULT_MAX_RETRIES = 5
DEFAULT_RETRY_BACKOFF_S = 1.0
DEFAULT_POLL_INTERVAL_S = 10.0
DEFAULT_SYNC_TIMEOUT_S = 86400.0

ApiFlavour = Annotated[Literal["config", "public", "auto"], BeforeValidator(resolve_scalar)]
RunningSyncPolicy = Annotated[Literal["attach", "fail", "skip"], BeforeValidator(resolve_scalar)]


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
    request_timeout_s: EnvFloat = Field(default=DEFAULT_REQUEST_TIMEOUT_S, gt=0, le=MAX_REQUEST_TIMEOUT_S)
    max_retries: EnvInt = Field(default=DEFAULT_MAX_RETRIES, ge=0, le=MAX_RETRIES)
    retry_backoff_s: EnvFloat = Field(default=DEFAULT_RETRY_BACKOFF_S, ge=0, le=MAX_REQUEST_TIMEOUT_S)
    poll_interval_s: EnvFloat = Field(default=DEFAULT_POLL_INTERVAL_S, gt=0, le=MAX_INTERVAL_S)
    sync_timeout_s: Annotated[EnvFloat | None, _NULLABLE] = Field(
        default=DEFAULT_SYNC_TIMEOUT_S, gt=0, le=MAX_SYNC_TIMEOUT_S
    )
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

    def resource_key(self, base: str = DEFAULT_RESOURCE_KEY) -> str:
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
