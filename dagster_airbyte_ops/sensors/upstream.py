"""The upstream-sensor engine: launch work when upstream assets have landed (`after:`, `downstream:`).

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

`after:` sensors (after.py) launch a run of the shared `airbyte_sync_job` selecting the connection's
streams; `downstream:`
sensors (downstream.py) launch an asset selection of the user's assets, resolved against the code
location's assets on each tick (upstream_target.py) so that a key or group that does not exist fails
the tick with a message naming the field.

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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import dagster as dg

from ..assets.built_connection import BuiltConnection
from ..errors import AirbyteOpsError
from .upstream_target import SensorTarget

AfterMode = Literal["all", "any"]
CURSOR_VERSION = 1


def quoted(name: str) -> str:
    """A connection name in curly quotes, as skip messages and descriptions show it."""
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
        return cls(label=quoted(built.label), asset_keys=tuple(built.asset_keys), parts="streams")


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
    target: SensorTarget,
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


def describe_upstreams(target_text: str, upstreams: Sequence[Upstream], mode: AfterMode) -> str:
    """The sensor description: what it launches, and when."""
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
    run_asset_keys: Sequence[dg.AssetKey] | None = None,
    run_tags: Mapping[str, str] | None = None,
) -> dg.SensorDefinition:
    """A sensor that launches `job` (or `asset_selection`) once each time its upstreams have landed.

    `mode="all"` waits until every upstream has a new materialization, `"any"` launches on the
    first. Exactly one of `job` and `asset_selection`. With `job`, `run_asset_keys` makes each run
    select those assets of it (default: the whole job); `run_tags` go on every run. A selection is
    resolved on every tick: keys or groups it names that the code location lacks fail the tick with
    a ConfigError that starts with `target_where` (`airbyte_ops.yaml: downstream[0].assets`;
    default `sensor <name>: target`).

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
    if run_asset_keys is not None and job is None:
        raise ValueError(f"build_after_sensor({name!r}): run_asset_keys= selects assets of job=; give job=")
    target = SensorTarget(
        job=job,
        selection=asset_selection,
        where=target_where or f"sensor {name}: target",
        job_keys=tuple(run_asset_keys) if run_asset_keys is not None else None,
    )
    tags = dict(run_tags or {})

    def request(run_key: str, keys: set[dg.AssetKey] | None) -> dg.RunRequest:
        if keys is None and run_asset_keys is None:
            return dg.RunRequest(run_key=run_key, tags=tags)
        chosen = keys if keys is not None else set(run_asset_keys or ())
        return dg.RunRequest(
            run_key=run_key, asset_selection=sorted(chosen, key=lambda k: tuple(k.path)), tags=tags
        )

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
        description=description or describe_upstreams(target_text, upstreams, mode),
        default_status=default_status,
        **kwargs,  # type: ignore[arg-type]
    )


def connection_upstream(
    name: str, where: str, by_name: Mapping[str, BuiltConnection], problems: list[str]
) -> Upstream | None:
    """The upstream for connection `name` (an `after:` or `when:` item), or None with a problem added."""
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
