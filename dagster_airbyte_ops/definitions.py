"""`build_definitions(config)`: airbyte_ops.yaml → `dg.Definitions`, the code location's entry point.

Loading costs one catalog fetch on the code server and none anywhere else: the catalog is carried
to run workers in the definitions' reconstruction metadata (see `catalog.py`).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import dagster as dg

from .alerting import alert_definitions
from .assets import DEFAULT_RESOURCE_KEY, build_connection_assets
from .built import BuiltConnection
from .catalog import AirbyteCatalog, AirbyteCatalogLoader, CatalogSnapshots, fetch_catalog
from .chain import chain_definitions
from .checks import freshness_definitions
from .client.models import Connection
from .concurrency import airbyte_sync_executor, concurrency_definitions, pool_for
from .config import AirbyteOpsConfig, ConnectionEntry, resolve_connections
from .deferred import deferred_definitions
from .errors import ConfigError
from .observer import observer_definitions
from .resource import AirbyteResource
from .schedules import ScheduledConnection, build_connection_job, build_schedules
from .translator import AirbyteStreamProps, AirbyteTranslator, slugify

DEFAULT_INSTANCE_KEY = "default"


def build_resource(config: AirbyteOpsConfig, *, workspace_id: str | None = None) -> AirbyteResource:
    """The resource as Dagster stores it: secrets as `EnvVar` references, resolved only at run time.

    `workspace_id` (the catalog's) fills in an unset `airbyte.workspace_id`, so run workers never
    ask Airbyte which workspace they are in: they may have no access to its listing endpoints.
    """
    kwargs = config.airbyte.resource_kwargs()
    if kwargs.get("workspace_id") is None and workspace_id is not None:
        kwargs["workspace_id"] = workspace_id
    return AirbyteResource(**kwargs)


def build_load_time_resource(config: AirbyteOpsConfig) -> AirbyteResource:
    """The same resource with secrets resolved now, for fetching the catalog while loading."""
    kwargs = config.airbyte.resource_kwargs()
    for field, ref in config.airbyte.secrets().items():
        kwargs[field] = ref.resolve()
    return AirbyteResource(**kwargs)


def build_definitions(
    config: AirbyteOpsConfig,
    *,
    translator: AirbyteTranslator | None = None,
    snapshot_dir: str | None = None,
    instance_key: str = DEFAULT_INSTANCE_KEY,
    resource_key: str = DEFAULT_RESOURCE_KEY,
    executor: dg.ExecutorDefinition | None = None,
) -> dg.Definitions:
    """Definitions for every connection the configuration selects (assets, schedules, the resource).

    `executor` replaces `airbyte_sync_executor` (steps as threads; see concurrency.py) as the
    executor of every job, e.g. `dg.multiprocess_executor` for a location with CPU-heavy assets.
    """
    translator = translator or AirbyteTranslator()

    def fetch() -> AirbyteCatalog:
        client = build_load_time_resource(config).get_client()
        return fetch_catalog(client, workspace_id=config.airbyte.workspace_id)

    def build(catalog: AirbyteCatalog) -> dg.Definitions:
        return definitions_from_catalog(
            config, catalog, translator=translator, resource_key=resource_key, executor=executor
        )

    loader = AirbyteCatalogLoader(
        key=instance_key,
        fetch=fetch,
        build=build,
        snapshots=CatalogSnapshots(snapshot_dir) if snapshot_dir else None,
        how_to_reach=f"check that Airbyte answers at {config.airbyte.url} (airbyte.url in "
        f"{config.source_name}, or the AIRBYTE_URL variable) and that its credentials are set",
    )
    with warnings.catch_warnings():
        # Reconstruction metadata is how Dagster's own state-backed integrations carry their state.
        warnings.simplefilter("ignore", dg.PreviewWarning)
        return loader.build_defs()


def definitions_from_catalog(
    config: AirbyteOpsConfig,
    catalog: AirbyteCatalog,
    *,
    translator: AirbyteTranslator,
    resource_key: str = DEFAULT_RESOURCE_KEY,
    executor: dg.ExecutorDefinition | None = None,
) -> dg.Definitions:
    """Pure function of config + catalog: no HTTP, so run workers rebuild exactly the same thing."""
    pairs = resolve_connections(config, catalog.connections)
    specs_by_connection = _specs_for(config, catalog, pairs, translator)
    entry_of = {connection.id: entry for entry, connection in pairs}
    built = [
        BuiltConnection(
            entry=entry_of[connection.id],
            connection=connection,
            specs=specs,
            job=build_connection_job(connection=connection, asset_keys=[s.key for s in specs.values()]),
            resource_key=resource_key,
        )
        for connection, specs in specs_by_connection
    ]
    base = dg.Definitions(
        assets=[_connection_assets(config, item) for item in built],
        jobs=[item.job for item in built],
        resources={resource_key: build_resource(config, workspace_id=catalog.workspace_id)},
        executor=executor or airbyte_sync_executor,
    )
    fragments = [builder(config, built) for builder in FRAGMENT_BUILDERS]
    return dg.Definitions.merge(base, *fragments)


def _connection_assets(config: AirbyteOpsConfig, item: BuiltConnection) -> dg.AssetsDefinition:
    return build_connection_assets(
        connection=item.connection,
        specs_by_stream=item.specs,
        resource_key=item.resource_key,
        mode=item.entry.mode,
        pool=pool_for(config, item.entry),
    )


def _schedule_definitions(config: AirbyteOpsConfig, built: Sequence[BuiltConnection]) -> dg.Definitions:
    scheduled = build_schedules(
        config=config,
        scheduled=[
            ScheduledConnection(
                entry=item.entry, connection=item.connection, asset_keys=item.asset_keys, job=item.job
            )
            for item in built
            if item.entry.schedule is not None
        ],
    )
    return dg.Definitions(schedules=scheduled.schedules)


# Each feature adds its schedules, sensors, checks or jobs as a fragment: f(config, built) -> Definitions.
FRAGMENT_BUILDERS: list[Callable[[AirbyteOpsConfig, Sequence[BuiltConnection]], dg.Definitions]] = [
    _schedule_definitions,
    observer_definitions,
    deferred_definitions,
    chain_definitions,
    freshness_definitions,
    concurrency_definitions,
    alert_definitions,
]


def _specs_for(
    config: AirbyteOpsConfig,
    catalog: AirbyteCatalog,
    pairs: Sequence[tuple[ConnectionEntry, Connection]],
    translator: AirbyteTranslator,
) -> list[tuple[Connection, dict[str, dg.AssetSpec]]]:
    owner_of_key: dict[dg.AssetKey, tuple[ConnectionEntry, Connection]] = {}
    problems: list[str] = []
    result: list[tuple[Connection, dict[str, dg.AssetSpec]]] = []
    for entry, connection in pairs:
        wanted = set(entry.streams) if entry.streams else None
        specs: dict[str, dg.AssetSpec] = {}
        for stream in connection.selected_streams:
            if wanted is not None and stream.name not in wanted:
                continue
            props = AirbyteStreamProps(
                connection=connection,
                stream=stream,
                destination=catalog.destination_of(connection),
                key_prefix=tuple(entry.key_prefix or ()),
                group_name=entry.group or _default_group(config, connection),
                tags=dict(entry.tags),
                owners=tuple(entry.owners),
            )
            spec = translator.get_asset_spec(props)
            previous = owner_of_key.get(spec.key)
            if previous is not None:
                problems.append(_collision(spec.key, previous, (entry, connection)))
                continue
            owner_of_key[spec.key] = (entry, connection)
            specs[stream.name] = spec
        if specs:
            result.append((connection, specs))
    if problems:
        raise ConfigError(f"{config.source_name}: " + f"\n{config.source_name}: ".join(problems))
    return result


def _default_group(config: AirbyteOpsConfig, connection: Connection) -> str:
    return f"{config.defaults.group_prefix}{slugify(connection.name)}"


def _collision(key: dg.AssetKey, first: tuple[Any, Connection], second: tuple[Any, Connection]) -> str:
    (first_entry, first_conn), (second_entry, second_conn) = first, second
    return (
        f"{second_entry.path}: asset key {key.to_user_string()!r} of connection "
        f"\u201c{second_conn.name}\u201d is also produced by connection \u201c{first_conn.name}\u201d "
        f"({first_entry.path}); both write the same destination table. Give one of them a "
        "key_prefix (or a stream prefix in Airbyte)."
    )
