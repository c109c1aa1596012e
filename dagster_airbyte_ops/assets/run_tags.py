"""Run tags that tie Airbyte jobs to the Dagster runs that started (or attached to) them.

The op tags its run the moment it knows the job, before waiting for it, so a sensor can tell
Dagster's own jobs from the ones Airbyte's scheduler, UI or API started, even while they still run:

    airbyte_ops/job_<job id>:           <connection id>   every job a run triggered or attached to
    airbyte_ops/deferred_job_<job id>:  <connection id>   a job started in deferred mode
    airbyte_ops/deferred:               true              the run started at least one deferred job
    airbyte_ops/recorded_job_<job id>:  <connection id>   the run saw the job end and recorded its
                                                          outcome (or cancelled it itself)

A run that claims a job (`job_`) but never records it (killed, or detached on termination) leaves the
job to the observer once the run is no longer alive (`sensors/job_claims.py`). A run cancels a job
only if no other live run claims it (`RunJobOwnership`, `resource/ownership.py`).

Job ids are per Airbyte instance, connection ids are UUIDs: the (key, value) pair names one job on
one Airbyte, so two code locations on two Airbyte instances never take each other's jobs.
"""

from __future__ import annotations

from collections.abc import Mapping

import dagster as dg

from ..client.models import Job

JOB_TAG_PREFIX = "airbyte_ops/job_"
DEFERRED_JOB_TAG_PREFIX = "airbyte_ops/deferred_job_"
DEFERRED_RUN_TAG = "airbyte_ops/deferred"
RECORDED_JOB_TAG_PREFIX = "airbyte_ops/recorded_job_"
#: Run statuses of a run that may still record its jobs (a CANCELING run is going away).
LIVE_RUN_STATUSES = [dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED]


def job_tag(job_id: int) -> str:
    """`airbyte_ops/job_123`."""
    return f"{JOB_TAG_PREFIX}{job_id}"


def deferred_job_tag(job_id: int) -> str:
    """`airbyte_ops/deferred_job_123`."""
    return f"{DEFERRED_JOB_TAG_PREFIX}{job_id}"


def recorded_job_tag(job_id: int) -> str:
    """`airbyte_ops/recorded_job_123`."""
    return f"{RECORDED_JOB_TAG_PREFIX}{job_id}"


def tags_for_job(job_id: int, connection_id: str, *, deferred: bool = False) -> dict[str, str]:
    """The tags a run gets when it triggers or attaches to `job_id`."""
    tags = {job_tag(job_id): connection_id}
    if deferred:
        tags[deferred_job_tag(job_id)] = connection_id
        tags[DEFERRED_RUN_TAG] = "true"
    return tags


def tag_run(context: dg.AssetExecutionContext, job_id: int, connection_id: str, *, deferred: bool) -> None:
    """Tag the current run with the job, at once (not when the step ends)."""
    context.instance.add_run_tags(context.run_id, tags_for_job(job_id, connection_id, deferred=deferred))


class RunJobOwnership:
    """The `JobOwnership` of a run (see `resource/ownership.py`): its tags and the instance's runs."""

    def __init__(self, instance: dg.DagsterInstance, run_id: str) -> None:
        self.instance = instance
        self.run_id = run_id

    def others_waiting(self, job_id: int, connection_id: str) -> list[str]:
        """The other live runs that claim the job: one run-storage query."""
        records = self.instance.get_run_records(
            dg.RunsFilter(tags={job_tag(job_id): connection_id}, statuses=LIVE_RUN_STATUSES)
        )
        return [r.dagster_run.run_id for r in records if r.dagster_run.run_id != self.run_id]

    def settled(self, job: Job) -> None:
        self.recorded(job.id, job.connection_id)

    def recorded(self, job_id: int, connection_id: str) -> None:
        """This run has recorded the job's outcome: the observer leaves it alone."""
        self.instance.add_run_tags(self.run_id, {recorded_job_tag(job_id): connection_id})


def deferred_jobs_in(tags: Mapping[str, str]) -> dict[int, str]:
    """The deferred jobs a run's tags name: {job id: connection id}."""
    pending: dict[int, str] = {}
    for key, value in tags.items():
        if not key.startswith(DEFERRED_JOB_TAG_PREFIX):
            continue
        try:
            job_id = int(key[len(DEFERRED_JOB_TAG_PREFIX) :])
        except ValueError:
            continue
        pending[job_id] = value
    return pending
