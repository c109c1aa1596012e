"""HTTP transport to Airbyte: one ``requests.Session``, timeouts, retries, auth, error messages.

What is retried is decided in one place, :func:`should_retry`:

* connection errors (refused, reset, dropped mid-body: ``ConnectionError``/``ChunkedEncodingError``)
  and timeouts;
* HTTP 429 (``Retry-After`` honoured, in seconds or as an HTTP date) and 5xx (but not 501/505);
* never another 4xx: a 400/404/409/422 will not change by asking again (a 409 on a trigger means a
  sync is already running; retrying it only produces more 409s).

Retries wait with exponential backoff and full jitter: ``uniform(0, min(cap, base * 2**n))``. The
jitter factor comes from :meth:`Transport.jitter` so tests can pin it.

Auth: none, basic, a static bearer token, or OAuth client credentials against Airbyte's
``/applications/token``. Client-credential tokens are refreshed before they expire (at 80 % of their
lifetime, or 30 s before the end, whichever comes first) and once more on a 401; a second 401 is an
:class:`~dagster_airbyte_ops.errors.AirbyteAuthError`.

Time: each try has a total deadline of ``request_timeout_s`` (connect + headers + body), not only
requests' timeout per socket read, and a caller may bound a whole operation with
:func:`~dagster_airbyte_ops.client.deadline` (see ``_deadline``).

Secrets (password, tokens, client secret, the Authorization header) never appear in an error
message, a log line or a ``repr``: every message goes through :meth:`Transport.scrub`.

A non-idempotent POST (a trigger) may be retried after a dropped response. That is safe with Airbyte:
a second trigger of a running connection is refused with 409, which the caller reads as "attach to
the running job".
"""

from __future__ import annotations

import email.utils
import logging
import random
import re
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import requests

from ..errors import AirbyteApiError
from ._auth import Auth
from ._deadline import DeadlineAdapter, TotalTimeout, remaining_s, watchdog
from ._errors import auth_error, deadline_error, describe_exception, status_error, unreachable_error

__all__ = [
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_REQUEST_TIMEOUT_S",
    "DEFAULT_RETRY_BACKOFF_S",
    "MAX_BACKOFF_S",
    "Transport",
    "parse_retry_after_s",
    "should_retry",
]

DEFAULT_REQUEST_TIMEOUT_S = 30.0
DEFAULT_MAX_RETRIES = 5
DEFAULT_RETRY_BACKOFF_S = 1.0
MAX_BACKOFF_S = 30.0
MAX_RETRY_AFTER_S = 300.0  # a Retry-After longer than this is capped: a step should not sleep for hours

_NOT_RETRIED_5XX = frozenset({501, 505})  # "not implemented" / "version not supported" never heal


def should_retry(*, status: int | None = None, exception: BaseException | None = None) -> bool:
    """Whether a failed call deserves another try.

    Args:
        status: the HTTP status received, if any.
        exception: the exception raised instead of a response, if any.

    Connection problems and timeouts are transient; so are 429 and most 5xx. Every other 4xx is an
    answer, not an accident, and is not retried. TLS errors are configuration problems, not retried.
    """
    if exception is not None:
        if isinstance(exception, requests.exceptions.SSLError):
            return False
        return isinstance(
            exception,
            requests.ConnectionError | requests.Timeout | requests.exceptions.ChunkedEncodingError,
        )
    if status is None:
        return False
    if status == 429:
        return True
    return 500 <= status <= 599 and status not in _NOT_RETRIED_5XX


def parse_retry_after_s(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date; None if absent/bad."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


# --------------------------------------------------------------------------------------------------


class Transport:
    """Sends requests to one Airbyte API base URL with timeouts, retries and auth.

    Args:
        base_url: the API root, e.g. ``http://localhost:8000/api/v1`` or ``https://api.airbyte.com/v1``.
        auth: an auth strategy (default: none).
        request_timeout_s: total time of one try (connect, headers, body), in seconds; a try still
            unanswered then is cut off (see ``_deadline``) and retried like a timeout. With a
            ``session`` passed in, only the per-read timeout applies (the watchdog cannot see its sockets).
        max_retries: retries after the first try of a call (so ``max_retries + 1`` tries at most).
        retry_backoff_s: first backoff step in seconds; doubles each retry, capped at ``max_backoff_s``.
        verify_tls: verify the server's TLS certificate.
        logger: where retry warnings go (default: this module's logger).
        session: a ``requests.Session`` to use (default: a new one, closed by :meth:`close`).
        sleep: the sleeping function (tests pass a recorder).
    """

    def __init__(
        self,
        base_url: str,
        *,
        auth: Auth | None = None,
        request_timeout_s: float = DEFAULT_REQUEST_TIMEOUT_S,
        max_retries: int = DEFAULT_MAX_RETRIES,
        retry_backoff_s: float = DEFAULT_RETRY_BACKOFF_S,
        max_backoff_s: float = MAX_BACKOFF_S,
        verify_tls: bool = True,
        logger: logging.Logger | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.auth = auth or Auth()
        self.request_timeout_s = request_timeout_s
        self.max_retries = max(0, max_retries)
        self.retry_backoff_s = retry_backoff_s
        self.max_backoff_s = max_backoff_s
        self.verify_tls = verify_tls
        self.logger = logger or logging.getLogger(__name__)
        self._own_session = session is None
        self.session = session or requests.Session()
        if self._own_session:  # total deadlines per try need connections the watchdog can cut
            self.session.mount("http://", DeadlineAdapter())
            self.session.mount("https://", DeadlineAdapter())
        if self.session.headers.get("Accept", "*/*") == "*/*":  # requests' default: ask for JSON
            self.session.headers["Accept"] = "application/json"
        self._sleep = sleep

    def __repr__(self) -> str:
        return f"Transport(base_url={self.base_url!r}, auth={self.auth!r})"

    def close(self) -> None:
        if self._own_session:
            self.session.close()

    # -- retry timing ------------------------------------------------------------------------------

    def jitter(self) -> float:
        """A factor in [0, 1] applied to each backoff ("full jitter"); tests override it."""
        return random.random()

    def backoff_s(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (0-based)."""
        ceiling = min(self.max_backoff_s, self.retry_backoff_s * (2**retry))
        return ceiling * self.jitter()

    # -- secrets -------------------------------------------------------------------------------------

    def scrub(self, text: str) -> str:
        """``text`` with every secret the auth strategy knows replaced by ``***``."""
        for secret in sorted(self.auth.secrets(), key=len, reverse=True):
            if secret and len(secret) >= 3:
                text = text.replace(secret, "***")
        return re.sub(
            r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)(bearer |basic )?[^\s'\",}]+", r"\1***", text
        )

    # -- requests ------------------------------------------------------------------------------------

    def url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return f"{self.base_url}/{path.lstrip('/')}"

    def post(self, path: str, body: Mapping[str, Any] | None = None) -> Any:
        """POST a JSON body (the Config API's only verb) and return the decoded JSON answer."""
        return self.request("POST", path, json=dict(body or {}))

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self.request("GET", path, params=params)

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        authenticate: bool = True,
        auth_endpoint: bool = False,
        expect_json: bool = True,
        max_retries: int | None = None,
        before_retry: Callable[[], None] | None = None,
    ) -> Any:
        """Send one call with retries and return its decoded JSON body (None when empty).

        Args:
            method: HTTP verb.
            path: path under ``base_url``, or an absolute URL (the token endpoint).
            json: JSON body.
            params: query parameters.
            authenticate: add the auth strategy's headers (False for the token call itself).
            auth_endpoint: this is the token endpoint: a 400/401/403 is an AirbyteAuthError.
            expect_json: a non-empty 2xx body must be JSON.
            max_retries: override of the transport's retry budget for this call (health checks use 0).
            before_retry: called before each retry whose failed try may have taken effect (no answer,
                or a 5xx): a trigger looks there for the job its lost try started, and raises to stop
                retrying (see `resource/trigger.py`). Not called after a 429, which is Airbyte's "no".

        Raises:
            AirbyteAuthError: credentials rejected.
            AirbyteApiError: any other failure, after the retries it deserved.
        """
        method = method.upper()
        url = self.url(path)
        api_path = urlsplit(url).path or "/"
        budget = self.max_retries if max_retries is None else max(0, max_retries)
        retry = 0
        reauthenticated = False
        problem = "no try yet"
        while True:
            headers = self.auth.headers(self) if authenticate else {}
            try_budget = self._try_budget_s(method, api_path, problem)
            failure: requests.RequestException | None = None
            with watchdog(try_budget) as watch:
                try:
                    response = self.session.request(
                        method,
                        url,
                        json=json,
                        params=params,
                        headers=headers,
                        timeout=try_budget,
                        verify=self.verify_tls,
                    )
                except Exception as exc:
                    if not watch.fired and not isinstance(exc, requests.RequestException):
                        raise
                    failure = exc if isinstance(exc, requests.RequestException) else None
            if watch.fired:  # cut short: what arrived (even a 200 with the headers so far) is not an answer
                failure = TotalTimeout(f"no complete answer within {try_budget:g} s")
            if failure is not None:
                problem = describe_exception(failure)
                if should_retry(exception=failure) and retry < budget:
                    delay = self.backoff_s(retry)
                    self._wait_to_retry(method, api_path, problem, delay, retry, budget)
                    if before_retry is not None:
                        before_retry()
                    retry += 1
                    continue
                raise unreachable_error(method, api_path, self.base_url, failure, retry, self.scrub) from None

            status = response.status_code
            if status == 401 and authenticate and not reauthenticated and self.auth.on_unauthorized():
                reauthenticated = True
                self.logger.info("Airbyte %s %s: HTTP 401, fetching a new token", method, api_path)
                continue
            if status in (401, 403) or (auth_endpoint and status == 400):
                raise auth_error(
                    method,
                    api_path,
                    response,
                    auth_endpoint=auth_endpoint,
                    auth_name=self.auth.name,
                    scrub=self.scrub,
                )
            if 200 <= status < 300:
                return self._decode(method, api_path, response, expect_json)
            if should_retry(status=status) and retry < budget:
                retry_after = parse_retry_after_s(response.headers.get("Retry-After"))
                if retry_after is not None:
                    delay = min(retry_after, MAX_RETRY_AFTER_S)
                else:
                    delay = self.backoff_s(retry)
                problem = f"HTTP {status}"
                self._wait_to_retry(method, api_path, problem, delay, retry, budget)
                if before_retry is not None and status >= 500:
                    before_retry()
                retry += 1
                continue
            raise status_error(method, api_path, response, retry, self.scrub)

    # -- helpers -------------------------------------------------------------------------------------

    def _try_budget_s(self, method: str, path: str, problem: str) -> float:
        """Seconds the next try may take: ``request_timeout_s``, less when the caller's deadline is near."""
        left = remaining_s()
        if left is None:
            return self.request_timeout_s
        if left <= 0:
            raise deadline_error(method, path, problem)
        return min(self.request_timeout_s, left)

    def wait_to_retry(self, method: str, path: str, what: str, *, retry: int, budget: int) -> None:
        """Back off as before retry number ``retry + 1`` of a call whose tries a caller makes itself."""
        self._wait_to_retry(method, path, what, self.backoff_s(retry), retry, budget)

    def _wait_to_retry(
        self, method: str, path: str, what: str, delay: float, retry: int, budget: int
    ) -> None:
        """Back off before a retry, unless the caller's deadline passes first (then stop now)."""
        left = remaining_s()
        if left is not None and left <= delay:
            raise deadline_error(method, path, what)
        self._warn(method, path, what, delay, retry, budget)
        self._sleep(delay)

    def _warn(self, method: str, path: str, what: str, delay: float, retry: int, budget: int) -> None:
        self.logger.warning(
            self.scrub(
                f"Airbyte {method} {path}: {what}; retrying in {delay:.2f} s (retry {retry + 1} of {budget})"
            )
        )

    def _decode(self, method: str, path: str, response: requests.Response, expect_json: bool) -> Any:
        if not response.content or not response.content.strip():
            return None
        try:
            return response.json()
        except ValueError:
            if not expect_json:
                return response.text
            snippet = self.scrub(response.text[:120].strip())
            raise AirbyteApiError(
                f"Airbyte {method} {path}: HTTP {response.status_code} but the body is not JSON "
                f"({snippet!r}); is the URL pointing at Airbyte's API?",
                method=method,
                path=path,
                status=response.status_code,
            ) from None
