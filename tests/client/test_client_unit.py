"""AirbyteClient construction: flavour choice, URLs, credentials; and the package's exports."""

from __future__ import annotations

import pytest

import dagster_airbyte_ops.client as client_pkg
from dagster_airbyte_ops.client import (
    AirbyteClient,
    BasicAuth,
    BearerAuth,
    ClientCredentialsAuth,
    ConfigApi,
    PublicApi,
    resolve_api,
)
from dagster_airbyte_ops.errors import ConfigError


@pytest.mark.parametrize(
    ("api", "url", "public_api_url", "expected"),
    [
        ("auto", "http://localhost:8000", None, "config"),
        ("auto", "http://localhost:8000", "http://localhost:8000/api/public/v1", "config"),
        ("auto", None, "http://localhost:8000/api/public/v1", "public"),
        ("auto", "https://api.airbyte.com", None, "public"),
        ("auto", "http://localhost:8000", "https://api.airbyte.com/v1", "public"),
        ("config", "https://api.airbyte.com", None, "config"),
        ("public", "http://localhost:8000", None, "public"),
    ],
)
def test_resolve_api(api, url, public_api_url, expected):
    assert resolve_api(api, url, public_api_url) == expected


def test_urls_and_flavours():
    c = AirbyteClient(url="http://localhost:8000/")
    assert c.api == "config" and isinstance(c.flavour, ConfigApi)
    assert c.transport.base_url == "http://localhost:8000/api/v1"
    assert c.public_api_url == "http://localhost:8000/api/public/v1"
    c = AirbyteClient(url="http://localhost:8000/api/v1", api="public")
    assert isinstance(c.flavour, PublicApi) and c.transport.base_url == "http://localhost:8000/api/public/v1"
    c = AirbyteClient(url="https://api.airbyte.com", client_id="i", client_secret="s")
    assert c.api == "public" and c.transport.base_url == "https://api.airbyte.com/v1"
    assert isinstance(c.transport.auth, ClientCredentialsAuth)
    assert c.transport.auth.token_url == "https://api.airbyte.com/v1/applications/token"
    c = AirbyteClient(public_api_url="http://h/api/public/v1", token="t")
    assert c.api == "public" and isinstance(c.transport.auth, BearerAuth)
    with AirbyteClient(
        url="http://h", username="u", password="p", request_timeout_s=3, verify_tls=False
    ) as c:
        assert isinstance(c.transport.auth, BasicAuth)
        assert c.transport.request_timeout_s == 3 and c.transport.verify_tls is False


@pytest.mark.parametrize(
    "kwargs",
    [
        {"username": "u"},
        {"client_id": "i"},
        {"username": "u", "password": "p", "token": "t"},
        {"token": "t", "client_id": "i", "client_secret": "s"},
        {"api": "graphql"},
    ],
)
def test_bad_credentials_config(kwargs):
    with pytest.raises(ConfigError):
        AirbyteClient(url="http://h", **kwargs)


def test_config_api_needs_url():
    with pytest.raises(ConfigError):
        AirbyteClient(public_api_url="http://h/api/public/v1", api="config")
    with pytest.raises(ConfigError):
        AirbyteClient()


def test_all_matches_exports():
    public = {name for name in dir(client_pkg) if not name.startswith("_")}
    modules = {"client", "config_api", "models", "public_api", "transport"}
    assert set(client_pkg.__all__) == public - modules
    assert len(client_pkg.__all__) == len(set(client_pkg.__all__))


def test_every_operation_is_delegated():
    ops = [name for name in dir(ConfigApi) if not name.startswith("_") and callable(getattr(ConfigApi, name))]
    for name in ops:
        if name in ("close",):
            continue
        assert hasattr(AirbyteClient, name), name
        assert hasattr(PublicApi, name), name
