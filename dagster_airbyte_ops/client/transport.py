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

Secrets (password, tokens, client secret, the Authorization header) never appear in an error
message, a log line or a ``repr``: every message goes through :meth:`Transport.scrub`.

A non-idempotent POST (a trigger) may be retried after a dropped response. That is safe with Airbyte:
a second trigger of a running connection is refused with 409, which the caller reads as "attach to
the running job".
"""

from __future__ import annotations

import base64
import email.utils
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import requests

from ..errors import AirbyteApiError, AirbyteAuthError

__all__ = [
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_REQUEST_TIMEOUT_S",
    "DEFAULT_RETRY_BACKOFF_S",
    "MAX_BACKOFF_S",
    "Auth",
    "BasicAuth",
    "BearerAuth",
    "ClientCredentialsAuth",
    "NoAuth",
    "Transport",
    "parse_retry_after_s",
    "should_retry",
]

DEFAULT_REQUEST_TIMEOUT_S = 30.0
DEFAULT_MAX_RETRIES = 5
DEFAULT_RETRY_BACKOFF_S = 1.0
MAX_BACKOFF_S = 30.0
MAX_RETRY_AFTER_S = 300.0  # a Retry-After longer than this is capped: a step should not sleep for hours
TOKEN_REFRESH_FRACTION = 0.8  # refresh a token once 80 % of its lifetime has passed ...
TOKEN_REFRESH_MARGIN_S = 30.0  # ... or 30 s before it expires, whichever comes first
DEFAULT_TOKEN_LIFETIME_S = 180.0  # Airbyte <= 1.5; used when the token response has no expires_in
MAX_MESSAGE_CHARS = 500

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
# Auth strategies
# --------------------------------------------------------------------------------------------------


class Auth:
    """No credentials. Base class of the strategies: headers per request, reaction to a 401."""

    name = "none"

    def headers(self, transport: Transport) -> dict[str, str]:
        """Headers to send with one request (may fetch a token through ``transport``)."""
        return {}

    def on_unauthorized(self) -> bool:
        """Called on a 401: True if new credentials may help (the request is then sent once more)."""
        return False

    def secrets(self) -> list[str]:
        """Every secret value this strategy holds, so messages can be scrubbed of them."""
        return []

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


NoAuth = Auth


class BasicAuth(Auth):
    """HTTP basic auth (Airbyte OSS behind its default proxy)."""

    name = "basic"

    def __init__(self, username: str, password: str) -> None:
        self.username = username
        self._password = password
        self._header = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()

    def headers(self, transport: Transport) -> dict[str, str]:
        return {"Authorization": self._header}

    def secrets(self) -> list[str]:
        return [self._password, self._header, self._header.split(" ", 1)[1]]

    def __repr__(self) -> str:
        return f"BasicAuth(username={self.username!r}, password='***')"


class BearerAuth(Auth):
    """A static bearer token (an Airbyte application token or API key)."""

    name = "bearer"

    def __init__(self, token: str) -> None:
        self._token = token

    def headers(self, transport: Transport) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"}

    def secrets(self) -> list[str]:
        return [self._token]

    def __repr__(self) -> str:
        return "BearerAuth(token='***')"


class ClientCredentialsAuth(Auth):
    """OAuth client credentials: exchange id + secret at ``token_url`` for short-lived bearer tokens.

    Tokens live 180 s up to Airbyte 1.5 and 900 s from 1.6, so a long sync outlives several of them:
    the token is refreshed ahead of expiry, and once more if Airbyte still answers 401.
    """

    name = "client_credentials"

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token_url = token_url
        self.client_id = client_id
        self._client_secret = client_secret
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._refresh_at = 0.0
        self._old_tokens: list[str] = []  # kept only to scrub them from messages
        self.tokens_fetched = 0

    def headers(self, transport: Transport) -> dict[str, str]:
        with self._lock:
            if self._token is None or self._clock() >= self._refresh_at:
                self._fetch(transport)
            return {"Authorization": f"Bearer {self._token}"}

    def on_unauthorized(self) -> bool:
        with self._lock:
            self._refresh_at = 0.0  # forces a new token on the next request
        return True

    def _fetch(self, transport: Transport) -> None:
        body = {
            "client_id": self.client_id,
            "client_secret": self._client_secret,
            "grant-type": "client_credentials",
        }
        payload = transport.request("POST", self.token_url, json=body, authenticate=False, auth_endpoint=True)
        token = payload.get("access_token") if isinstance(payload, Mapping) else None
        if not isinstance(token, str) or not token:
            raise AirbyteAuthError(
                f"Airbyte POST {urlsplit(self.token_url).path}: the token response has no access_token",
                method="POST",
                path=urlsplit(self.token_url).path,
            )
        lifetime = payload.get("expires_in")
        if not isinstance(lifetime, int | float) or isinstance(lifetime, bool) or lifetime <= 0:
            lifetime = DEFAULT_TOKEN_LIFETIME_S
        refresh_after = min(lifetime * TOKEN_REFRESH_FRACTION, max(lifetime - TOKEN_REFRESH_MARGIN_S, 0.0))
        if self._token:
            self._old_tokens = [*self._old_tokens[-9:], self._token]
        self._token = token
        self._refresh_at = self._clock() + refresh_after
        self.tokens_fetched += 1

    def secrets(self) -> list[str]:
        return [self._client_secret, *([self._token] if self._token else []), *self._old_tokens]

    def __repr__(self) -> str:
        return (
            f"ClientCredentialsAuth(token_url={self.token_url!r}, client_id={self.client_id!r}, "
            "client_secret='***')"
        )


# --------------------------------------------------------------------------------------------------
# Transport
# --------------------------------------------------------------------------------------------------


def _airbyte_message(response: requests.Response) -> str | None:
    """Airbyte's own words from an error body: Config API ``{message}``, public ``{title, detail}``."""
    text = response.text or ""
    if not text.strip():
        return None
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, Mapping):
        message = body.get("message")
        if isinstance(message, str) and message:
            return message
        title, detail = body.get("title"), body.get("detail")
        data = body.get("data")
        data_message = data.get("message") if isinstance(data, Mapping) else None
        parts = [p for p in (title, detail, data_message) if isinstance(p, str) and p]
        if parts:
            unique = list(dict.fromkeys(parts))
            return ": ".join(unique)
        error = body.get("error") or body.get("error_description")
        if isinstance(error, str) and error:
            return error
        return None
    if "<html" in text[:500].lower() or "<!doctype" in text[:500].lower():
        match = re.search(r"<title>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
        title = match.group(1).strip() if match else ""
        return f"HTML page{': ' + title if title else ''} (is the URL pointing at Airbyte's API?)"
    return text.strip()


class Transport:
    """Sends requests to one Airbyte API base URL with timeouts, retries and auth.

    Args:
        base_url: the API root, e.g. ``http://localhost:8000/api/v1`` or ``https://api.airbyte.com/v1``.
        auth: an auth strategy (default: none).
        request_timeout_s: connect and read timeout of every call, in seconds.
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
        self.session.headers.setdefault("Accept", "application/json")
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
        while True:
            headers = self.auth.headers(self) if authenticate else {}
            try:
                response = self.session.request(
                    method,
                    url,
                    json=json,
                    params=params,
                    headers=headers,
                    timeout=self.request_timeout_s,
                    verify=self.verify_tls,
                )
            except requests.RequestException as exc:
                if should_retry(exception=exc) and retry < budget:
                    delay = self.backoff_s(retry)
                    self._warn(method, api_path, self._describe_exception(exc), delay, retry, budget)
                    self._sleep(delay)
                    retry += 1
                    continue
                raise self._exception_error(method, api_path, exc, retry) from None

            status = response.status_code
            if status == 401 and authenticate and not reauthenticated and self.auth.on_unauthorized():
                reauthenticated = True
                self.logger.info("Airbyte %s %s: HTTP 401, fetching a new token", method, api_path)
                continue
            if status in (401, 403) or (auth_endpoint and status == 400):
                raise self._auth_error(method, api_path, response, auth_endpoint)
            if 200 <= status < 300:
                return self._decode(method, api_path, response, expect_json)
            if should_retry(status=status) and retry < budget:
                retry_after = parse_retry_after_s(response.headers.get("Retry-After"))
                if retry_after is not None:
                    delay = min(retry_after, MAX_RETRY_AFTER_S)
                else:
                    delay = self.backoff_s(retry)
                self._warn(method, api_path, f"HTTP {status}", delay, retry, budget)
                self._sleep(delay)
                retry += 1
                continue
            raise self._status_error(method, api_path, response, retry)

    # -- helpers -------------------------------------------------------------------------------------

    def _warn(self, method: str, path: str, what: str, delay: float, retry: int, budget: int) -> None:
        self.logger.warning(
            self.scrub(
                f"Airbyte {method} {path}: {what}; retrying in {delay:.2f} s (retry {retry + 1} of {budget})"
            )
        )

    @staticmethod
    def _describe_exception(exc: BaseException) -> str:
        kind = type(exc).__name__
        if isinstance(exc, requests.Timeout):
            return f"timed out ({kind})"
        if isinstance(exc, requests.exceptions.ChunkedEncodingError):
            return f"connection dropped mid-response ({kind})"
        if isinstance(exc, requests.ConnectionError):
            return f"connection failed ({kind})"
        return kind

    def _exception_error(self, method: str, path: str, exc: BaseException, retries: int) -> AirbyteApiError:
        host = urlsplit(self.base_url).netloc
        # str(exc) may carry the request URL with its query; keep only the class and a path-free cause
        cause = re.sub(r"https?://\S+|url: \S+", "<url>", str(exc))[:MAX_MESSAGE_CHARS]
        tries = f" after {retries + 1} tries" if retries else ""
        hint = "check the URL, that Airbyte is running, and the network"
        if isinstance(exc, requests.exceptions.SSLError):
            hint = "check the certificate, or set verify_tls=False for a self-signed one"
        what = self._describe_exception(exc)
        message = f"Airbyte {method} {path} failed{tries}: {what} to {host}: {cause}; {hint}"
        return AirbyteApiError(self.scrub(message), method=method, path=path)

    def _auth_error(
        self, method: str, path: str, response: requests.Response, auth_endpoint: bool
    ) -> AirbyteAuthError:
        detail = _airbyte_message(response)
        detail = self.scrub(detail[:MAX_MESSAGE_CHARS]) if detail else None
        what = (
            "the token endpoint refused the client credentials" if auth_endpoint else "credentials rejected"
        )
        fix = (
            "check client_id/client_secret"
            if auth_endpoint or self.auth.name == "client_credentials"
            else "check the username/password or token"
            if self.auth.name != "none"
            else "this Airbyte requires credentials: set username/password, token or client_id/client_secret"
        )
        message = f"Airbyte {method} {path}: HTTP {response.status_code}, {what}"
        message += f": {detail}" if detail else ""
        message += f" ({fix}, auth={self.auth.name})"
        return AirbyteAuthError(
            message, method=method, path=path, status=response.status_code, airbyte_message=detail
        )

    def _status_error(
        self, method: str, path: str, response: requests.Response, retries: int
    ) -> AirbyteApiError:
        detail = _airbyte_message(response)
        detail = self.scrub(detail[:MAX_MESSAGE_CHARS]) if detail else None
        reason = response.reason or ""
        tries = f" after {retries + 1} tries" if retries else ""
        message = f"Airbyte {method} {path} failed{tries}: HTTP {response.status_code} {reason}".rstrip()
        if detail:
            message += f": {detail}"
        return AirbyteApiError(
            self.scrub(message), method=method, path=path, status=response.status_code, airbyte_message=detail
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
