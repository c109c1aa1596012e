"""Shared base of the configuration models: unknown keys forbidden, "exactly one of" checks."""

from __future__ import annotations

from pydantic import BaseModel, BeforeValidator, ConfigDict

from ._text import custom_error
from .envrefs import resolve_scalar

# Optional scalars resolve `{env: ..., default: null}` before the None check, so a default of
# null means "unset" rather than "expected text, got null".
_NULLABLE = BeforeValidator(resolve_scalar)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, validate_default=False)


def _exactly_one(model: BaseModel, keys: tuple[str, ...], what: str) -> None:
    given = [k for k in keys if getattr(model, k) is not None]
    options = ", ".join(keys[:-1]) + f" or {keys[-1]}"
    if not given:
        raise custom_error(f"{what} with exactly one of {options}; none given")
    if len(given) > 1:
        both = " and ".join(given)
        raise custom_error(f"has {both}; {what} with exactly one of {options}")
