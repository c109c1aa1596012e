"""`{env: NAME, default: ...}` references: any scalar in the file may come from the environment.

Two kinds of fields read them differently:

* ordinary fields (`url`, `timezone`, `max_retries`, ...) are resolved while loading, so the rest of
  the package sees plain values;
* secrets (`password`, `token`, `client_secret`, webhook URLs) stay an `EnvRef`, so the resource
  can be built with `dg.EnvVar(NAME)` and Dagster shows the variable's name, never its value. A
  secret must be written as a reference: a literal in the file would be visible in Dagster's UI and
  in version control.

Both fail at load, naming the variable and the field, when the variable is unset and has no
default; waiting for the first sync to discover it would be too late. Validators read the
environment from pydantic's validation context (`{"environ": {...}}`) so tests need not touch
`os.environ`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Annotated, Any

import dagster as dg
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo

from ..errors import ConfigError
from ._text import custom_error, did_you_mean, show

ENV_VAR_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
_REF_KEYS = ("env", "default")


def environ_from(info: ValidationInfo | None) -> Mapping[str, str]:
    """The environment to resolve references against: the validation context's, else the process's."""
    context = info.context if info is not None else None
    if isinstance(context, Mapping) and isinstance(context.get("environ"), Mapping):
        return context["environ"]
    return os.environ


class EnvRef(BaseModel):
    """A value read from an environment variable, kept by name.

    Example:
        ```python
        import dagster as dg
        from dagster_airbyte_ops.config import EnvRef

        ref = EnvRef(env="AIRBYTE_PASSWORD")
        assert isinstance(ref.as_dagster_value({"AIRBYTE_PASSWORD": "x"}), dg.EnvVar)
        ```
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    env: str = Field(pattern=ENV_VAR_NAME_PATTERN, description="Name of the environment variable.")
    default: str | None = Field(default=None, description="Value used when the variable is unset.")

    @property
    def env_var_name(self) -> str:
        """The variable's name, for `dg.EnvVar(...)` and for messages."""
        return self.env

    def is_set(self, environ: Mapping[str, str] | None = None) -> bool:
        """Whether the variable is present (an empty value counts as set)."""
        return self.env in (os.environ if environ is None else environ)

    def resolve(self, environ: Mapping[str, str] | None = None) -> str:
        """The current value; ConfigError when the variable is unset and there is no default."""
        env = os.environ if environ is None else environ
        if self.env in env:
            return env[self.env]
        if self.default is not None:
            return self.default
        raise ConfigError(f"environment variable {self.env} is not set; export it before starting Dagster")

    def as_dagster_value(self, environ: Mapping[str, str] | None = None) -> dg.EnvVar | str:
        """`dg.EnvVar(NAME)` when the variable is set, else the default written in the file.

        The default is not secret (it is in the file already), and `dg.EnvVar` of an unset variable
        would only fail later, at the first run.
        """
        if self.is_set(environ) or self.default is None:
            return dg.EnvVar(self.env)
        return self.default

    def __str__(self) -> str:
        return f"${{{self.env}}}"


def _check_ref_keys(value: Mapping[Any, Any]) -> None:
    for key in value:
        if key not in _REF_KEYS:
            fix = did_you_mean(str(key), _REF_KEYS) or "an environment reference has only env and default"
            raise custom_error(f'unknown key "{key}" in {{env: ...}}; {fix}')
    name = value["env"]
    if not isinstance(name, str) or re.fullmatch(ENV_VAR_NAME_PATTERN, name) is None:
        raise custom_error(
            f"env: {show(name)} is not an environment variable name; "
            "use letters, digits and _ (not starting with a digit), e.g. AIRBYTE_URL"
        )


def resolve_scalar(value: Any, info: ValidationInfo) -> Any:
    """Before-validator of ordinary scalar fields: `{env: NAME[, default]}` becomes the value."""
    if not (isinstance(value, Mapping) and "env" in value):
        return value
    _check_ref_keys(value)
    name = value["env"]
    env = environ_from(info)
    if name in env:
        return env[name]
    if "default" in value:
        return value["default"]
    raise custom_error(
        f"environment variable {name} is not set; export it or give a default: {{env: {name}, default: ...}}"
    )


def _secret_input(value: Any) -> Any:
    if isinstance(value, EnvRef):
        return value
    if isinstance(value, Mapping) and "env" in value:
        _check_ref_keys(value)
        default = value.get("default")
        if default is not None and not isinstance(default, str):
            raise custom_error("the default of a secret must be text; quote it")
        return value
    raise custom_error(
        "a secret must come from the environment, not the file: write {env: VARIABLE_NAME} "
        "and export VARIABLE_NAME"
    )


def _secret_must_resolve(ref: EnvRef, info: ValidationInfo) -> EnvRef:
    if ref.default is None and not ref.is_set(environ_from(info)):
        raise custom_error(f"environment variable {ref.env} is not set; export it before starting Dagster")
    return ref


Secret = Annotated[EnvRef, AfterValidator(_secret_must_resolve), BeforeValidator(_secret_input)]
"""A secret field: always an `EnvRef`, checked to be resolvable at load."""


def _int_not_bool(value: Any) -> Any:
    """YAML `true` is not 1: a boolean where a number belongs is a mistake, not a value."""
    if isinstance(value, bool):
        raise custom_error(f"expected a whole number, got {'true' if value else 'false'}")
    return value


def _float_not_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise custom_error(f"expected a number, got {'true' if value else 'false'}")
    return value


EnvInt = Annotated[int, BeforeValidator(_int_not_bool), BeforeValidator(resolve_scalar)]
EnvFloat = Annotated[float, BeforeValidator(_float_not_bool), BeforeValidator(resolve_scalar)]
EnvBool = Annotated[bool, BeforeValidator(resolve_scalar)]
