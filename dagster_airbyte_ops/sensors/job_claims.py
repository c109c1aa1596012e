"""Which ended Airbyte jobs are Dagster's to record, and which are the observer's.

A run claims a job by tagging itself `airbyte_ops/job_<id>` the moment it triggers or attaches to it
(`assets/run_tags.py`), and says it recorded the outcome with `airbyte_ops/recorded_job_<id>` after its
last materialization (or failure). For a job that has ended, its claims are:

* settled: some run recorded it, or started it in deferred mode (the deferred sensor records those);
* live: no run recorded it yet, but a claiming run is still alive (starting, started or cancelling):
  it is about to record it, or it dies and the claim lapses; the observer asks again next tick;
* lapsed: every claiming run ended without recording it (a run killed with SIGKILL and marked
  failed by its code server or Dagster's run monitoring, or a run that detached on termination).
  The job is nobody's: the observer records it, once.
* none: no run claims it (Airbyte's scheduler, the UI or the API started it): the observer records it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import dagster as dg

from ..assets.run_tags import LIVE_RUN_STATUSES, deferred_job_tag, job_tag, recorded_job_tag
from ..client.models import Job

ClaimState = Literal["settled", "live", "lapsed", "none"]
#: Alive for the observer: also a run being cancelled (it may still cancel and settle its job).
_ALIVE = {*LIVE_RUN_STATUSES, dg.DagsterRunStatus.CANCELING}


@dataclass(frozen=True)
class Claim:
    state: ClaimState
    run_ids: list[str] = field(default_factory=list)


def claims_of(instance: dg.DagsterInstance, jobs: Sequence[Job]) -> dict[int, Claim]:
    """The claim on each job: one tag query, then one run query per claimed job."""
    if not jobs:
        return {}
    by_tag = {job_tag(job.id): job for job in jobs}
    claimed: set[int] = set()
    for key, values in instance.get_run_tags(tag_keys=list(by_tag)):
        if by_tag[key].connection_id in values:
            claimed.add(by_tag[key].id)
    result = {job.id: Claim("none") for job in jobs}
    for job in jobs:
        if job.id in claimed:
            result[job.id] = _claim(instance, job)
    return result


def _claim(instance: dg.DagsterInstance, job: Job) -> Claim:
    runs = [
        record.dagster_run
        for record in instance.get_run_records(dg.RunsFilter(tags={job_tag(job.id): job.connection_id}))
    ]
    ids = [run.run_id for run in runs]
    settled_by = (recorded_job_tag(job.id), deferred_job_tag(job.id))
    if any(run.tags.get(key) == job.connection_id for run in runs for key in settled_by):
        return Claim("settled", ids)
    if any(run.status in _ALIVE for run in runs):
        return Claim("live", ids)
    return Claim("lapsed", ids)
