"""Version profiles: the few Airbyte release differences that break real clients.

Each profile is a frozen record consulted by the routes, so a behaviour that changed between releases is
decided in one place instead of by version comparisons scattered through the handlers.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class VersionProfile:
    """What differs between the Airbyte releases the emulator can impersonate."""

    name: str
    version: str
    has_workspaces_list: bool
    has_queued_status: bool
    token_lifetime_s: int
    legacy_error_bodies: bool

    def error_body(self, message: str, exception_class: str, **extra: Any) -> dict[str, Any]:
        """A Config API error body in this release's shape.

        Up to 1.x the server serialised the Java exception (class name and stack); 2.0 replaced that with
        an opaque ``errorId`` so clients that parse ``exceptionClassName`` break there.
        """
        body: dict[str, Any] = {"message": message, **extra}
        if self.legacy_error_bodies:
            body["exceptionClassName"] = exception_class
            body["exceptionStack"] = [
                f"{exception_class}: {message}",
                "\tat io.airbyte.commons.server.handlers.SchedulerHandler"
                ".syncConnection(SchedulerHandler.java:0)",
            ]
        else:
            body["errorId"] = str(uuid.uuid4())
        return body


PROFILES: dict[str, VersionProfile] = {
    "0.50": VersionProfile(
        name="0.50",
        version="0.50.33",
        has_workspaces_list=True,
        has_queued_status=False,
        token_lifetime_s=180,
        legacy_error_bodies=True,
    ),
    "1.6": VersionProfile(
        name="1.6",
        version="1.6.0",
        has_workspaces_list=True,
        has_queued_status=False,
        token_lifetime_s=900,
        legacy_error_bodies=True,
    ),
    "2.0": VersionProfile(
        name="2.0",
        version="2.0.0",
        has_workspaces_list=False,
        has_queued_status=True,
        token_lifetime_s=900,
        legacy_error_bodies=False,
    ),
}


def get_profile(name: str) -> VersionProfile:
    """Look a profile up by its short name, failing loudly on a typo rather than guessing."""
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown airbyte_version {name!r}; choose one of {sorted(PROFILES)}") from None
