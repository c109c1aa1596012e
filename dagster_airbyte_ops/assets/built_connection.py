"""`BuiltConnection`: one selected connection as every feature module sees it.

The definitions are assembled from fragments (schedules, sensors, checks, alerts), each a function
of the configuration and the list of built connections. Passing this one record keeps those
modules independent of how assets and jobs are made, and of each other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import dagster as dg

from ..client.models import Connection
from ..config import ConnectionEntry
from ..config.connections import connection_label
from .translator import slugify


def connection_slug(name: str, instance: str | None = None) -> str:
    """The part of a connection's Dagster names (op, job, schedules, sensors) made from its name."""
    return slugify(name) if instance is None else f"{instance}_{slugify(name)}"


@dataclass(frozen=True)
class BuiltConnection:
    """A connection with its `airbyte_ops.yaml` entry, its stream specs and the job its runs use.

    `job` is the code location's shared `airbyte_sync_job`: a run for this connection selects
    `asset_keys` out of it and carries `run_tags`.
    """

    entry: ConnectionEntry
    connection: Connection
    specs: Mapping[str, dg.AssetSpec]  # by Airbyte stream name
    job: dg.UnresolvedAssetJobDefinition
    resource_key: str
    instance: str | None = None  # its `instances:` name; None for the single `airbyte:` section

    @property
    def asset_keys(self) -> list[dg.AssetKey]:
        """The connection's stream asset keys, in stream order."""
        return [spec.key for spec in self.specs.values()]

    @property
    def run_tags(self) -> dict[str, str]:
        """Tags of every run launched for this connection: how its runs are found in the UI."""
        return {"airbyte/connection_id": self.connection.id, "airbyte/connection_name": self.connection.name}

    @property
    def slug(self) -> str:
        """The connection's name as a Dagster identifier part (`postgresql_minio`), prefixed with
        its instance's name in a file with `instances:` (`onprem_postgresql_minio`)."""
        return connection_slug(self.connection.name, self.instance)

    @property
    def label(self) -> str:
        """How `after:` and messages name it: `PostgreSQL → MinIO`, or `onprem:PostgreSQL → MinIO`."""
        return connection_label(self.instance, self.connection.name)

    @property
    def group_name(self) -> str | None:
        """The asset group of the connection's streams (they share one)."""
        for spec in self.specs.values():
            return spec.group_name
        return None


def connections_by_ref(built: Sequence[BuiltConnection]) -> dict[str, BuiltConnection]:
    """Each connection under every name `after:` / `when:` may use for it: its label
    (`onprem:Orders`) and, when no other instance has a connection so named, its plain name."""
    refs: dict[str, BuiltConnection] = {}
    plain: dict[str, list[BuiltConnection]] = {}
    for item in built:
        refs[item.label] = item
        plain.setdefault(item.connection.name, []).append(item)
    for name, items in plain.items():
        if len(items) == 1:
            refs.setdefault(name, items[0])
    return refs
