"""Sensors that start work when upstream assets have landed: `after:` and `downstream:`.

Both features ask one question each tick: "has every upstream (or any, for `after_mode: any`) been
materialized since we last launched?". One sensor engine answers it for both:

- An *upstream* is a named set of asset keys: a connection (any of its streams counts) or one asset
  key (ours or the user's). It is *updated* when one of its keys has a materialization newer than
  the one the cursor consumed last.
- Newness is measured in event-log storage ids, not run records: a materialization reported without
  a run (the observer and deferred-mode sensors, `report_runless_asset_event`) has one too, and a
  failed sync records no materialization, so it never counts.
- The cursor is JSON, `{"consumed": {upstream: storage id}}`. A launch consumes what it saw, so every
  upstream update counts once; the run key is made of the consumed ids, so a tick that is retried
  after its run was launched but before its cursor was saved asks for the same run again and Dagster
  drops the duplicate.
- Each tick costs one `instance.get_asset_records` call (upstream and target keys), whatever the
  length of the history; a tick about to launch adds one `get_runs` call when the updates came from
  runs, because a run records its streams one after the other and must have finished first.
- An upstream the cursor does not know yet (first tick, or a newly listed upstream) starts from the
  target's own latest materialization: what landed since the target last ran is new to it. For the
  same reason, updates the target has materialized after (same run, its own schedule) are consumed
  without a launch.

`after:` sensors launch the connection's job (`airbyte_sync_<slug>_job`); `downstream:` sensors
launch an asset selection of the user's assets, resolved against the code location's assets on each
tick so that a key or group that does not exist fails the tick with a message naming the field.

Example:
    ```python
    import dagster as dg
    from dagster_airbyte_ops import Upstream, build_after_sensor

    revenue = dg.AssetSelection.groups("analytics")
    sensor = build_after_sensor(
        name="revenue_after_orders",
        upstreams=[Upstream.asset(dg.AssetKey(["public", "orders"]))],
        asset_selection=revenue,
    )
    ```
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import dagster as dg
from dagster._core.definitions.assets.graph.base_asset_graph import BaseAssetGraph

from ..assets.built_connection import BuiltConnection, connections_by_ref
from ..config import AirbyteOpsConfig, ConnectionEntry, DownstreamSpec
from ..config._text import close_matches
from ..config.loader import config_error, describe_cycle, find_cycle
from ..errors import AirbyteOpsError, ConfigError

AfterMode = Literal["all", "any"]
CURSOR_VERSION = 1
MAX_LISTED_KEYS = 5


def _quoted(name: str) -> str:
    return f"\u201c{name}\u201d"


@dataclass(frozen=True)
class Upstream:
    """Something a sensor waits for: a label for messages and the asset keys that stand for it.

    A connection is one upstream with all its stream keys: a sync that lands any of them counts.
    """

    label: str
    asset_keys: tuple[dg.AssetKey, ...]
    parts: str = "assets"  # what descriptions call the keys ("streams" for a connection)

    def __post_init__(self) -> None:
        if not self.label:
            raise ValueError("an Upstream needs a label (how skip messages name it)")
        if not self.asset_keys:
            raise ValueError(f"Upstream {self.label!r} has no asset keys; it could never land")

    @classmethod
    def asset(cls, key: dg.AssetKey | str | Sequence[str]) -> Upstream:
        """One asset, labelled by its key; a string is read as the UI writes keys (`analytics/orders`)."""
        if isinstance(key, str):
            asset_key = dg.AssetKey.from_user_string(key)
        else:
            asset_key = key if isinstance(key, dg.AssetKey) else dg.AssetKey(list(key))
        return cls(label=asset_key.to_user_string(), asset_keys=(asset_key,))

    @classmethod
    def connection(cls, built: BuiltConnection) -> Upstream:
        """A connection's streams, labelled by the connection's name in quotes."""
        return cls(label=_quoted(built.label), asset_keys=tuple(built.asset_keys), parts="streams")


@dataclass(frozen=True)
class ChainCursor:
    """The last consumed materialization storage id per upstream label, stored as JSON."""

    consumed: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str | None, *, sensor_name: str) -> ChainCursor:
        """Read a cursor written by `to_json` (None or "" is the empty cursor)."""
        if not text:
            return cls()
        try:
            data = json.loads(text)
            consumed = data["consumed"]
            if not isinstance(consumed, dict) or not all(
                isinstance(k, str) and isinstance(v, int) for k, v in consumed.items()
            ):
                raise TypeError("consumed must map labels to storage ids")
        except (ValueError, KeyError, TypeError) as exc:
            raise AirbyteOpsError(
                f"sensor {sensor_name}: cursor {text[:80]!r} is not one this sensor wrote ({exc}); "
                f"clear it with `dagster sensor cursor {sensor_name} --delete` (the next tick then "
                "counts what landed since the target last ran)"
            ) from None
        return cls(consumed=dict(consumed))

    def to_json(self) -> str:
        """Compact, key-sorted JSON (equal cursors are equal strings)."""
        return json.dumps(
            {"v": CURSOR_VERSION, "consumed": dict(self.consumed)}, sort_keys=True, ensure_ascii=False
        )


@dataclass(frozen=True)
class _Target:
    """What a sensor launches: a job (for `after:`) or an asset selection (for `downstream:`)."""

    job: dg.UnresolvedAssetJobDefinition | dg.JobDefinition | None
    selection: dg.AssetSelection | None
    where: str  # how errors about the target name it, e.g. "airbyte_ops.yaml: downstream[0].assets"

    def keys(self, context: dg.SensorEvaluationContext, guard: Iterable[dg.AssetKey]) -> set[dg.AssetKey]:
        """The target's asset keys in this code location; a clear ConfigError if they cannot be run."""
        repo = context.repository_def
        if repo is None:
            raise AirbyteOpsError(
                f"{self.where}: the sensor needs the code location's assets to resolve its target; "
                "evaluate it with build_sensor_context(definitions=defs, ...)"
            )
        graph = repo.asset_graph
        if self.job is not None:
            selection = getattr(self.job, "selection", None)
            if selection is None:  # a resolved JobDefinition
                return set(self.job.asset_layer.executable_asset_keys)  # type: ignore[union-attr]
            return set(selection.resolve(graph, allow_missing=True))
        assert self.selection is not None
        problems = _unknown_names(self.selection, graph)
        if problems:
            raise ConfigError(f"{self.where}: " + f"\n{self.where}: ".join(problems))
        keys = self.selection.resolve(graph, allow_missing=True)
        runnable = {k for k in keys if graph.get(k).is_executable}
        if not runnable:
            raise ConfigError(
                f"{self.where}: selects no asset that Dagster can run in this code location; define the "
                "assets in the Definitions you merge with build_definitions(...), or fix the selection "
                '(the UI\'s asset filter shows what a selection like "group:analytics" matches)'
            )
        looping = sorted(k.to_user_string() for k in runnable & set(guard))
        if looping:
            shown = ", ".join(f'"{k}"' for k in looping[:MAX_LISTED_KEYS])
            raise ConfigError(
                f"{self.where}: selects {shown}, which the sensor also waits for, so each run would "
                "trigger the next; narrow the selection to the assets downstream of the syncs"
            )
        return runnable


def _named_in(selection: dg.AssetSelection) -> tuple[list[dg.AssetKey], list[str]]:
    """The asset keys and groups a selection spells out by name, anywhere in its expression."""
    keys: list[dg.AssetKey] = []
    groups: list[str] = []
    pending = [selection]
    while pending:
        node = pending.pop()
        keys.extend(getattr(node, "selected_keys", None) or ())
        groups.extend(getattr(node, "selected_groups", None) or ())
        wildcard = getattr(node, "selected_key_wildcard", None)
        if wildcard and "*" not in wildcard:
            keys.append(dg.AssetKey(wildcard.split("/")))
        pending.extend(getattr(node, "operands", None) or ())
        child = getattr(node, "child", None)
        if isinstance(child, dg.AssetSelection):
            pending.append(child)
    return list(dict.fromkeys(keys)), list(dict.fromkeys(groups))


def _unknown_names(selection: dg.AssetSelection, graph: BaseAssetGraph) -> list[str]:
    """One problem per key or group the selection names that the code location does not have."""
    keys, groups = _named_in(selection)
    known_keys = graph.get_all_asset_keys()
    known_groups = {graph.get(k).group_name for k in known_keys}
    problems = []
    key_pool = [k.to_user_string() for k in known_keys]
    for key in keys:
        if key not in known_keys:
            text = key.to_user_string()
            problems.append(f'"{text}" is not an asset of this code location; {_fix(text, key_pool)}')
    for group in groups:
        if group not in known_groups:
            pool = sorted(g for g in known_groups if g)
            problems.append(f'no asset of this code location is in group "{group}"; {_fix(group, pool)}')
    return problems


def _fix(word: str, pool: Sequence[str]) -> str:
    near = close_matches(word, pool, n=1)
    if near:
        return f'did you mean "{near[0]}"?'
    return "define it in the Definitions you merge with build_definitions(...), or fix the name"


def _join(items: Sequence[str], last: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {last} " + items[-1]


def _evaluate(
    context: dg.SensorEvaluationContext,
    *,
    name: str,
    upstreams: Sequence[Upstream],
    mode: AfterMode,
    target: _Target,
    request: Callable[[str, set[dg.AssetKey] | None], dg.RunRequest],
) -> dg.SensorResult:
    """One tick of the shared engine: read the latest storage ids, decide, consume, launch or skip."""
    cursor = ChainCursor.parse(context.cursor, sensor_name=name)
    labels = [u.label for u in upstreams]
    guard = {k for u in upstreams for k in u.asset_keys}
    target_keys = target.keys(context, guard)
    latest: dict[dg.AssetKey, int] = {}
    run_of: dict[dg.AssetKey, str] = {}
    for record in context.instance.get_asset_records(list(guard | target_keys)):
        entry = record.asset_entry
        latest[entry.asset_key] = entry.last_materialization_storage_id or 0
        if entry.last_materialization_record is not None:
            run_of[entry.asset_key] = entry.last_materialization_record.event_log_entry.run_id

    # What the target has already seen: the oldest of its assets' latest materializations.
    target_seen = min((latest.get(k, 0) for k in target_keys), default=0)
    consumed = {label: cursor.consumed.get(label, target_seen) for label in labels}
    newest_key = {u.label: max(u.asset_keys, key=lambda k: latest.get(k, 0)) for u in upstreams}
    newest = {label: latest.get(key, 0) for label, key in newest_key.items()}
    updated = [label for label in labels if newest[label] > consumed[label]]
    in_progress: list[str] = []
    if _ready(updated, labels, mode):
        # A run records its streams' materializations one after the other; a tick between two
        # of them must not launch, or the rest of the same sync would launch the target again.
        in_progress = _still_running(context, {label: run_of.get(newest_key[label], "") for label in updated})
        updated = [label for label in updated if label not in in_progress]

    if not _ready(updated, labels, mode):
        strangers = _strangers(context, upstreams, newest)
        return dg.SensorResult(
            skip_reason=dg.SkipReason(_waiting(labels, updated, mode, strangers, in_progress)),
            cursor=ChainCursor(consumed).to_json(),
        )
    for label in updated:
        consumed[label] = newest[label]
    if target_seen > max(newest[label] for label in updated):
        # The target materialized after these updates (e.g. in the same run, or on its own
        # schedule): it already has them, so they are consumed without another run.
        return dg.SensorResult(
            skip_reason=dg.SkipReason(
                f"{_join(updated, 'and')} updated, but the target has materialized since; nothing to launch"
            ),
            cursor=ChainCursor(consumed).to_json(),
        )
    run_key = "-".join(str(consumed[label]) for label in labels)
    return dg.SensorResult(
        run_requests=[request(run_key, target_keys if target.job is None else None)],
        cursor=ChainCursor(consumed).to_json(),
    )


def _ready(updated: Sequence[str], labels: Sequence[str], mode: AfterMode) -> bool:
    return bool(updated) and (mode == "any" or len(updated) == len(labels))


def _still_running(context: dg.SensorEvaluationContext, run_by_label: Mapping[str, str]) -> list[str]:
    """Labels whose newest materialization comes from a run that has not finished (one query)."""
    run_ids = sorted({run_id for run_id in run_by_label.values() if run_id})
    if not run_ids:
        return []  # runless materializations (observer, deferred mode) are complete when recorded
    runs = context.instance.get_runs(filters=dg.RunsFilter(run_ids=run_ids))
    running = {run.run_id for run in runs if not run.is_finished}
    return [label for label, run_id in run_by_label.items() if run_id in running]


def _strangers(
    context: dg.SensorEvaluationContext, upstreams: Sequence[Upstream], newest: Mapping[str, int]
) -> set[str]:
    """Upstreams never materialized whose keys this code location does not define (typos, or
    assets of another code location), so the skip message can say why they may never come."""
    repo = context.repository_def
    if repo is None:
        return set()
    graph = repo.asset_graph
    return {
        u.label for u in upstreams if newest[u.label] == 0 and not any(graph.has(k) for k in u.asset_keys)
    }


def _waiting(
    labels: Sequence[str],
    updated: Sequence[str],
    mode: AfterMode,
    strangers: set[str],
    in_progress: Sequence[str] = (),
) -> str:
    def state(label: str) -> str:
        if label in updated:
            return "updated"
        if label in in_progress:
            return "landing: its run is still in progress"
        if label in strangers:
            return "not yet: never materialized, and no asset of this code location has that key"
        return "not yet"

    if mode == "any":
        named = [
            f"{label} ({state(label)})" if label in strangers or label in in_progress else label
            for label in labels
        ]
        return f"waiting for {_join(named, 'or')} (none updated since the last launch)"
    return "waiting for " + _join([f"{label} ({state(label)})" for label in labels], "and")


def _describe(target_text: str, upstreams: Sequence[Upstream], mode: AfterMode) -> str:
    parts = [
        f"{u.label} (any of its {len(u.asset_keys)} {u.parts})" if len(u.asset_keys) > 1 else u.label
        for u in upstreams
    ]
    if len(parts) == 1:
        when = f"{parts[0]} has a new materialization"
    elif mode == "any":
        when = f"any of {_join(parts, 'or')} has a new materialization"
    else:
        when = f"all of {_join(parts, 'and')} have new materializations"
    return (
        f"Launches {target_text} once each time {when} since its last launch. "
        "Failed syncs record no materialization and never count; materializations reported "
        "without a run (observed or deferred syncs) do."
    )


def build_after_sensor(
    *,
    name: str,
    upstreams: Sequence[Upstream],
    job: dg.UnresolvedAssetJobDefinition | dg.JobDefinition | None = None,
    asset_selection: dg.AssetSelection | None = None,
    mode: AfterMode = "all",
    description: str | None = None,
    default_status: dg.DefaultSensorStatus = dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds: int | None = None,
    target_where: str | None = None,
) -> dg.SensorDefinition:
    """A sensor that launches `job` (or `asset_selection`) once each time its upstreams have landed.

    `mode="all"` waits until every upstream has a new materialization, `"any"` launches on the
    first. Exactly one of `job` and `asset_selection`. A selection is resolved on every tick: keys
    or groups it names that the code location lacks fail the tick with a ConfigError that starts
    with `target_where` (`airbyte_ops.yaml: downstream[0].assets`; default `sensor <name>: target`).

    Example:
        ```python
        import dagster as dg
        from dagster_airbyte_ops import Upstream, build_after_sensor

        sensor = build_after_sensor(
            name="mssql_after_postgres",
            upstreams=[Upstream.asset("public/orders"), Upstream.asset("analytics/fx_rates")],
            job=dg.define_asset_job("mssql_job", selection="group:mssql_s3"),
        )
        ```
    """
    if (job is None) == (asset_selection is None):
        raise ValueError("build_after_sensor: give exactly one of job= and asset_selection=")
    if not upstreams:
        raise ValueError(f"build_after_sensor({name!r}): upstreams must not be empty")
    labels = [u.label for u in upstreams]
    if len(set(labels)) != len(labels):
        raise ValueError(f"build_after_sensor({name!r}): upstream labels must be unique, got {labels}")
    if mode not in ("all", "any"):
        raise ValueError(f"build_after_sensor({name!r}): mode must be 'all' or 'any', got {mode!r}")
    target = _Target(
        job=job,
        selection=asset_selection,
        where=target_where or f"sensor {name}: target",
    )

    def request(run_key: str, keys: set[dg.AssetKey] | None) -> dg.RunRequest:
        if keys is None:
            return dg.RunRequest(run_key=run_key)
        return dg.RunRequest(run_key=run_key, asset_selection=sorted(keys, key=lambda k: tuple(k.path)))

    def evaluate(context: dg.SensorEvaluationContext) -> dg.SensorResult:
        return _evaluate(context, name=name, upstreams=upstreams, mode=mode, target=target, request=request)

    target_text = f"job {job.name}" if job is not None else "its asset selection"
    kwargs: dict[str, object] = {}
    if minimum_interval_seconds is not None:
        kwargs["minimum_interval_seconds"] = minimum_interval_seconds
    return dg.SensorDefinition(
        name=name,
        evaluation_fn=evaluate,
        job=job,
        asset_selection=asset_selection,
        description=description or _describe(target_text, upstreams, mode),
        default_status=default_status,
        **kwargs,  # type: ignore[arg-type]
    )


# ---- from airbyte_ops.yaml ----------------------------------------------------------------------


def after_sensor_name(built: BuiltConnection) -> str:
    """`<slug>_after_sensor`: the sensor that runs `built` after its `after:` upstreams."""
    return f"{built.slug}_after_sensor"


def chain_definitions(config: AirbyteOpsConfig, built: Sequence[BuiltConnection]) -> dg.Definitions:
    """The `after:` and `downstream:` sensors of `config` (a fragment of `build_definitions`).

    Raises:
        ConfigError: an `after:` cycle or self-reference through stream asset keys, an upstream
            connection with no selected streams, or two sensors with one name.
    """
    by_name = connections_by_ref(built)  # plain names, and `instance:name` with instances:
    owner_of_key = {key: item for item in built for key in item.asset_keys}
    problems: list[str] = []
    sensors: list[dg.SensorDefinition] = []
    where_by_sensor: dict[str, str] = {}

    def add(sensor: dg.SensorDefinition, where: str) -> None:
        earlier = where_by_sensor.get(sensor.name)
        if earlier is not None:
            problems.append(
                f'{where}: sensor name "{sensor.name}" is already used by {earlier}; '
                "rename the downstream item (or one of the connections in Airbyte)"
            )
            return
        where_by_sensor[sensor.name] = where
        sensors.append(sensor)

    for item in built:
        entry = item.entry
        if not entry.after:
            continue
        upstreams = _after_upstreams(entry, by_name, problems)
        if upstreams is None:
            continue
        description = _describe(
            f"the sync of {_quoted(item.connection.name)} (job {item.job.name})", upstreams, entry.after_mode
        )
        sensor = build_after_sensor(
            name=after_sensor_name(item),
            upstreams=upstreams,
            job=item.job,
            mode=entry.after_mode,
            description=description,
            target_where=f"{config.source_name}: {entry.path}",
        )
        add(sensor, f"{entry.path} ({_quoted(item.connection.name)})")

    problems.extend(_key_cycles(built, owner_of_key))

    for index, spec in enumerate(config.downstream):
        downstream = _downstream_sensor(config.source_name, index, spec, by_name, problems)
        if downstream is not None:
            add(downstream, f"downstream[{index}]")

    if problems:
        raise config_error(config.source_name, list(dict.fromkeys(problems)))
    return dg.Definitions(sensors=sensors)


def _connection_upstream(
    name: str, where: str, by_name: Mapping[str, BuiltConnection], problems: list[str]
) -> Upstream | None:
    upstream = by_name.get(name)
    if upstream is None:
        # resolve_connections reports names that are not selected; here a selected connection
        # left no assets (every stream deselected in Airbyte), so it can never land.
        problems.append(
            f'{where}: "{name}" has no selected streams, so it never lands; select a stream in '
            "Airbyte or remove it from this list"
        )
        return None
    return Upstream.connection(upstream)


def _after_upstreams(
    entry: ConnectionEntry, by_name: Mapping[str, BuiltConnection], problems: list[str]
) -> list[Upstream] | None:
    where = f"{entry.path}.after"
    upstreams: list[Upstream] = []
    ok = True
    for ref in entry.after:
        if "/" in ref:
            upstreams.append(Upstream.asset(dg.AssetKey(ref.split("/"))))
            continue
        found = _connection_upstream(ref, where, by_name, problems)
        ok = ok and found is not None
        if found is not None:
            upstreams.append(found)
    return upstreams if ok else None


def _key_cycles(
    built: Sequence[BuiltConnection], owner_of_key: Mapping[dg.AssetKey, BuiltConnection]
) -> list[str]:
    """`after:` loops that go through stream asset keys (names alone were checked at load)."""
    graph: dict[str, list[str]] = {}
    where: dict[str, str] = {}
    by_ref = connections_by_ref(built)
    for item in built:
        name = item.label
        where[name] = f"{item.entry.path}.after"
        edges = graph.setdefault(name, [])
        for ref in item.entry.after:
            if "/" not in ref:
                edges.append(by_ref[ref].label if ref in by_ref else ref)
                continue
            owner = owner_of_key.get(dg.AssetKey(ref.split("/")))
            if owner is not None:
                edges.append(owner.label)
    cycle = find_cycle(graph)
    if cycle is None:
        return []
    return [
        f"{where[cycle[0]]}: {describe_cycle(cycle)} (asset keys count as their connection); "
        "remove one of these after: entries"
    ]


def _downstream_sensor(
    source: str,
    index: int,
    spec: DownstreamSpec,
    by_name: Mapping[str, BuiltConnection],
    problems: list[str],
) -> dg.SensorDefinition | None:
    where = f"downstream[{index}]"
    upstreams = [_connection_upstream(name, f"{where}.when", by_name, problems) for name in spec.when]
    present = [u for u in upstreams if u is not None]
    if len(present) != len(upstreams):
        return None
    field_name = "assets" if spec.assets is not None else "groups" if spec.groups is not None else "select"
    return build_after_sensor(
        name=spec.name,
        upstreams=present,
        asset_selection=spec.asset_selection(),
        mode="all",
        description=_describe(f"{where} ({_target_text(spec)})", present, "all"),
        target_where=f"{source}: {where}.{field_name}",
    )


def _target_text(spec: DownstreamSpec) -> str:
    if spec.assets is not None:
        return "assets " + ", ".join(spec.assets)
    if spec.groups is not None:
        return "groups " + ", ".join(spec.groups)
    return f'selection "{spec.select}"'
