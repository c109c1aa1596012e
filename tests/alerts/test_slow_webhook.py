"""A webhook that trickles its answer (one header line every 2 s) never stalls the alert sensor.

Issue 14, case 2: every `airbyte_alerts` tick failed with "took longer than 60 seconds", so Dagster
kept the old cursor, POSTed the same alert again every minute, and later alerts never went out. Here
three failed runs wait for one tick against a real trickling socket server on 127.0.0.1: the tick must
end well inside Dagster's limit, the next tick must send nothing again, and once the webhook answers,
the next failure's alert goes out at once.
"""

from __future__ import annotations

import time

from reliability.trickle_server import TrickleServer, run_bounded

from .test_alert_sensor import PG, Ticker, _connection_id, _defs, _materialize

HOOK = "/services/T0/B0/slow-secret"


def test_a_trickling_webhook_never_stalls_a_tick_never_resends_and_later_alerts_go_out(
    emulator, tmp_path, monkeypatch, dagster_instance
):
    webhook = TrickleServer(max_trickle_s=60)
    try:
        emulator.admin.set_behaviour(_connection_id(emulator, PG), outcome="failed", failure_message="boom")
        defs = _defs(emulator, tmp_path, monkeypatch, webhook.url + HOOK)
        ticker = Ticker(defs, "airbyte_alerts", dagster_instance)
        ticker.tick()  # a run status sensor starts from "now"
        for _ in range(3):
            _materialize(defs, dagster_instance, PG)

        took, raised, ended = run_bounded(ticker.tick, limit_s=45)
        assert ended, "the alert tick is still blocked on a webhook trickling its answer"
        assert raised is None, raised
        # One try per run (a timeout is not retried), each cut after the 5 s total deadline.
        assert took < 3 * 5 + 10, took
        posted = [path for method, path in webhook.requests if method == "POST"]
        assert posted == [HOOK] * 3, webhook.requests

        took, raised, ended = run_bounded(ticker.tick, limit_s=30)  # the cursor moved on: nothing again
        assert ended and raised is None and took < 5, (took, raised)
        assert len(webhook.requests) == 3

        received: list[dict] = []
        webhook.answers[HOOK] = lambda body: received.append(body) or {"ok": True}
        _materialize(defs, dagster_instance, PG)
        started = time.monotonic()
        ticker.tick()
        assert time.monotonic() - started < 5
        assert len(received) == 1 and "boom" in received[0]["text"], received
        assert len(webhook.requests) == 4
    finally:
        webhook.close()
