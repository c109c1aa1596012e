"""What Airbyte has now, read once per plan: definitions, sources, destinations, connections, specs.

Plan and the drift checks compare declarations with this snapshot; apply reads it again after writing
nothing else. Specifications are fetched per definition the file uses (the Config API's
`*_definition_specifications/get`); the public API serves none, and then `spec()` is None.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from ..client import AirbyteClient, Connection, ConnectorSpecification, Destination, Source
from ..errors import AirbyteApiError, ConfigError

Kind = Literal["source", "destination"]


@dataclass
class Definition:
    """A connector definition: id, name and image, of either kind."""

    id: str
    name: str
    docker_repository: str | None


@dataclass
class LiveAirbyte:
    """One workspace of Airbyte as read now."""

    client: AirbyteClient
    workspace_id: str
    definitions: dict[Kind, list[Definition]]
    sources: list[Source]
    destinations: list[Destination]
    connections: list[Connection]
    _specs: dict[tuple[Kind, str], ConnectorSpecification | None] = field(default_factory=dict)

    @staticmethod
    def read(client: AirbyteClient, workspace_id: str | None = None) -> LiveAirbyte:
        """Read the workspace (the only one when `workspace_id` is None)."""
        if workspace_id is None:
            workspaces = client.list_workspaces()
            if len(workspaces) != 1:
                raise ConfigError(
                    f"Airbyte has {len(workspaces)} workspaces; set airbyte.workspace_id to the one to manage"
                )
            workspace_id = workspaces[0].id
        definitions: dict[Kind, list[Definition]] = {
            "source": [
                Definition(d.id, d.name, d.docker_repository)
                for d in client.list_source_definitions(workspace_id)
            ],
            "destination": [
                Definition(d.id, d.name, d.docker_repository)
                for d in client.list_destination_definitions(workspace_id)
            ],
        }
        return LiveAirbyte(
            client=client,
            workspace_id=workspace_id,
            definitions=definitions,
            sources=client.list_sources(workspace_id),
            destinations=client.list_destinations(workspace_id),
            connections=client.list_connections(workspace_id),
        )

    def actors(self, kind: Kind) -> list[Source] | list[Destination]:
        """The sources or the destinations."""
        return self.sources if kind == "source" else self.destinations

    def find_definition(self, kind: Kind, wanted: str) -> tuple[Definition | None, list[str]]:
        """A definition by id, name (any case) or image (`airbyte/source-postgres`); else close names."""
        pool = self.definitions[kind]
        lowered = wanted.strip().lower()
        for d in pool:
            if d.id == wanted or d.name.lower() == lowered or (d.docker_repository or "").lower() == lowered:
                return d, []
        return None, [d.name for d in pool]

    def spec(self, kind: Kind, definition_id: str) -> dict[str, Any] | None:
        """The definition's `connectionSpecification`, or None where Airbyte serves none."""
        found = self.specification(kind, definition_id)
        return found.connection_specification if found is not None else None

    def specification(self, kind: Kind, definition_id: str) -> ConnectorSpecification | None:
        """The definition's specification read (cached), or None where Airbyte serves none."""
        key = (kind, definition_id)
        if key not in self._specs:
            try:
                self._specs[key] = self.client.get_connector_specification(
                    kind, definition_id, self.workspace_id
                )
            except AirbyteApiError as exc:
                if exc.status != 404:
                    raise
                self._specs[key] = None
        return self._specs[key]
