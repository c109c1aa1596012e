"""Sync alerts: a failed, cancelled or timed-out sync posted to webhooks (Slack-compatible JSON).

Webhook URLs are secrets (a Slack incoming-webhook URL is its own credential), so they are kept as
`EnvRef`s and resolved only at send time; no message, log line or exception here ever contains one.
Sending never raises: an alert that cannot be delivered is logged, and must not turn a sensor tick
or a run into a failure of its own.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import requests

from .config import Webhook
from .errors import ConfigError

logger = logging.getLogger(__name__)

AlertEventName = Literal["succeeded", "failed", "cancelled", "timed_out"]
AlertOrigin = Literal["dagster", "airbyte", "deferred"]
WEBHOOK_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class SyncAlert:
    """What happened to one sync, and who started it (a Dagster run, or Airbyte itself)."""

    event: AlertEventName
    connection_name: str
    connection_id: str
    message: str
    origin: AlertOrigin = "dagster"
    job_id: int | None = None
    job_url: str | None = None
    run_id: str | None = None

    def text(self) -> str:
        """The one-paragraph message people read in Slack."""
        verb = {
            "succeeded": "succeeded",
            "failed": "failed",
            "cancelled": "was cancelled",
            "timed_out": "timed out",
        }[self.event]
        who = {"dagster": "", "airbyte": " (started outside Dagster)", "deferred": " (deferred)"}[self.origin]
        job = f" job {self.job_id}" if self.job_id is not None else ""
        link = f" <{self.job_url}|open in Airbyte>" if self.job_url else ""
        return f"Airbyte sync of \u201c{self.connection_name}\u201d{job}{who} {verb}: {self.message}{link}"

    def payload(self) -> dict[str, object]:
        """Slack-compatible body: `text` for Slack and most chat tools, the fields for anything else."""
        return {
            "text": self.text(),
            "event": self.event,
            "origin": self.origin,
            "connection_name": self.connection_name,
            "connection_id": self.connection_id,
            "job_id": self.job_id,
            "job_url": self.job_url,
            "run_id": self.run_id,
        }


def send_alert(
    webhooks: Sequence[Webhook],
    alert: SyncAlert,
    *,
    environ: Mapping[str, str] | None = None,
    session: requests.Session | None = None,
) -> int:
    """Post `alert` to every webhook subscribed to its event; returns how many accepted it."""
    logger.warning("%s", alert.text())
    delivered = 0
    for index, webhook in enumerate(webhooks):
        if alert.event not in webhook.on:
            continue
        where = f"alerts.webhooks[{index}] ({webhook.url.env})"
        try:
            url = webhook.url.resolve(environ)
        except ConfigError as exc:
            logger.error("Alert not sent to %s: %s", where, exc)
            continue
        try:
            response = (session or requests).post(url, json=alert.payload(), timeout=WEBHOOK_TIMEOUT_S)
        except requests.RequestException as exc:
            # The exception text can quote the URL; name only its type.
            logger.error("Alert not sent to %s: %s", where, type(exc).__name__)
            continue
        if response.status_code >= 400:
            logger.error("Alert not sent to %s: the webhook answered HTTP %s", where, response.status_code)
            continue
        delivered += 1
    return delivered
