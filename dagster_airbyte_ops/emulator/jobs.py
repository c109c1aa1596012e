"""Job life cycle computed lazily from the wall clock.

A job stores only its creation time, a frozen plan and an optional cancellation time; every read derives
status, attempts and growing stream stats from ``now``. Nothing needs a background thread, so the
emulator is deterministic for a given clock and cheap with thousands of jobs.

Timeline of a job of total length ``T`` (``duration_s * time_scale``)::

    pending (and, on 2.0, queued) for P = min(0.5 s, 0.1 T)
    then N attempt slots of length A = (T - P) / N:
        a failing attempt runs 0.9 A, then the job is ``incomplete`` for 0.1 A until the next attempt
        the last attempt runs the whole slot and decides the final status
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from dagster_airbyte_ops.emulator import schema, sqlite_destination
from dagster_airbyte_ops.emulator.state import Connection, EmulatorState, Job, JobPlan

TERMINAL_STATUSES = frozenset({"succeeded", "failed", "cancelled"})
#: Jobs that replicate (and so run a discover first): syncs and refreshes.
REPLICATION_TYPES = frozenset({"sync", "refresh"})

#: Share of a failing attempt's records that get emitted / committed before it dies.
_FAILED_EMIT_SHARE = 0.6
_FAILED_COMMIT_SHARE = 0.4


def default_records(stream_name: str) -> int:
    """A stable, stream-specific record count used when none is configured."""
    digest = hashlib.sha256(stream_name.encode()).digest()
    return 500 + int.from_bytes(digest[:2], "big") % 4500


def bytes_per_record(stream_name: str) -> int:
    """A stable average row size per stream, so bytes are plausible and not a fixed multiple."""
    digest = hashlib.sha256(b"bytes:" + stream_name.encode()).digest()
    return 120 + digest[0] * 3


def make_plan(
    state: EmulatorState,
    connection: Connection,
    config_type: str,
    scope: list[tuple[str, str | None]] | None = None,
) -> JobPlan:
    """Freeze the connection's current behaviour and streams into a plan for a new job.

    A clear of some streams (``scope``) covers only those; syncs and refreshes cover every selected stream.
    """
    b = connection.behaviour
    base = b.duration_s if b.duration_s is not None else state.settings.default_job_duration_s
    duration = max(0.0, float(base)) * state.settings.time_scale
    streams: list[tuple[str, str | None, int]] = []
    replicating = config_type in REPLICATION_TYPES
    for entry in connection.selected_streams():
        name = entry["stream"]["name"]
        namespace = entry["stream"].get("namespace")
        if not replicating and scope is not None and (name, namespace) not in scope:
            continue
        if not replicating:
            records = 0
        elif isinstance(b.records_per_stream, dict):
            records = int(b.records_per_stream.get(name, default_records(name)))
        elif isinstance(b.records_per_stream, int):
            records = b.records_per_stream
        else:
            records = default_records(name)
        streams.append((name, namespace, records))
    if not replicating:
        # Resets move no data and do not fail in the emulator; they only take a moment.
        return JobPlan(
            duration_s=min(duration, 1.0 * state.settings.time_scale),
            outcome="succeeded",
            attempts=1,
            streams=streams,
            failure_message=b.failure_message,
            failure_origin=b.failure_origin,
            failure_type=b.failure_type,
        )
    attempts = b.attempts
    if b.outcome == "incomplete_then_succeeded":
        attempts = max(2, attempts)
    elif b.outcome in ("succeeded", "stuck"):
        attempts = 1
    return JobPlan(
        duration_s=duration,
        outcome=b.outcome,
        attempts=attempts,
        streams=streams,
        failure_message=b.failure_message,
        failure_origin=b.failure_origin,
        failure_type=b.failure_type,
    )


@dataclass
class AttemptView:
    """One attempt as seen at a given instant."""

    number: int
    status: str  # running | failed | succeeded
    created_at: float
    updated_at: float
    ended_at: float | None
    stream_stats: list[tuple[str, str | None, int, int, int, int]]  # name, ns, rE, rC, bE, bC
    failure: dict[str, Any] | None = None

    @property
    def totals(self) -> tuple[int, int, int, int]:
        """Summed (recordsEmitted, recordsCommitted, bytesEmitted, bytesCommitted)."""
        re_ = sum(s[2] for s in self.stream_stats)
        rc = sum(s[3] for s in self.stream_stats)
        be = sum(s[4] for s in self.stream_stats)
        bc = sum(s[5] for s in self.stream_stats)
        return re_, rc, be, bc


@dataclass
class JobView:
    """A job's derived state at a given instant."""

    job: Job
    status: str
    created_at: float
    updated_at: float
    started_at: float | None
    ended_at: float | None
    attempts: list[AttemptView] = field(default_factory=list)

    @property
    def is_terminal(self) -> bool:
        """Whether the job is over (no more attempts will run)."""
        return self.status in TERMINAL_STATUSES

    @property
    def totals(self) -> tuple[int, int, int, int]:
        """Job-level aggregated stats: the sum over attempts, as Airbyte reports them."""
        sums = [0, 0, 0, 0]
        for a in self.attempts:
            for i, v in enumerate(a.totals):
                sums[i] += v
        return sums[0], sums[1], sums[2], sums[3]


def _stats(
    plan: JobPlan, emit_share: float, commit_share: float
) -> list[tuple[str, str | None, int, int, int, int]]:
    out = []
    for name, ns, records in plan.streams:
        bpr = bytes_per_record(name)
        emitted = int(records * emit_share)
        committed = min(emitted, int(records * commit_share))
        out.append((name, ns, emitted, committed, emitted * bpr, committed * bpr))
    return out


StreamStats = list[tuple[str, str | None, int, int, int, int]]


def _progress_stats(plan: JobPlan, progress: float, final: bool, failing: bool) -> StreamStats:
    """Stream stats at ``progress`` (0..1) through an attempt; committed lags emitted until the end."""
    progress = max(0.0, min(1.0, progress))
    if failing:
        emit = _FAILED_EMIT_SHARE * progress
        commit = _FAILED_COMMIT_SHARE * progress
    elif final:
        emit, commit = 1.0, 1.0
    else:
        emit = progress
        commit = max(0.0, (progress - 0.2) / 0.8)
    return _stats(plan, emit, commit)


def _failure(plan: JobPlan, at: float, cancelled: bool) -> dict[str, Any]:
    if cancelled:
        return {
            "failures": [
                {
                    "failureOrigin": "airbyte_platform",
                    "failureType": "manual_cancellation",
                    "externalMessage": "The sync was cancelled.",
                    "internalMessage": "The sync was cancelled by the user.",
                    "retryable": False,
                    "timestamp": int(at * 1000),
                }
            ],
            "partialSuccess": False,
        }
    return {
        "failures": [
            {
                "failureOrigin": plan.failure_origin,
                "failureType": plan.failure_type,
                "externalMessage": plan.failure_message,
                "internalMessage": f"io.airbyte.workers.exception.WorkerException: {plan.failure_message}",
                "retryable": True,
                "timestamp": int(at * 1000),
            }
        ],
        "partialSuccess": False,
    }


def view(state: EmulatorState, job: Job, now: float | None = None) -> JobView:
    """Derive the job's status and attempts at ``now`` (defaults to the state clock)."""
    t_now = state.now() if now is None else now
    plan = job.plan
    cancel = job.cancelled_at
    t = min(t_now, cancel) if cancel is not None else t_now
    total = plan.duration_s
    pending = min(0.5, 0.1 * total)
    run_start = job.created_at + pending
    attempts: list[AttemptView] = []

    if t < run_start:
        if cancel is not None:
            return JobView(job, "cancelled", job.created_at, cancel, None, cancel, [])
        status = "pending"
        if state.profile.has_queued_status and t >= job.created_at + pending * 0.3:
            status = "queued"
        return JobView(job, status, job.created_at, job.created_at, None, None, [])

    if plan.outcome == "stuck":
        elapsed = t - run_start
        progress = min(0.99, elapsed / total) if total > 0 else 0.5
        stats = _progress_stats(plan, progress, final=False, failing=False)
        if cancel is not None:
            failure = _failure(plan, cancel, cancelled=True)
            attempts.append(AttemptView(1, "failed", run_start, cancel, cancel, stats, failure))
            return JobView(job, "cancelled", job.created_at, cancel, run_start, cancel, attempts)
        attempts.append(AttemptView(1, "running", run_start, t, None, stats))
        return JobView(job, "running", job.created_at, t, run_start, None, attempts)

    n = plan.attempts
    slot = (total - pending) / n
    status = "running"
    updated = run_start
    ended: float | None = None
    for i in range(n):
        a_start = run_start + i * slot
        if t < a_start:
            break
        last = i == n - 1
        fails = plan.outcome == "failed" or (plan.outcome == "incomplete_then_succeeded" and not last)
        run_len = slot if last else slot * 0.9
        a_end = a_start + run_len
        if t < a_end:  # attempt in progress (or cut short by a cancellation)
            progress = (t - a_start) / run_len if run_len > 0 else 1.0
            stats = _progress_stats(plan, progress, final=False, failing=fails)
            if cancel is not None:
                failure = _failure(plan, cancel, cancelled=True)
                attempts.append(AttemptView(i + 1, "failed", a_start, cancel, cancel, stats, failure))
                return JobView(job, "cancelled", job.created_at, cancel, run_start, cancel, attempts)
            attempts.append(AttemptView(i + 1, "running", a_start, t, None, stats))
            status, updated = "running", t
            break
        if fails:
            stats = _progress_stats(plan, 1.0, final=False, failing=True)
            failure = _failure(plan, a_end, cancelled=False)
            attempts.append(AttemptView(i + 1, "failed", a_start, a_end, a_end, stats, failure))
            updated = a_end
            if last:
                status, ended = "failed", a_end
            else:
                status = "incomplete"
        else:
            stats = _progress_stats(plan, 1.0, final=True, failing=False)
            attempts.append(AttemptView(i + 1, "succeeded", a_start, a_end, a_end, stats))
            status, updated, ended = "succeeded", a_end, a_end
    if cancel is not None and status not in TERMINAL_STATUSES:
        # Cancelled in the gap between two attempts: nothing running, the job just stops.
        return JobView(job, "cancelled", job.created_at, cancel, run_start, cancel, attempts)
    if status == "succeeded":
        # Local destinations write when the job is first seen done, before anyone is told so.
        sqlite_destination.land(state, job)
    return JobView(job, status, job.created_at, updated, run_start, ended, attempts)


def running_job(state: EmulatorState, connection_id: str) -> JobView | None:
    """The connection's non-terminal job, if any (what makes a second sync a 409)."""
    for job in reversed(state.jobs_for(connection_id)):
        v = view(state, job)
        if not v.is_terminal:
            return v
    return None


def create_job(
    state: EmulatorState,
    connection: Connection,
    config_type: str,
    *,
    scope: list[tuple[str, str | None]] | None = None,
    refresh_mode: str | None = None,
) -> Job:
    """Create and store a job for ``connection`` (the caller checks for conflicts).

    A sync or refresh first runs Airbyte's discover and schema post-processing (emulator/schema.py); when
    that leaves the connection inactive the job ends cancelled without replicating, as Airbyte's sync
    workflow does.
    """
    job_id = state.next_job_id()
    stopped = False
    if config_type in REPLICATION_TYPES:
        schema.before_replication(state, connection)
        stopped = connection.status != "active"
    plan = make_plan(state, connection, config_type, scope)
    if stopped:
        plan.streams = [(name, ns, 0) for name, ns, _ in plan.streams]
    else:
        rows = sqlite_destination.prepare_job(
            state,
            connection,
            job_id,
            config_type,
            status_of=lambda earlier: view(state, earlier).status,
            scope=scope,
            refresh_mode=refresh_mode,
        )
        if rows is not None:  # the stats report exactly the rows the job will write
            plan.streams = [(name, ns, rows.get(name, 0)) for name, ns, _ in plan.streams]
    now = state.now()
    job = Job(
        job_id=job_id,
        connection_id=connection.connection_id,
        config_type=config_type,
        created_at=now,
        plan=plan,
        cancelled_at=now if stopped else None,
        scope=scope,
        refresh_mode=refresh_mode,
    )
    state.jobs[job.job_id] = job
    return job


def cancel_job(state: EmulatorState, job: Job) -> bool:
    """Cancel a job if it is not over; returns whether anything changed."""
    if view(state, job).is_terminal:
        return False
    job.cancelled_at = state.now()
    return True


# ---------------------------------------------------------------------- Config API rendering
def _attempt_stats(re_: int, rc: int, be: int, bc: int) -> dict[str, int]:
    return {
        "recordsEmitted": re_,
        "bytesEmitted": be,
        "recordsCommitted": rc,
        "bytesCommitted": bc,
        "stateMessagesEmitted": 0 if re_ == 0 else max(1, re_ // 1000),
        "recordsRejected": 0,
    }


def attempt_read(a: AttemptView) -> dict[str, Any]:
    """Config API ``AttemptRead`` (epoch seconds)."""
    re_, rc, be, bc = a.totals
    out: dict[str, Any] = {
        "id": a.number - 1,
        "status": a.status,
        "createdAt": int(a.created_at),
        "updatedAt": int(a.updated_at),
        "bytesSynced": bc,
        "recordsSynced": rc,
        "totalStats": _attempt_stats(re_, rc, be, bc),
        "streamStats": [
            {
                "streamName": name,
                **({"streamNamespace": ns} if ns else {}),
                "stats": _attempt_stats(s_re, s_rc, s_be, s_bc),
            }
            for name, ns, s_re, s_rc, s_be, s_bc in a.stream_stats
        ],
    }
    if a.ended_at is not None:
        out["endedAt"] = int(a.ended_at)
    if a.failure is not None:
        out["failureSummary"] = a.failure
    return out


def job_read(v: JobView) -> dict[str, Any]:
    """Config API ``JobRead``."""
    re_, rc, be, bc = v.totals
    streams = [{"name": n, **({"namespace": ns} if ns else {})} for n, ns, _ in v.job.plan.streams]
    out: dict[str, Any] = {
        "id": v.job.job_id,
        "configType": v.job.config_type,
        "configId": v.job.connection_id,
        "enabledStreams": streams,
        "createdAt": int(v.created_at),
        "updatedAt": int(v.updated_at),
        "status": v.status,
        "aggregatedStats": {
            "recordsEmitted": re_,
            "bytesEmitted": be,
            "recordsCommitted": rc,
            "bytesCommitted": bc,
            "recordsRejected": 0,
        },
    }
    if v.started_at is not None:
        out["startedAt"] = int(v.started_at)
    if v.job.config_type == "reset_connection":
        out["resetConfig"] = {"streamsToReset": streams}
    if v.job.config_type == "refresh":
        scope = v.job.scope or [(n, ns) for n, ns, _ in v.job.plan.streams]
        out["refreshConfig"] = {
            "streamsToRefresh": [{"name": n, **({"namespace": ns} if ns else {})} for n, ns in scope]
        }
    return out


def job_info_read(v: JobView) -> dict[str, Any]:
    """Config API ``JobInfoRead``: the job plus attempts with (short) logs."""
    return {
        "job": job_read(v),
        "attempts": [
            {
                "attempt": attempt_read(a),
                "logType": "formatted",
                "logs": {"logLines": log_lines(v, a)},
            }
            for a in v.attempts
        ],
    }


def log_lines(v: JobView, a: AttemptView) -> list[str]:
    lines = [f"Starting attempt {a.number} of job {v.job.job_id} for connection {v.job.connection_id}"]
    for name, _ns, s_re, s_rc, *_ in a.stream_stats:
        lines.append(f"Stream {name}: {s_re} records emitted, {s_rc} committed")
    if a.failure:
        lines.append(f"Attempt failed: {a.failure['failures'][0].get('externalMessage')}")
    return lines


def job_with_attempts_read(v: JobView) -> dict[str, Any]:
    """Config API ``JobWithAttemptsRead`` (as in ``jobs/list``)."""
    return {"job": job_read(v), "attempts": [attempt_read(a) for a in v.attempts]}
