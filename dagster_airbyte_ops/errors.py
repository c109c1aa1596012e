"""The one exception tree of dagster_airbyte_ops.

    AirbyteOpsError (dagster.Failure)
     ├── AirbyteApiError            an Airbyte call failed: names method, path, status, Airbyte's message
     │    ├── AirbyteAuthError      credentials rejected (401/403) or the token endpoint refused them
     │    ├── SyncConflictError     409 on trigger: a sync of that connection is already running
     │    └── JobIdentityError      Airbyte answered about another job (defined in resource/job_identity.py)
     ├── SyncFailedError            the Airbyte job ended failed or cancelled
     ├── SyncTimeoutError           the job ran past `sync_timeout_s` (and was cancelled)
     └── ConfigError                airbyte_ops.yaml (or a resource field) is wrong: names file, field, fix

Everything subclasses `dagster.Failure` so a step fails with our message and metadata instead of a
traceback. The HTTP client raises these too: it is the single place where the client touches Dagster,
and it keeps one `except AirbyteOpsError` valid for every caller.
"""

from __future__ import annotations

from typing import Any

import dagster as dg


class AirbyteOpsError(dg.Failure):
    """Root of every error this package raises on purpose."""

    def __init__(self, message: str, *, metadata: dict[str, Any] | None = None) -> None:
        super().__init__(description=message, metadata=metadata or {})
        self.message = message

    def __str__(self) -> str:
        return self.message


class AirbyteApiError(AirbyteOpsError):
    """An HTTP call to Airbyte failed after the retries it deserved."""

    def __init__(
        self,
        message: str,
        *,
        method: str | None = None,
        path: str | None = None,
        status: int | None = None,
        airbyte_message: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message, metadata=metadata)
        self.method = method
        self.path = path
        self.status = status
        self.airbyte_message = airbyte_message


class AirbyteAuthError(AirbyteApiError):
    """Airbyte rejected the credentials; retrying will not help."""


class SyncConflictError(AirbyteApiError):
    """Airbyte answered 409 to a trigger: a job for that connection is already running.

    Callers attach to the running job instead of retrying.
    """

    def __init__(self, message: str, *, connection_id: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.connection_id = connection_id


class SyncFailedError(AirbyteOpsError):
    """The Airbyte job ended `failed` or `cancelled`."""

    def __init__(self, message: str, *, job_id: int | None = None, metadata: dict[str, Any] | None = None):
        super().__init__(message, metadata=metadata)
        self.job_id = job_id


class SyncTimeoutError(AirbyteOpsError):
    """The job did not finish within `sync_timeout_s`; it has been cancelled in Airbyte."""

    def __init__(self, message: str, *, job_id: int | None = None, metadata: dict[str, Any] | None = None):
        super().__init__(message, metadata=metadata)
        self.job_id = job_id


class ConfigError(AirbyteOpsError):
    """Configuration is invalid; the message names the file, the field path and the fix."""
