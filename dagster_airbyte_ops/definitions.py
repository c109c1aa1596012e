"""`build_definitions(config)`: airbyte_ops.yaml → `dg.Definitions`, the code location's entry point.

Loading costs one catalog fetch on the code server and none anywhere else: the catalog is carried
to run workers in the definitions' reconstruction metadata (see `catalog.py`).
"""

from __future__ import annotations

import gc
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager

import dagster as dg

from .assets.built_connection import BuiltConnection, connection_slug
from .assets.catalog import (
    AirbyteCatalog,
    AirbyteCatalogLoader,
    CatalogSnapshots,
    CatalogSource,
    InstanceCatalogsLoader,
    fetch_catalog,
)
from .assets.connection_assets import build_connection_assets
from .assets.job_kind import SchemaChecks
from .assets.translator import AirbyteStreamProps, AirbyteTranslator, slugify
from .checks.drift import drift_definitions
from .checks.freshness import freshness_definitions
from .checks.schema import (
    COLUMN_SCHEMA_CHECK_NAME,
    check_evaluations,
    check_results,
    column_change_results,
    schema_check_specs,
)
from .client import resolve_api
from .client.models import Connection
from .config import AirbyteInstance, AirbyteOpsConfig, ConnectionEntry, resolve_instance_connections
from .config.connections import connection_label
from .config.loader import config_error
from .errors import ConfigError
from .execution.executor import airbyte_sync_executor
from .execution.pools import concurrency_definitions, pool_for
from .names import DEFAULT_RESOURCE_KEY, op_name, schedule_name
from .resource.airbyte_resource import AirbyteResource
from .schedules.schedule_builder import ScheduledConnection, build_schedules, build_sync_job
from .sensors.after import chain_definitions
from .sensors.alert_sensors import alert_definitions
from .sensors.deferred import deferred_definitions
from .sensors.observer import observer_definitions

DEFAULT_INSTANCE_KEY = "default"


def build_resource(
    config: AirbyteOpsConfig,
    *,
    workspace_id: str | None = None,
    instance: AirbyteInstance | None = None,
) -> AirbyteResource:
    """The resource as Dagster stores it: secrets as `EnvVar` references, resolved only at run time.

    `workspace_id` (the catalog's) fills in an unset `airbyte.workspace_id`, so run workers never
    ask Airbyte which workspace they are in: they may have no access to its listing endpoints.
    `instance` picks one of `instances:` (default: the `airbyte:` section).
    """
    settings = (instance or config.airbyte_instances()[0]).airbyte
    kwargs = settings.resource_kwargs()
    if kwargs.get("workspace_id") is None and workspace_id is not None:
        kwargs["workspace_id"] = workspace_id
    return AirbyteResource(**kwargs)


DAGSTER_DEFAULT_GROUP = "default"


def group_name_for(config: AirbyteOpsConfig, entry: ConnectionEntry, connection_name: str) -> str:
    """The asset group of a selected connection's streams (the default translator shows it as is)."""
    if entry.group:
        return entry.group
    if config.defaults.key_style == "dagster-airbyte":
        return DAGSTER_DEFAULT_GROUP  # where dagster-airbyte's assets are (it sets no group)
    return f"{config.instance_of(entry).group_prefix}{slugify(connection_name)}"


def build_load_time_resource(
    config: AirbyteOpsConfig, *, instance: AirbyteInstance | None = None
) -> AirbyteResource:
    """The same resource with secrets resolved now, for fetching the catalog while loading."""
    settings = (instance or config.airbyte_instances()[0]).airbyte
    kwargs = settings.resource_kwargs()
    for field, ref in settings.secrets().items():
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

    `executor` replaces `airbyte_sync_executor` (steps as threads; see executor.py) as the
    executor of every job, e.g. `dg.multiprocess_executor` for a location with CPU-heavy assets.
    With `instances:`, each Airbyte gets its own resource, `<resource_key>_<name>`
    (`airbyte_onprem`), and the catalogs of all of them travel together to run workers.
    """
    translator = translator or AirbyteTranslator()
    snapshots = CatalogSnapshots(snapshot_dir) if snapshot_dir else None
    loader: AirbyteCatalogLoader | InstanceCatalogsLoader
    if config.instances is None:
        instance = config.airbyte_instances()[0]

        def build(catalog: AirbyteCatalog) -> dg.Definitions:
            return definitions_from_catalog(
                config, catalog, translator=translator, resource_key=resource_key, executor=executor
            )

        loader = AirbyteCatalogLoader(
            key=instance_key,
            fetch=_fetcher(config, instance),
            build=build,
            snapshots=snapshots,
            how_to_reach=f"check that Airbyte answers at {config.airbyte.url} (airbyte.url in "
            f"{config.source_name}, or the AIRBYTE_URL variable) and that its credentials are set",
        )
    else:

        def build_all(catalogs: dict[str, AirbyteCatalog]) -> dg.Definitions:
            return definitions_from_catalogs(
                config, catalogs, translator=translator, resource_key=resource_key, executor=executor
            )

        loader = InstanceCatalogsLoader(
            key=instance_key,
            sources={
                str(instance.name): CatalogSource(
                    fetch=_fetcher(config, instance),
                    how_to_reach=f"check that Airbyte answers at {instance.airbyte.url} "
                    f"({instance.path}.url in {config.source_name}) and that its credentials are set",
                )
                for instance in config.airbyte_instances()
            },
            build=build_all,
            snapshots=snapshots,
        )
    with warnings.catch_warnings(), collector_paused():
        # Reconstruction metadata is how Dagster's own state-backed integrations carry their state.
        warnings.simplefilter("ignore", dg.PreviewWarning)
        return loader.build_defs()


#: Objects a build must leave behind before `collector_paused` freezes them (about 40 connections' worth).
FREEZE_AFTER_OBJECTS = 200_000


@contextmanager
def collector_paused() -> Iterator[None]:
    """Build without Python's cyclic garbage collector, then keep it off what a large build made.

    A build allocates millions of objects that all live as long as the process (specs, column schemas,
    the catalog's models). Each full collection rescans every one of them, so the collector's work
    grows with the square of the workspace: at 3,000 connections it took 16 of the 42 s of a load
    (docs/performance.md). Paused, the build allocates freely; afterwards, when it left more than
    `FREEZE_AFTER_OBJECTS` behind, one full collection frees what is already garbage and `gc.freeze`
    moves the rest out of the collector's view, so Dagster's own repository and snapshot building after
    it do not rescan them either. Small builds (every test, most workspaces) only get the pause.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        left_behind = gc.get_count()[0]
        if was_enabled:
            gc.enable()
        if left_behind > FREEZE_AFTER_OBJECTS:
            gc.collect()
            gc.freeze()


def _fetcher(config: AirbyteOpsConfig, instance: AirbyteInstance) -> Callable[[], AirbyteCatalog]:
    def fetch() -> AirbyteCatalog:
        client = build_load_time_resource(config, instance=instance).get_client()
        return fetch_catalog(client, workspace_id=instance.airbyte.workspace_id)

    return fetch


def definitions_from_catalog(
    config: AirbyteOpsConfig,
    catalog: AirbyteCatalog,
    *,
    translator: AirbyteTranslator,
    resource_key: str = DEFAULT_RESOURCE_KEY,
    executor: dg.ExecutorDefinition | None = None,
) -> dg.Definitions:
    """Pure function of config + catalog: no HTTP, so run workers rebuild exactly the same thing.

    For a file with several `instances:`, see `definitions_from_catalogs`.
    """
    instances = config.airbyte_instances()
    if len(instances) > 1:
        raise ValueError(
            "definitions_from_catalog: this configuration has several instances; call "
            "definitions_from_catalogs with a catalog per instance name"
        )
    return _definitions(
        config,
        {instances[0].name: catalog},
        translator=translator,
        resource_key=resource_key,
        executor=executor,
    )


def definitions_from_catalogs(
    config: AirbyteOpsConfig,
    catalogs: Mapping[str, AirbyteCatalog],
    *,
    translator: AirbyteTranslator,
    resource_key: str = DEFAULT_RESOURCE_KEY,
    executor: dg.ExecutorDefinition | None = None,
) -> dg.Definitions:
    """`definitions_from_catalog` for a file with `instances:`: `catalogs` by instance name."""
    by_name: dict[str | None, AirbyteCatalog] = {name: catalog for name, catalog in catalogs.items()}
    return _definitions(config, by_name, translator=translator, resource_key=resource_key, executor=executor)


def _definitions(
    config: AirbyteOpsConfig,
    catalogs: Mapping[str | None, AirbyteCatalog],
    *,
    translator: AirbyteTranslator,
    resource_key: str,
    executor: dg.ExecutorDefinition | None,
) -> dg.Definitions:
    instances = config.airbyte_instances()
    missing = [str(i.name) for i in instances if i.name not in catalogs]
    if missing:
        raise ValueError(f"no catalog given for instance(s) {', '.join(missing)}")
    pairs = resolve_instance_connections(config, {n: c.connections for n, c in catalogs.items()})
    specs_by_connection = _specs_for(config, catalogs, pairs, translator)
    _check_slugs(config, specs_by_connection)
    # One asset job for every connection; schedules and after: sensors select a connection per run.
    job = build_sync_job([spec.key for _, _, specs in specs_by_connection for spec in specs.values()])
    built = [
        BuiltConnection(
            entry=entry,
            connection=connection,
            specs=specs,
            job=job,
            resource_key=config.instance_of(entry).resource_key(resource_key),
            instance=entry.instance,
        )
        for entry, connection, specs in specs_by_connection
    ]
    base = dg.Definitions(
        assets=[_connection_assets(config, item) for item in built],
        jobs=[job] if built else [],
        resources={
            instance.resource_key(resource_key): build_resource(
                config, workspace_id=catalogs[instance.name].workspace_id, instance=instance
            )
            for instance in instances
        },
        executor=executor or airbyte_sync_executor,
    )
    fragments = [builder(config, built) for builder in FRAGMENT_BUILDERS]
    return dg.Definitions.merge(base, *fragments)


def _check_slugs(
    config: AirbyteOpsConfig,
    specs_by_connection: Sequence[tuple[ConnectionEntry, Connection, Mapping[str, dg.AssetSpec]]],
) -> None:
    """Two connections whose Dagster names would be the same ("Orders → S3" and "Orders / S3") are a
    ConfigError naming both, never Dagster's duplicate-definition traceback."""
    first_by_slug: dict[str, tuple[ConnectionEntry, Connection]] = {}
    problems: list[str] = []
    for entry, connection, _ in specs_by_connection:
        slug = connection_slug(connection.name, entry.instance)
        first = first_by_slug.setdefault(slug, (entry, connection))
        if first[1] is connection:
            continue
        other = first[1]
        this_label = connection_label(entry.instance, connection.name)
        other_label = connection_label(first[0].instance, other.name)
        scheduled = bool(entry.schedules or entry.schedule_from_airbyte) and (
            not entry.schedules or entry.schedules[0].name is None
        )
        where = f"{entry.path}.schedule" if scheduled else entry.path
        names = f'schedule "{schedule_name(slug)}", ' if scheduled else ""
        problems.append(
            f"{where}: connections \u201c{other_label}\u201d and \u201c{this_label}\u201d both become "
            f'"{slug}" in Dagster names ({names}op "{op_name(slug)}"); '
            "rename one of them in Airbyte so their names differ in letters or digits"
        )
    if problems:
        raise config_error(config.source_name, problems)


def _connection_assets(config: AirbyteOpsConfig, item: BuiltConnection) -> dg.AssetsDefinition:
    return build_connection_assets(
        connection=item.connection,
        specs_by_stream=item.specs,
        resource_key=item.resource_key,
        op_name=op_name(item.slug),
        mode=item.entry.mode,
        pool=pool_for(config, item.entry),
        schema_checks=SCHEMA_CHECKS if _schema_checks_on(config, item) else None,
    )


#: The schema checks (checks/schema.py) as the stream assets take them.
SCHEMA_CHECKS = SchemaChecks(
    schema_check_specs, check_results, COLUMN_SCHEMA_CHECK_NAME, column_change_results
)


def _schema_checks_on(config: AirbyteOpsConfig, item: BuiltConnection) -> bool:
    """Schema checks unless `defaults.schema_checks: false`; they need the Config API (the public API
    does not say whether a schema changed)."""
    if not config.defaults.schema_checks:
        return False
    settings = config.instance_of(item.entry).airbyte
    url = str(settings.url) if settings.url else None
    public = str(settings.public_api_url) if settings.public_api_url else None
    return resolve_api(settings.api, url, public) == "config"


def _schedule_definitions(config: AirbyteOpsConfig, built: Sequence[BuiltConnection]) -> dg.Definitions:
    scheduled = build_schedules(
        config=config,
        scheduled=[
            ScheduledConnection(
                entry=item.entry,
                connection=item.connection,
                asset_keys=item.asset_keys,
                job=item.job,
                slug=item.slug,
            )
            for item in built
            if item.entry.schedule is not None
        ],
    )
    return dg.Definitions(schedules=scheduled.schedules)


def _observer_definitions(config: AirbyteOpsConfig, built: Sequence[BuiltConnection]) -> dg.Definitions:
    """The observer; it reports the schema checks' results only where the stream assets carry them."""
    evaluations = check_evaluations if config.defaults.schema_checks else None
    return observer_definitions(config, built, schema_evaluations=evaluations)


# Each feature adds its schedules, sensors, checks or jobs as a fragment: f(config, built) -> Definitions.
FRAGMENT_BUILDERS: list[Callable[[AirbyteOpsConfig, Sequence[BuiltConnection]], dg.Definitions]] = [
    _schedule_definitions,
    _observer_definitions,
    deferred_definitions,
    chain_definitions,
    freshness_definitions,
    drift_definitions,
    concurrency_definitions,
    alert_definitions,
]


def _specs_for(
    config: AirbyteOpsConfig,
    catalogs: Mapping[str | None, AirbyteCatalog],
    pairs: Sequence[tuple[ConnectionEntry, Connection]],
    translator: AirbyteTranslator,
) -> list[tuple[ConnectionEntry, Connection, dict[str, dg.AssetSpec]]]:
    owner_of_key: dict[dg.AssetKey, tuple[ConnectionEntry, Connection]] = {}
    problems: list[str] = []
    result: list[tuple[ConnectionEntry, Connection, dict[str, dg.AssetSpec]]] = []
    for entry, connection in pairs:
        catalog = catalogs[entry.instance]
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
                group_name=group_name_for(config, entry, connection.name),
                tags=dict(entry.tags),
                owners=tuple(entry.owners),
                key_style=config.defaults.key_style,
            )
            spec = translator.get_asset_spec(props)
            previous = owner_of_key.get(spec.key)
            if previous is not None:
                problems.append(_collision(spec.key, previous, (entry, connection)))
                continue
            owner_of_key[spec.key] = (entry, connection)
            specs[stream.name] = spec
        if specs:
            result.append((entry, connection, specs))
    if problems:
        raise ConfigError(f"{config.source_name}: " + f"\n{config.source_name}: ".join(problems))
    return result


def _collision(
    key: dg.AssetKey, first: tuple[ConnectionEntry, Connection], second: tuple[ConnectionEntry, Connection]
) -> str:
    (first_entry, first_conn), (second_entry, second_conn) = first, second
    if first_entry.instance == second_entry.instance:
        return (
            f"{second_entry.path}: asset key {key.to_user_string()!r} of connection "
            f"\u201c{second_conn.name}\u201d is also produced by connection \u201c{first_conn.name}\u201d "
            f"({first_entry.path}); both write the same destination table. Give one of them a "
            "key_prefix (or a stream prefix in Airbyte)."
        )
    return (
        f"{second_entry.path}: asset key {key.to_user_string()!r} of connection "
        f"\u201c{second_conn.name}\u201d (instance {second_entry.instance}) is also produced by connection "
        f"\u201c{first_conn.name}\u201d ({first_entry.path}, instance {first_entry.instance}). Give one "
        f"of the instances a key_prefix (instances.{second_entry.instance}.key_prefix), or one of the "
        "entries its own key_prefix."
    )
