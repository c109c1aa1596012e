"""`AirbyteResource`: the Dagster face of one Airbyte instance.

The resource knows *what* to do with a sync (trigger or attach, wait, cancel, report); the HTTP
details (auth, retries, pagination, payload shapes) stay in `client/`. Secrets are plain `str`
fields meant to be set with `dg.EnvVar(...)`, so Dagster shows the variable's name, never its value.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Literal
from urllib.parse import urlparse

import dagster as dg
from pydantic import Field

from ..client import AirbyteClient, AirbyteDeadlineError, deadline
from ..client.models import Job, JobStatus
from ..errors import AirbyteApiError, AirbyteOpsError, SyncTimeoutError
from .field_checks import check_fields
from .interrupts import sleep_unless_interrupted
from .job_identity import ExpectedJob, read_checked
from .outcome import job_metadata, result_or_raise
from .ownership import JobOwnership, release
from .polling import HISTORY_JOBS, AdaptivePolling, PredictedPolling, polling_for
from .step_log import STEP_LOG, logs_to
from .sync_result import SyncResult
from .trigger import RunningSyncPolicy, trigger_or_attach

DEFAULT_REQUEST_TIMEOUT_S = 30.0
DEFAULT_MAX_RETRIES = 5
DEFAULT_RETRY_BACKOFF_S = 1.0
DEFAULT_POLL_INTERVAL_S = 10.0
DEFAULT_SYNC_TIMEOUT_S = 24 * 3600.0
AIRBYTE_CLOUD_UI_URL = "https://cloud.airbyte.com"
AIRBYTE_CLOUD_API_HOST = "api.airbyte.com"

#: Called with (job, attached) as soon as a sync's job is known, before waiting for it.
OnJob = Callable[[Job, bool], None]


class AirbyteResource(dg.ConfigurableResource):
    """Connection settings and sync behaviour for one Airbyte instance (OSS or Cloud)."""

    url: str = Field(
        default="http://localhost:8000",
        description="Root URL of the Airbyte server, e.g. http://localhost:8000 (the Config API lives "
        "under /api/v1). For Airbyte Cloud use https://api.airbyte.com with api='public'.",
    )
    api: Literal["config", "public", "auto"] = Field(
        default="auto",
        description="Which Airbyte API to speak: 'config' (/api/v1, OSS), 'public' (/api/public/v1 or "
        "Cloud), or 'auto' (public for Airbyte Cloud, Config API otherwise).",
    )
    public_api_url: str | None = Field(
        default=None,
        description="Base URL of the public API; default: url + '/api/public/v1'. Airbyte Cloud: "
        "https://api.airbyte.com/v1.",
    )
    ui_url: str | None = Field(
        default=None,
        description="Base URL of the Airbyte web UI used for job links; default: url (Cloud: "
        "https://cloud.airbyte.com).",
    )
    workspace_id: str | None = Field(
        default=None,
        description="Airbyte workspace id; optional when the instance has exactly one workspace.",
    )
    username: str | None = Field(default=None, description="Basic-auth user name (with password).")
    password: str | None = Field(
        default=None,
        repr=False,  # secrets stay out of reprs (a resolved resource holds the real value)
        description="Basic-auth password. Set it with dg.EnvVar('AIRBYTE_PASSWORD').",
    )
    token: str | None = Field(
        default=None,
        repr=False,
        description="Static bearer token (an API key). Set it with dg.EnvVar(...).",
    )
    client_id: str | None = Field(
        default=None, description="OAuth client id for client-credentials auth (with client_secret)."
    )
    client_secret: str | None = Field(
        default=None,
        repr=False,
        description="OAuth client secret; tokens are fetched from /applications/token and refreshed "
        "before they expire. Set it with dg.EnvVar('AIRBYTE_CLIENT_SECRET').",
    )
    request_timeout_s: float = Field(
        default=DEFAULT_REQUEST_TIMEOUT_S,
        gt=0,
        description="Total time one HTTP request may take (connect, headers and body), in seconds; "
        "a slower answer is cut off and retried.",
    )
    max_retries: int = Field(
        default=DEFAULT_MAX_RETRIES,
        ge=0,
        description="Retries of one request on connection errors, timeouts, 429 and 5xx (never other 4xx).",
    )
    retry_backoff_s: float = Field(
        default=DEFAULT_RETRY_BACKOFF_S,
        ge=0,
        description="Base of the exponential backoff between retries, in seconds (full jitter, capped).",
    )
    poll_interval_s: float = Field(
        default=DEFAULT_POLL_INTERVAL_S,
        gt=0,
        description="Longest wait between two job status polls, in seconds, when the sync's length "
        "cannot be predicted: polling starts fast and backs off to this ceiling. With a history of the "
        "connection's syncs, polls are sparse (a quarter of the predicted length apart, at least this, "
        "at most 300 s) until just before the predicted end, then dense.",
    )
    sync_timeout_s: float | None = Field(
        default=DEFAULT_SYNC_TIMEOUT_S,
        description="A sync still running after this many seconds fails with SyncTimeoutError (its job "
        "cancelled when this run owns it, else detached from); it bounds the whole sync, a stuck HTTP "
        "call included. None waits forever.",
    )
    cancel_on_termination: bool = Field(
        default=True,
        description="Cancel the Airbyte job when the Dagster run waiting on it is terminated; only a "
        "job that run triggered and no other live run is attached to (else the run detaches).",
    )
    on_running_sync: RunningSyncPolicy = Field(
        default="attach",
        description="What sync() does when the connection already has a running job: 'attach' (wait "
        "for that job), 'fail' (raise SyncConflictError) or 'skip' (return without waiting).",
    )
    verify_tls: bool = Field(
        default=True, description="Verify Airbyte's TLS certificate. Turning it off logs a warning."
    )

    # ---- client -------------------------------------------------------------------------------

    def get_client(self) -> AirbyteClient:
        """The HTTP client, built once per resource instance (it holds the session and token)."""
        return self._client

    # Dagster's resources are frozen pydantic models that allow `functools.cached_property`
    # (Dagster's config sets it as an ignored type): the cache lives in the instance's __dict__.
    @functools.cached_property
    def _client(self) -> AirbyteClient:
        check_fields(self)
        if not self.verify_tls:
            self._log.warning(
                "verify_tls is false: Airbyte's TLS certificate is not checked; traffic to %s can be "
                "intercepted.",
                self.url,
            )
        return AirbyteClient(
            url=self.url,
            api=self.api,
            public_api_url=self.public_api_url,
            username=self.username,
            password=self.password,
            token=self.token,
            client_id=self.client_id,
            client_secret=self.client_secret,
            request_timeout_s=self.request_timeout_s,
            max_retries=self.max_retries,
            retry_backoff_s=self.retry_backoff_s,
            verify_tls=self.verify_tls,
            logger=self._log,
        )

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        """Close the client a run or step used, so its sockets are released now, not when collected."""
        client = self.__dict__.get("_client")
        if client is not None:
            client.close()

    @property
    def _log(self) -> logging.Logger:
        return STEP_LOG

    def logs_to(self, log: logging.Logger) -> AbstractContextManager[None]:
        """Send this resource's log lines (and its client's retry warnings) to `log` meanwhile.

        The assets pass their `context.log`, so every line lands under the step that caused it, also
        when several syncs run at once in one process (`airbyte_sync_executor` runs steps as threads,
        and Dagster's captured Python logging has no way to tell those threads apart).
        """
        return logs_to(log)

    # ---- links --------------------------------------------------------------------------------

    def resolved_workspace_id(self) -> str | None:
        """The configured workspace, or the instance's only one (looked up once)."""
        return self._resolved_workspace_id

    @functools.cached_property
    def _resolved_workspace_id(self) -> str | None:
        if self.workspace_id:
            return self.workspace_id
        workspaces = self.get_client().list_workspaces()
        return workspaces[0].id if len(workspaces) == 1 else None

    def job_url(self, connection_id: str, job_id: int, *, workspace_id: str | None = None) -> str:
        """Link to the job in the Airbyte UI (the connection's timeline, opened on that job).

        Pass `workspace_id` when it is known (sensors know it from the catalog) to save the lookup.
        """
        base = (self.ui_url or self._default_ui_url()).rstrip("/")
        workspace = workspace_id
        if workspace is None:
            try:
                workspace = self.resolved_workspace_id()
            except AirbyteOpsError as exc:
                # A link is a convenience: a sync that ran must not fail because a lookup for it did.
                logging.getLogger(__name__).warning(
                    "Airbyte job link without workspace (the workspace lookup failed: %s)", exc
                )
        connection_path = f"/connections/{connection_id}"
        prefix = f"{base}/workspaces/{workspace}" if workspace else base
        return f"{prefix}{connection_path}/timeline?jobId={job_id}&openLogs=true"

    def _default_ui_url(self) -> str:
        hosts = {urlparse(self.url).hostname, urlparse(self.public_api_url or "").hostname}
        return AIRBYTE_CLOUD_UI_URL if AIRBYTE_CLOUD_API_HOST in hosts else self.url

    # ---- syncs --------------------------------------------------------------------------------

    def start_sync(self, connection_id: str, *, on_job: OnJob | None = None) -> int:
        """Trigger a sync (or find the one already running) and return its job id at once.

        `on_job(job, attached)` is called as soon as the job is known (the assets tag their run with it).
        """
        job, attached, _expected = trigger_or_attach(
            self.get_client(), connection_id, policy="attach", log=self._log
        )
        if on_job is not None:
            on_job(job, attached)
        return job.id

    def sync(
        self,
        connection_id: str,
        *,
        timeout_s: float | None = None,
        on_job: OnJob | None = None,
        ownership: JobOwnership | None = None,
    ) -> SyncResult:
        """Run one sync of the connection to its end; never starts a second job beside a running one.

        `on_job(job, attached)` is called once the job is triggered or attached to, before waiting: the
        assets use it to tag their run so the observer sensor knows the job is Dagster's own. It is not
        called for a job skipped under `on_running_sync='skip'` (that job stays someone else's).

        On termination or timeout the job is cancelled only when this sync triggered it and no other
        live run (`ownership`) is attached to it; otherwise the sync detaches (`ownership.py`).

        Raises SyncFailedError (failed or cancelled in Airbyte), SyncTimeoutError (past the timeout),
        SyncConflictError (a job was running and `on_running_sync='fail'`).
        """
        started = time.monotonic()
        limit_s = timeout_s if timeout_s is not None else self.sync_timeout_s
        try:
            with deadline(limit_s):  # sync_timeout_s bounds the trigger too, even a stuck call
                job, attached, expected = trigger_or_attach(
                    self.get_client(), connection_id, policy=self.on_running_sync, log=self._log
                )
        except AirbyteDeadlineError as error:
            raise SyncTimeoutError(
                f"Connection {connection_id}: Airbyte did not answer the trigger within the sync timeout "
                f"of {limit_s:g} s; a job may have started in Airbyte ({error})"
            ) from None
        if attached and self.on_running_sync == "skip":
            self._log.info("Connection %s already has job %s running; skipping.", connection_id, job.id)
            return SyncResult.skipped_for(connection_id, job)
        answered = time.monotonic()  # the job exists by now: the poll schedule counts from here
        if on_job is not None:
            on_job(job, attached)
        polling = None
        if not attached:
            with deadline(None if limit_s is None else limit_s - (time.monotonic() - started)):
                polling = self._predicted_polling(connection_id)
        return self._wait(
            expected,
            timeout_s=timeout_s,
            attached=attached,
            polling=polling,
            started=started,
            polling_from=answered,
            ownership=ownership,
        )

    def _predicted_polling(self, connection_id: str) -> AdaptivePolling | PredictedPolling:
        """Polling from the connection's recent successful syncs (one jobs-list call; polling.py).

        Best effort: without an answer, polling is adaptive as for a connection with no history.
        """
        try:
            history = self.get_client().list_jobs(
                connection_id=connection_id, statuses=["succeeded"], job_type="sync", limit=HISTORY_JOBS
            )
        except AirbyteApiError as error:
            self._log.debug("No job history for connection %s (%s); adaptive polling.", connection_id, error)
            history = []
        return polling_for(history, max_interval_s=self.poll_interval_s)

    def wait(
        self,
        job_id: int,
        *,
        connection_id: str | None = None,
        timeout_s: float | None = None,
        attached: bool = False,
        created_at: dt.datetime | None = None,
        ownership: JobOwnership | None = None,
    ) -> SyncResult:
        """Poll the job until it ends; cancel it if the Dagster run is terminated or it times out.

        Every read must answer about this job (`job_identity.py`): of `connection_id` and created at
        `created_at` when given, else as first read; an answer about another job fails the wait.
        """
        expected = ExpectedJob(job_id, connection_id, created_at=created_at)
        return self._wait(expected, timeout_s=timeout_s, attached=attached, ownership=ownership)

    def _wait(
        self,
        expected: ExpectedJob,
        *,
        timeout_s: float | None,
        attached: bool,
        polling: AdaptivePolling | PredictedPolling | None = None,
        started: float | None = None,
        polling_from: float | None = None,
        ownership: JobOwnership | None = None,
    ) -> SyncResult:
        job_id = expected.job_id
        limit_s = timeout_s if timeout_s is not None else self.sync_timeout_s
        polling = polling or AdaptivePolling(max_interval_s=self.poll_interval_s)
        started = time.monotonic() if started is None else started
        origin = started if polling_from is None else polling_from  # polls count from the trigger's answer
        last_status: JobStatus | None = None
        last: Job | None = None
        try:
            if polling.wait_before_first_read:  # the trigger's answer was the first read
                first = polling.next_delay_s(time.monotonic() - origin)  # the history call took a moment
                sleep_unless_interrupted(first if limit_s is None else min(first, limit_s))
            while True:
                left_s = None if limit_s is None else limit_s - (time.monotonic() - started)
                if left_s is not None and left_s <= 0 and last is not None:
                    raise self._timed_out(
                        expected, limit_s or 0.0, last, attached=attached, ownership=ownership
                    )
                try:
                    with deadline(left_s):  # a read stuck past the sync timeout is cut there
                        job, expected = read_checked(
                            lambda: self.get_client().get_job(job_id),
                            expected,
                            log=self._log,
                            sleep=sleep_unless_interrupted,
                        )
                except AirbyteDeadlineError as error:
                    raise self._timed_out(
                        expected,
                        limit_s or 0.0,
                        last,
                        cause=str(error),
                        attached=attached,
                        ownership=ownership,
                    ) from None
                last = job
                if job.status != last_status:
                    self._log.info(
                        "Airbyte job %s of connection %s: %s", job.id, job.connection_id, job.status.value
                    )
                    last_status = job.status
                if job.status.is_terminal:
                    break
                elapsed = time.monotonic() - started
                if limit_s is not None and elapsed >= limit_s:
                    raise self._timed_out(expected, limit_s, job, attached=attached, ownership=ownership)
                delay = polling.next_delay_s(time.monotonic() - origin)
                if limit_s is not None:
                    delay = min(delay, max(limit_s - elapsed, 0.0))
                sleep_unless_interrupted(delay)  # a step thread of a terminated run wakes up
        except (dg.DagsterExecutionInterruptedError, KeyboardInterrupt):
            outcome = self._release(
                job_id, expected.connection_id or "", attached=attached, ownership=ownership, timed_out=False
            )
            self._log.warning("Run interrupted while waiting for Airbyte job %s: it %s.", job_id, outcome)
            raise
        return result_or_raise(job, attached=attached, job_url=self.job_url, client=self.get_client())

    def cancel(self, job_id: int) -> Job:
        """Cancel a job; a job that already ended is returned as it is."""
        return self.get_client().cancel_job(job_id)

    # ---- internals ----------------------------------------------------------------------------

    def _timed_out(
        self,
        expected: ExpectedJob,
        limit_s: float,
        job: Job | None,
        *,
        attached: bool,
        ownership: JobOwnership | None,
        cause: str | None = None,
    ) -> SyncTimeoutError:
        """Cancel the job if this run owns it, else detach, and say which; ``cause`` when a call to
        Airbyte itself got no answer in time."""
        job_id = expected.job_id
        connection_id = job.connection_id if job is not None else expected.connection_id or ""
        with deadline(self.request_timeout_s):  # one request timeout for the cancel and the link
            outcome = self._release(
                job_id, connection_id, attached=attached, ownership=ownership, timed_out=True
            )
            url = self.job_url(connection_id, job_id)
        reason = f"ran past the sync timeout of {limit_s:g} s and {outcome}"
        why = f" (the last call to Airbyte got no answer in time: {cause})" if cause else ""
        return SyncTimeoutError(
            f"Airbyte job {job_id} of connection {connection_id} {reason}{why}. Job: {url}",
            job_id=job_id,
            metadata=job_metadata(job, job_url=self.job_url, reason=reason) if job is not None else None,
        )

    def _release(
        self,
        job_id: int,
        connection_id: str,
        *,
        attached: bool,
        ownership: JobOwnership | None,
        timed_out: bool,
    ) -> str:
        """Cancel the job if this run may (`ownership.py`), else detach; says which happened."""

        def cancel() -> Job:  # one request timeout: the sync's own deadline has ended when this runs
            with deadline(self.request_timeout_s):
                return self.get_client().cancel_job(job_id)

        return release(
            cancel,
            job_id,
            connection_id,
            attached=attached,
            ownership=ownership,
            cancel_on_termination=self.cancel_on_termination,
            timed_out=timed_out,
            log=self._log,
        )
