"""Auth strategies for the transport: none, basic, a static bearer token, OAuth client credentials.

Client-credential tokens (Airbyte's ``/applications/token``) are refreshed before they expire (at 80 %
of their lifetime, or 30 s before the end, whichever comes first) and once more on a 401. Every
strategy lists its secrets so the transport can scrub them from any message.
"""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ..errors import AirbyteAuthError

if TYPE_CHECKING:
    from ._transport import Transport

__all__ = ["Auth", "BasicAuth", "BearerAuth", "ClientCredentialsAuth", "NoAuth"]

TOKEN_REFRESH_FRACTION = 0.8  # refresh a token once 80 % of its lifetime has passed ...
TOKEN_REFRESH_MARGIN_S = 30.0  # ... or 30 s before it expires, whichever comes first
DEFAULT_TOKEN_LIFETIME_S = 180.0  # Airbyte <= 1.5; used when the token response has no expires_in


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


class _SharedTokens:
    """Client-credential tokens shared by every client of this process with the same credentials.

    Dagster builds the resource anew for each sensor tick and each run step, so without sharing every
    tick began with a token request (the observer's tick: 3 requests instead of 2). Keyed by token URL,
    client id and a digest of the secret; an entry is used only until its own refresh time, and a 401
    drops it. Only clients on the real monotonic clock share (tests inject their own clocks).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[tuple[str, str, str], tuple[str, float]] = {}

    @staticmethod
    def key(token_url: str, client_id: str, client_secret: str) -> tuple[str, str, str]:
        return token_url, client_id, hashlib.sha256(client_secret.encode()).hexdigest()

    def get(self, key: tuple[str, str, str]) -> tuple[str, float] | None:
        with self._lock:
            entry = self._tokens.get(key)
        return entry if entry is not None and time.monotonic() < entry[1] else None

    def put(self, key: tuple[str, str, str], token: str, refresh_at: float) -> None:
        with self._lock:
            self._tokens[key] = (token, refresh_at)

    def clear(self) -> None:
        """Forget every token (tests: each starts as a fresh process would)."""
        with self._lock:
            self._tokens.clear()

    def drop(self, key: tuple[str, str, str], token: str | None) -> None:
        with self._lock:
            if token is not None and self._tokens.get(key, ("", 0.0))[0] == token:
                del self._tokens[key]


SHARED_TOKENS = _SharedTokens()


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
        self._shared_key = (
            SHARED_TOKENS.key(token_url, client_id, client_secret) if clock is time.monotonic else None
        )

    def headers(self, transport: Transport) -> dict[str, str]:
        with self._lock:
            if self._token is None or self._clock() >= self._refresh_at:
                shared = SHARED_TOKENS.get(self._shared_key) if self._shared_key else None
                if shared is not None and shared[0] != self._token:
                    self._adopt(*shared)
                else:
                    self._fetch(transport)
            return {"Authorization": f"Bearer {self._token}"}

    def on_unauthorized(self) -> bool:
        with self._lock:
            self._refresh_at = 0.0  # forces a new token on the next request
            if self._shared_key:
                SHARED_TOKENS.drop(self._shared_key, self._token)
        return True

    def _adopt(self, token: str, refresh_at: float) -> None:
        if self._token:
            self._old_tokens = [*self._old_tokens[-9:], self._token]
        self._token, self._refresh_at = token, refresh_at

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
        if self._shared_key:
            SHARED_TOKENS.put(self._shared_key, token, self._refresh_at)

    def secrets(self) -> list[str]:
        return [self._client_secret, *([self._token] if self._token else []), *self._old_tokens]

    def __repr__(self) -> str:
        return (
            f"ClientCredentialsAuth(token_url={self.token_url!r}, client_id={self.client_id!r}, "
            "client_secret='***')"
        )
