"""Airbyte HTTP client: typed models, a retrying transport, and one client over both APIs.

Nothing in here knows Dagster; errors come from :mod:`dagster_airbyte_ops.errors` so a single
``except AirbyteOpsError`` covers every caller.
"""

from ._base import ApiFlavour
from .client import CLOUD_PUBLIC_API_URL, AirbyteClient, build_auth, resolve_api
from .config_api import ConfigApi
from .models import (
    Attempt,
    CheckResult,
    Connection,
    ConnectionSchedule,
    Destination,
    DestinationDefinition,
    FailureSummary,
    Job,
    JobStatus,
    Source,
    SourceDefinition,
    Stream,
    StreamStats,
    SyncStats,
    Workspace,
)
from .public_api import PublicApi
from .transport import (
    Auth,
    BasicAuth,
    BearerAuth,
    ClientCredentialsAuth,
    NoAuth,
    Transport,
    parse_retry_after_s,
    should_retry,
)

__all__ = [
    "CLOUD_PUBLIC_API_URL",
    "AirbyteClient",
    "ApiFlavour",
    "Attempt",
    "Auth",
    "BasicAuth",
    "BearerAuth",
    "CheckResult",
    "ClientCredentialsAuth",
    "ConfigApi",
    "Connection",
    "ConnectionSchedule",
    "Destination",
    "DestinationDefinition",
    "FailureSummary",
    "Job",
    "JobStatus",
    "NoAuth",
    "PublicApi",
    "Source",
    "SourceDefinition",
    "Stream",
    "StreamStats",
    "SyncStats",
    "Transport",
    "Workspace",
    "build_auth",
    "parse_retry_after_s",
    "resolve_api",
    "should_retry",
]
