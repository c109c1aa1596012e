"""Adopting Airbyte's own schedules: `schedule: from_airbyte` connections handed over to Dagster.

A connection with `schedule: from_airbyte` gets a Dagster schedule equal to the one it has in
Airbyte, created stopped: while Airbyte's scheduler still runs the connection, a running Dagster
schedule would sync it twice. Adopting switches the connection to `manual` in Airbyte so that
Dagster's schedule can run alone.

Once a connection is manual in Airbyte there is nothing left for `from_airbyte` to read, so the
cron has to move into `airbyte_ops.yaml`: `adoption_yaml` prints the lines that replace
`schedule: from_airbyte` (with the same schedule name, so a schedule already started in the UI
stays started). The plan is computed from what Airbyte says now, which makes adopting idempotent:
a connection that is already manual is "nothing to do".

Schedules are made by the same code as the code location's (`build_schedules`), so the plan shows
exactly the schedule name, cron, time zone and description Dagster will have, and refuses exactly
the Airbyte schedules the code location refuses.

Example:
    ```python
    from dagster_airbyte_ops.schedules.adopt import apply_adoption, plan_adoption
    from dagster_airbyte_ops.config import load_config
    from dagster_airbyte_ops.definitions import build_load_time_resource

    config = load_config()
    client = build_load_time_resource(config).get_client()
    plan = plan_adoption(config, client.list_connections(client.list_workspaces()[0].id))
    for adoption, outcome in apply_adoption(client, plan):
        print(adoption.connection.name, outcome)
    ```
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from ..assets.translator import slugify
from ..client import AirbyteClient
from ..client.models import Connection, ConnectionSchedule
from ..config import (
    AirbyteOpsConfig,
    ConnectionEntry,
    describe_cron,
    resolve_connections,
    resolve_instance_connections,
)
from ..errors import AirbyteOpsError
from .schedule_builder import ScheduledConnection, build_schedules

Action = Literal["adopt", "nothing", "error"]
ACTION_WORDS: dict[Action, str] = {
    "adopt": "set to manual in Airbyte",
    "nothing": "nothing to do (manual in Airbyte)",
    "error": "none (error, see below)",
}


@dataclass(frozen=True)
class Adoption:
    """One `from_airbyte` connection: its Airbyte schedule now, the Dagster schedule it becomes."""

    entry: ConnectionEntry
    connection: Connection
    schedule_name: str | None = None
    cron: str | None = None
    timezone: str | None = None
    description: str | None = None  # the cron in words, as the Dagster schedule's description says
    problem: str | None = None

    @property
    def action(self) -> Action:
        """What `--apply` does to this connection."""
        if self.problem is not None:
            return "error"
        if self.connection.schedule.schedule_type == "manual":
            return "nothing"
        return "adopt"

    @property
    def airbyte_schedule(self) -> str:
        """The connection's schedule in Airbyte, in words."""
        return describe_airbyte_schedule(self.connection.schedule)

    @property
    def dagster_schedule(self) -> str:
        """`0 2 * * * (UTC)`, or `-` when there is none."""
        return f"{self.cron} ({self.timezone})" if self.cron else "-"


def describe_airbyte_schedule(schedule: ConnectionSchedule) -> str:
    """`Quartz cron "0 0 2 * * ?" (UTC)`, `basic: every 6 hours` or `manual`."""
    if schedule.schedule_type == "cron":
        return f'Quartz cron "{schedule.cron_expression}" ({schedule.timezone or "UTC"})'
    if schedule.schedule_type == "basic":
        return f"basic: every {schedule.basic_units} {schedule.basic_time_unit}"
    return "manual"


def plan_adoption(
    config: AirbyteOpsConfig,
    connections: Iterable[Connection] | Mapping[str | None, Iterable[Connection]],
) -> list[Adoption]:
    """One `Adoption` per connection selected by an entry with `schedule: from_airbyte`, in file order.

    `connections` is the workspace's connections, or, for a file with `instances:`, a mapping of
    instance name to that instance's connections.

    Raises:
        ConfigError: the configuration does not match the workspace (see `resolve_connections`).
    """
    if isinstance(connections, Mapping):
        pairs = resolve_instance_connections(config, connections)
    else:
        pairs = resolve_connections(config, connections)
    plan = []
    for entry, connection in pairs:
        if not entry.schedule_from_airbyte:
            continue
        if connection.schedule.schedule_type == "manual":
            plan.append(Adoption(entry=entry, connection=connection))
            continue
        try:
            built = build_schedules(
                config=config,
                scheduled=[
                    ScheduledConnection(
                        entry=entry,
                        connection=connection,
                        asset_keys=[],
                        slug=config.instance_of(entry).slug_prefix + slugify(connection.name),
                    )
                ],
            )
        except AirbyteOpsError as error:
            plan.append(Adoption(entry=entry, connection=connection, problem=str(error)))
            continue
        [schedule] = built.schedules
        plan.append(
            Adoption(
                entry=entry,
                connection=connection,
                schedule_name=schedule.name,
                cron=str(schedule.cron_schedule),
                timezone=schedule.execution_timezone or "UTC",
                description=describe_cron(str(schedule.cron_schedule)),
            )
        )
    return plan


def apply_adoption(client: AirbyteClient, plan: Sequence[Adoption]) -> list[tuple[Adoption, str]]:
    """Set every `adopt` connection of `plan` to manual in Airbyte; the outcome of each, in words.

    One connection failing (Airbyte refuses, or answers with a schedule that is not manual) does
    not stop the others; its outcome starts with "error:".
    """
    outcomes = []
    for adoption in plan:
        if adoption.action == "nothing":
            outcomes.append((adoption, "nothing to do: already manual in Airbyte"))
            continue
        if adoption.action == "error":
            outcomes.append((adoption, "not changed: its schedule cannot be adopted (see the error)"))
            continue
        try:
            updated = client.update_connection(adoption.connection.id, schedule=ConnectionSchedule.manual())
        except AirbyteOpsError as error:
            outcomes.append((adoption, f"error: Airbyte refused the update: {error}"))
            continue
        if updated.schedule.schedule_type != "manual":
            outcomes.append(
                (adoption, f"error: Airbyte still reports {describe_airbyte_schedule(updated.schedule)}")
            )
            continue
        outcomes.append((adoption, f"set to manual in Airbyte (was {adoption.airbyte_schedule})"))
    return outcomes


def adoption_yaml(adoptions: Iterable[Adoption]) -> str:
    """The `airbyte_ops.yaml` lines that replace `schedule: from_airbyte` for adopted connections.

    The schedule keeps its generated name and is `enabled: true`: once Airbyte no longer runs the
    connection, Dagster's schedule is the one that must.
    """
    lines = []
    for adoption in adoptions:
        if adoption.cron is None:
            continue
        entry = adoption.entry
        key = entry.selector[0]
        schedule = f'schedule: {{cron: "{adoption.cron}", timezone: {adoption.timezone}, enabled: true}}'
        comment = f"  # {adoption.description}; was Airbyte's {adoption.airbyte_schedule}"
        if key == "match":
            lines.append(
                f'# {entry.describe()} selects "{adoption.connection.name}": give it an entry of its own '
                "(and narrow the match so it is selected once):"
            )
            lines.append(f'- name: "{adoption.connection.name}"')
            lines.append(f"  {schedule}{comment}")
        else:
            lines.append(f"# {entry.describe()}: replace schedule: from_airbyte with")
            lines.append(f"  {schedule}{comment}")
    return "\n".join(lines)


def render_plan(plan: Sequence[Adoption]) -> list[str]:
    """The plan as an aligned table (what `airbyte-ops adopt-schedules` prints first)."""
    rows = [("CONNECTION", "AIRBYTE NOW", "DAGSTER SCHEDULE", "CRON (TIME ZONE)", "IN WORDS", "ACTION")]
    for adoption in plan:
        rows.append(
            (
                adoption.connection.name,
                adoption.airbyte_schedule,
                adoption.schedule_name or "-",
                adoption.dagster_schedule,
                adoption.description or "-",
                ACTION_WORDS[adoption.action],
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]


def adopt_schedules(
    config: AirbyteOpsConfig,
    client: AirbyteClient | Mapping[str | None, AirbyteClient],
    connections: Iterable[Connection] | Mapping[str | None, Iterable[Connection]],
    *,
    apply: bool,
    echo: Callable[[str], None] = print,
) -> int:
    """Print the plan, and with `apply` carry it out; 0 when every connection could be adopted, else 1.

    With `instances:`, `client` and `connections` map each instance name to its client and connections.
    """
    plan = plan_adoption(config, connections)
    if not plan:
        echo(f"{config.source_name}: no connection entry has schedule: from_airbyte; nothing to adopt.")
        return 0
    for line in render_plan(plan):
        echo(line)
    errors = [a for a in plan if a.action == "error"]
    to_adopt = [a for a in plan if a.action == "adopt"]
    if errors:
        echo("")
        echo("Errors (these connections are left as they are):")
        for adoption in errors:
            echo(f"  {adoption.problem}")
    echo("")
    if not apply:
        if to_adopt:
            echo(
                f"Nothing changed yet: run again with --apply to set {len(to_adopt)} connection(s) to "
                "manual in Airbyte."
            )
        else:
            echo("Nothing to adopt.")
        return 1 if errors else 0
    failed = bool(errors)
    adopted = []
    clients = (
        client if isinstance(client, Mapping) else {entry.instance: client for entry in config.connections}
    )
    outcomes = [
        pair
        for instance, instance_client in clients.items()
        for pair in apply_adoption(instance_client, [a for a in plan if a.entry.instance == instance])
    ]
    for adoption, outcome in outcomes:
        echo(f"{adoption.connection.name}: {outcome}")
        failed = failed or outcome.startswith("error:")
        if outcome.startswith("set to manual"):
            adopted.append(adoption)
    if adopted:
        echo("")
        echo(
            f"Airbyte no longer schedules these connections. In {config.source_name}, write their "
            "schedules in place of schedule: from_airbyte (there is nothing left in Airbyte to read), "
            "then reload the code location; the Dagster schedules start running:"
        )
        echo(adoption_yaml(adopted))
    return 1 if failed else 0
