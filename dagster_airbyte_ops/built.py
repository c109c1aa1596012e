"""`BuiltConnection`: one selected connection as every feature module sees it.

The definitions are assembled from fragments (schedules, sensors, checks, alerts), each a function
of the configuration and the list of built connections. Passing this one record keeps those
modules independent of how assets and jobs are made, and of each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import dagster as dg

from .client.models import Connection
from .config import ConnectionEntry
from .translator import slugify


@dataclass(frozen=True)
class BuiltConnection:
    """A connection with its `airbyte_ops.yaml` entry, its stream specs and the job that syncs it."""

    entry: ConnectionEntry
    connection: Connection
    specs: Mapping[str, dg.AssetSpec]  # by Airbyte stream name
    job: dg.UnresolvedAssetJobDefinition
    resource_key: str

    @property
    def asset_keys(self) -> list[dg.AssetKey]:
        """The connection's stream asset keys, in stream order."""
        return [spec.key for spec in self.specs.values()]

    @property
    def slug(self) -> str:
        """The connection's name as a Dagster identifier part (`postgresql_minio`)."""
        return slugify(self.connection.name)

    @property
    def group_name(self) -> str | None:
        """The asset group of the connection's streams (they share one)."""
        for spec in self.specs.values():
            return spec.group_name
        return None
