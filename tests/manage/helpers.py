"""Declarations for the Airbyte-as-code tests: a valid file to start from, and a runner of the CLI."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from dagster_airbyte_ops.cli import main

PG_PASSWORD = "canary-Pg-7f3a91"  # scanned for in every output: must never appear
STATE_KEY = "test-state-key-0123456789abcdef"

SOURCE: dict[str, Any] = {
    "name": "Shop Postgres",
    "connector": "Postgres",
    "configuration": {
        "host": "db.internal",
        "port": 5432,
        "database": "shop",
        "username": "airbyte",
        "password": {"env": "PG_PASSWORD"},
        "ssl_mode": {"mode": "prefer"},
    },
}
DESTINATION: dict[str, Any] = {
    "name": "Local SQLite",
    "connector": "Local SQLite",
    "configuration": {"destination_path": "/local/managed.sqlite"},
}
CONNECTION: dict[str, Any] = {
    "name": "Shop → SQLite",
    "declare": {
        "source": "Shop Postgres",
        "destination": "Local SQLite",
        "prefix": "shop_",
        "streams": [
            {"name": "orders", "sync_mode": "incremental_append", "cursor_field": "updated_at"},
            {"name": "customers", "sync_mode": "full_refresh_overwrite"},
        ],
    },
}


def declarations(**overrides: Any) -> dict[str, Any]:
    """The valid file's data; `sources=`, `destinations=`, `connections=` replace a section."""
    data: dict[str, Any] = {
        "airbyte": {"url": {"env": "AIRBYTE_URL"}, "api": {"env": "AIRBYTE_API", "default": "config"}},
        "sources": [copy.deepcopy(SOURCE)],
        "destinations": [copy.deepcopy(DESTINATION)],
        "connections": [copy.deepcopy(CONNECTION)],
    }
    data.update(overrides)
    return data


class Runner:
    """Writes the file, runs `airbyte-ops`, and keeps every output for the secret scan."""

    def __init__(self, path: Path, capsys: Any) -> None:
        self.path = path
        self.capsys = capsys
        self.outputs: list[str] = []

    def write(self, data: dict[str, Any]) -> None:
        self.path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")

    def run(self, *args: str) -> tuple[int, str]:
        code = main([args[0], "--config", str(self.path), *args[1:]])
        captured = self.capsys.readouterr()
        out = captured.out + captured.err
        self.outputs.append(out)
        return code, out
