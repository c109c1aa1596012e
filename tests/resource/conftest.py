"""Helpers for the resource tests: a resource wired to the spec-checked emulator fixture, and the
jobs of a connection's history the polling tests predict from."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from dagster_airbyte_ops import AirbyteResource
from dagster_airbyte_ops.client.models import Job, JobStatus
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


T0 = dt.datetime(2026, 1, 5, 6, 0, tzinfo=dt.UTC)


def history_job(
    length_s: float | None,
    *,
    status: JobStatus = JobStatus.SUCCEEDED,
    job_type: str = "sync",
    n: int = 0,
    updated_s: float | None = None,
    duration_s: float | None = None,
) -> Job:
    """The `n`th job of a history, created `n` hours after T0, ended `length_s` later (None: no end)."""
    created = T0 + dt.timedelta(hours=n)
    return Job(
        id=100 + n,
        connection_id="c",
        job_type=job_type,
        status=status,
        created_at=created,
        ended_at=None if length_s is None else created + dt.timedelta(seconds=length_s),
        updated_at=None if updated_s is None else created + dt.timedelta(seconds=updated_s),
        duration_s=duration_s,
    )
