"""Polling: predicted from the connection's recent syncs, adaptive without them (resource/polling.py).

The schedules are pure functions of elapsed time, so their request counts and lags are computed by
walking them; the resource tests count the requests the emulator logged during a real sync.
"""

from __future__ import annotations

import math
import time

import pytest

from dagster_airbyte_ops.client.models import JobStatus
from dagster_airbyte_ops.emulator import jobs as joblib
from dagster_airbyte_ops.resource.polling import (
    MAX_SPARSE_INTERVAL_S,
    AdaptivePolling,
    PredictedPolling,
    polling_for,
)

from .conftest import connection_id, history_job, resource_for

PG = "PostgreSQL → MinIO"


def _walk(polling: AdaptivePolling | PredictedPolling, end_s: float) -> tuple[int, float]:
    """(polls until the first one at or after `end_s`, how long after `end_s` that poll came)."""
    elapsed = 0.0
    for polls in range(1, 100_000):
        elapsed += polling.next_delay_s(elapsed)
        if elapsed >= end_s:
            return polls, elapsed - end_s
    raise AssertionError("the schedule never reached the end")


def _fixed_10s_polls(length_s: float) -> int:
    return max(1, math.ceil(length_s / 10))


@pytest.mark.parametrize("length_s", [10.0, 30.0, 60.0, 300.0, 3600.0, 6 * 3600.0])
def test_predicted_polling_beats_fixed_10s_polling_within_the_lag_allowed(length_s):
    polling = polling_for([history_job(length_s, n=i) for i in range(5)], max_interval_s=10.0)
    assert isinstance(polling, PredictedPolling)

    polls, lag = _walk(polling, length_s)

    assert polls <= _fixed_10s_polls(length_s)
    assert lag <= max(1.0, 0.05 * length_s)


def test_a_six_hour_sync_is_polled_a_bounded_number_of_times():
    polling = polling_for([history_job(6 * 3600.0, n=i) for i in range(3)], max_interval_s=10.0)

    polls, _ = _walk(polling, 6 * 3600.0)

    # 72 sparse polls 5 minutes apart (the last one at the predicted end), then one just after it
    assert polls <= 6 * 3600.0 / MAX_SPARSE_INTERVAL_S + 1 == 73


def test_a_sync_that_fails_early_is_seen_within_a_sparse_interval():
    polling = polling_for([history_job(3600.0, n=i) for i in range(3)], max_interval_s=10.0)

    _, lag = _walk(polling, 125.0)

    assert lag <= MAX_SPARSE_INTERVAL_S


def test_a_sync_longer_than_predicted_falls_back_to_adaptive_polling():
    polling = polling_for([history_job(60.0, n=i) for i in range(3)], max_interval_s=10.0)
    assert isinstance(polling, PredictedPolling)

    polls, lag = _walk(polling, 600.0)  # ten times the history

    assert lag <= 10.0  # the ceiling of the adaptive rule
    assert polls < 600 / 5  # never dense past the window


@pytest.mark.parametrize(
    "history",
    [
        [],
        [history_job(10.0, status=JobStatus.FAILED), history_job(10.0, status=JobStatus.CANCELLED, n=1)],
        [history_job(10.0, job_type="reset")],
        [history_job(10.0), history_job(100.0, n=1), history_job(40.0, n=2)],  # too spread to predict
    ],
    ids=["no history", "no success", "resets only", "too spread"],
)
def test_without_a_usable_history_polling_is_adaptive(history):
    assert isinstance(polling_for(history, max_interval_s=10.0), AdaptivePolling)


def _job_reads(emulator, since: float) -> list[dict]:
    return [
        r
        for r in emulator.admin.requests()
        if r["time"] >= since and (r["path"].endswith("/jobs/get") or "/public/v1/jobs/" in r["path"])
    ]


@pytest.mark.parametrize("api", ["config", "public"])
def test_sync_with_history_polls_once_just_after_the_predicted_end(emulator, api):
    resource = resource_for(emulator, api, poll_interval_s=10.0)
    conn = connection_id(resource, PG)
    emulator.admin.set_behaviour(conn, duration_s=2.0)
    without_history = time.time()
    resource.sync(conn)
    resource.sync(conn)  # two earlier syncs of the same length

    since = time.time()
    result = resource.sync(conn)

    assert result.status is JobStatus.SUCCEEDED
    assert len(_job_reads(emulator, since)) == 1
    # The first sync, without history, polled adaptively (several reads).
    first = [r for r in _job_reads(emulator, without_history) if r["time"] < since]
    assert len(first) > 2
    lists = [
        r
        for r in emulator.admin.requests()
        if r["time"] >= since
        and (
            r["path"].endswith("/v1/jobs/list")
            or (r["path"].endswith("/public/v1/jobs") and r["method"] == "GET")
        )
    ]
    assert len(lists) == 1  # one history call per sync


@pytest.mark.parametrize("api", ["config", "public"])
def test_the_poll_that_sees_the_end_comes_just_after_it(emulator, api):
    """50 ms after the predicted end, counted from the trigger's answer (was a quarter of the 1 s lag
    allowed, counted from before the trigger: 0.25 s of the lag spent waiting)."""
    resource = resource_for(emulator, api, poll_interval_s=10.0)
    conn = connection_id(resource, PG)
    emulator.admin.set_behaviour(conn, duration_s=2.0)
    resource.sync(conn)
    resource.sync(conn)

    since = time.time()
    result = resource.sync(conn)

    [poll] = _job_reads(emulator, since)
    with emulator.state.lock:
        job = emulator.state.jobs[result.job_id]
        ended = joblib.view(emulator.state, job).ended_at
    assert ended is not None
    assert 0.0 <= poll["time"] - ended <= 0.2
