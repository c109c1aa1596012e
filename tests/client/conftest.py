"""Emulator servers for the client's HTTP tests: one per auth mode, reset before each test."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from dagster_airbyte_ops.client import AirbyteClient
from dagster_airbyte_ops.emulator import EmulatorServer, EmulatorSettings

APIS = ["config", "public"]
AUTH_MODES = ["none", "basic", "bearer", "client_credentials"]
FAST_BACKOFF_S = 0.01


def credentials(settings: EmulatorSettings) -> dict[str, str]:
    """The client arguments matching the emulator's auth mode."""
    if settings.auth == "basic":
        return {"username": settings.username, "password": settings.password}
    if settings.auth == "bearer":
        return {"token": settings.token}
    if settings.auth == "client_credentials":
        return {"client_id": settings.client_id, "client_secret": settings.client_secret}
    return {}


@pytest.fixture(scope="session")
def emulators() -> Iterator[Callable[..., EmulatorServer]]:
    """``emulators(auth="basic", airbyte_version="1.6")``: a running server, started once per session."""
    started: dict[tuple[str, str], EmulatorServer] = {}

    def get(auth: str = "none", airbyte_version: str = "1.6") -> EmulatorServer:
        key = (auth, airbyte_version)
        if key not in started:
            settings = EmulatorSettings(
                seed="demo", auth=auth, airbyte_version=airbyte_version, time_scale=0.05
            )
            started[key] = EmulatorServer(settings, port=0)
        server = started[key]
        server.admin.reset("demo")
        return server

    yield get
    for server in started.values():
        server.stop()


def make_client(server: EmulatorServer, api: str, **overrides) -> AirbyteClient:
    kwargs = {
        "url": server.url,
        "api": api,
        "retry_backoff_s": FAST_BACKOFF_S,
        "request_timeout_s": 5.0,
        **credentials(server.settings),
        **overrides,
    }
    return AirbyteClient(**kwargs)
