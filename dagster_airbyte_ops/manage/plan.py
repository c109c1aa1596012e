"""The diff between the file and Airbyte: per resource create / update (field by field) / replace /
adopt / delete / no change.

Identity: a resource is the one the state file lists for its name; failing that, a resource of that
name made by hand is *adopted* (updated in place, then managed: nothing recreated, sync history kept);
failing that, it is created. Airbyte cannot change a source's or destination's connector, nor a
connection's source or destination: those are a *replace*, which apply does only with `--replace`
because deleting a connection loses its sync state and history. Resources the state lists but the file
no longer declares are deleted only with `--prune`; hand-made resources never are.

Secrets are compared by fingerprint (state.py) and only ever shown as changed or unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ..client import Connection, Destination, Source
from .desired import Desired, DesiredActor, DesiredConnection, check_streams, find_stream, resource_key
from .live import LiveAirbyte
from .state import ManageState

Action = Literal["create", "update", "replace", "adopt", "delete", "no-op"]
MASK = "**********"
_NAMESPACE = {"source": "source", "destination": "destination", "custom_format": "customformat"}


@dataclass
class FieldChange:
    """One field that differs: `before`/`after` are None for secrets (never shown)."""

    path: str
    before: Any
    after: Any
    secret: bool = False
    #: The environment variable the new value comes from: shown by name, never by value.
    after_env: str | None = None


@dataclass
class ResourceChange:
    """What apply will do to one resource."""

    kind: Literal["source", "destination", "connection"]
    name: str
    action: Action
    airbyte_id: str | None = None
    fields: list[FieldChange] = field(default_factory=list)
    reason: str = ""

    @property
    def key(self) -> str:
        return resource_key(self.kind, self.name)


@dataclass
class Plan:
    """The whole diff, the problems that block apply, and notes worth reading."""

    changes: list[ResourceChange]
    problems: list[str]
    notes: list[str]
    desired: Desired
    live: LiveAirbyte
    state: ManageState
    prune: bool

    @property
    def pending(self) -> list[ResourceChange]:
        """Changes apply would make (everything but no-op)."""
        return [c for c in self.changes if c.action != "no-op"]

    def change(self, key: str) -> ResourceChange | None:
        return next((c for c in self.changes if c.key == key), None)


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """`{"a": {"b": 1}}` → `{"a.b": 1}`; lists and empty mappings are leaves."""
    if isinstance(value, Mapping) and value:
        out: dict[str, Any] = {}
        for k, v in value.items():
            out.update(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    return {prefix: value}


def _secret_dotted(actor: DesiredActor) -> set[str]:
    return {".".join(p) for p in actor.secret_paths}


def secret_values(actor: DesiredActor) -> dict[str, Any]:
    """Dotted path → value of each secret the declaration holds (for fingerprints; never printed)."""
    flat = flatten(actor.values)
    return {p: flat[p] for p in _secret_dotted(actor) if p in flat}


def actor_field_changes(
    actor: DesiredActor, live_config: Mapping[str, Any], state: ManageState | None
) -> list[FieldChange]:
    """Field-by-field differences of a source/destination; secrets by fingerprint when `state` is given."""
    secrets = _secret_dotted(actor)
    env_names = {".".join(p): name for p, name in actor.env_paths.items()}
    want = flatten(actor.values)
    have = flatten(dict(live_config or {}))
    changes: list[FieldChange] = []
    for path in sorted(set(want) | set(have)):
        under_secret = path in secrets or have.get(path) == MASK
        if under_secret:
            if path not in want or path not in have:
                changes.append(FieldChange(path, None, None, secret=True))
            elif state is not None:
                managed = state.resources.get(actor.key)
                old = managed.secrets.get(path) if managed else None
                if old != state.fingerprint(actor.key, path, want[path]):
                    changes.append(FieldChange(path, None, None, secret=True))
            continue
        if want.get(path, _ABSENT) != have.get(path, _ABSENT):
            env = env_names.get(path)
            changes.append(FieldChange(path, have.get(path), None if env else want.get(path), after_env=env))
    return changes


_ABSENT = object()


def build_plan(desired: Desired, live: LiveAirbyte, state: ManageState, *, prune: bool) -> Plan:
    """Diff the resolved declarations against Airbyte and the state file (no writes)."""
    plan = Plan([], list(desired.problems), list(desired.notes), desired, live, state, prune)
    by_id_src = {s.id: s for s in live.sources}
    by_id_dst = {d.id: d for d in live.destinations}
    for actor in desired.actors.values():
        plan.changes.append(
            _actor_change(actor, live, state, by_id_src if actor.kind == "source" else by_id_dst, plan)
        )
    for conn in desired.connections.values():
        plan.changes.append(_connection_change(conn, live, state, plan))
    _deletions(plan)
    return plan


def _identify(
    key: str, name: str, kind: str, pool: list[Any], by_id: Mapping[str, Any], state: ManageState, plan: Plan
) -> tuple[Any | None, bool]:
    """(the live resource, adopted?) for a declared name: state first, then a unique hand-made namesake."""
    managed = state.resources.get(key)
    if managed is not None:
        found = by_id.get(managed.id)
        if found is not None:
            return found, False
        plan.notes.append(
            f'{kind} "{name}" ({managed.id}) was deleted outside this file; apply creates it again'
        )
    # Ids the state lists under a name the file still declares are taken; one listed under a name no
    # longer declared may be this resource renamed (in Airbyte and in the file): adopted, not recreated.
    declared = {*plan.desired.actors, *plan.desired.connections}
    owned = {r.id for k, r in state.resources.items() if k in declared}
    namesakes = [r for r in pool if r.name == name and r.id not in owned]
    if len(namesakes) > 1:
        ids = ", ".join(r.id for r in namesakes)
        plan.problems.append(
            f'{kind} "{name}": Airbyte has {len(namesakes)} {kind}s of this name ({ids}); rename or delete '
            "all but one before this file can adopt it"
        )
        return None, False
    return (namesakes[0], True) if namesakes else (None, False)


def _actor_change(
    actor: DesiredActor, live: LiveAirbyte, state: ManageState, by_id: Mapping[str, Any], plan: Plan
) -> ResourceChange:
    pool: list[Source] | list[Destination] = live.actors(actor.kind)
    found, adopted = _identify(actor.key, actor.name, actor.kind, list(pool), by_id, state, plan)
    change = ResourceChange(actor.kind, actor.name, "create")
    if found is None:
        return change
    change.airbyte_id = found.id
    if found.definition_id and found.definition_id != actor.definition.id:
        change.action = "replace"
        change.reason = (
            f"the connector changes to {actor.definition.name}, which Airbyte cannot do in place"
            if not adopted
            else "a resource of this name made by hand uses another connector"
        )
        if adopted:
            plan.problems.append(
                f'{actor.where}.name: a {actor.kind} "{actor.name}" made by hand uses another connector; '
                "rename the declaration or delete that one in Airbyte"
            )
        _unmanaged_users(plan, actor.kind, actor.name, found.id, "replacing")
        return change
    change.fields = actor_field_changes(actor, found.configuration or {}, state)
    if adopted:
        change.action = "adopt"
        change.reason = "made by hand; apply updates it in place and manages it from now on"
    else:
        change.action = "update" if change.fields else "no-op"
    return change


def desired_schedule(conn: DesiredConnection) -> tuple[str, str | None, str | None]:
    sched = conn.declaration.airbyte_schedule
    return ("cron", sched.cron, sched.timezone) if sched else ("manual", None, None)


def connection_field_changes(conn: DesiredConnection, found: Connection) -> list[FieldChange]:
    """Differences of a declared connection's settings and streams (stream validity is checked apart)."""
    d = conn.declaration
    changes: list[FieldChange] = []

    def compare(path: str, before: Any, after: Any) -> None:
        if before != after:
            changes.append(FieldChange(path, before, after))

    compare("status", found.status, d.status)
    compare("prefix", found.prefix or "", d.prefix)
    compare("namespace", found.namespace_definition, _NAMESPACE[d.namespace])
    if d.namespace == "custom_format":
        compare("namespace_format", found.namespace_format, d.namespace_format)
    kind, cron, tz = desired_schedule(conn)
    compare("airbyte_schedule.type", found.schedule.schedule_type, kind)
    if kind == "cron":
        compare("airbyte_schedule.cron", found.schedule.cron_expression, cron)
        compare("airbyte_schedule.timezone", found.schedule.timezone, tz)
    live_streams = [s for s in found.streams if s.selected]
    for decl in d.streams:
        match = find_stream(decl, live_streams)
        label = f"streams.{decl.name}"
        if match is None:
            changes.append(FieldChange(label, None, decl.sync_mode))
            continue
        compare(f"{label}.sync_mode", match.public_sync_mode, decl.sync_mode)
        if decl.cursor_field and match.sync_mode == "incremental":
            compare(f"{label}.cursor_field", match.cursor_field, decl.cursor_field)
        if decl.primary_key:
            compare(f"{label}.primary_key", match.primary_key, decl.primary_key)
    declared = {(s.name) for s in d.streams}
    for s in live_streams:
        if s.name not in declared:
            changes.append(FieldChange(f"streams.{s.name}", s.public_sync_mode, None))
    return changes


def _connection_change(
    conn: DesiredConnection, live: LiveAirbyte, state: ManageState, plan: Plan
) -> ResourceChange:
    by_id = {c.id: c for c in live.connections}
    found, adopted = _identify(conn.key, conn.name, "connection", live.connections, by_id, state, plan)
    change = ResourceChange("connection", conn.name, "create")
    src = plan.change(resource_key("source", conn.declaration.source))
    dst = plan.change(resource_key("destination", conn.declaration.destination))
    _check_streams_now(conn, plan, src)
    if found is None:
        return change
    change.airbyte_id = found.id
    endpoints_replaced = any(c is not None and c.action in ("replace", "create") for c in (src, dst))
    moved = (src is not None and src.airbyte_id not in (None, found.source_id)) or (
        dst is not None and dst.airbyte_id not in (None, found.destination_id)
    )
    if endpoints_replaced or moved:
        change.action = "replace"
        change.reason = "its source or destination changes, which Airbyte cannot do in place"
        return change
    change.fields = connection_field_changes(conn, found)
    if adopted:
        change.action = "adopt"
        change.reason = "made by hand; apply updates it in place and manages it from now on"
    else:
        change.action = "update" if change.fields else "no-op"
    return change


def _check_streams_now(conn: DesiredConnection, plan: Plan, src: ResourceChange | None) -> None:
    """Check streams against the catalog now when the source exists; else say when they will be."""
    if src is None or src.airbyte_id is None or src.action == "replace":
        plan.notes.append(
            f"{conn.where}.declare.streams: checked against the source's discovered catalog during apply, "
            "once the source exists (before the connection is written)"
        )
        return
    discovered = plan.live.client.discover_schema(src.airbyte_id)
    dst_actor = plan.desired.actors.get(resource_key("destination", conn.declaration.destination))
    modes = None
    if dst_actor is not None:
        spec = plan.live.specification("destination", dst_actor.definition.id)
        modes = spec.supported_destination_sync_modes if spec is not None else None
    plan.problems.extend(check_streams(conn, discovered, modes))


def _unmanaged_users(plan: Plan, kind: str, name: str, actor_id: str, doing: str) -> bool:
    """Refuse to delete a source/destination that a connection this file does not manage uses."""
    managed = {r.id for r in plan.state.resources.values()}
    users = [
        c
        for c in plan.live.connections
        if actor_id in (c.source_id, c.destination_id) and c.id not in managed and c.status != "deprecated"
    ]
    if users:
        plan.problems.append(
            f'{kind} "{name}": connection "{users[0].name}", which this file does not manage, uses it; '
            f"{doing} it would disable that connection: delete or re-point the connection first"
        )
    return bool(users)


def _deletions(plan: Plan) -> None:
    """Managed resources no longer declared: deleted with --prune, reported otherwise."""
    declared = {c.key for c in plan.changes}
    live_ids = {s.id for s in plan.live.sources} | {d.id for d in plan.live.destinations}
    live_ids |= {c.id for c in plan.live.connections}
    order = {"connection": 0, "destination": 1, "source": 2}
    orphans = sorted(
        (k for k in plan.state.resources if k not in declared),
        key=lambda k: (order.get(k.split("/")[0], 3), k),
    )
    claimed = {c.airbyte_id for c in plan.changes if c.airbyte_id}
    for key in orphans:
        kind, name = key.split("/", 1)
        managed = plan.state.resources[key]
        if managed.id in claimed:  # renamed: the declaration under its new name manages it now
            continue
        if managed.id not in live_ids:
            plan.notes.append(f'{kind} "{name}" is no longer declared and already gone from Airbyte')
            continue
        if not plan.prune:
            plan.notes.append(f'{kind} "{name}" is no longer declared; apply --prune deletes it')
            continue
        if kind in ("source", "destination") and _unmanaged_users(plan, kind, name, managed.id, "deleting"):
            continue
        plan.changes.append(ResourceChange(kind, name, "delete", managed.id))  # type: ignore[arg-type]
