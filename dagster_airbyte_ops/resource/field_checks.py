"""Checks of the resource's fields that pydantic cannot express: one auth mode, whole pairs, a URL.

Run when the client is first built (a resource with `dg.EnvVar` fields only knows its values then),
each failure a one-line ConfigError naming the field and the fix.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from ..errors import ConfigError


def check_fields(resource: Any) -> None:
    """The auth fields name one mode, in whole pairs, and `url` is an http(s) URL: ConfigError otherwise."""
    modes = {
        "basic (username/password)": resource.username or resource.password,
        "bearer (token)": resource.token,
        "client credentials (client_id/client_secret)": resource.client_id or resource.client_secret,
    }
    chosen = [name for name, value in modes.items() if value]
    if len(chosen) > 1:
        raise ConfigError(
            f"AirbyteResource: several auth modes are set ({', '.join(chosen)}); set exactly one."
        )
    pairs = (("username", "password"), ("client_id", "client_secret"))
    for first, second in pairs:
        if bool(getattr(resource, first)) != bool(getattr(resource, second)):
            missing = second if getattr(resource, first) else first
            present = first if missing == second else second
            raise ConfigError(
                f"AirbyteResource.{missing}: missing while {present} is set; set both "
                f"(e.g. {missing}=dg.EnvVar('AIRBYTE_{missing.upper()}'))."
            )
    parsed = urlparse(resource.url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigError(
            f"AirbyteResource.url: {resource.url!r} is not an http(s) URL; use e.g. http://localhost:8000."
        )
