"""Workspaces, connector definitions, sources, destinations and connection checks.

Secrets: ``Source.configuration`` and ``Destination.configuration`` hold Airbyte's
``connectionConfiguration``, which carries passwords. They are excluded from ``repr``/``str`` and from
``model_dump`` so they never end up in logs, Dagster metadata or serialized catalogs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar, Literal, cast

from pydantic import Field

from ._parse import _build, _Fields, _Model

# Definition ids are identical in every Airbyte instance (SOURCE.md); they are the most reliable way
# to name a connector's type when the Config API only returns the display name.
KNOWN_DEFINITION_SLUGS: dict[str, str] = {
    "decd338e-5647-4c0b-adf4-da0e75f5a750": "postgres",
    "435bb9a5-7887-4809-aa58-28c27df0d7ad": "mysql",
    "b5ea17b1-f170-46dc-bc31-cc744ca984c1": "mssql",
    "4816b78f-1489-44c1-9060-4b19d5fa9362": "s3",
    "25c5221d-dce2-4163-ade9-739ef790f503": "postgres",
    "b76be0a6-27dc-4560-95f6-2623da0bd7b6": "sqlite",
}


def connector_slug(
    *, definition_id: str | None = None, docker_repository: str | None = None, name: str | None = None
) -> str | None:
    """A short connector type such as ``"s3"``, ``"postgres"`` or ``"sqlite"``.

    Airbyte's Config API returns only the definition's display name ("Local SQLite") with a source or
    destination; the public API returns the slug. The slug is what Dagster ``kinds`` want, so both
    flavours agree on it: known definition id first, then the docker repository
    (``airbyte/destination-s3``), then a normalised display name.
    """
    if definition_id and definition_id in KNOWN_DEFINITION_SLUGS:
        return KNOWN_DEFINITION_SLUGS[definition_id]
    if docker_repository:
        tail = docker_repository.rsplit("/", 1)[-1]
        tail = re.sub(r"^(source|destination)-", "", tail)
        return re.sub(r"-strict-encrypt$", "", tail) or None
    if name:
        paren = re.search(r"\(([^)]+)\)", name)
        if paren:
            return re.sub(r"[^a-z0-9]+", "-", paren.group(1).lower()).strip("-") or None
        words = [w for w in re.split(r"[^a-z0-9]+", name.lower()) if w and w not in ("local", "destination")]
        words = [w for w in words if w != "source"]
        return "-".join(words) or None
    return None


def _public_slug(value: str | None) -> str | None:
    return None if value is None else value.strip().lower().replace(" ", "-") or None


# --------------------------------------------------------------------------------------------------
# Workspaces and definitions
# --------------------------------------------------------------------------------------------------


class Workspace(_Model):
    """An Airbyte workspace."""

    id: str
    name: str
    slug: str | None = None

    @classmethod
    def from_config_api(cls, payload: Mapping[str, Any], *, source: str | None = None) -> Workspace:
        """From a Config API ``WorkspaceRead``."""
        return _build(
            cls,
            source,
            payload,
            lambda f: cls(id=f.text("workspaceId"), name=f.text("name"), slug=f.opt_str("slug")),
        )

    @classmethod
    def from_public_api(cls, payload: Mapping[str, Any], *, source: str | None = None) -> Workspace:
        """From a public API ``WorkspaceResponse`` (it has no slug)."""
        return _build(cls, source, payload, lambda f: cls(id=f.text("workspaceId"), name=f.text("name")))


class SourceDefinition(_Model):
    """A source connector definition (the same id in every Airbyte instance)."""

    id: str
    name: str
    docker_repository: str | None = None
    docker_image_tag: str | None = None

    config_id_key: ClassVar[str] = "sourceDefinitionId"

    @classmethod
    def from_config_api(cls, payload: Mapping[str, Any], *, source: str | None = None) -> Any:
        """From a Config API ``SourceDefinitionRead`` / ``DestinationDefinitionRead``."""
        return _build(
            cls,
            source,
            payload,
            lambda f: cls(
                id=f.text(cls.config_id_key),
                name=f.text("name"),
                docker_repository=f.opt_str("dockerRepository"),
                docker_image_tag=f.opt_str("dockerImageTag"),
            ),
        )

    @classmethod
    def from_public_api(cls, payload: Mapping[str, Any], *, source: str | None = None) -> Any:
        """From a public API ``DefinitionResponse``."""
        return _build(
            cls,
            source,
            payload,
            lambda f: cls(
                id=f.text("id"),
                name=f.text("name"),
                docker_repository=f.opt_str("dockerRepository"),
                docker_image_tag=f.opt_str("dockerImageTag"),
            ),
        )

    @property
    def slug(self) -> str | None:
        """Short connector type (``"postgres"``), see :func:`connector_slug`."""
        return connector_slug(definition_id=self.id, docker_repository=self.docker_repository, name=self.name)


class DestinationDefinition(SourceDefinition):
    """A destination connector definition."""

    config_id_key: ClassVar[str] = "destinationDefinitionId"


# --------------------------------------------------------------------------------------------------
# Sources and destinations
# --------------------------------------------------------------------------------------------------


class Source(_Model):
    """A configured source. ``configuration`` holds secrets: hidden from repr and dumps."""

    id: str
    name: str
    workspace_id: str
    definition_id: str | None = None
    source_type: str | None = None
    configuration: dict[str, Any] | None = Field(default=None, repr=False, exclude=True)

    @classmethod
    def from_config_api(cls, payload: Mapping[str, Any], *, source: str | None = None) -> Source:
        """From a Config API ``SourceRead``."""

        def build(f: _Fields) -> Source:
            definition_id = f.opt_str("sourceDefinitionId")
            return cls(
                id=f.text("sourceId"),
                name=f.text("name"),
                workspace_id=f.text("workspaceId"),
                definition_id=definition_id,
                source_type=connector_slug(definition_id=definition_id, name=f.opt_str("sourceName")),
                configuration=f.opt_dict("connectionConfiguration"),
            )

        return _build(cls, source, payload, build)

    @classmethod
    def from_public_api(cls, payload: Mapping[str, Any], *, source: str | None = None) -> Source:
        """From a public API ``SourceResponse``."""
        return _build(
            cls,
            source,
            payload,
            lambda f: cls(
                id=f.text("sourceId"),
                name=f.text("name"),
                workspace_id=f.text("workspaceId"),
                definition_id=f.opt_str("definitionId"),
                source_type=_public_slug(f.opt_str("sourceType")),
                configuration=f.opt_dict("configuration"),
            ),
        )


# Where destinations keep the namespace streams land in when the connection says "destination".
# Only these non-secret keys are ever read from a destination's configuration.
DEFAULT_NAMESPACE_KEYS = ("schema", "dataset_id", "s3_bucket_path", "gcs_bucket_path", "database")


def default_namespace_of(configuration: Mapping[str, Any] | None) -> str | None:
    """The destination's default namespace (schema, dataset, bucket path), if it has one."""
    for key in DEFAULT_NAMESPACE_KEYS:
        value = (configuration or {}).get(key)
        if isinstance(value, str) and value.strip():
            return value.strip().strip("/")
    return None


class Destination(_Model):
    """A configured destination. ``destination_type`` is a slug: ``"s3"``, ``"postgres"``, ``"sqlite"``."""

    id: str
    name: str
    workspace_id: str
    definition_id: str | None = None
    destination_type: str | None = None
    default_namespace: str | None = None
    configuration: dict[str, Any] | None = Field(default=None, repr=False, exclude=True)

    @classmethod
    def from_config_api(cls, payload: Mapping[str, Any], *, source: str | None = None) -> Destination:
        """From a Config API ``DestinationRead`` (type derived from definition id or display name)."""

        def build(f: _Fields) -> Destination:
            definition_id = f.opt_str("destinationDefinitionId")
            return cls(
                id=f.text("destinationId"),
                name=f.text("name"),
                workspace_id=f.text("workspaceId"),
                definition_id=definition_id,
                destination_type=connector_slug(
                    definition_id=definition_id, name=f.opt_str("destinationName")
                ),
                default_namespace=default_namespace_of(f.opt_dict("connectionConfiguration")),
                configuration=f.opt_dict("connectionConfiguration"),
            )

        return _build(cls, source, payload, build)

    @classmethod
    def from_public_api(cls, payload: Mapping[str, Any], *, source: str | None = None) -> Destination:
        """From a public API ``DestinationResponse``."""
        return _build(
            cls,
            source,
            payload,
            lambda f: cls(
                id=f.text("destinationId"),
                name=f.text("name"),
                workspace_id=f.text("workspaceId"),
                definition_id=f.opt_str("definitionId"),
                destination_type=_public_slug(f.opt_str("destinationType")),
                default_namespace=default_namespace_of(f.opt_dict("configuration")),
                configuration=f.opt_dict("configuration"),
            ),
        )


class ConnectorSpecification(_Model):
    """A connector definition's specification (Config API ``*_definition_specifications/get``)."""

    definition_id: str
    connection_specification: dict[str, Any]
    #: Destinations only: the destination sync modes it supports (None when not said).
    supported_destination_sync_modes: list[str] | None = None

    @classmethod
    def from_config_api(
        cls, payload: Mapping[str, Any], *, kind: str, source: str | None = None
    ) -> ConnectorSpecification:
        def build(f: _Fields) -> ConnectorSpecification:
            modes = f.str_list("supportedDestinationSyncModes")
            return cls(
                definition_id=f.text(f"{kind}DefinitionId"),
                connection_specification=f.opt_dict("connectionSpecification") or {},
                supported_destination_sync_modes=modes or None,
            )

        return _build(cls, source, payload, build)


class CheckResult(_Model):
    """Outcome of a connection check of a source or destination."""

    status: Literal["succeeded", "failed"]
    message: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "succeeded"

    @classmethod
    def from_config_api(cls, payload: Mapping[str, Any], *, source: str | None = None) -> CheckResult:
        """From a Config API ``CheckConnectionRead``."""
        return _build(
            cls,
            source,
            payload,
            lambda f: cls(
                status=cast(Any, f.literal("status", ("succeeded", "failed"))), message=f.opt_str("message")
            ),
        )

    @classmethod
    def from_public_api(cls, payload: Mapping[str, Any], *, source: str | None = None) -> CheckResult:
        """The public API has no check endpoint; accepts the same shape for symmetry."""
        return cls.from_config_api(payload, source=source)
