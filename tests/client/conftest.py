"""Emulator servers for the client's HTTP tests: one per auth mode, reset before each test.

The servers live for the whole session, so their responses are recorded into one
``ResponseRecorder`` that every test here clears when it starts and validates
against Airbyte's spec when it ends (``emulator_responses`` in tests/conftest.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest

from dagster_airbyte_ops.client import AirbyteClient
from dagster_airbyte_ops.emulator import EmulatorServer, EmulatorSettings

if TYPE_CHECKING:  # tests/conftest.py is not importable as a module; its fixtures provide these
    from tests.conftest import OpenAPIResponseValidator, ResponseRecorder

APIS = ["config", "public"]
AUTH_MODES = ["none", "basic", "bearer", "client_credentials"]
FAST_BACKOFF_S = 0.01


def credentials(settings: EmulatorSettings) -> dict[str, str]:
    """The client arguments matching the emulator's auth mode."""
    return settings.client_credentials()


@pytest.fixture(autouse=True)
def _spec_check_emulator_responses(
    emulator_responses: ResponseRecorder, openapi_validator: OpenAPIResponseValidator
) -> Iterator[None]:
    """Fail a test if any response the shared emulators sent it does not match Airbyte's spec."""
    emulator_responses.clear()
    yield
    emulator_responses.assert_valid(openapi_validator)


@pytest.fixture(scope="session")
def emulators(emulator_responses: ResponseRecorder) -> Iterator[Callable[..., EmulatorServer]]:
    """``emulators(auth="basic", airbyte_version="1.6")``: a running server, started once per session."""
    started: dict[tuple[str, str], EmulatorServer] = {}

    def get(auth: str = "none", airbyte_version: str = "1.6") -> EmulatorServer:
        key = (auth, airbyte_version)
        if key not in started:
            settings = EmulatorSettings(
                seed="demo", auth=auth, airbyte_version=airbyte_version, time_scale=0.05
            )
            started[key] = EmulatorServer(settings, port=0, response_hook=emulator_responses)
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
