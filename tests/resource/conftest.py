"""Helpers for the resource tests: a resource wired to the spec-checked emulator fixture."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from dagster_airbyte_ops import AirbyteResource
from dagster_airbyte_ops.emulator import EmulatorServer

FAST = {"retry_backoff_s": 0.01, "request_timeout_s": 5.0, "poll_interval_s": 0.2}


def resource_for(server: EmulatorServer, api: str = "config", **overrides: Any) -> AirbyteResource:
    credentials = server.settings.client_credentials()
    return AirbyteResource(url=server.url, api=api, **credentials, **{**FAST, **overrides})


def connection_id(resource: AirbyteResource, name: str) -> str:
    client = resource.get_client()
    workspace = resource.resolved_workspace_id()
    assert workspace is not None
    return next(c.id for c in client.list_connections(workspace) if c.name == name)


@pytest.fixture
def make_resource(emulator: EmulatorServer) -> Callable[..., AirbyteResource]:
    return lambda api="config", **overrides: resource_for(emulator, api, **overrides)
