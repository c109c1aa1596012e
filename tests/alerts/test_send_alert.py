"""`send_alert` against a real HTTP receiver: delivery, filtering, retries, and no URL in any log line."""

from __future__ import annotations

import logging

import pytest

from dagster_airbyte_ops.config import parse_config
from dagster_airbyte_ops.sensors.webhooks import WEBHOOK_ATTEMPTS, SyncAlert, send_alert

ALERT = SyncAlert(
    event="failed",
    connection_name="PostgreSQL → MinIO",
    connection_id="4a501211-a0e4-535d-8b0b-a4322ba47b01",
    message="source config_error: password authentication failed",
    job_id=7,
    job_url="http://airbyte.internal/connections/4a50/timeline?jobId=7",
    run_id="r-1",
)


def _webhooks(*hooks: str, environ: dict[str, str]):
    text = "alerts:\n  webhooks:\n" + "".join(f"    - {hook}\n" for hook in hooks)
    return parse_config(text, "airbyte_ops.yaml", environ=environ).alerts.webhooks


def _logged(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(f"{r.name} {r.getMessage()}" for r in caplog.records)


def test_posts_slack_compatible_json_to_the_subscribed_webhooks(receiver):
    environ = {"HOOK_A": receiver.url, "HOOK_B": receiver.url + "-succeeded-only"}
    webhooks = _webhooks("{url: {env: HOOK_A}}", "{url: {env: HOOK_B}, on: [succeeded]}", environ=environ)

    assert send_alert(webhooks, ALERT, environ=environ) == 1

    [(path, body)] = receiver.posts
    assert path == receiver.secret_path  # HOOK_B wants only successes
    assert body["text"] == (
        "Airbyte sync of \u201cPostgreSQL → MinIO\u201d job 7 failed: source config_error: password "
        "authentication failed <http://airbyte.internal/connections/4a50/timeline?jobId=7|open in Airbyte>"
    )
    assert body["event"] == "failed" and body["job_id"] == 7 and body["run_id"] == "r-1"


def test_a_500_is_tried_again_then_logged_by_variable_name_never_url(receiver, caplog):
    caplog.set_level(logging.DEBUG)  # urllib3 logs request lines at DEBUG: they must be masked too
    receiver.status = 500
    environ = {"SLACK_HOOK": receiver.url}

    assert send_alert(_webhooks("{url: {env: SLACK_HOOK}}", environ=environ), ALERT, environ=environ) == 0

    assert len(receiver.posts) == WEBHOOK_ATTEMPTS
    logged = _logged(caplog)
    assert (
        "Alert not sent to alerts.webhooks[0] ($SLACK_HOOK): the webhook answered HTTP 500, after 2 attempts"
        in logged
    )
    assert "urllib3" in logged  # the request lines were logged, with the secret masked
    assert receiver.secret_path not in logged and receiver.url not in logged


def test_a_4xx_is_not_retried_and_a_redirect_is_not_followed(receiver, caplog):
    environ = {"SLACK_HOOK": receiver.url}
    webhooks = _webhooks("{url: {env: SLACK_HOOK}}", environ=environ)
    receiver.status = 404
    assert send_alert(webhooks, ALERT, environ=environ) == 0
    assert len(receiver.posts) == 1

    receiver.status = 302
    receiver.headers = {"Location": "http://127.0.0.1:9/elsewhere"}
    assert send_alert(webhooks, ALERT, environ=environ) == 0
    assert len(receiver.posts) == 2
    assert "HTTP 302 (a redirect; not followed)" in _logged(caplog)


def test_a_webhook_that_is_down_is_logged_and_does_not_raise(closed_port_url, caplog):
    caplog.set_level(logging.DEBUG)
    url = closed_port_url()
    environ = {"SLACK_HOOK": url}

    assert send_alert(_webhooks("{url: {env: SLACK_HOOK}}", environ=environ), ALERT, environ=environ) == 0

    logged = _logged(caplog)
    assert "Alert not sent to alerts.webhooks[0] ($SLACK_HOOK): ConnectionError" in logged
    assert url.split("/", 3)[-1] not in logged


def test_an_unset_variable_at_send_time_is_logged_not_raised(receiver, caplog):
    webhooks = _webhooks("{url: {env: SLACK_HOOK}}", environ={"SLACK_HOOK": receiver.url})

    assert send_alert(webhooks, ALERT, environ={}) == 0

    assert (
        "Alert not sent to alerts.webhooks[0] ($SLACK_HOOK): environment variable SLACK_HOOK is not set"
        in (_logged(caplog))
    )
    assert receiver.posts == []


def test_a_webhook_found_down_is_skipped_for_the_rest_of_a_batch(receiver, closed_port_url, caplog):
    environ = {"DOWN_HOOK": closed_port_url(), "UP_HOOK": receiver.url}
    webhooks = _webhooks("{url: {env: DOWN_HOOK}}", "{url: {env: UP_HOOK}}", environ=environ)
    unreachable: set[int] = set()

    sent = [send_alert(webhooks, ALERT, environ=environ, unreachable=unreachable) for _ in range(3)]

    assert sent == [1, 1, 1]  # the healthy webhook gets every alert
    assert unreachable == {0}
    logged = _logged(caplog)
    assert logged.count("Alert not sent to alerts.webhooks[0] ($DOWN_HOOK): ConnectionError") == 1
    assert logged.count("($DOWN_HOOK): it could not be reached for an earlier alert") == 2
    assert len(receiver.posts) == 3
