"""Authentication modes: none, HTTP basic, a static bearer token, and client-credentials tokens.

Tokens minted by ``applications/token`` look like JWTs (header.payload.signature with ``exp``) because
some clients decode them to schedule a refresh; the signature is random and never checked by anyone.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets

from dagster_airbyte_ops.emulator.state import EmulatorState, Token

#: Paths that answer without credentials, like Airbyte's own health checks and token endpoint.
OPEN_SUFFIXES = ("/health", "/applications/token", "/instance_configuration")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def is_open_path(path: str) -> bool:
    """Whether ``path`` needs no credentials."""
    return path.rstrip("/").endswith(OPEN_SUFFIXES)


def issue_token(state: EmulatorState, client_id: str) -> Token:
    """Mint and remember a token for ``client_id`` valid for the configured lifetime."""
    now = state.now()
    lifetime = state.settings.effective_token_lifetime_s
    header = _b64(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    payload = _b64(
        json.dumps(
            {"sub": client_id, "iat": int(now), "exp": int(now + lifetime), "iss": "airbyte-emulator"}
        ).encode()
    )
    value = f"{header}.{payload}.{_b64(secrets.token_bytes(24))}"
    token = Token(value=value, client_id=client_id, expires_at=now + lifetime)
    with state.lock:
        state.tokens[value] = token
    return token


def expire_all_tokens(state: EmulatorState) -> int:
    """Make every issued token expired now; returns how many there were."""
    with state.lock:
        for t in state.tokens.values():
            t.expires_at = 0.0
        return len(state.tokens)


def same_secret(given: str | bytes, expected: str) -> bool:
    """Constant-time comparison that takes any text: ``compare_digest`` refuses non-ASCII ``str``
    (a TypeError, which was a 500 for a password like ``pässwörd``), so both sides go in as bytes."""
    raw = given if isinstance(given, bytes) else str(given).encode("utf-8", "surrogateescape")
    return secrets.compare_digest(raw, expected.encode("utf-8", "surrogateescape"))


def valid_credentials(state: EmulatorState, client_id: str | None, client_secret: str | None) -> bool:
    """Whether a client id/secret pair may obtain a token."""
    s = state.settings
    id_ok = same_secret(client_id or "", s.client_id)
    return same_secret(client_secret or "", s.client_secret) and id_ok


def _token_ok(state: EmulatorState, value: str) -> bool:
    with state.lock:
        token = state.tokens.get(value)
        return token is not None and token.expires_at > state.now()


def authorized(state: EmulatorState, authorization: str | None) -> bool:
    """Whether the ``Authorization`` header satisfies the configured mode.

    Issued tokens are accepted in every protected mode (on both APIs, as Airbyte does); ``basic`` also
    takes the configured user, ``bearer`` the configured static token.
    """
    mode = state.settings.auth
    if mode == "none":
        return True
    if not authorization:
        return False
    scheme, _, credentials = authorization.partition(" ")
    scheme = scheme.lower()
    credentials = credentials.strip()
    if scheme == "bearer":
        # Header values arrive decoded as latin-1: back to their bytes, compared with the UTF-8 token.
        if mode == "bearer" and same_secret(credentials.encode("latin-1", "replace"), state.settings.token):
            return True
        return _token_ok(state, credentials)
    if scheme == "basic" and mode == "basic":
        try:
            # ValueError: a header with non-ASCII characters is not base64 at all.
            user, _, password = base64.b64decode(credentials, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return False
        user_ok = same_secret(user, state.settings.username)
        return same_secret(password, state.settings.password) and user_ok
    return False
