"""Apply a plan in dependency order, recording each step in the state file as soon as it is done.

Order: pruned connections, then pruned destinations and sources; replacements (their connections
first, then the old source/destination); sources and destinations (create, update, adopt; each
optionally checked with `check_connection`); then connections (the source's catalog discovered and the
declared streams checked against it before the connection is written). Each finished step is saved to
the state file before the next begins, so a failure half-way leaves a state that says what exists, and
running apply again continues from there: apply is idempotent and converges.

Airbyte refusing a configuration (the public API, where nothing was checked before) is reported as the
resource's field path and Airbyte's own message, one line per error it listed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from ..client import ConnectionSchedule
from ..errors import AirbyteApiError, ConfigError
from .desired import DesiredActor, DesiredConnection, check_streams, desired_streams, resource_key
from .plan import Plan, ResourceChange, desired_schedule, secret_values
from .state import ManagedResource

_NAMESPACE = {"source": "source", "destination": "destination", "custom_format": "customformat"}


class ApplyError(ConfigError):
    """A step of apply failed; everything before it is done and recorded."""


@dataclass
class ApplyReport:
    """What apply did, one line per step, for the terminal."""

    lines: list[str] = field(default_factory=list)


def refusals(plan: Plan, *, allow_replace: bool) -> list[str]:
    """Why apply must not start: plan problems, or replacements without --replace."""
    out = list(plan.problems)
    if not allow_replace:
        for c in plan.changes:
            if c.action == "replace":
                out.append(
                    f'{c.kind} "{c.name}": {c.reason}; rerun with --replace to delete and recreate it '
                    "(its connections lose their sync state and history)"
                )
    return out


def apply_plan(plan: Plan, *, allow_replace: bool = False, say: Callable[[str], None] = print) -> ApplyReport:
    """Make Airbyte match the file. Raises ApplyError at the first failed step (earlier steps kept)."""
    blocked = refusals(plan, allow_replace=allow_replace)
    if blocked:
        raise ApplyError("\n".join(blocked))
    report = ApplyReport()
    state = plan.state
    declared = {*plan.desired.actors, *plan.desired.connections}
    state.workspace_id = plan.live.workspace_id

    def done(line: str) -> None:
        # A resource adopted under a new name drops its old entry (same id): one name per id.
        owners: dict[str, str] = {}
        for key in [k for k in state.resources if k in declared] + [
            k for k in state.resources if k not in declared
        ]:
            rid = state.resources[key].id
            if rid in owners:
                del state.resources[key]
            else:
                owners[rid] = key
        state.save()
        report.lines.append(line)
        say(line)

    for change in [c for c in plan.changes if c.action == "delete"]:
        _delete(plan, change)
        state.resources.pop(change.key, None)
        done(f'deleted {change.kind} "{change.name}"')
    for change in [c for c in plan.changes if c.action == "replace" and c.kind == "connection"]:
        _delete(plan, change)
        state.resources.pop(change.key, None)
        done(f'deleted connection "{change.name}" (to be recreated)')
    for change in [c for c in plan.changes if c.action == "replace" and c.kind != "connection"]:
        _delete(plan, change)
        state.resources.pop(change.key, None)
        done(f'deleted {change.kind} "{change.name}" (to be recreated)')
    for kind in ("source", "destination"):
        for change in [c for c in plan.changes if c.kind == kind and c.action != "delete"]:
            actor = plan.desired.actors[change.key]
            if change.action == "no-op":
                continue
            done(_write_actor(plan, change, actor))
    for change in [c for c in plan.changes if c.kind == "connection" and c.action != "delete"]:
        if change.action == "no-op":
            continue
        done(_write_connection(plan, change, plan.desired.connections[change.key]))
    return report


def _delete(plan: Plan, change: ResourceChange) -> None:
    client, rid = plan.live.client, change.airbyte_id or ""
    try:
        if change.kind == "connection":
            client.delete_connection(rid)
        elif change.kind == "source":
            client.delete_source(rid)
        else:
            client.delete_destination(rid)
    except AirbyteApiError as exc:
        if exc.status != 404:  # already gone: the goal is reached
            raise ApplyError(f'{change.kind} "{change.name}": delete failed: {exc}') from None


def airbyte_refusal(where: str, exc: AirbyteApiError) -> ApplyError:
    """Airbyte's 422 on a configuration as `where.field: message` lines (the checks it ran, our words)."""
    text = exc.airbyte_message or str(exc)
    # Airbyte joins the errors with ", " and each starts with its JSON path: `$.port: string found, ...`.
    found = re.findall(r"\$\.([\w.\[\]]+): (.*?)(?=, \$\.|\s*\n|\s*$)", text)
    if found:
        return ApplyError(
            "\n".join(f"{where}.{path}: Airbyte refused it: {msg.strip()}" for path, msg in found)
        )
    return ApplyError(f"{where}: Airbyte refused it: {text}")


def _write_actor(plan: Plan, change: ResourceChange, actor: DesiredActor) -> str:
    client, state = plan.live.client, plan.state
    try:
        if change.action in ("create", "replace") or change.airbyte_id is None:
            create = client.create_source if actor.kind == "source" else client.create_destination
            made = create(plan.live.workspace_id, actor.name, actor.definition.id, actor.values)
            rid, verb = made.id, "created"
        else:
            update = client.update_source if actor.kind == "source" else client.update_destination
            update(change.airbyte_id, configuration=actor.values, replace_configuration=True)
            rid, verb = change.airbyte_id, "adopted and updated" if change.action == "adopt" else "updated"
    except AirbyteApiError as exc:
        if exc.status == 422:
            raise airbyte_refusal(f"{actor.where}.configuration", exc) from None
        raise ApplyError(f'{actor.kind} "{actor.name}": Airbyte refused the write: {exc}') from None
    secrets = {p: state.fingerprint(actor.key, p, v) for p, v in secret_values(actor).items()}
    state.resources[actor.key] = ManagedResource(id=rid, secrets=secrets)
    change.airbyte_id = rid
    line = f'{verb} {actor.kind} "{actor.name}" ({rid})'
    if actor.check:
        state.save()
        try:
            check = client.check_source(rid) if actor.kind == "source" else client.check_destination(rid)
        except AirbyteApiError as exc:
            if exc.status is not None:
                raise
            return line + ", not checked (this API has no connection check)"
        if check.status != "succeeded":
            raise ApplyError(
                f"{actor.where}: {line}, but Airbyte cannot connect with it: {check.message}; fix the "
                "configuration and apply again (or set check: false to skip the check)"
            )
        line += ", connection check succeeded"
    return line


def _write_connection(plan: Plan, change: ResourceChange, conn: DesiredConnection) -> str:
    client, state = plan.live.client, plan.state
    d = conn.declaration
    src = state.resources.get(resource_key("source", d.source))
    dst = state.resources.get(resource_key("destination", d.destination))
    if src is None or dst is None:
        raise ApplyError(f"{conn.where}.declare: its source or destination was not written; apply again")
    discovered = client.discover_schema(src.id)
    dst_actor = plan.desired.actors.get(resource_key("destination", d.destination))
    spec = plan.live.specification("destination", dst_actor.definition.id) if dst_actor else None
    problems = check_streams(conn, discovered, spec.supported_destination_sync_modes if spec else None)
    if problems:
        raise ApplyError("\n".join(problems))
    streams = desired_streams(conn, discovered)
    kind, cron, tz = desired_schedule(conn)
    schedule = (
        ConnectionSchedule.cron(cron or "", tz or "UTC") if kind == "cron" else ConnectionSchedule.manual()
    )
    try:
        if change.action in ("create", "replace") or change.airbyte_id is None:
            made = client.create_connection(
                src.id,
                dst.id,
                name=conn.name,
                streams=streams,
                schedule=schedule,
                status=d.status,
                namespace_definition=_NAMESPACE[d.namespace],  # type: ignore[arg-type]
                namespace_format=d.namespace_format,
                prefix=d.prefix,
            )
            rid, verb = made.id, "created"
        else:
            client.update_connection(
                change.airbyte_id,
                status=d.status,
                schedule=schedule,
                streams=streams,
                namespace_definition=_NAMESPACE[d.namespace],  # type: ignore[arg-type]
                namespace_format=d.namespace_format,
                prefix=d.prefix,
            )
            rid, verb = change.airbyte_id, "adopted and updated" if change.action == "adopt" else "updated"
    except AirbyteApiError as exc:
        raise ApplyError(f'{conn.where}: Airbyte refused connection "{conn.name}": {exc}') from None
    state.resources[conn.key] = ManagedResource(id=rid)
    return f'{verb} connection "{conn.name}" ({rid})'
