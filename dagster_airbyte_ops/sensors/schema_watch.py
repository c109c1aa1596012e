"""The observer's schema part: Airbyte's schema state as check results, and breaking changes as alerts.

Each observer tick reads what Airbyte already stores, never running a discover:
`web_backend/connections/list` (one request per workspace) gives every connection's `schemaChange` and
status; a connection reporting a change costs two more requests (its web_backend read and its source's
latest catalog) to say what changed. So a tick costs 1 request, plus 2 per connection with a pending
change. Config API only (the public API does not say whether a schema changed).

Results are reported as `airbyte_schema` check evaluations when a connection's state changes (a
connection that never changed is left to the checks its syncs evaluate), not at every tick. A breaking
change, or a connection Airbyte disabled because of a schema change, is posted to the webhooks once
per distinct change (the cursor remembers it), with the diff: stream and column names and types,
never a secret.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import dagster as dg

from ..client._jobs_extra import schema_report, workspace_schema_changes
from ..client._schema import SchemaReport, no_change_report
from ..config import Webhook
from ..errors import AirbyteApiError
from ..resource.airbyte_resource import AirbyteResource
from .job_recording import WatchedConnection
from .webhooks import SyncAlert, send_alert

SchemaEvaluations = Callable[[SchemaReport, Mapping[str, dg.AssetKey]], list[dg.AssetCheckEvaluation]]


@dataclass(frozen=True)
class SchemaAlert(SyncAlert):
    """A schema change that stops a connection, as a `failed` alert (webhooks subscribed to failures)."""

    schema_change: str = "breaking"
    diff: tuple[dict[str, object], ...] = ()
    status: str = "inactive"

    def text(self) -> str:
        return (
            f"Airbyte connection \u201c{self.connection_name}\u201d is {self.status}: {self.message} "
            "Review the change in Airbyte and enable the connection (or apply its file, if managed as code)."
        )

    def payload(self) -> dict[str, object]:
        return {
            **super().payload(),
            "text": self.text(),
            "kind": "schema_change",
            "schema_change": self.schema_change,
            "connection_status": self.status,
            "diff": list(self.diff),
        }


@dataclass
class SchemaWatchState:
    """Per connection: the fingerprint last reported as check results, and the one last alerted."""

    reported: dict[str, str] = field(default_factory=dict)
    alerted: dict[str, str] = field(default_factory=dict)


def _alertable(report: SchemaReport) -> bool:
    return report.breaking or (report.disabled and report.schema_change == "non_breaking")


def schema_tick(
    airbyte: AirbyteResource,
    connections: Sequence[WatchedConnection],
    *,
    workspace_id: str | None,
    webhooks: Sequence[Webhook],
    state: SchemaWatchState,
    log: logging.Logger | dg.DagsterLogManager,
    evaluate: SchemaEvaluations | None = None,
) -> list[dg.AssetCheckEvaluation]:
    """One tick: the check evaluations to report (state updated in place; alerts sent). Never raises.

    `evaluate` is checks/schema.py's `check_evaluations` (definitions passes it); without it the tick
    only alerts."""
    client = airbyte.get_client()
    if client.api != "config" or not connections:
        return []
    try:
        listing = workspace_schema_changes(client, workspace_id or airbyte.resolved_workspace_id() or "")
    except AirbyteApiError as error:
        log.warning(f"Schema checks not evaluated this tick: {error}")
        return []
    evaluations: list[dg.AssetCheckEvaluation] = []
    unreachable: set[int] = set()
    for item in connections:
        connection = item.connection
        listed = listing.get(connection.id)
        if listed is None:
            continue
        change, status = listed
        if change == "no_change" and status == "active":
            report = no_change_report(connection.id, connection.name, status)
        else:
            try:
                report = schema_report(client, connection.id)
            except AirbyteApiError as error:
                log.warning(f"Schema of connection {connection.name} not read this tick: {error}")
                continue
        fingerprint = report.fingerprint()
        previous = state.reported.get(connection.id)
        quiet = previous is None and report.schema_change == "no_change" and report.status == "active"
        if previous != fingerprint and not quiet and evaluate is not None:  # unchanged ones: nothing to say
            evaluations.extend(evaluate(report, _keys(item)))
        state.reported[connection.id] = fingerprint
        if not _alertable(report):
            state.alerted.pop(connection.id, None)
        elif state.alerted.get(connection.id) != fingerprint:
            cause = "a breaking schema change" if report.breaking else "a schema change (preference: disable)"
            send_alert(
                webhooks,
                SchemaAlert(
                    event="failed",
                    connection_name=connection.name,
                    connection_id=connection.id,
                    message=f"Airbyte disabled it because of {cause}: {report.summary()}.",
                    origin="airbyte",
                    schema_change=report.schema_change or "unknown",
                    diff=tuple(report.diff_json()),
                    status=report.status,
                ),
                log=log if isinstance(log, logging.Logger) else None,
                unreachable=unreachable,
            )
            state.alerted[connection.id] = fingerprint
    return evaluations


def _keys(item: WatchedConnection) -> Mapping[str, dg.AssetKey]:
    return item.keys_by_stream
