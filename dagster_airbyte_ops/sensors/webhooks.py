"""Sync alerts: a failed, cancelled or timed-out sync posted to webhooks (Slack-compatible JSON).

Webhook URLs are secrets (a Slack incoming-webhook URL is its own credential), so they are kept as
`EnvRef`s and resolved only at send time; no message, log line or exception here ever contains one.
Sending never raises: an alert that cannot be delivered is logged, and must not turn a sensor tick
or a run into a failure of its own.

The HTTP library underneath logs request lines (`POST /services/T0/B0/secret`) at DEBUG level; every
URL this module resolves is registered with a log filter that masks it there too, so turning on
debug logging does not leak it either.

Example:
    ```python
    from dagster_airbyte_ops.sensors.webhooks import SyncAlert, send_alert
    from dagster_airbyte_ops.config import load_config

    alert = SyncAlert(event="failed", connection_name="PostgreSQL → MinIO", connection_id="...",
                      message="source config_error: password authentication failed")
    send_alert(load_config().alerts.webhooks, alert)  # → number of webhooks that accepted it
    ```
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

import requests

from ..client import DeadlineAdapter, watchdog
from ..config import Webhook
from ..errors import ConfigError

logger = logging.getLogger(__name__)

AlertEventName = Literal["succeeded", "failed", "cancelled", "timed_out"]
AlertOrigin = Literal["dagster", "airbyte", "deferred"]
#: Total time one POST may take (connect + headers + body), cut off by a watchdog: a webhook that
#: trickles its answer is not waited for past it, and is not tried again for that alert. With the
#: `unreachable` set of a run, a run's alerts cost at most this per webhook, and a tick of the alert
#: sensor (Dagster handles at most 5 runs a tick) stays far below Dagster's 60 s tick limit, so the
#: tick ends, its cursor advances and no alert that went out is sent again.
WEBHOOK_TIMEOUT_S = 5.0
WEBHOOK_CONNECT_TIMEOUT_S = 5.0
#: One more try after a 429, a 5xx or a dropped connection; a webhook that is down stays a log line.
WEBHOOK_ATTEMPTS = 2
WEBHOOK_RETRY_DELAY_S = 0.5
WEBHOOK_MAX_RETRY_AFTER_S = 5.0
REDACTED = "<redacted webhook URL>"


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
    log: logging.Logger | logging.LoggerAdapter[Any] | None = None,
    unreachable: set[int] | None = None,
) -> int:
    """Post `alert` to every webhook subscribed to its event; returns how many accepted it.

    Never raises. Each webhook gets `WEBHOOK_ATTEMPTS` tries (a 429 or 5xx answer, or a connection
    error, is tried once more); what still fails is logged by the webhook's position and variable
    name, never its URL. Every line goes to this module's logger and also to `log` when given (a
    sensor passes `context.log`, so they show in the tick's log in the UI).

    A caller sending several alerts in a row passes one `unreachable` set to all of them: a webhook
    that could not be reached (connection refused, timed out) is added to it and skipped for the
    rest, so twenty failed syncs and a webhook that is down cost one round of time-outs, not
    twenty, and a sensor tick stays within its deadline.
    """

    def note(level: int, message: str, *args: object) -> None:
        logger.log(level, message, *args)
        if log is not None and log is not logger:
            log.log(level, message, *args)

    note(logging.INFO if alert.event == "succeeded" else logging.WARNING, "%s", alert.text())
    delivered = 0
    for index, webhook in enumerate(webhooks):
        if alert.event not in webhook.on:
            continue
        where = describe_webhook(index, webhook)
        try:
            url = webhook.url.resolve(environ)
        except ConfigError as exc:
            note(logging.ERROR, "Alert not sent to %s: %s", where, exc)
            continue
        if unreachable is not None and index in unreachable:
            note(logging.ERROR, "Alert not sent to %s: it could not be reached for an earlier alert", where)
            continue
        register_secret_url(url)
        problem, reached = _post(url, alert.payload(), session)
        if not reached and unreachable is not None:
            unreachable.add(index)
        if problem is None:
            delivered += 1
            note(logging.INFO, "Alert sent to %s.", where)
        else:
            note(logging.ERROR, "Alert not sent to %s: %s", where, problem)
    return delivered


def describe_webhook(index: int, webhook: Webhook) -> str:
    """`alerts.webhooks[0] ($SLACK_WEBHOOK_URL)`: how messages name a webhook without its URL."""
    return f"alerts.webhooks[{index}] (${webhook.url.env})"


def _post(url: str, payload: dict[str, object], session: requests.Session | None) -> tuple[str | None, bool]:
    """(None when the webhook accepted the alert, else why not, in words that never quote the URL;
    whether it answered at all)."""
    problem = "not tried"
    reached = False
    for attempt in range(WEBHOOK_ATTEMPTS):
        delay = WEBHOOK_RETRY_DELAY_S
        failure: requests.RequestException | None = None
        with watchdog(WEBHOOK_TIMEOUT_S) as watch:
            try:
                response = (session or _session()).post(
                    url,
                    json=payload,
                    timeout=(WEBHOOK_CONNECT_TIMEOUT_S, WEBHOOK_TIMEOUT_S),
                    allow_redirects=False,  # a redirect would re-send the alert (and its URL) elsewhere
                )
            except requests.RequestException as exc:
                failure = exc
        if watch.fired or isinstance(failure, requests.Timeout):
            # Waiting again would double the delay of every later alert: give up on this one.
            return f"no complete answer within {WEBHOOK_TIMEOUT_S:g} s (is the webhook slow or stuck?)", False
        if failure is not None:
            # The exception text quotes the URL; name only its type.
            problem = f"{type(failure).__name__} (is the webhook reachable from here?)"
        else:
            reached = True
            status = response.status_code
            if status < 300:
                return None, True
            if 300 <= status < 400:
                return f"the webhook answered HTTP {status} (a redirect; not followed)", True
            problem = f"the webhook answered HTTP {status}"
            if status != 429 and status < 500:
                return problem, True  # 4xx: the request itself is refused; trying again will not help
            delay = _retry_after(response.headers.get("Retry-After"), delay)
        if attempt + 1 < WEBHOOK_ATTEMPTS:
            time.sleep(delay)
    return f"{problem}, after {WEBHOOK_ATTEMPTS} attempts", reached


_session_lock = threading.Lock()
_shared: list[requests.Session] = []


def _session() -> requests.Session:
    """One session for webhook posts, with connections the total-deadline watchdog can cut."""
    with _session_lock:
        if not _shared:
            session = requests.Session()
            session.mount("http://", DeadlineAdapter())
            session.mount("https://", DeadlineAdapter())
            _shared.append(session)
        return _shared[0]


def _retry_after(value: str | None, default: float) -> float:
    try:
        seconds = float(value) if value is not None else default
    except ValueError:
        seconds = default
    return min(max(seconds, 0.0), WEBHOOK_MAX_RETRY_AFTER_S)


# ---- keeping URLs out of logs --------------------------------------------------------------------

_secret_lock = threading.Lock()
_secret_parts: set[str] = set()


def register_secret_url(url: str) -> None:
    """Mask `url` (and its path and credentials, which carry the secret) in HTTP-library log lines."""
    parts = urlsplit(url)
    secrets = {url}
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    if len(path) > 1:
        secrets.add(path)
    if "@" in parts.netloc:
        secrets.add(parts.netloc.rsplit("@", 1)[0])
    with _secret_lock:
        _secret_parts.update(secrets)


def redact(text: str) -> str:
    """`text` with every registered webhook URL (or its secret parts) replaced by a placeholder."""
    with _secret_lock:
        secrets = sorted(_secret_parts, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


class _RedactingFilter(logging.Filter):
    """Rewrites log records that quote a webhook URL; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is not ours to fix
            return True
        masked = redact(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


_FILTERED_LOGGERS = ("urllib3.connectionpool", "urllib3.util.retry", "requests")
_filter = _RedactingFilter()
for _name in _FILTERED_LOGGERS:
    logging.getLogger(_name).addFilter(_filter)
