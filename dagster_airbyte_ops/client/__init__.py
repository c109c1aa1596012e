"""Airbyte HTTP client: typed models, a retrying transport, and one client over both APIs.

Nothing in here knows Dagster; errors come from :mod:`dagster_airbyte_ops.errors` (and the typed
subclasses of ``AirbyteApiError`` below) so a single ``except AirbyteOpsError`` covers every caller.

Modules, all private behind this ``__init__``: ``_client`` (``AirbyteClient``, the interface, and how
one is built), ``_config_api`` / ``_public_api`` (the two flavours implementing it; ``_config_paging``,
``_job_queries`` what they need), ``_transport`` (HTTP, retries), ``_auth`` (credentials),
``_deadline`` (total deadlines per try and per operation), ``_errors`` (typed errors and their
messages), ``models`` (typed records, public for its types).
"""

from ._auth import Auth, BasicAuth, BearerAuth, ClientCredentialsAuth, NoAuth
from ._client import CLOUD_PUBLIC_API_URL, AirbyteClient, build_auth, resolve_api
from ._config_api import ConfigApi
from ._deadline import DeadlineAdapter, deadline, watchdog
from ._errors import AirbyteDeadlineError, AirbyteJobNotFoundError, AirbyteNotFoundError, outcome_unknown
from ._public_api import PublicApi
from ._transport import Transport, parse_retry_after_s, should_retry
from .models import (
    Attempt,
    CheckResult,
    Connection,
    ConnectionSchedule,
    ConnectorSpecification,
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

ApiFlavour = AirbyteClient  # the interface both flavours implement (its former name)

__all__ = [
    "CLOUD_PUBLIC_API_URL",
    "AirbyteClient",
    "AirbyteDeadlineError",
    "AirbyteJobNotFoundError",
    "AirbyteNotFoundError",
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
    "ConnectorSpecification",
    "DeadlineAdapter",
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
    "deadline",
    "outcome_unknown",
    "parse_retry_after_s",
    "resolve_api",
    "should_retry",
    "watchdog",
]
