"""Small helpers shared by the emulator tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import requests

DEMO_CONNECTIONS = ("PostgreSQL → MinIO", "MSSQL → S3", "CRM API → Postgres", "Shop Orders → SQLite")


def config_post(
    url: str, endpoint: str, body: dict[str, Any] | None = None, **kwargs: Any
) -> requests.Response:
    """POST to the Config API the way tutorials and crontab scripts do."""
    return requests.post(f"{url}/api/v1/{endpoint}", json=body or {}, timeout=10, **kwargs)


def workspace_id(url: str, **kwargs: Any) -> str:
    """The first workspace's id."""
    r = config_post(
        url, "workspaces/list_paginated", {"workspaceIds": [], "pagination": {"pageSize": 10}}, **kwargs
    )
    r.raise_for_status()
    return r.json()["workspaces"][0]["workspaceId"]


def connection_by_name(url: str, name: str, **kwargs: Any) -> dict[str, Any]:
    """A demo connection's ``ConnectionRead`` by name."""
    conns = config_post(
        url, "connections/list", {"workspaceId": workspace_id(url, **kwargs)}, **kwargs
    ).json()
    return next(c for c in conns["connections"] if c["name"] == name)


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(interval)
