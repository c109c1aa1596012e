"""Refresh, clear, schema reads and a sync trigger that recognises a disabled connection at once.

Each exists on the two APIs to the extent Airbyte allows (docs/schema-changes.md):

- refresh: Config API ``connections/refresh`` only; Airbyte's public API refuses every refresh with a
  422 ("Refreshes are not supported in the public API"), so it is refused here before any request;
- clear: Config API ``connections/clear`` and ``connections/clear/stream``; public ``POST /jobs``
  ``jobType: clear`` (whole connections only: that API names no streams);
- schema reads: Config API only (``web_backend`` reads, the source's most recent catalog).

The sync trigger asks once without retries: when Airbyte refuses the connection (a 5xx on the Config
API, a ``state-conflict`` 409 on the public one), the connection is read, and an inactive one fails
now with :class:`ConnectionInactiveError` instead of after the retry budget.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

from ..errors import AirbyteApiError, ConfigError
from ._client import AirbyteClient
from ._errors import conflict_error, outcome_unknown
from ._schema import SchemaChange, SchemaReport, report_from_config_api, report_from_connection
from ._transport import should_retry
from .models import Job

RefreshMode = Literal["merge", "truncate"]
PUBLIC_REFRESH_REFUSAL = "Refreshes are not supported in the public API"


class ConnectionInactiveError(AirbyteApiError):
    """Airbyte refused a sync because the connection is not active (disabled, by hand or by Airbyte)."""

    def __init__(self, message: str, *, connection_id: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.connection_id = connection_id


def _streams_body(streams: Sequence[str] | None) -> list[dict[str, str]]:
    return [{"streamName": name} for name in streams or ()]


def trigger_refresh(
    client: AirbyteClient, connection_id: str, *, streams: Sequence[str] | None = None, mode: RefreshMode
) -> Job:
    """Start a refresh of some streams (None: all); Config API only."""
    if mode not in ("merge", "truncate"):
        raise ConfigError(f"refresh mode: {mode!r} is not merge or truncate")
    if client.api != "config":
        raise ConfigError(
            f"Cannot refresh connection {connection_id} through Airbyte's public API: Airbyte refuses it "
            f'("{PUBLIC_REFRESH_REFUSAL}"). Nothing was triggered. Use api: config (self-hosted Airbyte '
            "with its Config API), or clear the streams and sync them again, or refresh in Airbyte's UI."
        )
    body: dict[str, Any] = {"connectionId": connection_id, "refreshMode": mode.capitalize()}
    if streams:
        body["streams"] = _streams_body(streams)
    try:
        answer = client.transport.post("connections/refresh", body)
    except AirbyteApiError as exc:
        if exc.status == 409:
            raise conflict_error(exc, connection_id, "refresh") from None
        raise
    job = (answer or {}).get("job") if isinstance(answer, dict) else None
    if not job:
        raise AirbyteApiError(
            f"Airbyte started no refresh for connection {connection_id}: its destination does not "
            "support refreshes. Clear the streams and sync them again instead.",
            path="connections/refresh",
        )
    return Job.from_config_api({"job": job, "attempts": []}, source="connections/refresh")


def trigger_clear(client: AirbyteClient, connection_id: str, *, streams: Sequence[str] | None = None) -> Job:
    """Start a clear (Airbyte's reset): the streams' data is deleted and their state reset."""
    try:
        if client.api == "config":
            if streams:
                answer = client.transport.post(
                    "connections/clear/stream",
                    {"connectionId": connection_id, "streams": _streams_body(streams)},
                )
                return Job.from_config_api(answer, source="connections/clear/stream")
            return Job.from_config_api(
                client.transport.post("connections/clear", {"connectionId": connection_id}),
                source="connections/clear",
            )
        if streams:
            raise ConfigError(
                f"Cannot clear only some streams of connection {connection_id} through Airbyte's public API "
                "(its POST /jobs names no streams). Nothing was triggered. Use api: config, or clear the "
                "whole connection (no --streams)."
            )
        answer = client.transport.request(
            "POST", "jobs", json={"connectionId": connection_id, "jobType": "clear"}
        )
        return Job.from_public_api(answer, source="POST /jobs")
    except AirbyteApiError as exc:
        if exc.status == 409:
            raise conflict_error(exc, connection_id, "clear") from None
        raise


def _post_sync(client: AirbyteClient, connection_id: str, **call: Any) -> Job:
    """One sync trigger on either API (``call``: the transport's retry budget and hook)."""
    if client.api == "config":
        body = {"connectionId": connection_id}
        return Job.from_config_api(
            client.transport.request("POST", "connections/sync", json=body, **call), source="connections/sync"
        )
    body = {"connectionId": connection_id, "jobType": "sync"}
    answer = client.transport.request("POST", "jobs", json=body, **call)
    return Job.from_public_api(answer, source="POST /jobs")


def trigger_sync(
    client: AirbyteClient, connection_id: str, *, before_retry: Callable[[], None] | None = None
) -> Job:
    """``client.trigger_sync``, except that an inactive connection fails at once (see the module doc).

    The first try counts against the transport's retry budget (``max_retries=1``: two tries in all).
    ``before_retry`` runs before every further try after one whose outcome is unknown (the lost
    answer: ``resource/trigger.py`` looks there for the job that try may have started)."""
    budget = client.transport.max_retries
    try:
        return _post_sync(client, connection_id, max_retries=0)
    except AirbyteApiError as exc:
        refused = exc.status is not None and (
            exc.status >= 500 or (exc.status == 409 and _state_conflict(exc))
        )
        if refused:
            connection = client.get_connection(connection_id)
            if connection.status != "active":
                raise ConnectionInactiveError(
                    f"Connection {connection_id} is {connection.status}; only active connections can be "
                    f"synced (Airbyte answered {exc.status}).",
                    connection_id=connection_id,
                    method=exc.method,
                    path=exc.path,
                    status=exc.status,
                    airbyte_message=exc.airbyte_message,
                ) from None
        if exc.status == 409 and not refused:
            raise conflict_error(exc, connection_id, "sync") from None
        retryable = exc.status is None or should_retry(status=exc.status)
        if budget == 0 or not retryable:
            raise
        problem = f"HTTP {exc.status}" if exc.status is not None else "no answer"
        client.transport.wait_to_retry("POST", exc.path or "sync", problem, retry=0, budget=budget)
        if before_retry is not None and outcome_unknown(exc):
            before_retry()
    # A dropped answer, a 5xx of an active connection, a 429: the rest of the retry budget.
    try:
        return _post_sync(client, connection_id, max_retries=budget - 1, before_retry=before_retry)
    except AirbyteApiError as exc:
        if exc.status == 409:
            raise conflict_error(exc, connection_id, "sync") from None
        raise


def _state_conflict(exc: AirbyteApiError) -> bool:
    """A public-API 409 that is not "a sync is running" (``try-again-later``) but a refused state."""
    text = f"{exc.airbyte_message or ''} {exc}".lower()
    return "try-again-later" not in text and "already running" not in text


def schema_report(client: AirbyteClient, connection_id: str) -> SchemaReport:
    """The connection's schema state as Airbyte stores it: 1 request, 2 when it reports a change."""
    if client.api != "config":
        return report_from_connection(client.get_connection(connection_id))
    web = client.transport.post("web_backend/connections/get", {"connectionId": connection_id})
    latest = None
    if isinstance(web, dict) and web.get("schemaChange") not in (None, "no_change"):
        latest = client.transport.post(
            "sources/most_recent_source_actor_catalog", {"sourceId": web.get("sourceId")}
        )
    return report_from_config_api(web, latest if isinstance(latest, dict) else None, source="web_backend")


def workspace_schema_changes(client: AirbyteClient, workspace_id: str) -> dict[str, tuple[SchemaChange, str]]:
    """``{connection id: (schemaChange, status)}`` of a workspace in one request (Config API only)."""
    if client.api != "config":
        return {}
    answer = client.transport.post("web_backend/connections/list", {"workspaceId": workspace_id})
    out: dict[str, tuple[SchemaChange, str]] = {}
    for item in (answer or {}).get("connections") or []:
        change = item.get("schemaChange")
        if change in ("no_change", "non_breaking", "breaking") and item.get("connectionId"):
            out[str(item["connectionId"])] = (change, str(item.get("status") or ""))
    return out
