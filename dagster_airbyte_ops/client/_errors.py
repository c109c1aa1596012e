"""The client's typed errors, and how an HTTP failure becomes one with a readable message.

Callers decide on the type or on :func:`outcome_unknown`, never on a status code:

* :class:`AirbyteNotFoundError`: HTTP 404, the object does not exist (any more).
* :class:`AirbyteJobNotFoundError`: a job read answered 404 (Airbyte restarted, job history cleared).
* :class:`AirbyteDeadlineError`: the caller's total deadline passed (a sync's ``sync_timeout_s``);
  no more tries are made.
* :func:`outcome_unknown`: Airbyte's side failed (HTTP 5xx after the retries), no answer came at all
  (refused, dropped, timed out), or a 2xx answer could not be read: whether a write took effect is
  unknown, so a caller that triggered a job looks for it before giving up. These stay plain
  ``AirbyteApiError`` (no subclass): the reliability tests pin that exact type for a 502 page and for
  a refused connection.

They subclass :class:`~dagster_airbyte_ops.errors.AirbyteApiError`, so ``except AirbyteApiError`` and
``except AirbyteOpsError`` keep catching them. Every message goes through the transport's ``scrub``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import requests

from ..errors import AirbyteApiError, AirbyteAuthError, SyncConflictError

__all__ = [
    "AirbyteDeadlineError",
    "AirbyteJobNotFoundError",
    "AirbyteNotFoundError",
    "airbyte_message",
    "auth_error",
    "conflict_error",
    "deadline_error",
    "describe_exception",
    "outcome_unknown",
    "status_error",
    "unreachable_error",
]

MAX_MESSAGE_CHARS = 500


class AirbyteDeadlineError(AirbyteApiError):
    """The caller's deadline (``AirbyteClient.deadline``) passed before Airbyte answered."""


class AirbyteNotFoundError(AirbyteApiError):
    """Airbyte answered 404: the object asked for does not exist."""


class AirbyteJobNotFoundError(AirbyteNotFoundError):
    """Airbyte no longer knows the job (restarted without its database, or job history cleared)."""

    def __init__(self, message: str, *, job_id: int, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.job_id = job_id

    @classmethod
    def of(cls, job_id: int, exc: AirbyteApiError) -> AirbyteJobNotFoundError:
        """The 404 ``exc`` of a job read, explained."""
        return cls(
            f"Airbyte job {job_id} no longer exists (was Airbyte restarted or its job history "
            f"cleared?): {exc}",
            job_id=job_id,
            method=exc.method,
            path=exc.path,
            status=404,
            airbyte_message=exc.airbyte_message,
        )


def outcome_unknown(exc: AirbyteApiError) -> bool:
    """Whether a failed write may still have happened in Airbyte.

    True for a server error or no answer, and for a 2xx answer we could not read (a malformed payload
    carries no status); False for every 4xx, which is Airbyte saying no.
    """
    return exc.status is None or exc.status >= 500


def conflict_error(exc: AirbyteApiError, connection_id: str, action: str) -> SyncConflictError:
    """A 409 on a trigger, as the error callers catch to attach to the running job."""
    detail = f": {exc.airbyte_message}" if exc.airbyte_message else ""
    return SyncConflictError(
        f"Airbyte refused to {action} connection {connection_id}: a job is already running{detail} "
        f"(attach to the running job instead of triggering another)",
        connection_id=connection_id,
        method=exc.method,
        path=exc.path,
        status=exc.status,
        airbyte_message=exc.airbyte_message,
    )


def airbyte_message(response: requests.Response) -> str | None:
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


def describe_exception(exc: BaseException) -> str:
    """What went wrong with a call that got no answer, in a few words."""
    kind = type(exc).__name__
    if isinstance(exc, requests.Timeout):
        return f"timed out ({kind})"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return f"connection dropped mid-response ({kind})"
    if isinstance(exc, requests.ConnectionError):
        return f"connection failed ({kind})"
    return kind


def unreachable_error(
    method: str, path: str, base_url: str, exc: BaseException, retries: int, scrub: Callable[[str], str]
) -> AirbyteApiError:
    """No answer after ``retries`` retries: names the host, the cause (no URL) and what to check."""
    host = urlsplit(base_url).netloc
    # str(exc) may carry the request URL with its query; keep only the class and a path-free cause
    cause = re.sub(r"https?://\S+|url: \S+", "<url>", str(exc))[:MAX_MESSAGE_CHARS]
    tries = f" after {retries + 1} tries" if retries else ""
    hint = "check the URL, that Airbyte is running, and the network"
    if isinstance(exc, requests.exceptions.SSLError):
        hint = "check the certificate, or set verify_tls=False for a self-signed one"
    message = f"Airbyte {method} {path} failed{tries}: {describe_exception(exc)} to {host}: {cause}; {hint}"
    return AirbyteApiError(scrub(message), method=method, path=path)


def deadline_error(method: str, path: str, problem: str) -> AirbyteDeadlineError:
    """The caller's deadline passed: no further try (``problem`` is what the last try ran into)."""
    return AirbyteDeadlineError(
        f"Airbyte {method} {path}: no answer before the caller's deadline (last: {problem}); "
        "the time limit of the operation (sync_timeout_s for a sync) has passed",
        method=method,
        path=path,
    )


def auth_error(
    method: str,
    path: str,
    response: requests.Response,
    *,
    auth_endpoint: bool,
    auth_name: str,
    scrub: Callable[[str], str],
) -> AirbyteAuthError:
    """A 401/403 (or the token endpoint's 400), with the credential to check."""
    detail = airbyte_message(response)
    detail = scrub(detail[:MAX_MESSAGE_CHARS]) if detail else None
    what = "the token endpoint refused the client credentials" if auth_endpoint else "credentials rejected"
    fix = (
        "check client_id/client_secret"
        if auth_endpoint or auth_name == "client_credentials"
        else "check the username/password or token"
        if auth_name != "none"
        else "this Airbyte requires credentials: set username/password, token or client_id/client_secret"
    )
    message = f"Airbyte {method} {path}: HTTP {response.status_code}, {what}"
    message += f": {detail}" if detail else ""
    message += f" ({fix}, auth={auth_name})"
    return AirbyteAuthError(
        message, method=method, path=path, status=response.status_code, airbyte_message=detail
    )


def status_error(
    method: str, path: str, response: requests.Response, retries: int, scrub: Callable[[str], str]
) -> AirbyteApiError:
    """A non-2xx answer as the typed error its status calls for, with Airbyte's own words."""
    detail = airbyte_message(response)
    detail = scrub(detail[:MAX_MESSAGE_CHARS]) if detail else None
    reason = response.reason or ""
    tries = f" after {retries + 1} tries" if retries else ""
    status = response.status_code
    message = f"Airbyte {method} {path} failed{tries}: HTTP {status} {reason}".rstrip()
    if detail:
        message += f": {detail}"
    kind = AirbyteNotFoundError if status == 404 else AirbyteApiError
    return kind(scrub(message), method=method, path=path, status=status, airbyte_message=detail)
