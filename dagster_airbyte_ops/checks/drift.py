"""Drift checks: a declared connection fails its check when Airbyte no longer matches airbyte_ops.yaml.

Someone changes a managed connection in Airbyte's UI (a stream's sync mode, the prefix, the source's
host): the file is no longer the truth, and the next `airbyte-ops apply` would silently undo it. Each
connection with `declare:` gets one check per stream asset, `matches_airbyte_ops_yaml`, evaluated by
one read of Airbyte (the connection, its source and destination, their specifications) each time the
connection's job runs or the check is run from the UI. It fails (severity ERROR) naming each field that
differs, as `airbyte-ops plan` would show it.

No secret ever reaches the metadata: Airbyte reads secrets back masked, secret fields are compared
only for presence, and values read from environment variables are shown by the variable's name.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence

import dagster as dg

from ..assets.built_connection import BuiltConnection
from ..config import AirbyteOpsConfig
from ..config.declarations import ConnectorDeclaration
from ..errors import AirbyteOpsError
from ..manage.desired import DesiredActor, DesiredConnection
from ..manage.live import Definition
from ..manage.plan import FieldChange, actor_field_changes, connection_field_changes
from ..manage.render import render_field
from ..manage.spec_check import check_configuration
from ..names import DRIFT_CHECK_NAME, drift_check_op_name
from ..resource.airbyte_resource import AirbyteResource


def _actor_drift(
    airbyte: AirbyteResource, kind: str, actor_id: str, declared: ConnectorDeclaration, where: str
) -> list[str]:
    client = airbyte.get_client()
    live = client.get_source(actor_id) if kind == "source" else client.get_destination(actor_id)
    lines: list[str] = []
    if live.name != declared.name:
        lines.append(f'{kind}: Airbyte\'s is "{live.name}", the file declares "{declared.name}"')
        return lines
    spec = None
    if live.definition_id:
        found = client.get_connector_specification(kind, live.definition_id, live.workspace_id)  # type: ignore[arg-type]
        spec = found.connection_specification if found is not None else None
    checked = check_configuration(
        declared.configuration, spec, where=where, connector=declared.connector, environ=_environ()
    )
    actor = DesiredActor(
        kind=kind,  # type: ignore[arg-type]
        name=declared.name,
        where=where,
        definition=Definition(live.definition_id or "", declared.connector, None),
        values=checked.values,
        secret_paths=checked.secret_paths,
        env_paths=checked.env_paths,
        check=False,
        validated=spec is not None,
    )
    changes: list[FieldChange] = actor_field_changes(actor, live.configuration or {}, None)
    return [f'{kind} "{declared.name}": {render_field(c)}' for c in changes]


def _environ() -> dict[str, str]:
    return dict(os.environ)


def drift_lines(config: AirbyteOpsConfig, item: BuiltConnection, airbyte: AirbyteResource) -> list[str]:
    """What differs between the file's declaration of `item` and Airbyte now, one line per field."""
    declaration = item.entry.declare
    assert declaration is not None
    client = airbyte.get_client()
    found = client.get_connection(item.connection.id)
    desired = DesiredConnection(item.connection.name, item.entry.path, declaration)
    lines = [
        f'connection "{found.name}": {render_field(c)}' for c in connection_field_changes(desired, found)
    ]
    by_name = {("source", s.name): s for s in config.sources}
    by_name.update({("destination", d.name): d for d in config.destinations})
    for kind, actor_id, wanted in (
        ("source", found.source_id, declaration.source),
        ("destination", found.destination_id, declaration.destination),
    ):
        declared = by_name.get((kind, wanted))
        if declared is not None:
            index = (config.sources if kind == "source" else config.destinations).index(declared)
            lines.extend(_actor_drift(airbyte, kind, actor_id, declared, f"{kind}s[{index}].configuration"))
    return lines


def build_drift_check(config: AirbyteOpsConfig, item: BuiltConnection) -> dg.AssetChecksDefinition | None:
    """One multi-asset check over the stream assets of a declared connection (None if not declared)."""
    if item.entry.declare is None or not item.asset_keys:
        return None
    specs = [
        dg.AssetCheckSpec(
            DRIFT_CHECK_NAME,
            asset=key,
            description="Fails when Airbyte no longer matches the connection's declaration in the file",
        )
        for key in item.asset_keys
    ]

    @dg.multi_asset_check(
        specs=specs,
        name=drift_check_op_name(item.slug),
        required_resource_keys={item.resource_key},
    )
    def _drift(context) -> Iterator[dg.AssetCheckResult]:  # type: ignore[no-untyped-def]  # Dagster reads the annotation
        airbyte: AirbyteResource = getattr(context.resources, item.resource_key)
        try:
            lines = drift_lines(config, item, airbyte)
        except AirbyteOpsError as error:
            lines = [f"could not compare with Airbyte: {error}"]
        text = "\n".join(lines) if lines else "Airbyte matches airbyte_ops.yaml"
        for key in item.asset_keys:
            yield dg.AssetCheckResult(
                asset_key=key,
                check_name=DRIFT_CHECK_NAME,
                passed=not lines,
                severity=dg.AssetCheckSeverity.ERROR,
                description="Airbyte was changed outside airbyte_ops.yaml" if lines else None,
                metadata={"differences": dg.MetadataValue.md("\n".join(f"- `{x}`" for x in lines) or text)},
            )

    return _drift


def drift_definitions(config: AirbyteOpsConfig, built: Sequence[BuiltConnection]) -> dg.Definitions:
    """The drift checks of every declared connection (a definitions fragment)."""
    checks = [c for c in (build_drift_check(config, item) for item in built) if c is not None]
    return dg.Definitions(asset_checks=checks) if checks else dg.Definitions()
