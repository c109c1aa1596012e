"""Run a refresh or a clear of a connection's streams to its end, like a sync.

A refresh re-reads the streams from scratch (Truncate: the old data is replaced when it succeeds;
Merge: the re-read rows are merged in); a clear deletes the streams' data and resets their state,
moving no rows. Both are Airbyte jobs waited on exactly like a sync (identity checks, timeout,
cancel on termination); the result says which job type ran. Where Airbyte's API cannot do it (a
refresh, or a clear of some streams, on the public API) the error comes before any request.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..client._jobs_extra import RefreshMode, trigger_clear, trigger_refresh
from ..client.models import Job
from .job_identity import ExpectedJob, utc_now
from .sync_result import SyncResult

if TYPE_CHECKING:
    from .airbyte_resource import AirbyteResource, OnJob


def run_job(
    airbyte: AirbyteResource,
    connection_id: str,
    *,
    kind: str,
    streams: Sequence[str] | None = None,
    mode: RefreshMode = "truncate",
    timeout_s: float | None = None,
    on_job: OnJob | None = None,
) -> SyncResult:
    """Trigger a `refresh` or `clear` job and wait for it; raises like `AirbyteResource.sync`.

    `streams`: None for all (the public API clears whole connections only); `mode`: `truncate`
    replaces the data, `merge` merges the re-read rows into it; `on_job(job, attached)` as for a sync.
    """
    client = airbyte.get_client()
    triggered_at = utc_now()
    job: Job
    if kind == "refresh":
        job = trigger_refresh(client, connection_id, streams=streams, mode=mode)
    elif kind == "clear":
        job = trigger_clear(client, connection_id, streams=streams)
    else:
        raise ValueError(f"kind must be refresh or clear, not {kind!r}")
    scope = ", ".join(streams) if streams else "all streams"
    airbyte._log.info(
        "Airbyte %s job %s of connection %s started (%s%s).",
        kind,
        job.id,
        connection_id,
        scope,
        f", {mode}" if kind == "refresh" else "",
    )
    if on_job is not None:
        on_job(job, False)
    expected = ExpectedJob(job.id, connection_id, job_type=job.job_type, not_before=triggered_at)
    return airbyte._wait(expected, timeout_s=timeout_s, attached=False)
