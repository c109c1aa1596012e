"""Run tags that tie Airbyte jobs to the Dagster runs that started (or attached to) them.

The op tags its run the moment it knows the job, before waiting for it, so a sensor can tell
Dagster's own jobs from the ones Airbyte's scheduler, UI or API started, even while they still run:

    airbyte_ops/job_<job id>:           <connection id>   every job a run triggered or attached to
    airbyte_ops/deferred_job_<job id>:  <connection id>   a job started in deferred mode
    airbyte_ops/deferred:               true              the run started at least one deferred job

Job ids are per Airbyte instance, connection ids are UUIDs: the (key, value) pair names one job on
one Airbyte, so two code locations on two Airbyte instances never take each other's jobs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import dagster as dg

JOB_TAG_PREFIX = "airbyte_ops/job_"
DEFERRED_JOB_TAG_PREFIX = "airbyte_ops/deferred_job_"
DEFERRED_RUN_TAG = "airbyte_ops/deferred"


def job_tag(job_id: int) -> str:
    """`airbyte_ops/job_123`."""
    return f"{JOB_TAG_PREFIX}{job_id}"


def deferred_job_tag(job_id: int) -> str:
    """`airbyte_ops/deferred_job_123`."""
    return f"{DEFERRED_JOB_TAG_PREFIX}{job_id}"


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


def jobs_started_by_dagster(instance: dg.DagsterInstance, jobs: Iterable[tuple[int, str]]) -> set[int]:
    """Which of these (job id, connection id) pairs some Dagster run is tagged with: one query."""
    wanted = {job_tag(job_id): (job_id, connection_id) for job_id, connection_id in jobs}
    if not wanted:
        return set()
    found: set[int] = set()
    for key, values in instance.get_run_tags(tag_keys=list(wanted)):
        job_id, connection_id = wanted[key]
        if connection_id in values:
            found.add(job_id)
    return found


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
